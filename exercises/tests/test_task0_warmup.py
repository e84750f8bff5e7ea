# Part of the self-check (pytest exercises/): read it freely; edits are not graded and a new copy replaces them.
"""task0: derivatives with plain numbers (the lesson's worked examples)."""
import math

import pytest
from gradcheck import expect

from mygrad.warmup import backprop_by_hand, central_difference, forward_difference, partials_of_d

pytestmark = pytest.mark.task0


def f(x):
    return 3 * x**2 - 4 * x + 5  # the lesson's parabola: f'(x) = 6x - 4


def test_forward_difference_is_rise_over_run():
    expect(forward_difference(f, 3.0), 14.0, "forward_difference(f, 3.0) for f(x) = 3x²-4x+5",
           "return (f(x + h) - f(x)) / h", rel=1e-4)
    expect(forward_difference(f, 3.0, h=0.5), (f(3.5) - f(3.0)) / 0.5, "forward_difference(f, 3.0, h=0.5)",
           "use the h you are given, not a fixed step")


def test_central_difference_steps_both_ways():
    expect(central_difference(f, -1.0), -10.0, "central_difference(f, -1.0)",
           "return (f(x + h) - f(x - h)) / (2 * h)")
    expect(central_difference(math.sin, 0.3), math.cos(0.3), "central_difference(math.sin, 0.3)",
           "divide by the whole width of the step, 2*h", rel=1e-6)
    expect(central_difference(f, 0.0, h=0.25), -4.0, "central_difference(f, 0.0, h=0.25)",
           "use the h you are given")


def test_partials_of_d_at_the_lesson_point():
    got = partials_of_d(2.0, -3.0, 10.0)
    assert len(got) == 3, f"partials_of_d should return three numbers (dd/da, dd/db, dd/dc), got {got!r}"
    for name, value, want in zip("abc", got, (-3.0, 2.0, 1.0)):
        expect(value, want, f"dd/d{name} for d = a*b + c at a=2, b=-3, c=10",
               "nudge one input by h, keep the others fixed, and see how much d moves")


def test_partials_of_d_anywhere():
    a, b, c = 1.5, 0.25, -4.0
    d = lambda a, b, c: a * b + c
    numeric = (central_difference(lambda x: d(x, b, c), a), central_difference(lambda x: d(a, x, c), b),
               central_difference(lambda x: d(a, b, x), c))
    for name, value, want in zip("abc", partials_of_d(a, b, c), numeric):
        expect(value, want, f"dd/d{name} for d = a*b + c at a=1.5, b=0.25, c=-4",
               "write the derivative in terms of the inputs, not the numbers of the lesson")


def test_backprop_by_hand_matches_the_lesson():
    want = {"a": 6.0, "b": -4.0, "c": -2.0, "d": -2.0, "e": -2.0, "f": 4.0}
    got = backprop_by_hand(2.0, -3.0, 10.0, -2.0)
    assert set(got) >= set(want), f"backprop_by_hand should return a dict with keys {sorted(want)}, got {got!r}"
    for name, value in want.items():
        expect(got[name], value, f"dL/d{name} for L = (a*b + c) * f at a=2, b=-3, c=10, f=-2",
               "start from dL/dL = 1 and walk back one node at a time: multiply by each local derivative")


def test_backprop_by_hand_matches_central_differences():
    point = {"a": 0.5, "b": 1.5, "c": -1.0, "f": 3.0}
    L = lambda a, b, c, f: (a * b + c) * f
    got = backprop_by_hand(**point)
    for name in "abcf":
        numeric = central_difference(lambda x: L(**{**point, name: x}), point[name])
        expect(got[name], numeric, f"dL/d{name} at a=0.5, b=1.5, c=-1, f=3 (checked by central differences)",
               "compute from the arguments; the lesson's numbers are only one example")
