"""Comparisons for the hidden suites, all in the grader's process with plain floats.

A hidden test runs an experiment on the student's worker and on the reference, then calls one of the
`check_*` functions here; a mismatch raises `Mistake` with feedback that says what was checked, a minimal
example, and, where the pattern is known, the misconception with its diagnosis code (which known-wrong
variant gives the same numbers is worked out in autograder/diagnoses/).
"""

from __future__ import annotations

import ast

from . import experiments
from .compare import close, fmt, non_finite
from .diagnoses import explain
from .diagnoses.closures import closure_mistake, expression_mistake, graph_mistake, raised_mistake
from .student import ProbeFailure


class Mistake(AssertionError):
    def __init__(self, feedback: str, *codes: str, graph: dict | None = None):
        super().__init__(feedback)
        self.feedback, self.codes, self.graph = feedback, [c for c in codes if c], graph


def fail(what: str, code: str | None = None, extra: str = "", graph: dict | None = None) -> None:
    raise Mistake(what + (explain(code) if code else "") + extra, code or "", graph=graph)


def drawing(spec, got, want, first=None) -> dict:
    """The graph of a failed check, to draw beside its feedback: each node's operation, the student's and the
    expected value and grad, and the first wrong node (counting back from the output)."""
    children = children_of(spec)
    return {
        "nodes": [
            {
                "label": describe_node(spec, i),
                "children": children[i],
                "data": got['data'][i],
                "grad": got['grads'][i],
                "want": want['grads'][i],
            }
            for i in range(len(children))
        ],
        "wrong": first,
    }


def pairs(got, want, what: str):
    """zip(got, want) once got is a list exactly as long as the expected one: an empty or short answer
    from the worker must never pass a check vacuously."""
    if not isinstance(got, list) or len(got) != len(want):
        fail(
            f"{what}: the answer from your code's process had {len(got) if isinstance(got, list) else 'no'} "
            f"numbers where {len(want)} were expected",
            'bad-response',
        )
    return zip(got, want)


def every(*checks) -> None:
    """Run every check of a row and report each that fails: the first failure must not hide another. An
    exception in the student's code is one more item; a timeout or a crash ends the row there."""
    from .diagnoses.failures import failure_text

    found: list[Mistake] = []
    for check in checks:
        try:
            check()
        except Mistake as err:
            found.append(err)
        except ProbeFailure as err:
            if err.kind != "exception":  # not started, a timeout, a crash: said as such, and the row stops
                if not found:
                    raise
                break
            text, codes = failure_text(err, "")
            found.append(Mistake(text, *codes))
    if len(found) == 1:
        raise found[0]
    if found:
        raise Mistake(
            "\n".join(f"({i}) {m.feedback}" for i, m in enumerate(found, 1)),
            *dict.fromkeys(c for m in found for c in m.codes),
            graph=next((m.graph for m in found if m.graph), None),
        )


def vary(rng, *values):
    """The values scaled by one factor drawn for this grade: the same shape of example (signs, zeros, equal
    inputs), at numbers a submission cannot know in advance. The factor is one of 257 between 0.5 and 1.5,
    exact in binary (k/256): with only a few, a table of answers harvested from earlier feedback would soon
    hold every point a check can ask."""
    factor = rng.randint(128, 384) / 256 if rng else 1.0
    return [v * factor if isinstance(v, float) else v for v in values]


# --- one operation's backward pass ------------------------------------------------------------------

CLOSURE_SPECS = {'add': ["add", 0, 1], 'mul': ["mul", 0, 1], 'add_self': ["add", 0, 0], 'mul_self': ["mul", 0, 0]}
OP_NAMES = {'add': '__add__', 'mul': '__mul__', 'add_self': '__add__', 'mul_self': '__mul__', 'pow': '__pow__'}


def closure_spec(op, x, y=None, k=None) -> dict:
    leaves = [x] if y is None else [x, y]
    node = CLOSURE_SPECS.get(op) or (["pow", 0, k] if op == 'pow' else [op, 0])
    return {"leaves": leaves, "nodes": [node]}


def closure_job(op, x, y=None, k=None, preset=(0.25, -0.5), out_grad=2.0):
    """check_closure's experiment: (spec, presets, out_grad)."""
    spec = closure_spec(op, x, y, k)
    return spec, dict(enumerate(list(preset)[: len(spec['leaves'])])), out_grad


def ahead(student, jobs) -> None:
    """Ask the student's side of these checks' experiments ahead, all together (experiments.prefetch): each
    check then finds its answer waiting. jobs: (spec, presets, out_grad), as the checks will run them."""
    experiments.prefetch(student, list(jobs))


