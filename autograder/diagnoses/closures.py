"""The operations' backward passes (tasks 1 and 3): what common wrong closures give on the check's own input.

check_closure, check_expression and check_ops_graph (autograder/checks.py) ask here which mistake, if any,
gives the numbers the student's closures gave.
"""

from __future__ import annotations

from .. import experiments
from ..compare import close, non_finite


def closure_variants(op, x, y, k, out_data, preset, g):
    """What common wrong closures would give for (a.grad, b.grad): [(code, grads)]."""
    local = {
        'add': (1.0, 1.0),
        'mul': (y, x),
        'add_self': (2.0,),
        'mul_self': (2 * x,),
        'pow': (k * x ** (k - 1) if k is not None and (x > 0 or float(k).is_integer()) else None,),
        'tanh': (1 - out_data**2,),
        'exp': (out_data,),
        'log': (1 / x if x else None,),
        'relu': (1.0 if out_data > 0 else 0.0,),
    }.get(op)
    if local is None or None in local:  # an operation the kit added later: no known variants
        return []
    variants = [
        ('closure-does-nothing', list(preset)),
        ('assign-not-accumulate', [d * g for d in local]),
        ('missing-chain-factor', [p + d for p, d in zip(preset, local)]),
        ('assign-not-accumulate', [d for d in local]),
    ]  # both mistakes at once
    if len(local) == 2:  # one input assigned, the other added to: a fix made to one line of the two
        variants += [
            ('assign-not-accumulate', [local[0] * g, preset[1] + local[1] * g]),
            ('assign-not-accumulate', [preset[0] + local[0] * g, local[1] * g]),
        ]
    if op == 'add_self':
        variants.append(('assign-not-accumulate', [1.0 * g]))
    if op == 'mul_self':
        variants.append(('assign-not-accumulate', [x * g]))
    if op == 'mul':
        variants.append(('mul-uses-own-input', [preset[0] + x * g, preset[1] + y * g]))
        variants.insert(0, ('uses-grad-not-data', [preset[0] + preset[1] * g, preset[1] + preset[0] * g]))
    if op == 'tanh':
        variants.append(('tanh-uses-input', [preset[0] + (1 - x**2) * g]))
    if op == 'relu' and x == 0:
        variants.append(('relu-at-zero', [preset[0] + g]))
    if op == 'pow':  # the exponent kept, not lowered: `k * x ** k`, or `x ** k-1`, which is `(x ** k) - 1`
        kept = k * x**k
        variants += [('pow-exponent-not-lowered', [preset[0] + d]) for d in (kept * g, (kept - 1) * g, kept - g)]
    return variants


def closure_mistake(op, x, y, k, out_data, preset, g, grads) -> str:
    """The code of the first wrong closure that gives these grads; 'wrong-local-derivative' when none does."""
    variants = closure_variants(op, x, y, k, out_data, preset, g)
    return next((c for c, v in variants if all(close(got, w) for got, w in zip(grads, v))), 'wrong-local-derivative')


def raised_mistake(op, x, message) -> str | None:
    """The code of a closure check that raised: `**` through log fails for a negative base."""
    if op == 'pow' and x < 0 and 'math domain error' in message:
        return 'pow-through-log'
    return None


def expression_mistake(got, want, reached) -> str:
    """The code of one wrong gradient of an expression with constants (backpropagated from out.grad=1)."""
    return (
        'non-finite'
        if non_finite(got)
        else 'children-not-recorded'
        if not reached and want != 0
        else 'closure-does-nothing'
        if close(got, 0.0)
        else 'wrong-local-derivative'
    )


def closure_on_input(spec, ops) -> list[float]:
    """The grads a learner's engine gives when the closures of `ops` are stored on their left input
    (`self._backward = ...`) instead of on their result: built on the reference, closures moved in build
    order (a later operation on the same input overwrites the earlier one's), then driven."""
    import mygrad_ref.engine as ref

    from ..worker.session import build

    nodes = build(ref.Value, spec)
    leaves = len(spec['leaves'])
    for node, (kind, *args) in zip(nodes[leaves:], spec['nodes']):
        if kind in ops and isinstance(args[0], int):
            nodes[args[0]]._backward, node._backward = node._backward, (lambda: None)
    index = {id(n): i for i, n in enumerate(nodes)}
    edges = {i: [index[id(c)] for c in n._prev if id(c) in index] for i, n in enumerate(nodes)}
    nodes[-1].grad = 1.0
    for i in reversed(experiments.topological(edges, len(nodes) - 1)):
        nodes[i]._backward()
    return [n.grad for n in nodes]


def graph_mistake(spec, grads, binary) -> str | None:
    """The code of a whole graph's wrong grads: closures stored on the left input, for one binary operation
    of the graph or for all of them."""
    for ops in [(op,) for op in binary] + [tuple(binary)]:
        if all(close(g, w) for g, w in zip(grads, closure_on_input(spec, ops))):
            return 'closure-on-wrong-node'
    return None
