"""Hidden checks for task3: **, tanh, exp, log, relu called by the grader, the derived operations, then all
of the student's operations together on random graphs (closures still called in the grader's order).

Some inputs start with a grad already there (the preset): a closure that assigns instead of adding shows. Each
row asks its experiments ahead, together (checks.ahead); the checks then run one by one as written.
"""

from autograder.checks import (
    ahead,
    check_closure,
    check_expression,
    check_ops_graph,
    check_random_graphs,
    closure_job,
    every,
    expression_spec,
    fail,
    vary,
    working_ops,
)
from autograder.harness import group
from autograder.strategies import ALL_OPS
from autograder.student import ProbeFailure


def closures(student, reference, rng, op, points):
    """check_closure of op at each (x, out_grad, preset), x varied for this grade."""
    cases = [(*vary(rng, x), g, p) for x, g, p in points]
    ahead(student, [closure_job(op, x, preset=(p,), out_grad=g) for x, g, p in cases])
    for x, g, p in cases:
        check_closure(student, reference, op, x, preset=(p,), out_grad=g)


@group("task3", "** backward (constant exponents), called directly", weight=2)
def test_pow(student, reference, rng):
    points = ((1.5, 2, 1.0, 0.0), (0.8, 3, -2.0, 0.5), (1.25, -1, 0.5, 0.0), (2.0, 0.5, 1.5, -0.25))
    points += ((-1.5, 2, 1.0, 0.0),)
    cases = [(*vary(rng, x), k, g, p) for x, k, g, p in points]
    ahead(student, [closure_job("pow", x, k=k, preset=(p,), out_grad=g) for x, k, g, p in cases])
    for x, k, g, p in cases:
        check_closure(student, reference, "pow", x, k=k, preset=(p,), out_grad=g)


@group("task3", "tanh backward, called directly", weight=2)
def test_tanh(student, reference, rng):
    closures(student, reference, rng, "tanh", ((0.5, 1.0, 0.0), (-1.2, 2.0, 0.5), (2.0, -0.5, -0.25)))


@group("task3", "exp backward, called directly", weight=1)
def test_exp(student, reference, rng):
    closures(student, reference, rng, "exp", ((0.5, 1.0, 0.0), (-1.5, 2.0, 0.5), (2.0, -0.5, -0.25)))


@group("task3", "log backward, called directly", weight=1)
def test_log(student, reference, rng):
    closures(student, reference, rng, "log", ((0.5, 1.0, 0.0), (3.0, 2.0, 0.5), (1.25, -0.5, -0.25)))


@group("task3", "relu backward, called directly", weight=1)
def test_relu(student, reference, rng):
    closures(student, reference, rng, "relu", ((1.5, 2.0, 0.0), (-0.7, 2.0, 0.5), (0.3, -1.0, -0.25)))


@group("task3", "relu at exactly 0 has slope 0 (and slope 1 above 0)", weight=0.5)
def test_relu_at_zero(student, reference, rng):
    (x,) = vary(rng, 1.0)  # a closure that does nothing gives slope 0 at 0 too: this row needs both
    ahead(student, [closure_job("relu", v, preset=(p,), out_grad=2.0) for v, p in ((0.0, 0.0), (x, 0.5))])
    check_closure(student, reference, "relu", 0.0, preset=(0.0,), out_grad=2.0)
    check_closure(student, reference, "relu", x, preset=(0.5,), out_grad=2.0)


@group("task3", "a node used by two operations (t = a.tanh(); d = a + t, also exp, relu, ** 2)", weight=1)
def test_shared_input(student, reference, rng):
    """Only the operations that work on their own (the others are charged in their own rows), each followed by
    + (task1's): a closure stored on the input instead of the result shows here."""
    (a,) = vary(rng, 0.75)
    ops, _ = working_ops(student, reference, ["tanh", "exp", "relu", "pow"])
    if not ops:
        fail("none of tanh, exp, relu and ** works on its own yet: their own rows say why")
    specs = [{"leaves": [a], "nodes": [[op, 0] + ([2] if op == "pow" else []), ["add", 0, 1]]} for op in ops]
    ahead(student, [(spec, {}, 1.0) for spec in specs])
    for spec in specs:
        check_ops_graph(student, reference, spec)


@group("task3", "-, / and constants on the left: a - b, -a, a / b, 5 - a, 2 / a", weight=1.5, needs=("task1",))
def test_derived_operations(student, reference, rng):
    x, y = vary(rng, 1.5, -0.5)
    expressions = ("a - b", "-a", "a / b", "5 - a", "2 / a", "a - 1", "a / 4", "(a - b) / (a + b)")
    ahead(student, [(expression_spec(e, x, y), {}, 1.0) for e in expressions])
    every(*(lambda e=e: check_expression(student, reference, e, x, y) for e in expressions))


@group("task3", "random expression graphs: all your operations together", weight=3, needs=("task1",))
def test_random_graphs(student, reference, seed):
    check_random_graphs(student, reference, ALL_OPS, seed)


OVERFLOW = (
    "Formulas with e^2x or cosh(x) overflow beyond x ≈ 355: math.tanh(x) for the value and 1 - t**2 "
    "(t = out.data) for the derivative do not."
)


@group("task3", "note, no points: tanh of a large input (x = 400)", weight=0)
def test_tanh_large_input_warning(student, reference):
    from autograder.checks import Mistake

    try:
        check_closure(student, reference, "tanh", 400.0, preset=(0.0,), out_grad=1.0)
    except ProbeFailure as err:
        if err.kind != "exception":  # not started, a timeout, ...: said as such, not as an overflow
            raise
        raise Mistake(f"warning only: a.tanh() with a=400 failed ({err.message}). " + OVERFLOW) from None
    except Mistake as err:
        raise Mistake(f"warning only: {err.feedback.split(chr(10))[0]}. " + OVERFLOW) from None
