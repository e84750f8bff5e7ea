# Part of the self-check (pytest exercises/): read it freely; edits are not graded and a new copy replaces them.
"""task3: the backward closures of **, tanh, exp, log and relu, called directly."""
import math

import pytest
from gradcheck import backprop, central_difference, creation_order, expect, graph_nodes
from mygrad.engine import Value

pytestmark = pytest.mark.task3


@pytest.fixture(autouse=True)
def nodes_in_creation_order():
    """backprop() calls the closures newest node first: it needs to know the order they were made in."""
    with creation_order(Value):
        yield

OPS = {
    "x**2": (lambda v: v ** 2, lambda x: x ** 2),
    "x**3": (lambda v: v ** 3, lambda x: x ** 3),
    "x**-1": (lambda v: v ** -1, lambda x: x ** -1),
    "x**0.5": (lambda v: v ** 0.5, lambda x: x ** 0.5),
    "tanh": (lambda v: v.tanh(), math.tanh),
    "exp": (lambda v: v.exp(), math.exp),
    "log": (lambda v: v.log(), math.log),
    "relu": (lambda v: v.relu(), lambda x: max(0.0, x)),
}


@pytest.mark.parametrize("name", OPS)
@pytest.mark.parametrize("x, g", [(0.8, 1.0), (1.7, -2.0), (0.3, 0.5)])
def test_against_central_differences(name, x, g):
    value_op, float_op = OPS[name]
    a = Value(x)
    out = value_op(a)
    backprop(out, g)  # every closure below out, in this file's order: tanh built from exp counts too
    expect(a.grad, g * central_difference(float_op, x), f"{name} at x={x} with out.grad={g}: x.grad")


@pytest.mark.parametrize("name", OPS)
def test_each_primitive_adds_to_an_existing_grad(name):
    value_op, float_op = OPS[name]
    a = Value(0.8)
    a.grad = 0.5
    out = value_op(a)
    backprop(out, 2.0)
    expect(a.grad, 0.5 + 2.0 * central_difference(float_op, 0.8), f"{name} at x=0.8 when x.grad was already 0.5")
    assert any(node is a for node in graph_nodes(out)), (
        f"{name}: x is not among the children of the result (nor theirs), so backward() would never reach it")


def test_power_of_a_negative_base():
    a = Value(-1.5)
    out = a ** 2
    expect(out.data, 2.25, "(-1.5) ** 2: the value")
    backprop(out)
    expect(a.grad, -3.0, "(-1.5) ** 2: x.grad (2 * x)")


def test_tanh_uses_its_output():
    a = Value(0.5)
    backprop(a.tanh())
    expect(a.grad, 1 - math.tanh(0.5) ** 2, "tanh at x=0.5: x.grad")


def test_relu_negative_and_zero():
    for x, want in ((-1.5, 0.0), (0.0, 0.0), (2.0, 3.0)):
        a = Value(x)
        backprop(a.relu(), 3.0)
        expect(a.grad, want, f"relu at x={x} with out.grad=3: x.grad")


def test_primitives_accumulate():
    a = Value(2.0)
    a.grad = 1.0
    backprop(a ** 2)
    expect(a.grad, 5.0, "a ** 2 at a=2 when a.grad was already 1: a.grad")


# The given operators (-a, a - b, 2 - a, a / b, 2 / a) are built from + and * (task1) and ** (task3).
# Worked by hand: d(-a)/da = -1; d(2 - a)/da = -1; d(a / b)/da = 1/b, d(a / b)/db = -a/b**2; d(2 / a)/da = -2/a**2.
@pytest.mark.parametrize("text, expr, data, grads", [
    ("-a", lambda a, b: -a, -4.0, (-1.0, 0.0)),
    ("a - b", lambda a, b: a - b, 3.5, (1.0, -1.0)),
    ("2 - a", lambda a, b: 2.0 - a, -2.0, (-1.0, 0.0)),
    ("a / b", lambda a, b: a / b, 8.0, (2.0, -16.0)),
    ("2 / a", lambda a, b: 2.0 / a, 0.5, (-0.125, 0.0)),
])
def test_derived_operators_keep_the_graph(text, expr, data, grads):
    a, b = Value(4.0), Value(0.5)
    out = expr(a, b)
    assert isinstance(out, Value), f"{text} should give a Value, got {out!r}"
    expect(out.data, data, f"{text} at a=4, b=0.5: the value")
    backprop(out)
    expect(a.grad, grads[0], f"{text} at a=4, b=0.5: a.grad (after pushing the gradient back through the graph)")
    expect(b.grad, grads[1], f"{text} at a=4, b=0.5: b.grad (after pushing the gradient back through the graph)")
