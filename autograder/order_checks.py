"""Task 2's checks: topological_sort and backward() on graphs whose closures only record that they ran.

The worker makes the nodes with the student's constructor in an order the grader draws for this grade (never
a topological one), sets their children afterwards, and gives each a closure that only logs its call. So the
sort and backward() are judged on their own, by the order of the calls, whatever the student's operations do.
"""
from __future__ import annotations

import random
from collections import Counter

from .checks import Mistake, children_of, explain, fail, fmt, spec_text


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


def in_range(numbers, n, most, also=None) -> bool:
    """Node numbers the worker sent: at most `most` of them, each a node of the graph (or `also`)."""
    return len(numbers) <= most and all(0 <= i < n or i == also for i in numbers)


def creation_order(n: int, children, rng) -> list[int]:
    """A shuffled creation order that is not a topological one (so creation order cannot pass for a sort)."""
    order = list(range(n))
    (rng or random.Random(0)).shuffle(order)
    if child_after_parent(order, children) is None:
        order.reverse()
    return order


def recorded_request(reference, spec, rng, repeats):
    """The children of each node, and the request: the nodes' data and children, a creation order that is not
    topological, and a label per node (drawn here: a closure's log says nothing about the graph's order)."""
    children = children_of(spec)
    rng = rng or random.Random(0)
    data = reference.run("graph", spec=spec)[0]["data"]
    return children, {"nodes": [[d, kids] for d, kids in zip(data, children)],
                      "creation": creation_order(len(children), children, rng),
                      "labels": [rng.sample(range(10**6), len(children)) for _ in range(repeats)]}


def order_note(problems) -> str:
    right = sum(p is None for p in problems)
    if not right:
        return ""
    return (f"\n  It was right in {right} of {len(problems)} runs with fresh objects: the result depends on "
            "iteration order." + explain('order-dependent'))


def raise_first(problems, what):
    if all(p is None for p in problems):
        return
    text, code = next(p for p in problems if p)
    note = order_note(problems)
    raise Mistake(f"{what}: {text}." + explain(code) + note, code, 'order-dependent' if note else '')


def check_sort(student, reference, spec, rng=None, repeats=3):
    """topological_sort: every node once, children first, root last; over several fresh builds."""
    children, request = recorded_request(reference, spec, rng, repeats)
    n = len(children)
    runs = student.run("recorded", **request, grads=[0.0] * n, call="sort", repeats=repeats)
    if len(runs) != repeats or any("order" not in r or not in_range(r["order"] + r["again"], n, 10 * n + 10, -1)
                                   for r in runs):
        fail("topological_sort: the answer from your code's process was not a list of orders", 'bad-response')
    want = reachable(children, n - 1)
    data = [node[0] for node in request["nodes"]]
    problems = []
    for run in runs:
        order = run['order']
        if run['again'] != order:
            problems.append(("a second topological_sort(root) on the same graph returned a different list",
                             'topo-keeps-state'))
        elif -1 in order:
            problems.append(("topological_sort returned objects that are not nodes of the graph", 'topo-wrong-order'))
        elif len(order) != len(set(order)):
            dup, times = Counter(order).most_common(1)[0]
            problems.append((f"n{dup} appears {times} times", 'topo-repeats-nodes'))
        elif set(order) != want:
            missing = sorted(want - set(order))
            merged = missing and all(any(data[m] == data[i] for i in order) for m in missing)
            problems.append((f"nodes {', '.join(f'n{i}' for i in missing)} are missing" +
                             (" (each holds the same number as a node that is listed)" if merged else ""),
                             'identity-not-value' if merged else 'topo-missing-nodes'))
        elif child_after_parent(list(reversed(order)), children) is None and order[0] == n - 1:
            problems.append(("the output comes first: the list runs root-first", 'topo-not-reversed'))
        else:
            bad = child_after_parent(order, children)
            problems.append((f"n{bad[1]} comes after its parent n{bad[0]}", 'topo-wrong-order') if bad else None)
    raise_first(problems, f"topological_sort on the graph {spec_text(spec)}")


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
        recursive = any(all(counts.get(i, 0) == c for i, c in paths_to(children, n - 1, d).items() if children[i])
                        for d in (True, False))
        return (f"n{node}'s closure was called {counts[node]} times in one backward() call",
                'recursive-double-count' if recursive else 'topo-repeats-nodes')
    missing = [i for i in inner if i in want and i not in counts]
    if missing:
        merged = all(any(data[m] == data[i] for i in counts) for m in missing)
        return (f"the closures of {', '.join(f'n{i}' for i in missing)} were never called",
                'topo-keeps-state' if not first_call_ok else 'identity-not-value' if merged else 'topo-missing-nodes')
    calls = [i for i in log if children[i]]
    bad = child_after_parent(list(reversed(calls)), children)  # a parent's closure must come first
    if bad is None:
        return None
    parent, child = bad
    if child_after_parent(calls, children) is None:
        return ("the closures were called leaves first, the output last", 'topo-not-reversed')
    return (f"n{child}'s closure was called before n{parent}'s, although n{parent} uses n{child}: n{child}'s "
            "gradient was not complete yet when it passed it on", 'topo-wrong-order')


def check_backward(student, reference, spec, rng=None, calls=1, repeats=3, slow=False, what=""):
    """backward(): seeds the output with 1.0, calls every closure once, each after its parents' closures,
    and changes no other grad; `calls` calls in a row each do the same."""
    children, request = recorded_request(reference, spec, rng, repeats)
    n = len(children)
    presets = [round(0.5 + 0.25 * i, 2) for i in range(n)]
    runs = student.run("recorded", **request, grads=presets, call="backward", calls=calls, repeats=repeats,
                       slow=slow)
    index = [{label: i for i, label in enumerate(labels)} for labels in request["labels"]]
    if len(runs) != repeats or any(len(r.get("logs", ())) != calls or len(r.get("grads", ())) != n or
                                   not all(len(log) <= 10 * n + 10 and all(x in index[k] for x in log)
                                           for log in r["logs"]) for k, r in enumerate(runs)):
        fail("backward(): the answer from your code's process did not have one log per call", 'bad-response')
    for k, run in enumerate(runs):
        run['logs'] = [[index[k][x] for x in log] for log in run['logs']]
    data = [node[0] for node in request["nodes"]]
    problems = []
    for run in runs:
        grads = run['grads']
        problem = None
        if grads[-1] != 1.0:
            problem = (f"after backward() the output's grad is {fmt(grads[-1])}, expected 1.0 (before the call "
                       f"it was {fmt(presets[-1])})", 'root-not-seeded')
        elif any(g != p for g, p in zip(grads[:-1], presets)):
            i = next(i for i, (g, p) in enumerate(zip(grads, presets)) if g != p)
            problem = (f"backward() changed n{i}'s grad from {fmt(presets[i])} to {fmt(grads[i])} itself: it "
                       "should only set the output's grad and call the closures", 'backward-resets-grads')
        for k, log in enumerate(run['logs']):
            problem = problem or log_problem(log, children, data, first_call_ok=k == 0)
        problems.append(problem)
    calls_text = " (backward() called twice)" if calls == 2 else ""
    raise_first(problems, f"{what}backward() on the graph {spec_text(spec)}{calls_text}")
