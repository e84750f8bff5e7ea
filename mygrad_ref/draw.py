"""draw_dot: a picture of a computation graph, with each node's data and grad.

Works on any Value-like object (`data`, `grad`, `_prev`, `_op`, optional `label`), so students can draw
their own graphs; this file is copied into exercises/ as mygrad/draw.py and imports nothing from the kit.
In Jupyter, the returned graphviz.Digraph renders inline.
"""

import shutil

__all__ = ["draw_dot", "draw_comparison", "render_svg", "GraphvizNotInstalled"]

INSTALL_HINT = (
    "Graphviz's `dot` program is not installed, so the graph cannot be drawn. Install it with "
    "`sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), or "
    "`conda install -c conda-forge graphviz` (Windows/conda), then restart Python."
)


class GraphvizNotInstalled(RuntimeError):
    """The Graphviz `dot` binary is missing; the message says how to install it."""


def _graphviz():
    try:
        import graphviz
    except ImportError as err:
        raise ImportError("draw_dot needs the graphviz Python package: pip install graphviz") from err
    if shutil.which("dot") is None:
        raise GraphvizNotInstalled(INSTALL_HINT)
    return graphviz


def _nodes_and_edges(root):
    """Every node reachable from root and every child -> parent edge, found without recursion."""
    nodes, edges, stack, seen = [], [], [root], {id(root)}
    while stack:
        node = stack.pop()
        nodes.append(node)
        for child in node._prev:
            edges.append((child, node))
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return nodes, edges


def draw_dot(root, format='svg', rankdir='LR'):
    """A graphviz.Digraph of the graph that ends in root: one box per Value, one oval per operation."""
    graphviz = _graphviz()
    dot = graphviz.Digraph(format=format, graph_attr={'rankdir': rankdir})
    nodes, edges = _nodes_and_edges(root)
    for n in nodes:
        uid = str(id(n))
        label = getattr(n, 'label', '') or ''
        dot.node(uid, label=f"{{ {label} | data {n.data:.4f} | grad {n.grad:.4f} }}", shape='record')
        if n._op:
            dot.node(uid + n._op, label=n._op)
            dot.edge(uid + n._op, uid)
    for child, parent in edges:
        dot.edge(str(id(child)), str(id(parent)) + parent._op)
    return dot


def render_svg(root):
    """The drawing as SVG text."""
    return draw_dot(root, format='svg').pipe(format='svg').decode()


def draw_comparison(graph, rankdir='LR'):
    """A graphviz.Digraph of a checked graph: {"nodes": [{"label", "children", "data", "grad", "want"}],
    "wrong": index}. Each node shows your grad and the expected one; the first wrong node is red, other
    wrong ones yellow. The self-check and the grader's feedback page both draw with this."""
    graphviz = _graphviz()
    show = lambda x: 'n/a' if x is None else f"{x:.6g}" if isinstance(x, (int, float)) else str(x)[:12]  # noqa: E731
    dot = graphviz.Digraph(graph_attr={'rankdir': rankdir}, node_attr={'fontname': 'Helvetica', 'fontsize': '11'})
    for i, node in enumerate(graph['nodes']):
        wrong = i == graph.get('wrong')
        right = node['want'] is None or show(node['grad']) == show(node['want'])
        label = (
            (
                f"{{ {node['label']} | data {show(node['data'])} | your grad {show(node['grad'])} | "
                f"expected {show(node['want'])} }}"
            )
            .replace('<', '\\<')
            .replace('>', '\\>')
        )
        dot.node(
            f"n{i}",
            label=label,
            shape='record',
            style='filled',
            fillcolor='#ffcdd2' if wrong else '#ffffff' if right else '#fff3c4',
            color='#c62828' if wrong else '#555555',
            penwidth='2.5' if wrong else '1',
        )
        for child in dict.fromkeys(node['children']):
            dot.edge(f"n{child}", f"n{i}")
    return dot
