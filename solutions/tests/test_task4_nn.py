"""task4: Neuron, Layer, MLP (forward passes and parameters only; no backward needed)."""
import math
import random

import pytest
from gradcheck import expect, graph_nodes
from mygrad.engine import Value
from mygrad.nn import MLP, Layer, Neuron

pytestmark = pytest.mark.task4


def set_neuron(neuron, w, b):
    """Set a neuron's weights and bias through its attributes w and b, so that these forward checks do not
    depend on the order of your parameters() (which its own check tests)."""
    assert len(neuron.w) == len(w), f"expected {len(w)} weights, got {len(neuron.w)}"
    for wi, x in zip(neuron.w, w):
        wi.data = x
    neuron.b.data = b


def test_neuron_holds_values():
    n = Neuron(3)
    assert len(n.w) == 3 and all(isinstance(w, Value) for w in n.w), "Neuron(3).w should be a list of 3 Values"
    assert isinstance(n.b, Value), "Neuron(3).b should be a Value (the bias)"


def test_neuron_parameters_are_w_then_b():
    n = Neuron(2)
    params = n.parameters()
    assert len(params) == 3, f"Neuron(2) has 2 weights and 1 bias, got {len(params)} parameters"
    assert params[0] is n.w[0] and params[1] is n.w[1] and params[2] is n.b, (
        "Neuron(2).parameters() should be the Value objects themselves, in the order w[0], w[1], b")


def test_neuron_output_with_known_weights():
    n = Neuron(3)
    set_neuron(n, [0.5, -1.0, 0.25], 0.1)
    out = n([2.0, 3.0, -1.0])
    assert isinstance(out, Value), "a Neuron returns a Value, so gradients can flow through it"
    expect(out.data, math.tanh(-2.15), "Neuron with w=[0.5,-1,0.25], b=0.1 on x=[2,3,-1] (tanh(-2.15))")
    linear = Neuron(3, nonlin=False)
    set_neuron(linear, [0.5, -1.0, 0.25], 0.1)
    expect(linear([2.0, 3.0, -1.0]).data, -2.15, "Neuron(3, nonlin=False) on the same input")


def test_neuron_output_depends_on_every_parameter():
    n = Neuron(3)
    out = n([2.0, 3.0, -1.0])
    nodes = {id(node) for node in graph_nodes(out)}
    for name, p in [*((f"w[{i}]", w) for i, w in enumerate(n.w)), ("b", n.b)]:
        assert id(p) in nodes, (f"the neuron's {name} is not a node of its output's graph (reached through _prev), "
                                "so backward() can never give it a gradient")


def test_neuron_accepts_values_as_inputs():
    n = Neuron(2)
    set_neuron(n, [1.0, 2.0], 0.0)
    expect(n([Value(0.1), Value(0.2)]).data, math.tanh(0.5), "Neuron with w=[1, 2], b=0 on [Value(0.1), Value(0.2)]")


def test_layer_outputs():
    layer = Layer(3, 2)
    assert len(layer.neurons) == 2, "Layer(3, 2) should hold 2 neurons"
    outs = layer([1.0, 2.0, 3.0])
    assert isinstance(outs, list) and len(outs) == 2, "Layer(3, 2) returns a list of 2 outputs"
    single = Layer(3, 1)([1.0, 2.0, 3.0])
    assert isinstance(single, Value), "a Layer with one neuron returns that neuron's output itself, not a list"


def test_layer_passes_nonlin_on_to_its_neurons():
    layer = Layer(2, 2, nonlin=False)
    for n in layer.neurons:
        n.w[0].data, n.w[1].data, n.b.data = 1.0, 2.0, 0.0
    for out in layer([0.1, 0.2]):
        expect(out.data, 0.5, "Layer(2, 2, nonlin=False) with w=[1, 2], b=0 on [0.1, 0.2] (no tanh: 1*0.1 + 2*0.2)")


def test_layer_parameters_in_neuron_order():
    layer = Layer(2, 3)
    params = layer.parameters()
    want = [p for n in layer.neurons for p in n.parameters()]
    assert len(params) == 9, f"Layer(2, 3) has 3 neurons of 3 parameters, got {len(params)}"
    assert all(p is q for p, q in zip(params, want)), "Layer.parameters() lists neuron 0's, then neuron 1's, ..."


def test_mlp_shape_and_parameters():
    model = MLP(3, [4, 4, 1])
    assert len(model.layers) == 3, "MLP(3, [4, 4, 1]) has 3 layers"
    params = model.parameters()
    assert len(params) == 41, f"MLP(3, [4, 4, 1]) has 4*4 + 4*5 + 1*5 = 41 parameters, got {len(params)}"
    want = [p for layer in model.layers for p in layer.parameters()]
    assert all(p is q for p, q in zip(params, want)), "MLP.parameters() lists layer 0's, then layer 1's, ..."


def test_mlp_output_with_known_weights():
    model = MLP(2, [2, 1])
    assert [len(layer.neurons) for layer in model.layers] == [2, 1], "MLP(2, [2, 1]) has layers of 2 and 1 neurons"
    set_neuron(model.layers[0].neurons[0], [0.1, -0.2], 0.3)
    set_neuron(model.layers[0].neurons[1], [0.4, 0.5], -0.6)
    set_neuron(model.layers[1].neurons[0], [0.7, -0.8], 0.9)
    x = [1.0, -2.0]
    h = [math.tanh(0.1 * 1 - 0.2 * -2 + 0.3), math.tanh(0.4 * 1 + 0.5 * -2 - 0.6)]
    want = math.tanh(0.7 * h[0] - 0.8 * h[1] + 0.9)
    out = model(x)
    assert isinstance(out, Value), "an MLP whose last layer has one neuron returns a single Value"
    expect(out.data, want, "MLP(2, [2, 1]) with known weights on x=[1, -2]")


def test_zero_grad_resets_grads_only():
    random.seed(3)
    model = MLP(2, [3, 1])
    for p in model.parameters():
        p.grad = 5.0
    before = [p.data for p in model.parameters()]
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters()), "zero_grad() should set every parameter's grad to 0.0"
    assert [p.data for p in model.parameters()] == before, "zero_grad() must leave the parameters' data alone"
