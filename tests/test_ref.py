"""The reference engine: gradients agree with central differences; deep graphs; the lesson's numbers."""

import math
import random

import pytest
from hypothesis import given, settings

from autograder.strategies import ALL_OPS, dags, value_of
from autograder.worker.session import build
from mygrad_ref import MLP, Layer, Neuron, Value, topological_sort, train
from mygrad_ref.warmup import backprop_by_hand, central_difference, forward_difference, partials_of_d


def float_root(spec, leaves):
    values = list(leaves)
    for op, *args in spec["nodes"]:
        values.append(value_of(op, args, values))
    return values[-1]


@settings(derandomize=True, database=None, max_examples=150, deadline=None)
@given(dags(ops=ALL_OPS, max_nodes=9))
def test_gradients_match_central_differences(spec):
    nodes = build(Value, spec)
    nodes[-1].backward()
    for i, x in enumerate(spec["leaves"]):
        h = 1e-6
        up = float_root(spec, spec["leaves"][:i] + [x + h] + spec["leaves"][i + 1 :])
        down = float_root(spec, spec["leaves"][:i] + [x - h] + spec["leaves"][i + 1 :])
        if up is None or down is None:  # the nudge left the safe domain (e.g. across relu's kink)
            continue
        numeric = (up - down) / (2 * h)
        assert math.isclose(nodes[i].grad, numeric, rel_tol=1e-4, abs_tol=1e-5), (spec, i, nodes[i].grad, numeric)


def test_lesson_graph_gives_10_and_accumulates():
    a = Value(2.0)
    b = a + a
    c = a * b
    d = c + b
    d.backward()
    assert a.grad == 10.0 and b.grad == 3.0
    x, y = Value(2.0), Value(-3.0)
    out = x * y
    out.backward()
    out.backward()
    assert (x.grad, y.grad) == (-6.0, 4.0)


def test_constants_on_both_sides():
    a = Value(4.0)
    for expr, value, grad in (
        (lambda: 5 - a, 1.0, -1.0),
        (lambda: 2 / a, 0.5, -0.125),
        (lambda: 3 * a, 12.0, 3.0),
        (lambda: 1 + a, 5.0, 1.0),
        (lambda: a - 1, 3.0, 1.0),
        (lambda: -a, -4.0, -1.0),
    ):
        a.grad = 0.0
        out = expr()
        out.backward()
        assert (out.data, a.grad) == (value, grad)
    s = sum([a, Value(1.0)])
    assert s.data == 5.0


def test_relu_at_zero_and_safe_numerics():
    z = Value(0.0)
    out = z.relu()
    out.backward()
    assert z.grad == 0.0
    big = Value(1000.0)
    t = big.tanh()
    t.backward()
    assert t.data == 1.0 and big.grad == 0.0
    with pytest.raises(ValueError, match="non-positive"):
        Value(-1.0).log()
    with pytest.raises(TypeError, match="exponents"):
        Value(2.0) ** Value(2.0)


def test_hundred_thousand_node_chain():
    x = Value(1.0)
    node = x
    for _ in range(100_000):
        node = node * 1.0
    node.backward()
    assert x.grad == 1.0


def test_topological_sort_each_node_once_children_first():
    a, b = Value(1.0), Value(1.0)  # equal values, distinct nodes
    c = a * b
    d = c + a
    e = d * c
    order = topological_sort(e)
    assert len(order) == len({id(n) for n in order}) == 5 and order[-1] is e
    pos = {id(n): i for i, n in enumerate(order)}
    assert all(pos[id(ch)] < pos[id(n)] for n in order for ch in n._prev)


def test_modules():
    random.seed(0)
    model = MLP(3, [4, 4, 1])
    assert len(model.parameters()) == 41
    n = Neuron(2)
    assert n.parameters() == [*n.w, n.b]
    assert isinstance(Layer(3, 1)([1.0, 2.0, 3.0]), Value)
    for p in model.parameters():
        p.grad = 3.0
    data = [p.data for p in model.parameters()]
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters()) and data == [p.data for p in model.parameters()]


def test_training_fits_the_lesson_data():
    random.seed(0)
    model = MLP(3, [4, 4, 1])
    xs = [[2, 3, -1], [3, -1, 0.5], [0.5, 1, 1], [1, 1, -1]]
    ys = [1, -1, -1, 1]
    first = sum((model(x).data - y) ** 2 for x, y in zip(xs, ys))
    losses = train(model, xs, ys, 100, 0.05)
    assert losses[0] == pytest.approx(first) and losses[-1] < 0.05


def test_warmups():
    f = lambda x: 3 * x**2 - 4 * x + 5  # noqa: E731
    assert forward_difference(f, 3.0) == pytest.approx(14.0, rel=1e-4)
    assert central_difference(f, 3.0) == pytest.approx(14.0, rel=1e-7)
    assert partials_of_d(2, -3, 10) == (-3.0, 2.0, 1.0)
    assert backprop_by_hand(2, -3, 10, -2) == {"a": 6.0, "b": -4.0, "c": -2.0, "d": -2.0, "e": -2.0, "f": 4.0}
