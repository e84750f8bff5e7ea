"""A scalar autograd engine: each Value remembers how it was made and how to pass gradients back."""
import math


class Value:
    """A number in a computation graph, with the gradient of the final output with respect to it.

    Attributes (the grader reads them): `data` (a float), `grad` (starts at 0.0), `_prev` (the children: a
    tuple, list or set), `_op` (the operation that made it, '' for a leaf), `label`, and `_backward` (adds
    this node's contribution into its children's grads; a no-op by default). Nodes are distinct by identity.
    """

    def __init__(self, data, _children=(), _op='', label=''):
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_children)
        self._op = _op
        self.label = label
        self._backward = lambda: None

    def __repr__(self):
        return f"Value(data={self.data:.4g}, grad={self.grad:.4g})"

    # --- task 1: the two primitives every expression is made of ------------------------------------

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), '+')

        def _backward():
            """Pass out.grad back to both inputs of out = self + other."""
            ### BEGIN SOLUTION task1
            self.grad += out.grad
            other.grad += out.grad
            ### END SOLUTION
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), '*')

        def _backward():
            """Pass out.grad back to both inputs of out = self * other."""
            ### BEGIN SOLUTION task1
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
            ### END SOLUTION
        out._backward = _backward
        return out

    # --- task 3: the other primitives -------------------------------------------------------------

    def __pow__(self, k):
        assert isinstance(k, (int, float)), "only int/float exponents are supported"
        out = Value(self.data ** k, (self,), f'**{k}')

        def _backward():
            """Pass out.grad back to self for out = self ** k (k a constant)."""
            ### BEGIN SOLUTION task3
            self.grad += k * self.data ** (k - 1) * out.grad
            ### END SOLUTION
        out._backward = _backward
        return out

    def tanh(self):
        out = Value(math.tanh(self.data), (self,), 'tanh')

        def _backward():
            """Pass out.grad back to self for out = tanh(self)."""
            ### BEGIN SOLUTION task3
            self.grad += (1 - out.data ** 2) * out.grad
            ### END SOLUTION
        out._backward = _backward
        return out

    def exp(self):
        out = Value(math.exp(self.data), (self,), 'exp')

        def _backward():
            """Pass out.grad back to self for out = exp(self)."""
            ### BEGIN SOLUTION task3
            self.grad += out.data * out.grad
            ### END SOLUTION
        out._backward = _backward
        return out

    def log(self):
        out = Value(math.log(self.data), (self,), 'log')

        def _backward():
            """Pass out.grad back to self for out = log(self)."""
            ### BEGIN SOLUTION task3
            self.grad += out.grad / self.data
            ### END SOLUTION
        out._backward = _backward
        return out

    def relu(self):
        out = Value(max(0.0, self.data), (self,), 'relu')

        def _backward():
            """Pass out.grad back to self for out = relu(self); the slope at exactly 0 is 0."""
            ### BEGIN SOLUTION task3
            self.grad += (out.data > 0) * out.grad
            ### END SOLUTION
        out._backward = _backward
        return out

    # --- task 2: backpropagation through the whole graph ------------------------------------------

    def backward(self):
        """Set self.grad to 1 and propagate gradients to every node this Value depends on."""
        ### BEGIN SOLUTION task2
        self.grad = 1.0
        for node in reversed(topological_sort(self)):
            node._backward()
        ### END SOLUTION

    # --- given: everything else is built from the primitives above --------------------------------

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other)

    def __truediv__(self, other):
        return self * other ** -1

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):
        return other + (-self)

    def __rtruediv__(self, other):
        return other * self ** -1


def topological_sort(root):
    """Return every node reachable from root exactly once, each after all of its children."""
    ### BEGIN SOLUTION task2
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            order.append(node)
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))
            stack.extend((child, False) for child in node._prev if child not in visited)
    return order
    ### END SOLUTION
