# Part of the self-check (pytest exercises/): read it freely; edits are not graded and a new copy replaces them.
"""task1: the backward closures of + and *, called directly (no backward(), no topological sort)."""
import pytest
from gradcheck import central_difference, expect
from mygrad.engine import Value

pytestmark = pytest.mark.task1


def run_closure(out, out_grad):
    out.grad = out_grad
    out._backward()


def test_add_passes_the_gradient_to_both_inputs():
    a, b = Value(2.0), Value(-3.0)
    out = a + b
    run_closure(out, 1.5)
    expect(a.grad, 1.5, "a + b with out.grad = 1.5: a.grad")
    expect(b.grad, 1.5, "a + b with out.grad = 1.5: b.grad")


def test_mul_uses_the_other_input():
    a, b = Value(3.0), Value(-2.0)
    out = a * b
    run_closure(out, 2.0)
    expect(a.grad, -4.0, "a * b with a=3, b=-2, out.grad=2: a.grad")
    expect(b.grad, 6.0, "a * b with a=3, b=-2, out.grad=2: b.grad")


def test_chain_rule_factor_out_grad():
    a, b = Value(1.5), Value(-2.0)
    out = a * b
    run_closure(out, 3.0)
    expect(a.grad, -6.0, "a * b with a=1.5, b=-2, out.grad=3: a.grad")


def test_gradients_accumulate():
    a, b = Value(1.0), Value(4.0)
    a.grad = 0.5  # a already received gradient from another use
    out = a * b
    run_closure(out, 1.0)
    expect(a.grad, 4.5, "a * b when a.grad was already 0.5: a.grad")
    a, b = Value(1.0), Value(4.0)
    a.grad, b.grad = 0.5, 0.25  # each input of + too, left and right alike
    out = a + b
    run_closure(out, 1.0)
    expect(a.grad, 1.5, "a + b when a.grad was already 0.5: a.grad")
    expect(b.grad, 1.25, "a + b when b.grad was already 0.25: b.grad")


def test_a_plus_a_counts_twice():
    a = Value(3.0)
    out = a + a
    run_closure(out, 1.0)
    expect(a.grad, 2.0, "a + a: a.grad")
    a = Value(3.0)
    out = a * a
    run_closure(out, 1.0)
    expect(a.grad, 6.0, "a * a with a=3: a.grad")


@pytest.mark.parametrize("expr, text, want", [
    (lambda a: a + 2.0, "a + 2", 1.0), (lambda a: 2.0 + a, "2 + a", 1.0),
    (lambda a: a * 3.0, "a * 3", 3.0), (lambda a: 3.0 * a, "3 * a", 3.0),
])
def test_constants_on_either_side(expr, text, want):
    a = Value(1.25)
    out = expr(a)
    run_closure(out, 1.0)
    expect(a.grad, want, f"{text} with a=1.25: a.grad")


@pytest.mark.parametrize("x, y, g", [(0.7, -1.3, 1.0), (-2.5, 0.4, -0.5), (10.0, 3.0, 2.0)])
def test_against_central_differences(x, y, g):
    for op, f in (("+", lambda x, y: x + y), ("*", lambda x, y: x * y)):
        a, b = Value(x), Value(y)
        out = f(a, b)
        run_closure(out, g)
        what = f"a {op} b at a={x}, b={y}, out.grad={g}"
        expect(a.grad, g * central_difference(lambda t, f=f: f(t, y), x), f"{what}: a.grad")
        expect(b.grad, g * central_difference(lambda t, f=f: f(x, t), y), f"{what}: b.grad")