def backprop_both(student, reference, spec, presets, out_grad):
    want = experiments.backprop(reference, spec, presets, out_grad)
    return experiments.backprop(student, spec, presets, out_grad), want


def check_closure(student, reference, op, x, y=None, k=None, preset=(0.25, -0.5), out_grad=2.0):
    """One operation's backward pass, its closures called by the grader after presetting the inputs' grads
    and out.grad (so `=` for `+=` and a missing `* out.grad` both show)."""
    spec, presets, out_grad = closure_job(op, x, y, k, preset, out_grad)
    names = ['a', 'b'][: len(spec['leaves'])]
    preset = list(presets.values())
    try:
        got, want = backprop_both(student, reference, spec, presets, out_grad)
    except ProbeFailure as err:
        if code := raised_mistake(op, x, err.message):
            fail(f"a ** {k} with a={fmt(x)} raised {err.message}", code)
        raise
    expr = {
        'add': f"a + b with a={fmt(x)}, b={fmt(y)}",
        'mul': f"a * b with a={fmt(x)}, b={fmt(y)}",
        'add_self': f"a + a with a={fmt(x)}",
        'mul_self': f"a * a with a={fmt(x)}",
        'pow': f"a ** {k} with a={fmt(x)}",
    }.get(op, f"a.{op}() with a={fmt(x)}")
    name = OP_NAMES.get(op, op)
    out, want_out = got['data'][-1], want['data'][-1]
    if not close(out, want_out):
        fail(f"{expr}: the forward value is {fmt(out)}, expected {fmt(want_out)}", 'forward-value-wrong')
    if not all(got['reached'][: len(names)]):
        fail(
            f"{expr}: the result does not list {' and '.join(names)} among its children (`_prev`), so "
            "backward() never reaches them from the output",
            'children-not-recorded',
        )
    pre = ", ".join(f"{n}.grad={fmt(p)}" for n, p in zip(names, preset))
    setting = f"in `{name}`'s backward, for {expr}, out.grad={fmt(out_grad)} and before it {pre}"
    grads, wanted = got['grads'][: len(names)], want['grads'][: len(names)]
    if non_finite(*grads):
        fail(f"{setting}: the gradients came out as {[fmt(g) for g in grads]}", 'non-finite')
    wrong = [(n, g, w) for n, (g, w) in zip(names, pairs(grads, wanted, setting)) if not close(g, w)]
    if not wrong:
        return
    text = "; ".join(f"{n}.grad is {fmt(g)}, expected {fmt(w)}" for n, g, w in wrong)
    code = closure_mistake(op, x, y, k, want_out, preset, out_grad, grads)
    first = names.index(wrong[0][0])
    fail(f"{setting}: {text}", code, graph=drawing(spec, got, want, first))


# --- expressions with constants --------------------------------------------------------------------

SYMBOLS = {ast.Add: 'add', ast.Sub: 'sub', ast.Mult: 'mul', ast.Div: 'div'}
BINARY_OPS = frozenset(SYMBOLS.values())


def expression_spec(expr: str, x: float, y: float) -> dict:
    """A spec for a one-line expression in a and b: '5 - a', 'sum([a, b])', '(a - b) / (a + b)', 'a ** 2'."""
    nodes: list = []

    def node(tree) -> int | float:
        if isinstance(tree, ast.Name):
            return {'a': 0, 'b': 1}[tree.id]
        if isinstance(tree, ast.Constant):
            return tree.value
        if isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.USub):
            nodes.append(['neg', node(tree.operand)])
        elif isinstance(tree, ast.BinOp) and isinstance(tree.op, ast.Pow):
            nodes.append(['pow', node(tree.left), tree.right.value])
        elif isinstance(tree, ast.BinOp):
            left, right, op = node(tree.left), node(tree.right), SYMBOLS[type(tree.op)]
            const_left, const_right = isinstance(tree.left, ast.Constant), isinstance(tree.right, ast.Constant)
            nodes.append([f'c{op}' if const_left else f'{op}c' if const_right else op, left, right])
        elif isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name) and tree.func.id == 'sum':
            nodes.append(['sum', [node(e) for e in tree.args[0].elts]])
        elif isinstance(tree, ast.Call):
            nodes.append([tree.func.attr, node(tree.func.value)])
        else:
            raise ValueError(f"cannot make a graph of {expr!r}")
        return 2 + len(nodes) - 1

    node(ast.parse(expr, mode='eval').body)
    return {"leaves": [x, y], "nodes": nodes}


