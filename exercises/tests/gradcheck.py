# Part of the self-check (pytest exercises/): read it freely; edits are not graded and a new copy replaces them.
"""Helpers for the self-check tests: central differences, a backward pass in creation order, and assertions that
say what was checked, what came out and what was expected. The hints live in tasks.toml, one per check."""
import contextlib
import math


def central_difference(f, x, h=1e-6):
    """f'(x) estimated from plain floats, with no autograd involved (never the student's own)."""
    return (f(x + h) - f(x - h)) / (2 * h)


def set_backward(node, closure):
    """node._backward = closure, also for a Value whose _backward is a method and that has no slot for one
    (__slots__ without '_backward'): the node then gets a subclass of its class, of the same layout, whose
    _backward is the closure (the grader does the same)."""
    try:
        node._backward = closure
    except AttributeError:
        cls = type(node)
        node.__class__ = type(cls.__name__, (cls,), {'__slots__': (), '_backward': staticmethod(closure)})


def expect(got, want, what, rel=1e-5, abs_tol=1e-6):
    """Fail with a message that says what was checked, what came out and what was expected."""
    good = (isinstance(got, (int, float)) and not isinstance(got, bool) and math.isfinite(got)
            and abs(got - want) <= max(abs_tol, rel * abs(want)))
    assert good, f"{what}: got {got!r}, expected {want:.6g}"


def graph_nodes(root):
    """Every node reachable from root through _prev, found by this file's own walk (not yours)."""
    seen, stack = {}, [root]
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen[id(node)] = node
            stack.extend(node._prev)
    return list(seen.values())


MADE = []  # the Values made during the current check, in the order they were made (see creation_order)


@contextlib.contextmanager
def creation_order(cls):
    """Record every cls made inside the block, in MADE (cls.__init__ is wrapped meanwhile)."""
    had, init = "__init__" in cls.__dict__, cls.__init__

    def recorded(self, *args, **kwargs):
        init(self, *args, **kwargs)
        MADE.append(self)
    cls.__init__ = recorded
    try:
        yield
    finally:
        MADE.clear()
        if had:
            cls.__init__ = init
        else:
            del cls.__init__


def backprop(root, grad=1.0):
    """root's gradient pushed back with your closures, newest node first: a node is always made after its
    inputs, so this order needs no sort of the graph and a check of an operation does not depend on your
    backward() (task2). Needs the check to run inside creation_order(Value)."""
    made = {id(node): i for i, node in enumerate(MADE)}
    root.grad = grad
    for node in sorted(graph_nodes(root), key=lambda n: made.get(id(n), -1), reverse=True):
        if node._backward is not None:  # a leaf's no-op may be written as None, as the grader allows
            node._backward()


class GraphMismatch(AssertionError):
    """A gradient check on a whole graph failed; `graph` holds what to draw (see mygrad/draw.py)."""

    def __init__(self, message, graph):
        super().__init__(message)
        self.graph = graph


def expect_grads(root, expected, what):
    """Every listed node's grad against its hand-worked value ([(node, name, grad), ...]); on a mismatch the
    failure carries the graph, so the self-check's report page can draw it with the first wrong node in red."""
    nodes = graph_nodes(root)
    index = {id(n): i for i, n in enumerate(nodes)}
    names = {id(n): name for n, name, _ in expected}
    wants = {id(n): want for n, _, want in expected}
    wrong = [(n, name, want) for n, name, want in expected
             if not (isinstance(n.grad, (int, float)) and math.isclose(n.grad, want, rel_tol=1e-5, abs_tol=1e-6))]
    if not wrong:
        return
    graph = {"nodes": [{"label": names.get(id(n), n._op or "leaf"), "children": [index[id(c)] for c in n._prev],
                        "data": n.data, "grad": n.grad, "want": wants.get(id(n))} for n in nodes],
             "wrong": index[id(wrong[0][0])]}
    raise GraphMismatch("; ".join(f"{what}: {name}.grad is {n.grad!r}, expected {want:g}" for n, name, want in wrong),
                        graph)
