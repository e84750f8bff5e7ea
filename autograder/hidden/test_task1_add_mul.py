"""Hidden checks for task1: the backward closures of + and *, called directly (no student sort)."""
from autograder.checks import check_closure, check_expression
from autograder.grade import group


@group("task1", "+ backward, called directly", weight=2)
def test_add_closure(student, reference):
    for x, y, g in ((2.0, -3.0, 1.0), (-0.5, 4.0, -2.0), (1.25, 1.25, 3.0)):
        check_closure(student, reference, "add", x, y, preset=(0.0, 0.0), out_grad=g)


@group("task1", "* backward, called directly", weight=2)
def test_mul_closure(student, reference):
    for x, y, g in ((1.5, -2.0, 3.0), (-0.5, 4.0, 1.0), (2.0, 2.0, -1.5), (0.0, 4.0, 1.0)):
        check_closure(student, reference, "mul", x, y, preset=(0.0, 0.0), out_grad=g)


@group("task1", "gradients accumulate (a + a, a * a, grads already present)", weight=2)
def test_accumulation(student, reference):
    check_closure(student, reference, "add_self", 3.0, preset=(0.0,), out_grad=1.0)
    check_closure(student, reference, "mul_self", 3.0, preset=(0.0,), out_grad=1.0)
    check_closure(student, reference, "add", 1.0, 4.0, preset=(0.25, -0.5), out_grad=2.0)
    check_closure(student, reference, "mul", 1.0, 4.0, preset=(0.25, -0.5), out_grad=2.0)


@group("task1", "constants with + and *: a + 1, 2 + a, a * 3, 3 * a, sum([a, b])", weight=1)
def test_constants(student, reference):
    for expr in ("a + 1", "2 + a", "a * 3", "3 * a", "sum([a, b])", "a * b + a"):
        check_expression(student, reference, expr, 1.5, -0.5)