def check_expression(student, reference, expr, x, y):
    """A one-line expression with constants: forward value and gradients (closures driven by the grader)."""
    spec = expression_spec(expr, x, y)
    setting = f"`{expr}` with a={fmt(x)}, b={fmt(y)}"
    got, want = backprop_both(student, reference, spec, {}, 1.0)
    if not close(got['data'][-1], want['data'][-1]):
        fail(f"{setting}: the value is {fmt(got['data'][-1])}, expected {fmt(want['data'][-1])}", 'forward-value-wrong')
    for n, (g, w), reached in zip('ab', pairs(got['grads'][:2], want['grads'][:2], setting), got['reached']):
        if not close(g, w):
            fail(
                f"{setting}: {n}.grad is {fmt(g)}, expected {fmt(w)} (backpropagated from out.grad=1)",
                expression_mistake(g, w, reached),
            )


# --- whole graphs -----------------------------------------------------------------------------------


def describe_node(spec, i) -> str:
    leaves = len(spec['leaves'])
    if i < leaves:
        return f"n{i} (a leaf)"
    op, *args = spec['nodes'][i - leaves]
    sym = {'add': '+', 'mul': '*', 'sub': '-', 'div': '/'}
    if op in sym:
        return f"n{i} = n{args[0]} {sym[op]} n{args[1]}"
    if op[0] == 'c' and op[1:] in sym:
        return f"n{i} = {fmt(args[0])} {sym[op[1:]]} n{args[1]}"
    if op[-1] == 'c' and op[:-1] in sym:
        return f"n{i} = n{args[0]} {sym[op[:-1]]} {fmt(args[1])}"
    if op == 'pow':
        return f"n{i} = n{args[0]} ** {fmt(args[1])}"
    if op == 'sum':
        return f"n{i} = sum([{', '.join(f'n{j}' for j in args[0])}])"
    if op == 'neg':
        return f"n{i} = -n{args[0]}"
    return f"n{i} = n{args[0]}.{op}()"


def spec_text(spec, most=12) -> str:
    leaves = ", ".join(f"n{i} = {fmt(x)}" for i, x in enumerate(spec['leaves']))
    n = len(spec['leaves']) + len(spec['nodes'])
    shown = [describe_node(spec, i) for i in range(len(spec['leaves']), min(n, len(spec['leaves']) + most))]
    more = f"; ... ({n - len(spec['leaves']) - most} more)" if len(spec['nodes']) > most else ""
    return f"{leaves}; {'; '.join(shown)}{more}; then n{n - 1}.backward()"


def children_of(spec) -> list[list[int]]:
    """Each node's children by index (a node used twice by one operation is listed twice)."""
    out = [[] for _ in spec['leaves']]
    for op, *args in spec['nodes']:
        if op == 'sum':
            out.append(list(args[0]))
        elif op[0] == 'c' and op[1:] in BINARY_OPS:
            out.append([args[1]])
        elif op in BINARY_OPS:
            out.append([args[0], args[1]])
        else:  # a constant on the right, pow, neg or a method: one child
            out.append([args[0]])
    return out


def consumers(spec, i) -> list[int]:
    return [j for j, kids in enumerate(children_of(spec)) if i in kids]


def check_ops_graph(student, reference, spec, what="", presets=None, out_grad=1.0):
    """The student's operations on a whole graph, their closures called in the grader's order: every node's
    value and gradient; the first wrong one is named, counting back from the output."""
    got, want = backprop_both(student, reference, spec, presets or {}, out_grad)
    example = f"{what}the graph {spec_text(spec)}"
    for i, (g, w) in enumerate(pairs(got['data'], want['data'], example)):
        if not close(g, w):
            fail(
                f"In {example}: {describe_node(spec, i)} has the value {fmt(g)}, expected {fmt(w)}",
                'forward-value-wrong',
            )
    wrong = [i for i, (g, w) in enumerate(pairs(got['grads'], want['grads'], example)) if not close(g, w)]
    if not wrong:
        return
    first = max(wrong)
    feeds = ", ".join(describe_node(spec, j) for j in consumers(spec, first)) or "nothing (it is the output)"
    binary = list(dict.fromkeys(kind for kind, *_ in spec['nodes'] if kind in BINARY_OPS))
    code = 'non-finite' if non_finite(*got['grads']) else graph_mistake(spec, got['grads'], binary)
    fail(
        f"In {example}: the first wrong gradient, counting back from the output, is {describe_node(spec, first)}"
        f": grad {fmt(got['grads'][first])}, expected {fmt(want['grads'][first])}. Its gradient comes from: "
        f"{feeds}.",
        code,
        graph=drawing(spec, got, want, first),
    )


