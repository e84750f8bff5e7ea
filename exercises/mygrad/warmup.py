# Your work: replace each `# TODO taskN` block below; keep the signatures and docstrings.
"""Warm-ups: derivatives with plain numbers, before any Value exists."""


def forward_difference(f, x, h=1e-6):
    """Estimate f'(x) as rise over run: how much f changes when x moves forward by h, divided by h."""
    # TODO task0: the body of forward_difference() (lesson: docs/lessons/task0-warmups.md)
    raise NotImplementedError("task0 not started: Warm-ups: derivatives by hand")


def central_difference(f, x, h=1e-6):
    """Estimate f'(x) from a step of h on each side of x (more accurate than the forward difference)."""
    # TODO task0: the body of central_difference() (lesson: docs/lessons/task0-warmups.md)
    raise NotImplementedError("task0 not started: Warm-ups: derivatives by hand")


def partials_of_d(a, b, c):
    """Return (dd/da, dd/db, dd/dc) for d = a*b + c, worked out by hand (as numbers)."""
    # TODO task0: the body of partials_of_d() (lesson: docs/lessons/task0-warmups.md)
    raise NotImplementedError("task0 not started: Warm-ups: derivatives by hand")


def backprop_by_hand(a, b, c, f):
    """For e = a*b, d = e + c, L = d*f, return {'a': dL/da, 'b': ..., 'c': ..., 'd': ..., 'e': ..., 'f': ...}."""
    # TODO task0: the body of backprop_by_hand() (lesson: docs/lessons/task0-warmups.md)
    raise NotImplementedError("task0 not started: Warm-ups: derivatives by hand")
