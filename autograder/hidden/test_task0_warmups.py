"""Hidden checks for task0: the warm-ups, at points drawn for this grade."""

from autograder.checks import check_numbers_together, vary
from autograder.harness import group


@group("task0", "finite differences", weight=1)
def test_finite_differences(student, reference, rng):
    cases = []
    for fn in ("forward_difference", "central_difference"):
        for coeffs, x, h in (([5.0, -4.0, 3.0], 3.0, 1e-3), ([0.0, 0.0, 0.0, 1.0], -1.5, 0.01), ([1.0, 2.0], 0.0, 0.5)):
            (x,) = vary(rng, x)
            poly = " + ".join(f"{c:g}x^{i}" for i, c in enumerate(coeffs) if c)
            what = f"{fn}(f, {x:g}, h={h:g}) for f(x) = {poly}"
            cases.append((dict(fn=fn, args=dict(coeffs=coeffs, x=x, h=h)), what))
    check_numbers_together(student, reference, "warmup", cases, rel=1e-9)


@group("task0", "partial derivatives of d = a*b + c", weight=1)
def test_partials(student, reference, rng):
    cases = []
    for point in ((2.0, -3.0, 10.0), (1.5, 0.25, -4.0), (-1.0, 2.0, 0.5)):
        point = tuple(vary(rng, *point))
        what = "partials_of_d(a={:g}, b={:g}, c={:g}) as (dd/da, dd/db, dd/dc)".format(*point)
        cases.append((dict(fn="partials_of_d", args=list(point)), what))
    check_numbers_together(student, reference, "warmup", cases)


@group("task0", "backpropagation by hand through L = (a*b + c) * f", weight=1)
def test_backprop_by_hand(student, reference, rng):
    cases = []
    for point in ((2.0, -3.0, 10.0, -2.0), (0.5, 1.5, -1.0, 3.0), (-2.0, 0.25, 4.0, 1.5)):
        point = tuple(vary(rng, *point))
        what = "backprop_by_hand(a={:g}, b={:g}, c={:g}, f={:g})".format(*point)
        cases.append((dict(fn="backprop_by_hand", args=list(point)), what))
    check_numbers_together(student, reference, "warmup", cases)
