# Part of the self-check (pytest exercises/): read it freely; edits are not graded and a new copy replaces them.
"""task3: the backward closures of **, tanh, exp, log and relu, called directly."""
import math

import pytest
from gradcheck import central_difference, expect

from mygrad.engine import Value

pytestmark = pytest.mark.task3

OPS = {
    "x**2": (lambda v: v ** 2, lambda x: x ** 2, "k * x**(k-1) * out.grad"),
    "x**3": (lambda v: v ** 3, lambda x: x ** 3, "k * x**(k-1) * out.grad"),
    "x**-1": (lambda v: v ** -1, lambda x: x ** -1, "k * x**(k-1) works for negative k too"),
    "x**0.5": (lambda v: v ** 0.5, lambda x: x ** 0.5, "k * x**(k-1) works for fractional k too"),
    "tanh": (lambda v: v.tanh(), math.tanh, "1 - t**2 where t = out.data (the output, not the input)"),
    "exp": (lambda v: v.exp(), math.exp, "exp is its own derivative: use out.data"),
    "log": (lambda v: v.log(), math.log, "d/dx log(x) = 1 / x, with x = self.data"),
    "relu": (lambda v: v.relu(), lambda x: max(0.0, x), "1 where the output is positive, else 0"),
}


@pytest.mark.parametrize("name", OPS)
@pytest.mark.parametrize("x, g", [(0.8, 1.0), (1.7, -2.0), (0.3, 0.5)])
def test_against_central_differences(name, x, g):
    value_op, float_op, hint = OPS[name]
    a = Value(x)
    out = value_op(a)
    out.grad = g
    out._backward()
    expect(a.grad, g * central_difference(float_op, x), f"{name} at x={x} with out.grad={g}: x.grad", hint)


def test_tanh_uses_its_output():
    a = Value(0.5)
    out = a.tanh()
    out.grad = 1.0
    out._backward()
    expect(a.grad, 1 - math.tanh(0.5) ** 2, "tanh at x=0.5: x.grad",
           "the derivative is 1 - tanh(x)**2 = 1 - out.data**2, not 1 - x**2")


def test_relu_negative_and_zero():
    for x, want in ((-1.5, 0.0), (0.0, 0.0), (2.0, 3.0)):
        a = Value(x)
        out = a.relu()
        out.grad = 3.0
        out._backward()
        expect(a.grad, want, f"relu at x={x} with out.grad=3: x.grad",
               "relu passes the gradient only where its output is positive (at exactly 0 it passes nothing)")


def test_primitives_accumulate():
    a = Value(2.0)
    a.grad = 1.0
    out = a ** 2
    out.grad = 1.0
    out._backward()
    expect(a.grad, 5.0, "a ** 2 at a=2 when a.grad was already 1: a.grad", "accumulate with +=, never assign")
