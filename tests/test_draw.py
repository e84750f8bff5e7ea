"""draw_dot: an SVG that names the nodes and shows their grads, on any Value-like object."""

import pytest

from mygrad_ref import Value
from mygrad_ref.draw import GraphvizNotInstalled, draw_dot, render_svg


def test_svg_names_the_nodes_and_shows_grads():
    a, b = Value(2.0, label='a'), Value(-3.0, label='b')
    e = a * b
    e.label = 'e'
    L = e + a
    L.label = 'L'
    L.backward()
    svg = render_svg(L)
    assert svg.lstrip().startswith('<?xml') and '<svg' in svg
    for text in ('>a<', '>b<', '>e<', '>L<', 'grad &#45;2.0000', 'grad 2.0000', 'data &#45;6.0000', '>*<', '>+<'):
        assert text in svg, text


class Duck:
    """Not a mygrad Value: just the attributes draw_dot reads, children in a list."""

    def __init__(self, data, prev=(), op='', label=''):
        self.data, self.grad, self._prev, self._op, self.label = data, 0.5, list(prev), op, label


def test_draws_any_value_like_object():
    x = Duck(1.5, label='x')
    y = Duck(3.0, [x, x], '+', 'y')
    svg = render_svg(y)
    assert '>x<' in svg and '>y<' in svg and 'grad 0.5000' in svg


def test_deep_graph_draws_without_recursion():
    node = Value(0.0)
    for _ in range(5000):
        node = node + 1.0
    dot = draw_dot(node)
    assert dot.source.count('shape=record') == 10001


def test_missing_dot_binary_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv('PATH', str(tmp_path))
    with pytest.raises(GraphvizNotInstalled, match='apt-get install graphviz'):
        draw_dot(Value(1.0))


def test_renders_in_jupyter():
    mime = draw_dot(Value(1.0, label='z'))._repr_mimebundle_()
    assert 'image/svg+xml' in mime and '>z<' in mime['image/svg+xml']
