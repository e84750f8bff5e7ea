"""Task 2's checks: topological_sort and backward() on graphs whose closures only record that they ran.

The worker makes the nodes with the student's constructor in an order the grader draws for this grade (never
a topological one), sets their children afterwards, and gives each a closure that only logs its call. So the
sort and backward() are judged on their own, by the order of the calls, whatever the student's operations do.
"""

from __future__ import annotations

import random

from .checks import Mistake, children_of, fail, spec_text
from .diagnoses import explain
from .diagnoses.order import backward_problem, child_after_parent, order_note, sort_problem


def in_range(numbers, n, most, also=None) -> bool:
    """Node numbers the worker sent: at most `most` of them, each a node of the graph (or `also`)."""
    return len(numbers) <= most and all(0 <= i < n or i == also for i in numbers)


def random_words(rng, n: int):
    """n random 32-bit numbers in one draw (shuffle and sample draw one at a time: a few milliseconds for the
    deep chain)."""
    return memoryview(rng.randbytes(4 * n)).cast("I")


def creation_order(n: int, children, rng) -> list[int]:
    """A shuffled creation order that is not a topological one (so creation order cannot pass for a sort)."""
    keys = random_words(rng or random.Random(0), n)
    order = sorted(range(n), key=keys.__getitem__)
    if child_after_parent(order, children) is None:
        order.reverse()
    return order


def distinct_labels(rng, n: int) -> list[int]:
    """n different numbers below 2**29 (answers keep numbers below 10**9)."""
    while True:
        labels = [x >> 3 for x in random_words(rng, n)]
        if len(set(labels)) == n:
            return labels


def recorded_request(reference, spec, rng, repeats, data=None):
    """The children of each node, and the request: the nodes' data (the reference's, unless given) and
    children, a creation order that is not topological, and a label per node (drawn here: a closure's log
    says nothing about the graph's order)."""
    children = children_of(spec)
    rng = rng or random.Random(0)
    data = data or reference.run("graph", spec=spec)[0]["data"]
    return children, {
        "nodes": [[d, kids] for d, kids in zip(data, children)],
        "creation": creation_order(len(children), children, rng),
        "labels": [distinct_labels(rng, len(children)) for _ in range(repeats)],
    }


def raise_first(problems, what):
    if all(p is None for p in problems):
        return
    text, code = next(p for p in problems if p)
    note = "" if code == 'topo-keeps-state' else order_note(problems)  # right at first, then wrong: kept state
    raise Mistake(f"{what}: {text}." + explain(code) + note, code, 'order-dependent' if note else '')


def sort_check(reference, spec, rng=None, repeats=3):
    """topological_sort: every node once, children first, root last; over several fresh builds. The check in
    two steps: its request (drawn now) and a judge of the answer."""
    children, request = recorded_request(reference, spec, rng, repeats)
    n = len(children)

    def judge(runs):
        if len(runs) != repeats or any(
            "order" not in r or not all(in_range(r[k], n, 10 * n + 10, -1) for k in ("order", "again")) for r in runs
        ):
            fail("topological_sort: the answer from your code's process was not a list of orders", 'bad-response')
        data = [node[0] for node in request["nodes"]]
        problems = [sort_problem(run, children, data) for run in runs]
        raise_first(problems, f"topological_sort on the graph {spec_text(spec)}")

    return {**request, "grads": [0.0] * n, "call": "sort", "repeats": repeats}, judge


def backward_check(reference, spec, rng=None, calls=1, repeats=3, what="", data=None):
    """backward(): seeds the output with 1.0, calls every closure once, each after its parents' closures,
    and changes no other grad; `calls` calls in a row each do the same. Its request, and a judge of the answer."""
    children, request = recorded_request(reference, spec, rng, repeats, data)
    n = len(children)
    presets = [0.5 + 0.25 * i for i in range(n)]  # exact in binary: what the worker sets is what it reads

    def judge(runs):
        index = [{label: i for i, label in enumerate(labels)} for labels in request["labels"]]
        if len(runs) != repeats or any(
            len(r.get("logs", ())) != calls
            or len(r.get("grads", ())) != n
            or not all(len(log) <= 10 * n + 10 and all(x in index[k] for x in log) for log in r["logs"])
            for k, r in enumerate(runs)
        ):
            fail("backward(): the answer from your code's process did not have one log per call", 'bad-response')
        for k, run in enumerate(runs):
            run['logs'] = [[index[k][x] for x in log] for log in run['logs']]
        data = [node[0] for node in request["nodes"]]
        problems = [backward_problem(run, presets, children, data) for run in runs]
        calls_text = " (backward() called twice)" if calls == 2 else ""
        raise_first(problems, f"{what}backward() on the graph {spec_text(spec)}{calls_text}")

    return {**request, "grads": presets, "call": "backward", "calls": calls, "repeats": repeats}, judge


def check_backward(student, reference, spec, rng=None, calls=1, repeats=3, slow=False, what="", data=None):
    request, judge = backward_check(reference, spec, rng, calls, repeats, what, data)
    judge(student.run("recorded", **request, slow=slow))


def check_together(student, checks):
    """Order checks (sort_check's and backward_check's, in the order they would run), their requests asked in
    one round trip where they can be; each judged in turn as if asked alone: the first mistake is raised."""
    answers = student.run_together([("recorded", request) for request, _ in checks])
    for (request, judge), runs in zip(checks, answers):
        judge(runs if runs is not None else student.run("recorded", **request))
