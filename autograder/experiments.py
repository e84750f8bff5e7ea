"""Experiments that take several requests, run the same way on the student's worker and on the reference.

The worker numbers nodes and lists one level of children per request (a build lists two); the graph walk
and the order in which closures are called are decided here, in the grader's process.
"""

from __future__ import annotations

import json

MAX_NODES = 3000


class GraphTooLarge(AssertionError):
    """The student's graph below one result is too large to walk: their mistake, said as such."""


def bad_response(what: str):
    from .student import ProbeFailure

    return ProbeFailure("bad-response", what)


def explore(engine, roots: list[int], known: dict[int, list[int]] | None = None) -> dict[int, list[int]] | None:
    """Every node below roots, by number, with its children: one request per level whose nodes' children
    are not `known` already (those the graph request listed). With no engine, None where a request would
    be needed."""
    known = dict(known or {})
    edges: dict[int, list[int]] = {}
    frontier = sorted(set(roots))
    while frontier:
        asked = [n for n in frontier if n not in known]
        if asked and engine is None:
            return None
        if asked:
            got = engine.run("children", of=asked)
            kids = got["children"]
            if len(kids) != len(asked) or any(not 0 <= c < len(got["data"]) for cs in kids for c in cs):
                raise bad_response("the worker listed children that do not exist")
            known.update(zip(asked, kids))
        edges.update((n, known[n]) for n in frontier)
        if len(edges) > MAX_NODES:
            raise GraphTooLarge(f"Your graph below one result has more than {MAX_NODES} nodes, too many to check")
        frontier = sorted({c for n in frontier for c in known[n] if c not in edges})
    return edges


def listed_children(run: dict) -> dict[int, list[int]]:
    """The children the graph request listed: of the nodes it built, then of the nodes first met among those
    (numbered in turn past the built ones). Numbers past both are nodes first met at the second level, also
    numbered in turn; any other number is a node that does not exist."""
    kids = run.get("children")
    if kids is None:
        return {}
    n = len(run["data"])
    first = {c for cs in kids[:n] for c in cs if c >= n}  # met among the built nodes' children
    m = n + len(first)
    second = {c for cs in kids[n:] for c in cs if c >= m}  # met among those nodes' children
    if (
        len(kids) != m
        or any(c < 0 for cs in kids for c in cs)
        or (first and max(first) >= m)
        or (second and max(second) >= m + len(second))
    ):
        raise bad_response("the worker listed children that do not exist")
    return dict(enumerate(kids))


def topological(edges: dict[int, list[int]], root: int) -> list[int]:
    """Children before parents (iterative post-order); a cycle is cut where it closes."""
    order, state, stack = [], {}, [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            state[node] = "done"
            order.append(node)
        elif node not in state:
            state[node] = "open"
            stack.append((node, True))
            stack.extend((c, False) for c in edges.get(node, ()) if c not in state)
    return order


SAME_CLOSURE = {"addc": "add", "mulc": "mul"}


def job_key(spec: dict, presets: dict[int, float] | None, out_grad: float) -> str:
    return json.dumps([spec, sorted((presets or {}).items()), out_grad])


def drive_request(edges: dict[int, list[int]], n: int, presets: dict[int, float] | None, out_grad: float) -> dict:
    """The drive of a built graph: the preset grads and the root's, every closure below the root in reverse
    topological order (the grader's), and every node's grad read back."""
    root = n - 1
    grads = [[i, g] for i, g in (presets or {}).items()] + [[root, out_grad]]
    return {"grads": grads, "order": list(reversed(topological(edges, root))), "read": list(range(n))}


def outcome(run: dict, grads: list, edges: dict[int, list[int]], n: int) -> dict:
    """backprop's answer: the nodes' data and grads, and which of them the root's graph reaches."""
    if len(grads) != n:
        raise bad_response("the worker's answer did not give every node's grad")
    return {"data": run["data"], "grads": grads, "reached": [i in edges for i in range(n)]}


def prefetch(engine, jobs: list[tuple[dict, dict[int, float] | None, float]]) -> None:
    """backprop's answers for these (spec, presets, out_grad), asked ahead in two round trips: every build in
    one (each kept in a slot of its own), then every drive in one, in the same order as backprop's
    requests. backprop then finds its answer waiting (engine.prefetched). Only where it can be done without
    another request: a failure of any kind, or a graph whose two listed levels are not all of it, leaves
    that check to ask for itself, as if this never happened (Student.run_together)."""
    from .student import ProbeFailure

    together = getattr(engine, "run_together", None)
    if together is None or len(jobs) < 2:
        return  # the reference: asking costs nothing
    builds = together([("graph", {"spec": spec, "children": True, "slot": k}) for k, (spec, *_) in enumerate(jobs)])
    plans = []
    for k, ((spec, presets, out_grad), runs) in enumerate(zip(jobs, builds)):
        n = len(spec["leaves"]) + len(spec["nodes"])
        if runs is None or len(runs) != 1 or len(runs[0]["data"]) != n:
            continue
        try:
            edges = explore(None, [n - 1], listed_children(runs[0]))
        except (ProbeFailure, GraphTooLarge):  # the check meets it itself
            continue
        if edges is not None:
            drive = {**drive_request(edges, n, presets, out_grad), "slot": k}
            plans.append((job_key(spec, presets, out_grad), runs[0], edges, n, drive))
    drives = together([("drive", drive) for *_, drive in plans])
    engine.prefetched = {
        key: outcome(run, got, edges, n)
        for (key, run, edges, n, _), got in zip(plans, drives)
        if got is not None and len(got) == n
    }


def backprop(engine, spec: dict, presets: dict[int, float] | None = None, out_grad: float = 1.0) -> dict:
    """Build the spec with the engine's operations, then call every closure below the root in reverse
    topological order (the grader's), after setting the preset grads and the root's grad. The spec's nodes'
    data and grads, and which of them the root's graph reaches."""
    waiting = getattr(engine, "prefetched", None)  # the student's answers asked ahead, if any
    done = waiting.pop(job_key(spec, presets, out_grad), None) if waiting else None
    if done is not None:
        return done
    ops = {op for op, *_ in spec["nodes"]}
    runs = engine.run("graph", spec=spec, children=True, touches=frozenset(f"`{op}` forward" for op in ops))
    n = len(spec["leaves"]) + len(spec["nodes"])
    if len(runs) != 1 or len(runs[0]["data"]) != n:
        raise bad_response("the worker's answer did not list every node of the graph")
    edges = explore(engine, [n - 1], listed_children(runs[0]))
    got = engine.run(
        "drive",
        **drive_request(edges, n, presets, out_grad),
        # `a + 1` and `a * 3` get the closure `a + b` and `a * b` make (their forward passes may differ: a
        # constant is wrapped first), so a closure found looping is not waited for again in a check of them
        touches=frozenset(f"`{SAME_CLOSURE.get(op, op)}` backward" for op in ops),
    )
    return outcome(runs[0], got, edges, n)


def reaches(engine, root: int, targets: list[int]) -> list[bool]:
    edges = explore(engine, [root])
    return [t in edges for t in targets]
