"""Comparisons and diagnoses for the hidden suites, all in the grader's process with plain floats.

A hidden test runs a probe on the student's engine and on the reference, then calls one of the `check_*`
functions here; a mismatch raises `Mistake` with feedback that says what was checked, a minimal example,
and, where the pattern is known, the misconception with its diagnosis code.
"""
from __future__ import annotations

import math

from .diagnoses import DIAGNOSES


class Mistake(AssertionError):
    def __init__(self, feedback: str, *codes: str):
        super().__init__(feedback)
        self.feedback, self.codes = feedback, [c for c in codes if c]


def is_num(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def close(got, want, rel=1e-6, abs_tol=1e-9) -> bool:
    """True when got is a finite number near want; NaN, infinity and non-numbers never pass."""
    return is_num(got) and is_num(want) and abs(got - want) <= abs_tol + rel * abs(want)


def fmt(x) -> str:
    return f"{x:.6g}" if is_num(x) else str(x)


def explain(code: str) -> str:
    return f"\n  Diagnosis [{code}]: {DIAGNOSES[code]}"


def fail(what: str, code: str | None = None, extra: str = "") -> None:
    raise Mistake(what + (explain(code) if code else "") + extra, code or "")


def non_finite(*values) -> bool:
    return any(isinstance(v, str) for v in values)


def pairs(got, want, what: str):
    """zip(got, want) once got is a list as long as the reference's answer: an empty or short answer from
    the worker must never pass a check vacuously."""
    if not isinstance(got, list) or len(got) != len(want):
        fail(f"{what}: the answer from your code's process had {len(got) if isinstance(got, list) else 'no'} "
             f"numbers where {len(want)} were expected", 'bad-response')
    return zip(got, want)


# --- one operation's backward pass ------------------------------------------------------------------

def closure_variants(op, x, y, k, out_data, preset, g):
    """What common wrong closures would give for (a.grad, b.grad): [(code, grads)]."""
    local = {'add': (1.0, 1.0), 'mul': (y, x), 'add_self': (2.0,), 'mul_self': (2 * x,),
             'pow': (k * x ** (k - 1) if k is not None and (x > 0 or float(k).is_integer()) else None,),
             'tanh': (1 - out_data ** 2,), 'exp': (out_data,), 'log': (1 / x if x else None,),
             'relu': (1.0 if out_data > 0 else 0.0,)}[op]
    if None in local:
        return []
    variants = [('closure-does-nothing', list(preset)),
                ('assign-not-accumulate', [d * g for d in local]),
                ('missing-chain-factor', [p + d for p, d in zip(preset, local)]),
                ('assign-not-accumulate', [d for d in local])]  # both mistakes at once
    if op == 'add_self':
        variants.append(('assign-not-accumulate', [1.0 * g]))
    if op == 'mul_self':
        variants.append(('assign-not-accumulate', [x * g]))
    if op == 'mul':
        variants.append(('mul-uses-own-input', [preset[0] + x * g, preset[1] + y * g]))
    if op == 'tanh':
        variants.append(('tanh-uses-input', [preset[0] + (1 - x ** 2) * g]))
    if op == 'relu' and x == 0:
        variants.append(('relu-at-zero', [preset[0] + g]))
    return variants


def check_closure(student, reference, op, x, y=None, k=None, preset=(0.25, -0.5), out_grad=2.0):
    args = dict(op=op, x=x, y=y, k=k, preset=list(preset), out_grad=out_grad)
    want, got = reference.run('closure', **args), student.run('closure', **args)
    expr = {'add': f"a + b with a={fmt(x)}, b={fmt(y)}", 'mul': f"a * b with a={fmt(x)}, b={fmt(y)}",
            'add_self': f"a + a with a={fmt(x)}", 'mul_self': f"a * a with a={fmt(x)}",
            'pow': f"a ** {k} with a={fmt(x)}"}.get(op, f"a.{op}() with a={fmt(x)}")
    name = {'add': '__add__', 'mul': '__mul__', 'add_self': '__add__', 'mul_self': '__mul__', 'pow': '__pow__'}.get(op, op)
    if not close(got['out'], want['out']):
        fail(f"{expr}: the forward value is {fmt(got['out'])}, expected {fmt(want['out'])}", 'forward-value-wrong')
    names = ['a', 'b'][:len(want['grads'])]
    if got.get('linked') is not True:
        fail(f"{expr}: the result does not list {' and '.join(names)} among its children (`_prev`), so "
             "backward() never reaches them from the output", 'children-not-recorded')
    pre = ", ".join(f"{n}.grad={fmt(p)}" for n, p in zip(names, preset))
    setting = f"in `{name}`'s backward, for {expr}, out.grad={fmt(out_grad)} and before it {pre}"
    if non_finite(*got['grads']):
        fail(f"{setting}: the gradients came out as {got['grads']}", 'non-finite')
    wrong = [(n, g, w) for n, (g, w) in zip(names, pairs(got['grads'], want['grads'], setting)) if not close(g, w)]
    if not wrong:
        return
    text = "; ".join(f"{n}.grad is {fmt(g)}, expected {fmt(w)}" for n, g, w in wrong)
    variants = closure_variants(op, x, y, k, want['out'], preset[:len(names)], out_grad)
    code = next((c for c, v in variants if all(close(g, w) for g, w in zip(got['grads'], v))),
                'wrong-local-derivative')
    fail(f"{setting}: {text}", code)


def check_expression(student, reference, expr, x, y=None):
    """A one-line expression with constants: forward value and gradients (closures driven by the grader)."""
    want = reference.run('expression', expr=expr, x=x, y=y)
    try:
        got = student.run('expression', expr=expr, x=x, y=y)
    except Exception as err:
        from .engines import ProbeFailure
        if isinstance(err, ProbeFailure) and err.error_type == 'TypeError' and 'operand' in err.message:
            fail(f"`{expr}` raised {err.message}", 'missing-reflected-op')
        if isinstance(err, ProbeFailure) and err.error_type == 'AttributeError' and (
                "'int'" in err.message or "'float'" in err.message):
            fail(f"`{expr}` raised {err.message}", 'constant-not-wrapped')
        raise
    setting = f"`{expr}` with a={fmt(x)}" + (f", b={fmt(y)}" if y is not None else "")
    if not close(got['out'], want['out']):
        fail(f"{setting}: the value is {fmt(got['out'])}, expected {fmt(want['out'])}", 'forward-value-wrong')
    linked = got.get('linked') or [True, True]
    for n, (g, w), reached in zip('ab', pairs(got['grads'], want['grads'], setting), linked):
        if not close(g, w):
            code = ('non-finite' if non_finite(g) else 'children-not-recorded' if not reached else
                    'closure-does-nothing' if close(g, 0.0) else 'wrong-local-derivative')
            fail(f"{setting}: {n}.grad is {fmt(g)}, expected {fmt(w)} (backpropagated from out.grad=1)", code)


# --- whole graphs -----------------------------------------------------------------------------------

def describe_node(spec, i) -> str:
    leaves = len(spec['leaves'])
    if i < leaves:
        return f"n{i} (a leaf)"
    op, *args = spec['nodes'][i - leaves]
    sym = {'add': '+', 'mul': '*', 'sub': '-', 'div': '/'}
    if op in sym:
        return f"n{i} = n{args[0]} {sym[op]} n{args[1]}"
    if op in ('cadd', 'cmul', 'csub', 'cdiv'):
        return f"n{i} = {fmt(args[0])} {sym[op[1:]]} n{args[1]}"
    if op in ('addc', 'mulc'):
        return f"n{i} = n{args[0]} {sym[op[:-1]]} {fmt(args[1])}"
    if op == 'pow':
        return f"n{i} = n{args[0]} ** {fmt(args[1])}"
    if op == 'sum':
        return f"n{i} = sum([{', '.join(f'n{j}' for j in args[0])}])"
    if op == 'neg':
        return f"n{i} = -n{args[0]}"
    return f"n{i} = n{args[0]}.{op}()"


def spec_text(spec) -> str:
    leaves = ", ".join(f"n{i} = {fmt(x)}" for i, x in enumerate(spec['leaves']))
    body = "; ".join(describe_node(spec, i) for i in range(len(spec['leaves']), len(spec['leaves']) + len(spec['nodes'])))
    return f"{leaves}; {body}; then n{len(spec['leaves']) + len(spec['nodes']) - 1}.backward()"


def consumers(spec, i) -> list[int]:
    leaves = len(spec['leaves'])
    out = []
    for k, (op, *args) in enumerate(spec['nodes']):
        refs = args[0] if op == 'sum' else [a for j, a in enumerate(args) if isinstance(a, int) and
                                             not (op in ('cadd', 'cmul', 'csub', 'cdiv') and j == 0) and
                                             not (op in ('addc', 'mulc', 'pow') and j == 1)]
        if i in refs:
            out.append(leaves + k)
    return out


def run_matches(run, want) -> bool:
    return all(close(g, w) for g, w in pairs(run['grads'], want['grads'], 'gradients')) and \
        all(close(g, w) for g, w in pairs(run['data'], want['data'], 'values'))


def check_graph(student, reference, spec, mode='engine', calls=1, repeats=3, variants=None, what="", slow=False):
    """Compare every node's data and grad over several fresh builds; name the first wrong node."""
    want = reference.run('graph', spec=spec, mode=mode, calls=calls, repeats=1)[0]
    runs = student.run('graph', spec=spec, mode=mode, calls=calls, repeats=repeats, slow=slow)
    good = [run_matches(r, want) for r, _ in pairs(runs, [want] * repeats, 'runs')]
    if all(good):
        return
    example = f"{what}the graph {spec_text(spec)}" + (" (backward() called twice)" if calls == 2 else "")
    run = runs[good.index(False)]
    order_note = ""
    if any(good):
        order_note = (f"\n  It was right in {sum(good)} of {len(good)} runs with fresh objects: the result depends "
                      "on iteration order." + explain('order-dependent'))
    for i, (g, w) in enumerate(zip(run['data'], want['data'])):
        if not close(g, w):
            raise Mistake(f"In {example}: {describe_node(spec, i)} has the value {fmt(g)}, expected {fmt(w)}"
                          + explain('forward-value-wrong') + order_note, 'forward-value-wrong',
                          'order-dependent' if order_note else '')
    code = None
    if len(run['grads']) and close(run['grads'][-1], 0.0) and all(close(x, 0.0) for x in run['grads']):
        code = 'root-not-seeded'
    for name, alt in variants or ():
        if code is None and all(close(g, w) for g, w in zip(run['grads'], alt)):
            code = name
    first = max(i for i, (g, w) in enumerate(zip(run['grads'], want['grads'])) if not close(g, w))
    feeds = ", ".join(describe_node(spec, j) for j in consumers(spec, first)) or "nothing (it is the output)"
    text = (f"In {example}: the first wrong gradient, counting back from the output, is {describe_node(spec, first)}"
            f": grad {fmt(run['grads'][first])}, expected {fmt(want['grads'][first])}. Its gradient comes from: "
            f"{feeds}.")
    if non_finite(*run['grads']):
        code = code or 'non-finite'
    raise Mistake(text + (explain(code) if code else "") + order_note, code or '',
                  'order-dependent' if order_note else '')


def wrong_order_variants(spec, calls=1) -> list[tuple[str, list[float]]]:
    """Gradients that common wrong backward() implementations give on this graph, from the reference."""
    import mygrad_ref.engine as ref
    from . import probes

    def grads_with(walk):
        nodes = probes.build(ref.Value, spec)
        for _ in range(calls):
            nodes[-1].grad = 1.0
            walk(nodes[-1])
        return [n.grad for n in nodes]

    def forward_order(root):
        for n in probes.topo(root):
            n._backward()

    def recursive(children):
        def walk(node):  # the learner's bug: recurse into each child once per parent
            node._backward()
            for child in children(node._prev):
                walk(child)
        return walk

    return [('topo-not-reversed', grads_with(forward_order)),
            ('recursive-double-count', grads_with(recursive(list))),
            ('recursive-double-count', grads_with(recursive(lambda prev: list(reversed(list(prev))))))]


def node_values(spec) -> list[float]:
    import mygrad_ref.engine as ref
    from . import probes
    return [n.data for n in probes.build(ref.Value, spec)]


def violation(order, children):
    """The first (parent, child) pair that `order` lists parent-first, or None for a valid order."""
    pos = {node: i for i, node in enumerate(order)}
    return next(((p, c) for p, cs in children.items() for c in cs if pos[c] > pos[p]), None)


def check_order(student, reference, spec, repeats=3):
    """topological_sort: every node once, children first, root last; over several fresh builds."""
    want = reference.run('graph', spec=spec, mode='topo', repeats=1)[0]
    runs = [run for run, _ in pairs(student.run('graph', spec=spec, mode='topo', repeats=repeats), [want] * repeats,
                                    'runs')]
    n = len(spec['leaves']) + len(spec['nodes'])
    children = {len(spec['leaves']) + k: [a for a in args if isinstance(a, int)] for k, (op, *args) in
                enumerate(spec['nodes'])}
    problems = []
    for run in runs:
        order = run['order']
        if run.get('again', order) != order:
            problems.append(("a second topological_sort(root) on the same graph returned a different list",
                             'topo-keeps-state'))
        elif -1 in order:
            problems.append(("topological_sort returned objects that are not nodes of the graph",
                             'topo-wrong-order'))
        elif len(order) != len(set(order)):
            dup = next(i for i in order if order.count(i) > 1)
            problems.append((f"n{dup} appears {order.count(dup)} times", 'topo-repeats-nodes'))
        elif set(order) != set(want['order']):
            missing = sorted(set(range(n)) - set(order))
            values = node_values(spec)
            merged = all(any(values[m] == values[i] for i in order) for m in missing)
            problems.append((f"nodes {', '.join(f'n{i}' for i in missing)} are missing" +
                             (" (each holds the same number as a node that is listed)" if merged else ""),
                             'identity-not-value' if merged else 'topo-missing-nodes'))
        elif violation(list(reversed(order)), children) is None and violation(order, children) is not None:
            problems.append(("the output comes first: the list runs root-first", 'topo-not-reversed'))
        else:
            bad = violation(order, children)
            problems.append((f"n{bad[1]} comes after its parent n{bad[0]}", 'topo-wrong-order') if bad else None)
    if all(p is None for p in problems):
        return
    text, code = next(p for p in problems if p)
    order_note = ""
    if any(p is None for p in problems):
        order_note = (f"\n  It was right in {problems.count(None)} of {len(problems)} runs with fresh objects."
                      + explain('order-dependent'))
    raise Mistake(f"topological_sort on the graph {spec_text(spec)}: {text}." + explain(code) + order_note,
                  code, 'order-dependent' if order_note else '')


# --- plain numbers ----------------------------------------------------------------------------------

def flatten(x, prefix=""):
    if isinstance(x, dict):
        return [p for k in x for p in flatten(x[k], f"{prefix}{k}" if not prefix else f"{prefix}.{k}")]
    if isinstance(x, list):
        return [p for i, v in enumerate(x) for p in flatten(v, f"{prefix}[{i}]")]
    return [(prefix, x)]


def check_numbers(student, reference, probe, args, what, code=None, rel=1e-6, variants=()):
    """Compare every number of a probe's answer; name the first that differs."""
    want, got = flatten(reference.run(probe, **args)), flatten(student.run(probe, **args))
    if len(got) != len(want):
        fail(f"{what}: expected {len(want)} numbers, got {len(got)}", code)
    for (key, g), (_, w) in zip(got, want):
        if not close(g, w, rel=rel):
            found = next((c for c, alt in variants if all(close(x, y) for (_, x), (_, y) in zip(got, flatten(alt)))),
                         None)
            fail(f"{what}: {key + ' is ' if key else 'the result is '}{fmt(g)}, expected {fmt(w)}",
                 found or ('non-finite' if non_finite(g) else code))


def check_random_graphs(student, reference, ops, mode):
    """Hypothesis-generated DAGs (derandomized); a wrong answer is shrunk to a minimal example, while a
    timeout or crash ends the search at once (each retry would cost a full timeout)."""
    from hypothesis import given, settings

    from .engines import ProbeFailure
    from .strategies import dags
    stop = []

    @settings(parent=settings.get_profile("grading"))
    @given(dags(ops=ops))
    def run(spec):
        if stop:
            return
        try:
            # the ordering bugs are named by task2's checks; here a match would only be a coincidence
            check_graph(student, reference, spec, mode=mode,
                        variants=wrong_order_variants(spec) if mode == 'known-good' else None)
        except ProbeFailure as err:
            stop.append(err)
    run()
    if stop:
        raise stop[0]