def one_op_spec(op, leaves=(0.75, 1.25)) -> dict:
    const = {'pow': 2, 'sum': None}.get(op, 2.0)
    binary = op in BINARY_OPS
    node = (
        ['sum', [0, 1, 0]]
        if op == 'sum'
        else [op, 0, 1]
        if binary
        else [op, const, 0]
        if op[0] == 'c' and op[1:] in BINARY_OPS
        else [op, 0, const]
        if op[-1] == 'c' and op[:-1] in BINARY_OPS or op == 'pow'
        else [op, 0]
    )
    return {"leaves": list(leaves), "nodes": [node]}


ALONE_PRESETS, ALONE_OUT_GRAD = {0: 0.25, 1: -0.5}, 1.5  # grads already there, and an output grad that is not 1
NEGATIVE, POSITIVE_ONLY = (-0.75, -1.25), ("log",)  # each operation on negative inputs too (relu's mask), where defined


def working_ops(student, reference, ops) -> tuple[list[str], list[str]]:
    """The operations that give the right value and gradients on their own, and those that do not: each on
    inputs that already hold a gradient, from an output grad that is not 1, on positive and (where defined)
    negative inputs, so that an `=` for `+=`, a missing out.grad or a wrong relu mask (charged in the
    operation's own row) keeps it out of the graphs too."""
    good, bad = [], []
    specs = {op: [one_op_spec(op)] + ([one_op_spec(op, NEGATIVE)] if op not in POSITIVE_ONLY else []) for op in ops}
    ahead(student, [(spec, ALONE_PRESETS, ALONE_OUT_GRAD) for op in ops for spec in specs[op]])
    for op in ops:
        try:
            for spec in specs[op]:
                check_ops_graph(student, reference, spec, presets=ALONE_PRESETS, out_grad=ALONE_OUT_GRAD)
            good.append(op)
        except Mistake:
            bad.append(op)
        except ProbeFailure as err:
            if err.kind != "exception":  # a timeout or crash: said as such
                raise
            bad.append(op)
    return good, bad


def check_random_graphs(student, reference, ops, seed=0):
    """Random DAGs (seeded for this grade) of the operations that work on their own (a broken one is charged
    in its own row, not again here); a wrong answer is shrunk to a small example (strategies.search)."""
    from .strategies import search

    ops, broken = working_ops(student, reference, ops)
    if not ops:
        fail("none of your operations gives the right value and gradients on its own yet: their own rows say why")
    try:
        search(
            lambda spec: check_ops_graph(student, reference, spec),
            ops,
            seed,
            ahead=lambda specs: ahead(student, [(spec, {}, 1.0) for spec in specs]),
        )
    except Mistake as err:
        if broken:
            err = Mistake(
                err.feedback + "\n  (Left out of these graphs because they fail on their own, where their "
                f"own rows charge them: {', '.join(broken)}.)",
                *err.codes,
                graph=err.graph,
            )
        raise err from None


# --- plain numbers ----------------------------------------------------------------------------------


def flatten(x, prefix=""):
    if isinstance(x, dict):
        return [p for k in x for p in flatten(x[k], f"{prefix}{k}" if not prefix else f"{prefix}.{k}")]
    if isinstance(x, list):
        return [p for i, v in enumerate(x) for p in flatten(v, f"{prefix}[{i}]")]
    return [(prefix, x)]


def check_numbers_together(student, reference, probe, cases, rel=1e-6):
    """For each (args, what) of cases in turn, every number of the probe's answer against the reference's; the
    student's answers asked in one round trip."""
    answers = student.run_together([(probe, args) for args, _ in cases])
    for (args, what), got in zip(cases, answers):
        got = got if got is not None else student.run(probe, **args)
        compare_numbers(got, reference.run(probe, **args), what, None, rel)


def compare_numbers(got, want, what, code=None, rel=1e-6):
    """Compare every number of an answer, key by key; name the first that differs."""
    want, got = flatten(want), flatten(got)
    if [k for k, _ in got] != [k for k, _ in want]:
        fail(f"{what}: expected {len(want)} numbers, got {len(got)}", code or 'bad-response')
    for (key, g), (_, w) in zip(got, want):
        if not close(g, w, rel=rel):
            fail(
                f"{what}: {key + ' is ' if key else 'the result is '}{fmt(g)}, expected {fmt(w)}",
                'non-finite' if non_finite(g) else code,
            )
