"""Hidden checks for task1: the backward closures of + and *, called by the grader (no student sort).

Each row asks its experiments ahead, together (checks.ahead); the checks then run one by one as written."""

from autograder.checks import (
    ahead,
    check_closure,
    check_expression,
    check_ops_graph,
    closure_job,
    every,
    expression_spec,
    vary,
)
from autograder.harness import group


@group("task1", "+ backward, called directly", weight=2)
def test_add_closure(student, reference, rng):
    cases = [(*vary(rng, x, y), g) for x, y, g in ((2.0, -3.0, 1.0), (-0.5, 4.0, -2.0), (1.25, 1.25, 3.0))]
    ahead(student, [closure_job("add", x, y, preset=(0.0, 0.0), out_grad=g) for x, y, g in cases])
    for x, y, g in cases:
        check_closure(student, reference, "add", x, y, preset=(0.0, 0.0), out_grad=g)


@group("task1", "* backward, called directly", weight=2)
def test_mul_closure(student, reference, rng):
    points = ((1.5, -2.0, 3.0), (-0.5, 4.0, 1.0), (2.0, 2.0, -1.5), (0.0, 4.0, 1.0))
    cases = [(*vary(rng, x, y), g) for x, y, g in points]
    ahead(student, [closure_job("mul", x, y, preset=(0.0, 0.0), out_grad=g) for x, y, g in cases])
    for x, y, g in cases:
        check_closure(student, reference, "mul", x, y, preset=(0.0, 0.0), out_grad=g)


@group("task1", "gradients accumulate (a + a, a * a, grads already present)", weight=2)
def test_accumulation(student, reference, rng):
    x, y = vary(rng, 3.0, 4.0)
    cases = [
        ("add_self", x, None, (0.0,), 1.0),
        ("mul_self", x, None, (0.0,), 1.0),
        ("add", 1.0, y, (0.25, -0.5), 2.0),
        ("mul", 1.0, y, (0.25, -0.5), 2.0),
    ]
    ahead(student, [closure_job(op, a, b, preset=p, out_grad=g) for op, a, b, p, g in cases])
    for op, a, b, p, g in cases:
        check_closure(student, reference, op, a, b, preset=p, out_grad=g)


@group("task1", "a node used as the left operand of two operations (c = a * b; d = a + c, ...)", weight=1)
def test_shared_input(student, reference, rng):
    """A closure stored on the wrong node (`self._backward = ...`) passes every single-operation check; it
    shows when a value is the left operand of two operations."""
    a, b = vary(rng, 1.5, -2.0)
    pairs = [(first, second) for first in ("mul", "add") for second in ("add", "mul")]
    specs = [{"leaves": [a, b], "nodes": [[first, 0, 1], [second, 0, 2]]} for first, second in pairs]
    ahead(student, [(spec, {}, 1.0) for spec in specs])
    for spec in specs:
        check_ops_graph(student, reference, spec)


@group("task1", "constants with + and *: a + 1, 2 + a, a * 3, 3 * a, sum([a, b])", weight=1)
def test_constants(student, reference, rng):
    x, y = vary(rng, 1.5, -0.5)
    expressions = ("a + 1", "2 + a", "a * 3", "3 * a", "sum([a, b])", "a * b + a")
    ahead(student, [(expression_spec(e, x, y), {}, 1.0) for e in expressions])
    every(*(lambda e=e: check_expression(student, reference, e, x, y) for e in expressions))
