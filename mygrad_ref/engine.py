"""The reference engine: the trusted answer key for every hidden check.

Written apart from solutions/ on purpose (two implementations that must agree): every operation has its
own closure, the topological sort is Kahn's algorithm (no recursion, so any depth works), and the
numerics avoid overflow where the lecture's formulas would not.
"""

import math

__all__ = ["Value", "topological_sort"]


def _lift(x):
    return x if isinstance(x, Value) else Value(x)


def _leaf():
    """A leaf's closure: nothing below it to update (one function shared by every leaf)."""


class Value:
    """A scalar in a computation graph; `grad` is d(output)/d(this) after output.backward()."""

    __slots__ = ('data', 'grad', '_prev', '_op', 'label', '_backward', '__weakref__')

    def __init__(self, data, _children=(), _op='', label=''):
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_children)
        self._op = _op
        self.label = label
        self._backward = _leaf

    def __repr__(self):
        return f"Value(data={self.data!r}, grad={self.grad!r}{', label=' + repr(self.label) if self.label else ''})"

    def _result(self, data, children, op, local_grads):
        """A new node whose closure adds local * out.grad into each child (children may repeat)."""
        out = Value(data, children, op)

        def _backward():
            for child, local in zip(children, local_grads()):
                child.grad += local * out.grad

        out._backward = _backward
        return out

    # + and * make almost every node of a network: their closures come from the rule functions below, which
    # make one closure per node, with no local-gradient function or zip (a training run in half the time)
    def __add__(self, other):
        other = _lift(other)
        out = Value(self.data + other.data, (self, other), '+')
        out._backward = _sum_rule(self, other, out)
        return out

    def __mul__(self, other):
        other = _lift(other)
        out = Value(self.data * other.data, (self, other), '*')
        out._backward = _product_rule(self, other, out)
        return out

    def __pow__(self, k):
        if not isinstance(k, (int, float)) or isinstance(k, bool):
            raise TypeError(f"Value ** {type(k).__name__}: only int or float exponents are supported")
        return self._result(self.data**k, (self,), f'**{k}', lambda: (k * self.data ** (k - 1),))

    def __neg__(self):
        return self._result(-self.data, (self,), 'neg', lambda: (-1.0,))

    def __sub__(self, other):
        other = _lift(other)
        return self._result(self.data - other.data, (self, other), '-', lambda: (1.0, -1.0))

    def __rsub__(self, other):
        return _lift(other) - self

    def __truediv__(self, other):
        other = _lift(other)
        return self._result(
            self.data / other.data, (self, other), '/', lambda: (1.0 / other.data, -self.data / other.data**2)
        )

    def __rtruediv__(self, other):
        return _lift(other) / self

    __radd__ = __add__
    __rmul__ = __mul__

    def tanh(self):
        t = math.tanh(self.data)  # math.tanh saturates at ±1 instead of overflowing like (e^2x-1)/(e^2x+1)
        return self._result(t, (self,), 'tanh', lambda: (1.0 - t * t,))

    def exp(self):
        e = math.exp(self.data)  # raises OverflowError beyond ~709: a clear error beats a silent inf
        return self._result(e, (self,), 'exp', lambda: (e,))

    def log(self):
        if self.data <= 0:
            raise ValueError(f"log of a non-positive number ({self.data!r})")
        return self._result(math.log(self.data), (self,), 'log', lambda: (1.0 / self.data,))

    def relu(self):
        return self._result(max(self.data, 0.0), (self,), 'relu', lambda: (1.0 if self.data > 0 else 0.0,))

    def backward(self):
        """Seed this node's grad with 1 and add every node's contribution, output first."""
        self.grad = 1.0
        for node in reversed(topological_sort(self)):
            node._backward()


def _sum_rule(a, b, out):
    """out = a + b: d out / d a = d out / d b = 1, so each input gains out.grad (a + a gains it twice)."""

    def _backward():
        g = out.grad
        a.grad += g
        b.grad += g

    return _backward


def _product_rule(a, b, out):
    """out = a * b: d out / d a = b and d out / d b = a, read when the closure runs."""

    def _backward():
        g = out.grad
        a.grad += b.data * g
        b.grad += a.data * g

    return _backward


def topological_sort(root):
    """Every node reachable from root once, each after all of its children (Kahn's algorithm)."""
    parents = {root: 0}  # for each node: how many edges from parents still point at it (Values hash by id)
    frontier = [root]
    while frontier:
        for child in frontier.pop()._prev:
            if child in parents:
                parents[child] += 1
            else:
                parents[child] = 1
                frontier.append(child)
    order, ready = [], [root]
    while ready:  # root-first: a node is ready once all of its parents are placed
        node = ready.pop()
        order.append(node)
        for child in node._prev:
            parents[child] -= 1
            if not parents[child]:
                ready.append(child)
    order.reverse()
    return order
