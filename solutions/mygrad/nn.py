"""Neural networks made of Values: a neuron, a layer of neurons, a multi-layer perceptron."""
import random

from .engine import Value


class Module:
    """Anything with parameters that training can adjust."""

    def parameters(self):
        """Every trainable Value of this module, in a fixed order."""
        return []

    def zero_grad(self):
        """Reset every parameter's gradient to 0.0 (its data is left alone)."""
        ### BEGIN SOLUTION task4
        for p in self.parameters():
            p.grad = 0.0
        ### END SOLUTION


class Neuron(Module):
    """tanh(w·x + b) with nin weights w and a bias b (no tanh when nonlin is False).

    Attributes (the grader reads them): `w`, a list of nin Values; `b`, a Value; parameters() is `w + [b]`.
    """

    def __init__(self, nin, nonlin=True):
        ### BEGIN SOLUTION task4
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(random.uniform(-1, 1))
        self.nonlin = nonlin
        ### END SOLUTION

    def __call__(self, x):
        """The neuron's output for one input x (a list of numbers or Values)."""
        ### BEGIN SOLUTION task4
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.tanh() if self.nonlin else act
        ### END SOLUTION

    def parameters(self):
        ### BEGIN SOLUTION task4
        return self.w + [self.b]
        ### END SOLUTION


class Layer(Module):
    """nout neurons that each see the same nin inputs; `neurons` is their list (keyword arguments such as
    nonlin=False are passed on to each Neuron), and parameters() is theirs, neuron by neuron."""

    def __init__(self, nin, nout, **neuron_kwargs):
        ### BEGIN SOLUTION task4
        self.neurons = [Neuron(nin, **neuron_kwargs) for _ in range(nout)]
        ### END SOLUTION

    def __call__(self, x):
        """A list with one output per neuron, or the single output itself when there is one neuron."""
        ### BEGIN SOLUTION task4
        outs = [n(x) for n in self.neurons]
        return outs[0] if len(outs) == 1 else outs
        ### END SOLUTION

    def parameters(self):
        ### BEGIN SOLUTION task4
        return [p for n in self.neurons for p in n.parameters()]
        ### END SOLUTION


class MLP(Module):
    """Layers of tanh neurons: nin inputs, then one layer per entry of nouts; `layers` is their list, and
    parameters() is theirs, layer by layer."""

    def __init__(self, nin, nouts):
        ### BEGIN SOLUTION task4
        sizes = [nin] + list(nouts)
        self.layers = [Layer(sizes[i], sizes[i + 1]) for i in range(len(nouts))]
        ### END SOLUTION

    def __call__(self, x):
        ### BEGIN SOLUTION task4
        for layer in self.layers:
            x = layer(x)
        return x
        ### END SOLUTION

    def parameters(self):
        ### BEGIN SOLUTION task4
        return [p for layer in self.layers for p in layer.parameters()]
        ### END SOLUTION
