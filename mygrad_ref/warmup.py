"""Reference warm-ups: finite differences and the lesson's hand derivatives, as numbers."""

__all__ = ["forward_difference", "central_difference", "partials_of_d", "backprop_by_hand"]


def forward_difference(f, x, h=1e-6):
    return (f(x + h) - f(x)) / h


def central_difference(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


def partials_of_d(a, b, c):
    """d = a*b + c: dd/da = b, dd/db = a, dd/dc = 1."""
    return (float(b), float(a), 1.0)


def backprop_by_hand(a, b, c, f):
    """e = a*b, d = e + c, L = d*f."""
    d = a * b + c
    return {'f': float(d), 'd': float(f), 'e': float(f), 'c': float(f), 'a': float(f * b), 'b': float(f * a)}
