"""Hidden checks for task4: Neuron, Layer, MLP with weights set through parameters(), and zero_grad.

Whether the parameters are in the output's graph is seen by walking the graph from the grader's process,
never by the student's backward(): a task2 mistake is not charged again here.
"""

from autograder import experiments
from autograder.checks import close, fail, fmt
from autograder.diagnoses.nn import mistake_of
from autograder.harness import group

X3 = [2.0, 3.0, -1.0]


def numbers(n, rng=None):
    """Distinct, non-zero weights (so that a missing bias or a swapped order changes the output)."""
    shift = rng.choice((0.0, 0.05, -0.05)) if rng else 0.0
    return [round(((i * 7) % 19 - 9 + 0.5) / 10 + shift, 3) for i in range(n)]


def blocks(kind, args):
    """Each neuron's parameter count, in contract order."""
    if kind == "neuron":
        return [args[0] + 1]
    if kind == "layer":
        return [args[0] + 1] * args[1]
    sizes = [args[0], *args[1]]
    return [sizes[i] + 1 for i in range(len(args[1])) for _ in range(sizes[i + 1])]


def check_module(student, reference, kind, args, x, label, rng=None):
    sizes = blocks(kind, args)
    nums = numbers(sum(sizes), rng)
    call = dict(kind=kind, args=args, numbers=nums, x=x)
    want, got = reference.run("module", **call), student.run("module", **call)
    if got["count"] != want["count"]:
        fail(
            f"{label}.parameters() returns {got['count']} parameters, expected {want['count']} "
            f"({' + '.join(map(str, sizes))}: each neuron's weights and its bias)",
            "parameter-count",
        )
    if not got["all_values"]:
        fail(f"{label}.parameters() must return the Value objects themselves", "parameter-count")
    if not got["distinct"]:
        fail(f"{label}.parameters() lists the same Value more than once", "parameters-shared")
    if not got["same_objects"]:
        fail(
            f"{label}.parameters() gave other Value objects on a second call: it must return the model's own "
            "Values, not copies",
            "parameter-copies",
        )
    out, expected = got.get("out", []), want["out"]
    if want["kind"] == "value" and got.get("kind") == "list":
        fail(
            f"{label}(x) returned a list; with one output neuron it must return the Value itself", "layer-returns-list"
        )
    if got.get("kind") != want["kind"]:
        fail(f"{label}(x) returned a {got.get('kind')}, expected a {want['kind']}")
    if len(out) == len(expected) and all(close(g, w) for g, w in zip(out, expected)):
        if not got["in_order"]:
            fail(
                f"{label}.parameters() is not in contract order (each neuron's w + [b], neurons and layers in order)",
                "parameter-order",
            )
        outputs, params = got.get("outputs", []), got.get("params", [])
        if len(outputs) != len(expected) or len(params) != want["count"]:
            fail(
                f"{label}: the answer from your code's process did not number every output and parameter",
                "bad-response",
            )
        reached = set(experiments.explore(student, outputs))
        missing = [i for i, p in enumerate(params) if p not in reached]
        if missing:
            fail(
                f"{label} on x={x}: parameter {missing[0]} (in parameters() order) is not in the graph of the "
                "output, so backward() can never reach it",
                "parameters-not-in-graph",
            )
        return
    code = mistake_of(reference, kind, args, nums, sizes, x, out)
    shown = ", ".join(fmt(v) for v in out)
    fail(
        f"{label} with parameters set to {nums} (in parameters() order) on x={x}: output {shown}, expected "
        f"{', '.join(fmt(v) for v in expected)}",
        code,
    )


@group("task4", "Neuron: parameters and output", weight=2)
def test_neuron(student, reference, rng):
    check_module(student, reference, "neuron", [3, True], X3, "Neuron(3)", rng)
    check_module(student, reference, "neuron", [2, False], [0.5, -1.5], "Neuron(2, nonlin=False)", rng)


@group("task4", "Layer: outputs, and one Value when nout == 1", weight=1.5)
def test_layer(student, reference, rng):
    check_module(student, reference, "layer", [3, 2], X3, "Layer(3, 2)", rng)
    check_module(student, reference, "layer", [3, 1], X3, "Layer(3, 1)", rng)
    check_module(student, reference, "layer", [3, 2, False], X3, "Layer(3, 2, nonlin=False)", rng)


@group("task4", "MLP: parameter count, order and output", weight=2)
def test_mlp(student, reference, rng):
    check_module(student, reference, "mlp", [3, [4, 4, 1]], X3, "MLP(3, [4, 4, 1])", rng)
    check_module(student, reference, "mlp", [2, [3, 2]], [0.5, -1.0], "MLP(2, [3, 2])", rng)


@group("task4", "zero_grad() resets grads and keeps data", weight=1)
def test_zero_grad(student, reference, rng):
    most = 4 * reference.run("zero_grad", nin=2, nouts=[3, 1], grads=[], data=[])["count"]
    # The grader's own "before" numbers, more than a right MLP(2, [3, 1]) has parameters: zero_grad() is judged
    # on the parameters the model has (a wrong count is charged in the MLP row, not again here)
    grads = [round(rng.uniform(1, 9), 3) for _ in range(most)]
    data = [round(rng.uniform(-2, 2), 3) for _ in range(most)]
    got = student.run("zero_grad", nin=2, nouts=[3, 1], grads=grads, data=data)
    count = got["count"]
    if not 0 < count <= most or len(got["grads"]) != count or len(got["data"]) != count:
        fail(
            f"MLP(2, [3, 1]).parameters() returns {count} parameters: zero_grad() cannot be checked", "parameter-count"
        )
    grads, data = grads[:count], data[:count]
    if not got["same_objects"]:
        fail(
            "MLP(2, [3, 1]).parameters() gives new Value objects on each call, so zero_grad() cannot reach the "
            "model's own Values",
            "parameter-copies",
        )
    if not all(close(g, w) for g, w in zip(got["data"], data)):
        left = (
            "and left the grads as they were"
            if all(close(g, w) for g, w in zip(got["grads"], grads))
            else "as well as the grads"
        )
        fail(
            f"MLP(2, [3, 1]).zero_grad() changed the parameters' data {left}; it must only reset the grads",
            "zero-grad-zeroes-data",
        )
    if "NoneType" in got["grads"]:
        fail("after MLP(2, [3, 1]).zero_grad() some grads are None, not 0.0", "zero-grad-none")
    if all(close(g, w) for g, w in zip(got["grads"], grads)):
        fail(
            "after setting the grads to numbers like 4.2, MLP(2, [3, 1]).zero_grad() left them as they were",
            "zero-grad-missing",
        )
    if not all(g == 0.0 for g in got["grads"]):
        fail(f"after zero_grad() some grads are not 0.0: {[fmt(g) for g in got['grads'][:8]]}", "zero-grad-missing")
