# Part of the self-check (pytest exercises/): read it freely; edits are not graded and a new copy replaces them.
"""Helpers for the self-check tests: central differences and assertions whose messages teach."""
import math


def central_difference(f, x, h=1e-6):
    """f'(x) estimated from plain floats, with no autograd involved."""
    return (f(x + h) - f(x - h)) / (2 * h)


def expect(got, want, what, hint, rel=1e-5, abs_tol=1e-6):
    """Fail with a message that says what was checked, what came out, what was expected, and a hint."""
    good = (isinstance(got, (int, float)) and not isinstance(got, bool) and math.isfinite(got)
            and abs(got - want) <= max(abs_tol, rel * abs(want)))
    assert good, f"{what}: got {got!r}, expected {want:.6g}.\n    hint: {hint}"
