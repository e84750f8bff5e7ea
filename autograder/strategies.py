"""Hypothesis strategies for the hidden suites: random expression DAGs as JSON specs (see worker/session.build).

Every graph reuses an intermediate node in two different operations (random trees miss the worst bugs),
and values stay where the lecture's formulas are exact (moderate tanh/exp inputs, log of positives).
"""
import math

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Grades must be identical on every run: derandomized, no example database, no deadline.
settings.register_profile("grading", derandomize=True, database=None, deadline=None, max_examples=25,
                          suppress_health_check=list(HealthCheck), print_blob=False)

NICE = [-1.5, -1.25, -0.75, -0.5, 0.25, 0.5, 0.75, 1.0, 1.25, 2.0]
KNOWN_GOOD_OPS = ['add', 'mul']
ALL_OPS = ['add', 'mul', 'sub', 'div', 'neg', 'pow', 'tanh', 'exp', 'log', 'relu',
           'cadd', 'cmul', 'csub', 'cdiv', 'addc', 'mulc', 'sum']


def value_of(op, args, values):
    """The float value of a new node, or None when it would leave the safe domain."""
    v = lambda i: values[i]  # noqa: E731
    try:
        x = {'add': lambda: v(args[0]) + v(args[1]), 'mul': lambda: v(args[0]) * v(args[1]),
             'sub': lambda: v(args[0]) - v(args[1]),
             'div': lambda: v(args[0]) / v(args[1]) if abs(v(args[1])) > 0.2 else None,
             'neg': lambda: -v(args[0]),
             'pow': lambda: (v(args[0]) ** args[1] if v(args[0]) > 0.2 or float(args[1]).is_integer()
                             and v(args[0]) != 0 else None),
             'tanh': lambda: math.tanh(v(args[0])) if abs(v(args[0])) < 5 else None,
             'exp': lambda: math.exp(v(args[0])) if abs(v(args[0])) < 4 else None,
             'log': lambda: math.log(v(args[0])) if v(args[0]) > 0.2 else None,
             'relu': lambda: max(0.0, v(args[0])) if abs(v(args[0])) > 0.05 else None,  # away from the kink
             'cadd': lambda: args[0] + v(args[1]), 'cmul': lambda: args[0] * v(args[1]),
             'csub': lambda: args[0] - v(args[1]),
             'cdiv': lambda: args[0] / v(args[1]) if abs(v(args[1])) > 0.2 else None,
             'addc': lambda: v(args[0]) + args[1], 'mulc': lambda: v(args[0]) * args[1],
             'sum': lambda: sum(v(i) for i in args[0])}[op]()
    except (OverflowError, ZeroDivisionError):
        return None
    return x if x is not None and abs(x) < 50 else None


@st.composite
def dags(draw, ops=ALL_OPS, min_nodes=2, max_nodes=7):
    leaves = draw(st.lists(st.sampled_from(NICE), min_size=2, max_size=3))
    values, nodes = list(leaves), []

    def pick():  # favour recent nodes, so chains get deep and intermediate nodes get reused
        return draw(st.integers(max(0, len(values) - 3), len(values) - 1) | st.integers(0, len(values) - 1))

    for _ in range(draw(st.integers(min_nodes, max_nodes))):
        op = draw(st.sampled_from(ops))
        const = draw(st.sampled_from([2.0, 3.0, -1.5, 0.5, 5.0]))
        if op == 'pow':
            args = [pick(), draw(st.sampled_from([2, 3, -1, 0.5]))]
        elif op == 'sum':
            args = [[pick(), pick(), pick()]]
        elif op.startswith('c'):
            args = [const, pick()]
        elif op.endswith('c') and op != 'exp':
            args = [pick(), const]
        else:
            args = [pick()] if op in ('neg', 'tanh', 'exp', 'log', 'relu') else [pick(), pick()]
        x = value_of(op, args, values)
        if x is None:  # out of the safe domain: fall back to an addition
            op, args = 'add', [pick(), pick()]
            x = value_of(op, args, values)
        if x is None:
            continue
        nodes.append([op, *args])
        values.append(x)
    # Reuse an intermediate node in two *different* operations: root = (last * mid) + mid.
    mid = len(leaves) if nodes else 0
    last = len(values) - 1
    for op, args in (('mul', [last, mid]), ('add', [len(values), mid])):
        x = value_of(op, args, values)
        if x is None:
            op, args = 'add', args
            x = value_of(op, args, values)
        nodes.append([op, *args])
        values.append(x if x is not None else 0.0)
    return {'leaves': leaves, 'nodes': nodes}
