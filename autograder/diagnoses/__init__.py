"""One home for diagnoses: the stable codes (used in Gradescope tags), what each one tells a student, the one
formatter (`explain`), and, one module per family, the known-wrong variants that name a student's mistake by
giving the same numbers on the same inputs:

- `closures`: the operations' backward passes (tasks 1 and 3): check_closure, check_expression, check_ops_graph;
- `order`: topological_sort and the order of backward()'s closure calls (task 2): order_checks;
- `nn`: Neuron, Layer and MLP (task 4): the task4 suite's check_module;
- `training`: mse_loss, sgd_step and train() (task 5): the task5 suite;
- `failures`: what an error the student's code raised means (every check, and the harness).

The checks keep the checking; a code that a check knows from what it checked (a wrong forward value, a
parameter count) is raised there. docs/diagnoses.md is generated from this table by `mygrad build`;
tests/test_diagnoses.py checks that every code is named somewhere and every code named is here.
"""

DIAGNOSES = {
    # the operations' backward passes (tasks 1 and 3)
    "assign-not-accumulate": "A backward pass assigns a gradient (`=`) instead of adding to it (`+=`): a node "
    "used twice, like `a + a`, keeps only the last contribution.",
    "missing-chain-factor": "A backward pass forgets to multiply by `out.grad` (the chain rule): it looks right "
    "when the operation is the output, and goes wrong one level deeper.",
    "closure-does-nothing": "A backward closure leaves its inputs' grads as they were: nothing is added.",
    "wrong-local-derivative": "An operation's local derivative is wrong (the check names the operation and the "
    "numbers).",
    "mul-uses-own-input": "In `a * b`, each input's gradient uses its *own* data instead of the other input's.",
    "tanh-uses-input": "tanh's derivative is written with the input, `1 - x**2`, instead of the output, "
    "`1 - t**2` with `t = out.data`.",
    "pow-exponent-not-lowered": "`**`'s local derivative keeps the exponent: `k * x ** k` instead of "
    "`k * x ** (k - 1)`. Mind the brackets: `x ** k - 1` is `(x ** k) - 1`, "
    "since `**` binds before `-`.",
    "relu-at-zero": "relu passes gradient at exactly 0; the kit (like PyTorch) uses a slope of 0 there.",
    "closure-on-wrong-node": "An operation stores its closure on an input (`self._backward = _backward`) "
    "instead of on its result (`out._backward = _backward`): a value used by two "
    "operations keeps only the last closure, and the result's closure does nothing.",
    "pow-through-log": "`**` is computed through `log` (e.g. `(k * a.log()).exp()`), which fails for a negative "
    "base: `(-1.5) ** 2` is 2.25; compute `self.data ** k` and its local derivative "
    "`k * self.data ** (k - 1)` directly.",
    "returns-none": "An operation returns None (or something that is not a Value): `return out` is missing, "
    "or indented inside `_backward`.",
    "graph-too-large": "The graph below one result holds thousands of nodes: an operation builds far more than "
    "it needs (e.g. a sum of many zero terms).",
    "uses-grad-not-data": "In `a * b`, the backward pass multiplies by the other input's `.grad` instead of "
    "its `.data`.",
    "forward-value-wrong": "An operation computes the wrong value going forward (often a reflected operator: "
    "`5 - a` computing `a - 5`).",
    "missing-reflected-op": "An operation with the constant on the left (`2 * a`, `5 - a`, `2 / a`, "
    "`sum([a, b])`) raises TypeError: define `__radd__`, `__rmul__`, `__rsub__`, "
    "`__rtruediv__`.",
    "children-not-recorded": "An operation builds its result without recording its inputs as children "
    "(`Value(data, (self, other), op)`), so backward() never reaches them.",
    "missing-method": "A method, operator or argument that the contract asks for is missing (the message names "
    "it): define it, e.g. `__neg__` for `-a`, or `nonlin=True` in `Neuron.__init__`.",
    "constant-not-wrapped": "An operation with a plain number fails because the number is not wrapped in a "
    "Value before `.data` is read.",
    # the graph (task 2)
    "root-not-seeded": "backward() does not set the output's grad to 1.0 first, so nothing flows back.",
    "root-seeded-by-adding": "backward() adds 1.0 to the output's grad (`+=`) instead of setting it (`=`): what "
    "it held before counts too.",
    "topo-not-reversed": "The topological order is used the wrong way round: topological_sort lists leaves "
    "first (the output last), and backward() calls the closures in reverse, output first.",
    "topo-wrong-order": "topological_sort lists a node before one of its children (a pre-order walk instead of "
    "post-order).",
    "topo-missing-nodes": "topological_sort leaves out nodes that the output depends on.",
    "topo-repeats-nodes": "topological_sort lists a node more than once (the visited set is missing, keyed wrongly, "
    "or kept from an earlier call).",
    "topo-keeps-state": "topological_sort keeps state between calls (a visited set at module level, or a "
    "default argument such as topo=[] or visited=set(), made once for every call), so a second call, or a "
    "second backward(), misses nodes or returns nodes of an earlier graph.",
    "recursive-double-count": "backward() recurses into each child once per parent, so gradients through shared "
    "nodes are propagated too early and counted twice.",
    "backward-resets-grads": "A second backward() call should add to the leaves' grads; this one starts over.",
    "identity-not-value": "Nodes are merged or looked up by value: two distinct Values holding the same "
    "number must stay two nodes (do not define a value-based `__eq__`/`__hash__`).",
    "order-dependent": "The result depends on the order in which a set is iterated: right on some runs, wrong "
    "on others, with the same inputs.",
    "recursion-limit": "Python's recursion limit was hit: by code that calls itself without end, or by a "
    "recursive walk on a deep graph (use an explicit stack).",
    # neural networks (task 4)
    "parameter-count": "parameters() returns the wrong number of parameters.",
    "parameter-copies": "parameters() returns new Value objects (copies) instead of the model's own, so "
    "training cannot change the model.",
    "parameters-shared": "parameters() lists the same Value more than once: neurons share one Neuron object "
    "or one list of weights.",
    "parameters-not-in-graph": "A module's output is not built from its parameters' Values (e.g. `wi.data * xi` "
    "or `+ self.b.data`), so backward() never reaches them and training cannot "
    "change them.",
    "parameter-order": "parameters() returns the right Values in the wrong order (the contract: each neuron's "
    "`w + [b]`, neurons and layers in order).",
    "bias-missing": "A neuron's output leaves out its bias.",
    "nonlin-wrong": "A neuron applies tanh when it should not, or not when it should.",
    "layer-returns-list": "A Layer with one neuron returns a list of one instead of the Value itself.",
    "zero-grad-missing": "zero_grad() leaves the gradients as they were.",
    "zero-grad-none": "zero_grad() sets the gradients to None instead of 0.0 (backward() adds to them: a number).",
    "zero-grad-zeroes-data": "zero_grad() zeroes the parameters' data instead of (or as well as) their grads.",
    # training (task 5)
    "loss-not-sum-of-squares": "mse_loss is not the sum of squared errors (a mean, a missing square, or an "
    "absolute value).",
    "lr-sign": "The update steps *along* the gradient (`+=`): it must step against it, `p.data -= lr * p.grad`.",
    "train-no-zero-grad": "The training loop never zeroes the gradients, so each step adds to the last one's: "
    "wrong from the second step on.",
    "train-step-order": "The training step runs in the wrong order (e.g. zeroing after backward, or updating "
    "before backward).",
    "train-model-unchanged": "train() leaves the model it is given as it was (it trains a copy?): it must "
    "update the model's own parameters.",
    "lr-ignored": "train() does not use the learning rate it is given (a hard-coded `lr`?).",
    "train-forward-once": "train() runs the forward pass once, before the loop: every step must compute the "
    "predictions and the loss again, from the updated parameters.",
    "loss-recorded-after-update": "train() records the loss after the update instead of the loss of the step.",
    # how the student's code ran
    "not-implemented": "The task's stub still raises NotImplementedError.",
    "import-error": "A file of the submission could not be imported (syntax error or failed import).",
    "exception": "The student's code raised an exception.",
    "non-finite": "A result was NaN or infinite.",
    "timeout": "The student's code did not answer in time (an endless loop?) and was stopped.",
    "crashed": "The worker running the student's code crashed.",
    "exited": "The student's code ended the worker process (exit) before answering.",
    "out-of-memory": "The student's code ran out of its memory limit.",
    "bad-response": "The worker's answer was not a valid result (something wrote to the answer channel).",
    "time-budget": "The submission used up its total time budget before this check.",
    "forbidden-import": "The submission imports the reference, the solutions, the grader or another autograd "
    "library: no points are given for checks that ran with it.",
    "not-gradable": "The submission could not be graded at all (an unreadable archive or notebook, or no "
    "mygrad/ package, .zip or notebook in it): the message says why. Hand it in again.",
    "grader-error": "The grader itself could not complete this check (not a fault of the submission): the "
    "instructor should look at it.",
    "needs-earlier-task": "This check relies on an earlier task that fails: fix that task first.",
}


# Codes named by the grader's own machinery rather than by a check or a variant, and where.
ELSEWHERE = {
    "time-budget": "autograder/student.py: a request not run once the submission's time is used up",
    "graph-too-large": "autograder/harness.py: experiments.GraphTooLarge, raised while walking a graph",
    "grader-error": "autograder/harness.py and autograder/batch.py: a hidden test or a grade that broke",
    "not-gradable": "autograder/batch.py: a submission that could not be read",
    "forbidden-import": "autograder/grade.py: on every row of a submission flagged for importing what it must not",
}


def explain(code: str) -> str:
    """The diagnosis line every feedback text ends with: `Diagnosis [code]: what it means`."""
    return f"\n  Diagnosis [{code}]: {DIAGNOSES[code]}"
