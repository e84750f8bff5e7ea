"""Hidden checks for task1: the backward closures of + and *, called by the grader (no student sort)."""

from autograder.checks import check_closure, check_expression, check_ops_graph, every, vary
from autograder.harness import group


@group("task1", "+ backward, called directly", weight=2)
def test_add_closure(student, reference, rng):
    for x, y, g in ((2.0, -3.0, 1.0), (-0.5, 4.0, -2.0), (1.25, 1.25, 3.0)):
        x, y = vary(rng, x, y)
        check_closure(student, reference, "add", x, y, preset=(0.0, 0.0), out_grad=g)


@group("task1", "* backward, called directly", weight=2)
def test_mul_closure(student, reference, rng):
    for x, y, g in ((1.5, -2.0, 3.0), (-0.5, 4.0, 1.0), (2.0, 2.0, -1.5), (0.0, 4.0, 1.0)):
        x, y = vary(rng, x, y)
        check_closure(student, reference, "mul", x, y, preset=(0.0, 0.0), out_grad=g)


@group("task1", "gradients accumulate (a + a, a * a, grads already present)", weight=2)
def test_accumulation(student, reference, rng):
    x, y = vary(rng, 3.0, 4.0)
    check_closure(student, reference, "add_self", x, preset=(0.0,), out_grad=1.0)
    check_closure(student, reference, "mul_self", x, preset=(0.0,), out_grad=1.0)
    check_closure(student, reference, "add", 1.0, y, preset=(0.25, -0.5), out_grad=2.0)
    check_closure(student, reference, "mul", 1.0, y, preset=(0.25, -0.5), out_grad=2.0)


@group("task1", "a node used as the left operand of two operations (c = a * b; d = a + c, ...)", weight=1)
def test_shared_input(student, reference, rng):
    """A closure stored on the wrong node (`self._backward = ...`) passes every single-operation check; it
    shows when a value is the left operand of two operations."""
    a, b = vary(rng, 1.5, -2.0)
    for first in ("mul", "add"):
        for second in ("add", "mul"):
            check_ops_graph(student, reference, {"leaves": [a, b], "nodes": [[first, 0, 1], [second, 0, 2]]})


@group("task1", "constants with + and *: a + 1, 2 + a, a * 3, 3 * a, sum([a, b])", weight=1)
def test_constants(student, reference, rng):
    x, y = vary(rng, 1.5, -0.5)
    every(
        *(
            lambda e=e: check_expression(student, reference, e, x, y)
            for e in ("a + 1", "2 + a", "a * 3", "3 * a", "sum([a, b])", "a * b + a")
        )
    )
