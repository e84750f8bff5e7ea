"""Random expression DAGs for the hidden suites, as JSON specs (see worker/session.build).

Every graph reuses an intermediate node in two different operations (random trees miss the worst bugs),
and values stay where the lecture's formulas are exact (moderate tanh/exp inputs, log of positives).

One builder, two sources of choices: a seeded `random.Random` draws the graphs a grade runs (cheap, and no
Hypothesis import in the grader), and Hypothesis drives the same builder in the kit's own tests.
"""

from __future__ import annotations

import math
import random

EXAMPLES = 25  # random graphs per check

NICE = [-1.5, -1.25, -0.75, -0.5, 0.25, 0.5, 0.75, 1.0, 1.25, 2.0]
KNOWN_GOOD_OPS = ['add', 'mul']
ALL_OPS = [
    'add',
    'mul',
    'sub',
    'div',
    'neg',
    'pow',
    'tanh',
    'exp',
    'log',
    'relu',
    'cadd',
    'cmul',
    'csub',
    'cdiv',
    'addc',
    'mulc',
    'sum',
]


def value_of(op, args, values):
    """The float value of a new node, or None when it would leave the safe domain."""
    v = lambda i: values[i]  # noqa: E731
    try:
        x = {
            'add': lambda: v(args[0]) + v(args[1]),
            'mul': lambda: v(args[0]) * v(args[1]),
            'sub': lambda: v(args[0]) - v(args[1]),
            'div': lambda: v(args[0]) / v(args[1]) if abs(v(args[1])) > 0.2 else None,
            'neg': lambda: -v(args[0]),
            'pow': lambda: (
                v(args[0]) ** args[1] if v(args[0]) > 0.2 or float(args[1]).is_integer() and v(args[0]) != 0 else None
            ),
            'tanh': lambda: math.tanh(v(args[0])) if abs(v(args[0])) < 5 else None,
            'exp': lambda: math.exp(v(args[0])) if abs(v(args[0])) < 4 else None,
            'log': lambda: math.log(v(args[0])) if v(args[0]) > 0.2 else None,
            'relu': lambda: max(0.0, v(args[0])) if abs(v(args[0])) > 0.05 else None,  # away from the kink
            'cadd': lambda: args[0] + v(args[1]),
            'cmul': lambda: args[0] * v(args[1]),
            'csub': lambda: args[0] - v(args[1]),
            'cdiv': lambda: args[0] / v(args[1]) if abs(v(args[1])) > 0.2 else None,
            'addc': lambda: v(args[0]) + args[1],
            'mulc': lambda: v(args[0]) * args[1],
            'sum': lambda: sum(v(i) for i in args[0]),
        }[op]()
    except (OverflowError, ZeroDivisionError):
        return None
    return x if x is not None and abs(x) < 50 else None


def build_dag(choose, ops=ALL_OPS, min_nodes=2, max_nodes=7) -> dict:
    """A graph spec from `choose(options) -> one option`, a seeded RNG's or Hypothesis's."""
    leaves = [choose(NICE) for _ in range(choose(range(2, 4)))]
    values, nodes = list(leaves), []
    # The binary operations that join nodes (ops: those that work on their own, when a check left some out)
    joins = [op for op in ('mul', 'sub', 'add') if op in ops]

    def pick():  # favour recent nodes, so chains get deep and intermediate nodes get reused
        return choose(range(choose((max(0, len(values) - 3), 0)), len(values)))

    for _ in range(choose(range(min_nodes, max_nodes + 1))):
        op = choose(ops)
        const = choose((2.0, 3.0, -1.5, 0.5, 5.0))
        if op == 'pow':
            args = [pick(), choose((2, 3, -1, 0.5))]
        elif op == 'sum':
            args = [[pick(), pick(), pick()]]
        elif op.startswith('c'):
            args = [const, pick()]
        elif op.endswith('c') and op != 'exp':
            args = [pick(), const]
        else:
            args = [pick()] if op in ('neg', 'tanh', 'exp', 'log', 'relu') else [pick(), pick()]
        x = value_of(op, args, values)
        if x is None and joins:  # out of the safe domain: fall back to an addition (or what works of + * -)
            op, args = joins[-1], [pick(), pick()]
            x = value_of(op, args, values)
        if x is None:
            continue
        nodes.append([op, *args])
        values.append(x)
    # Reuse an intermediate node in two *different* operations: root = (last * mid) + mid (with what works).
    if not joins:
        return {'leaves': leaves, 'nodes': nodes}
    mid = len(leaves) if nodes else 0
    last = len(values) - 1
    for op, args in ((joins[0], [last, mid]), (joins[-1], [len(values), mid])):
        x = value_of(op, args, values)
        if x is None:
            op, args = joins[-1], args
            x = value_of(op, args, values)
        nodes.append([op, *args])
        values.append(x if x is not None else 0.0)
    return {'leaves': leaves, 'nodes': nodes}


def dags(ops=ALL_OPS, min_nodes=2, max_nodes=7):
    """The same graphs as a Hypothesis strategy, so that a failure shrinks."""
    from hypothesis import strategies as st

    @st.composite
    def strategy(draw):
        return build_dag(lambda options: draw(st.sampled_from(options)), ops, min_nodes, max_nodes)

    return strategy()


def random_graphs(ops, seed: int) -> list[dict]:
    """EXAMPLES random graphs drawn from seed, smallest first."""
    rng = random.Random(seed)
    graphs = [build_dag(rng.choice, ops) for _ in range(EXAMPLES)]
    return sorted(graphs, key=lambda g: (len(g["nodes"]), len(g["leaves"])))


CHUNKS = (3, 6)  # graphs asked ahead at a time, then the rest: a buggy submission fails early, wasting little


def search(check, ops, seed: int, ahead=None) -> None:
    """Run check(spec) on the random graphs, smallest first, so that the first failure (raised as it is) is the
    smallest of them: a graph a student can follow by hand, without a shrinker's hundreds of extra probes. A
    worker timeout or crash ends the search too: each retry would cost as much. ahead(specs), if given, is
    told of the next few graphs before they are checked (checks.ahead)."""
    graphs = random_graphs(ops, seed)
    start = 0
    for size in (*CHUNKS, len(graphs)):
        chunk = graphs[start : start + size]
        start += len(chunk)
        if ahead and chunk:
            ahead(chunk)
        for spec in chunk:
            check(spec)
