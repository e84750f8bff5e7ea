# Part of the self-check (pytest exercises/): read it freely; edits are not graded and a new copy replaces them.
"""task0: derivatives with plain numbers (the lesson's worked examples). Every expected value is worked out
by hand here, never with your own central_difference."""
import math

import pytest
from gradcheck import expect
from mygrad.warmup import backprop_by_hand, central_difference, forward_difference, partials_of_d

pytestmark = pytest.mark.task0


def f(x):
    return 3 * x**2 - 4 * x + 5  # the lesson's parabola: f'(x) = 6x - 4


def test_forward_difference_is_rise_over_run():
    expect(forward_difference(f, 3.0), 14.0, "forward_difference(f, 3.0) for f(x) = 3x²-4x+5", rel=1e-4)
    # f(3.5) = 27.75 and f(3) = 20, so the rise over a run of 0.5 is 7.75 / 0.5 = 15.5
    expect(forward_difference(f, 3.0, h=0.5), 15.5, "forward_difference(f, 3.0, h=0.5)")


def test_central_difference_steps_both_ways():
    expect(central_difference(f, -1.0), -10.0, "central_difference(f, -1.0)")
    expect(central_difference(math.sin, 0.3), math.cos(0.3), "central_difference(math.sin, 0.3)", rel=1e-6)
    # for a parabola the central difference is exact whatever the step: f'(0) = -4
    expect(central_difference(f, 0.0, h=0.25), -4.0, "central_difference(f, 0.0, h=0.25)")


def test_partials_of_d_at_the_lesson_point():
    got = partials_of_d(2.0, -3.0, 10.0)
    assert len(got) == 3, f"partials_of_d should return three numbers (dd/da, dd/db, dd/dc), got {got!r}"
    for name, value, want in zip("abc", got, (-3.0, 2.0, 1.0)):
        expect(value, want, f"dd/d{name} for d = a*b + c at a=2, b=-3, c=10")


def test_partials_of_d_anywhere():
    # d = a*b + c: dd/da = b = 0.25, dd/db = a = 1.5, dd/dc = 1
    for name, value, want in zip("abc", partials_of_d(1.5, 0.25, -4.0), (0.25, 1.5, 1.0)):
        expect(value, want, f"dd/d{name} for d = a*b + c at a=1.5, b=0.25, c=-4")


def test_backprop_by_hand_matches_the_lesson():
    want = {"a": 6.0, "b": -4.0, "c": -2.0, "d": -2.0, "e": -2.0, "f": 4.0}
    got = backprop_by_hand(2.0, -3.0, 10.0, -2.0)
    assert set(got) >= set(want), f"backprop_by_hand should return a dict with keys {sorted(want)}, got {got!r}"
    for name, value in want.items():
        expect(got[name], value, f"dL/d{name} for L = (a*b + c) * f at a=2, b=-3, c=10, f=-2")


def test_backprop_by_hand_anywhere():
    # e = 0.75, d = -0.25, L = -0.75; dL/dd = dL/de = dL/dc = f = 3, dL/da = 3*b, dL/db = 3*a, dL/df = d
    want = {"a": 4.5, "b": 1.5, "c": 3.0, "d": 3.0, "e": 3.0, "f": -0.25}
    got = backprop_by_hand(0.5, 1.5, -1.0, 3.0)
    assert set(got) >= set(want), f"backprop_by_hand should return a dict with keys {sorted(want)}, got {got!r}"
    for name, value in want.items():
        expect(got[name], value, f"dL/d{name} for L = (a*b + c) * f at a=0.5, b=1.5, c=-1, f=3")
