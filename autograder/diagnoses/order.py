"""The graph (task 2): what is wrong with a topological order, or with the log of one backward() call's closure
calls, on graphs whose closures only record that they ran (autograder/order_checks.py runs them).

Each `*_problem` gives (what went wrong, in words; its code) or None when that run was right.
"""

from __future__ import annotations

from collections import Counter

from ..compare import fmt
from . import explain


def reachable(children, root) -> set[int]:
    seen, stack = set(), [root]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(children[node])
    return seen


def child_after_parent(order, children):
    """The first (parent, child) pair with the child listed after its parent, or None: None means `order`
    is a topological order (children first) of the nodes it lists."""
    pos = {node: i for i, node in enumerate(order)}
    return next(((p, c) for p in order for c in children[p] if c in pos and pos[c] > pos[p]), None)


def sort_problem(run, children, data):
    """What is wrong with one run of topological_sort(root) (its list, and a second call's), or None."""
    n = len(children)
    want = reachable(children, n - 1)
    order = run['order']
    if run['again'] != order:
        return ("a second topological_sort(root) on the same graph returned a different list", 'topo-keeps-state')
    if -1 in order:  # Values of an earlier build: a list or a visited set outlived the call that made it
        return (
            "topological_sort returned objects that are not nodes of this graph (nodes of a graph sorted "
            "before it: a list or set kept from one call to the next, such as a default argument topo=[])",
            'topo-keeps-state',
        )
    if len(order) != len(set(order)):
        dup, times = Counter(order).most_common(1)[0]
        return (f"n{dup} appears {times} times", 'topo-repeats-nodes')
    if set(order) != want:
        missing = sorted(want - set(order))
        merged = missing and all(any(data[m] == data[i] for i in order) for m in missing)
        return (
            f"nodes {', '.join(f'n{i}' for i in missing)} are missing"
            + (" (each holds the same number as a node that is listed)" if merged else ""),
            'identity-not-value' if merged else 'topo-missing-nodes',
        )
    if child_after_parent(list(reversed(order)), children) is None and order[0] == n - 1:
        return ("the output comes first: the list runs root-first", 'topo-not-reversed')
    bad = child_after_parent(order, children)
    return (f"n{bad[1]} comes after its parent n{bad[0]}", 'topo-wrong-order') if bad else None


def paths_to(children, root, distinct) -> dict[int, int]:
    """How often a walk that recurses into every child once per parent calls each node's closure."""
    counts: dict[int, int] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        counts[node] = counts.get(node, 0) + 1
        stack.extend(dict.fromkeys(children[node]) if distinct else children[node])
    return counts


def log_problem(log, children, data, first_call_ok=True):
    """What is wrong with one backward() call's log of closure calls, or None."""
    n = len(children)
    inner = [i for i in range(n) if children[i]]  # leaves' closures do nothing in any engine: not judged
    counts = Counter(log)
    want = reachable(children, n - 1)
    if any(counts.get(i, 0) > 1 for i in inner):
        node = next(i for i in inner if counts.get(i, 0) > 1)
        recursive = any(
            all(counts.get(i, 0) == c for i, c in paths_to(children, n - 1, d).items() if children[i])
            for d in (True, False)
        )
        return (
            f"n{node}'s closure was called {counts[node]} times in one backward() call",
            'recursive-double-count' if recursive else 'topo-repeats-nodes',
        )
    missing = [i for i in inner if i in want and i not in counts]
    if missing:
        merged = all(any(data[m] == data[i] for i in counts) for m in missing)
        return (
            f"the closures of {', '.join(f'n{i}' for i in missing)} were never called",
            'topo-keeps-state' if not first_call_ok else 'identity-not-value' if merged else 'topo-missing-nodes',
        )
    calls = [i for i in log if children[i]]
    bad = child_after_parent(list(reversed(calls)), children)  # a parent's closure must come first
    if bad is None:
        return None
    parent, child = bad
    if child_after_parent(calls, children) is None:
        return ("the closures were called leaves first, the output last", 'topo-not-reversed')
    return (
        f"n{child}'s closure was called before n{parent}'s, although n{parent} uses n{child}: n{child}'s "
        "gradient was not complete yet when it passed it on",
        'topo-wrong-order',
    )


def backward_problem(run, presets, children, data):
    """What is wrong with one run of backward() (the grads it left, then each call's log), or None."""
    grads = run['grads']
    problem = None
    late = [s for s in run.get('seeded', ()) if s is not None and s != 1.0]
    added = late[0] if late else grads[-1]
    if added != 1.0 and isinstance(added, float) and added == presets[-1] + 1.0:
        problem = (
            f"backward() added 1.0 to the output's grad, which held {fmt(presets[-1])} before the call, "
            f"giving {fmt(added)}: it must set it to 1.0",
            'root-seeded-by-adding',
        )
    elif late:
        problem = (
            f"when backward() called the output's closure, the output's grad was {fmt(late[0])}, expected 1.0: "
            "it must be set before any closure runs",
            'root-not-seeded',
        )
    elif grads[-1] != 1.0:
        problem = (
            f"after backward() the output's grad is {fmt(grads[-1])}, expected 1.0 (before the call "
            f"it was {fmt(presets[-1])})",
            'root-not-seeded',
        )
    elif any(g != p and not (g == 0.0 and children[i]) for i, (g, p) in enumerate(zip(grads[:-1], presets))):
        # an interior node may start from 0 (PyTorch keeps no interior grads; micrograd keeps them): the
        # contract checks accumulation only where both agree, at the leaves
        i = next(i for i, (g, p) in enumerate(zip(grads, presets)) if g != p and not (g == 0.0 and children[i]))
        problem = (
            f"backward() changed n{i}'s grad from {fmt(presets[i])} to {fmt(grads[i])} itself: it "
            "should only set the output's grad and call the closures",
            'backward-resets-grads',
        )
    for k, log in enumerate(run['logs']):
        problem = problem or log_problem(log, children, data, first_call_ok=k == 0)
    return problem


def order_note(problems) -> str:
    """When some runs with fresh objects were right and others wrong: the result depends on iteration order."""
    right = sum(p is None for p in problems)
    if not right:
        return ""
    return (
        f"\n  It was right in {right} of {len(problems)} runs with fresh objects: the result depends on "
        "iteration order." + explain('order-dependent')
    )
