"""Hidden checks for task3: **, tanh, exp, log, relu called by the grader, the derived operations, then all
of the student's operations together on random graphs (closures still called in the grader's order).

Some inputs start with a grad already there (the preset): a closure that assigns instead of adding shows.
"""

from autograder.checks import (
    check_closure,
    check_expression,
    check_ops_graph,
    check_random_graphs,
    every,
    fail,
    vary,
    working_ops,
)
from autograder.harness import group
from autograder.strategies import ALL_OPS
from autograder.student import ProbeFailure


@group("task3", "** backward (constant exponents), called directly", weight=2)
def test_pow(student, reference, rng):
    for x, k, g, p in (
        (1.5, 2, 1.0, 0.0),
        (0.8, 3, -2.0, 0.5),
        (1.25, -1, 0.5, 0.0),
        (2.0, 0.5, 1.5, -0.25),
        (-1.5, 2, 1.0, 0.0),
    ):
        (x,) = vary(rng, x)
        check_closure(student, reference, "pow", x, k=k, preset=(p,), out_grad=g)


@group("task3", "tanh backward, called directly", weight=2)
def test_tanh(student, reference, rng):
    for x, g, p in ((0.5, 1.0, 0.0), (-1.2, 2.0, 0.5), (2.0, -0.5, -0.25)):
        (x,) = vary(rng, x)
        check_closure(student, reference, "tanh", x, preset=(p,), out_grad=g)


@group("task3", "exp backward, called directly", weight=1)
def test_exp(student, reference, rng):
    for x, g, p in ((0.5, 1.0, 0.0), (-1.5, 2.0, 0.5), (2.0, -0.5, -0.25)):
        (x,) = vary(rng, x)
        check_closure(student, reference, "exp", x, preset=(p,), out_grad=g)


@group("task3", "log backward, called directly", weight=1)
def test_log(student, reference, rng):
    for x, g, p in ((0.5, 1.0, 0.0), (3.0, 2.0, 0.5), (1.25, -0.5, -0.25)):
        (x,) = vary(rng, x)
        check_closure(student, reference, "log", x, preset=(p,), out_grad=g)


@group("task3", "relu backward, called directly", weight=1)
def test_relu(student, reference, rng):
    for x, g, p in ((1.5, 2.0, 0.0), (-0.7, 2.0, 0.5), (0.3, -1.0, -0.25)):
        (x,) = vary(rng, x)
        check_closure(student, reference, "relu", x, preset=(p,), out_grad=g)


@group("task3", "relu at exactly 0 has slope 0 (and slope 1 above 0)", weight=0.5)
def test_relu_at_zero(student, reference, rng):
    (x,) = vary(rng, 1.0)  # a closure that does nothing gives slope 0 at 0 too: this row needs both
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
    for op in ops:
        check_ops_graph(
            student, reference, {"leaves": [a], "nodes": [[op, 0] + ([2] if op == "pow" else []), ["add", 0, 1]]}
        )


@group("task3", "-, / and constants on the left: a - b, -a, a / b, 5 - a, 2 / a", weight=1.5, needs=("task1",))
def test_derived_operations(student, reference, rng):
    x, y = vary(rng, 1.5, -0.5)
    every(
        *(
            lambda e=e: check_expression(student, reference, e, x, y)
            for e in ("a - b", "-a", "a / b", "5 - a", "2 / a", "a - 1", "a / 4", "(a - b) / (a + b)")
        )
    )


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
