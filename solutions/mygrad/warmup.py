"""Warm-ups: derivatives with plain numbers, before any Value exists."""


def forward_difference(f, x, h=1e-6):
    """Estimate f'(x) as rise over run: how much f changes when x moves forward by h, divided by h."""
    ### BEGIN SOLUTION task0
    return (f(x + h) - f(x)) / h
    ### END SOLUTION


def central_difference(f, x, h=1e-6):
    """Estimate f'(x) from a step of h on each side of x (more accurate than the forward difference)."""
    ### BEGIN SOLUTION task0
    return (f(x + h) - f(x - h)) / (2 * h)
    ### END SOLUTION


def partials_of_d(a, b, c):
    """Return (dd/da, dd/db, dd/dc) for d = a*b + c, worked out by hand (as numbers)."""
    ### BEGIN SOLUTION task0
    return (b, a, 1.0)
    ### END SOLUTION


def backprop_by_hand(a, b, c, f):
    """For e = a*b, d = e + c, L = d*f, return {'a': dL/da, 'b': ..., 'c': ..., 'd': ..., 'e': ..., 'f': ...}."""
    ### BEGIN SOLUTION task0
    d = a * b + c
    dL_dd = f
    dL_de = dL_dd  # a plus node passes the gradient through unchanged
    return {'a': dL_de * b, 'b': dL_de * a, 'c': dL_dd, 'd': dL_dd, 'e': dL_de, 'f': d}
    ### END SOLUTION
