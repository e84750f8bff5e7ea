# Your work: replace each `# TODO taskN` block below; keep the signatures and docstrings.
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
        # TODO task4: the body of zero_grad() (lesson: docs/lessons/task4-nn.md)
        raise NotImplementedError("task4 not started: Neuron, Layer, MLP")


class Neuron(Module):
    """tanh(w·x + b) with nin weights w and a bias b (no tanh when nonlin is False).

    Attributes (the grader reads them): `w`, a list of nin Values; `b`, a Value; parameters() is `w + [b]`.
    """

    def __init__(self, nin, nonlin=True):
        # TODO task4: the body of __init__() (lesson: docs/lessons/task4-nn.md)
        raise NotImplementedError("task4 not started: Neuron, Layer, MLP")

    def __call__(self, x):
        """The neuron's output for one input x (a list of numbers or Values)."""
        # TODO task4: the body of __call__() (lesson: docs/lessons/task4-nn.md)
        raise NotImplementedError("task4 not started: Neuron, Layer, MLP")

    def parameters(self):
        # TODO task4: the body of parameters() (lesson: docs/lessons/task4-nn.md)
        raise NotImplementedError("task4 not started: Neuron, Layer, MLP")


class Layer(Module):
    """nout neurons that each see the same nin inputs; `neurons` is their list (keyword arguments such as
    nonlin=False are passed on to each Neuron), and parameters() is theirs, neuron by neuron."""

    def __init__(self, nin, nout, **neuron_kwargs):
        # TODO task4: the body of __init__() (lesson: docs/lessons/task4-nn.md)
        raise NotImplementedError("task4 not started: Neuron, Layer, MLP")

    def __call__(self, x):
        """A list with one output per neuron, or the single output itself when there is one neuron."""
        # TODO task4: the body of __call__() (lesson: docs/lessons/task4-nn.md)
        raise NotImplementedError("task4 not started: Neuron, Layer, MLP")

    def parameters(self):
        # TODO task4: the body of parameters() (lesson: docs/lessons/task4-nn.md)
        raise NotImplementedError("task4 not started: Neuron, Layer, MLP")


class MLP(Module):
    """Layers of tanh neurons: nin inputs, then one layer per entry of nouts; `layers` is their list, and
    parameters() is theirs, layer by layer."""

    def __init__(self, nin, nouts):
        # TODO task4: the body of __init__() (lesson: docs/lessons/task4-nn.md)
        raise NotImplementedError("task4 not started: Neuron, Layer, MLP")

    def __call__(self, x):
        # TODO task4: the body of __call__() (lesson: docs/lessons/task4-nn.md)
        raise NotImplementedError("task4 not started: Neuron, Layer, MLP")

    def parameters(self):
        # TODO task4: the body of parameters() (lesson: docs/lessons/task4-nn.md)
        raise NotImplementedError("task4 not started: Neuron, Layer, MLP")
