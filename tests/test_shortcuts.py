"""Work a grade no longer repeats, and what must hold for each shortcut: the catalogue read from a JSON copy
(never a stale one), a grade and its worker on one core, the constants' children listed with the graph."""

from __future__ import annotations

import importlib.util
import json
import multiprocessing
import os
import subprocess
import sys

import pytest
import tomllib

from autograder import affinity, experiments
from autograder.catalogue import read_toml
from autograder.reference import Reference
from autograder.student import ProbeFailure


def test_a_toml_file_is_read_from_its_copy_and_a_changed_file_is_parsed_again(tmp_path):
    toml = tmp_path / "tasks.toml"
    toml.write_text('[[task]]\nid = "task0"\npoints = 5\nweights = [1.5, 2]\n')
    assert read_toml(toml) == tomllib.loads(toml.read_text())
    (copy,) = (tmp_path / "__pycache__").glob("tasks.toml.*.json")
    copy.write_text(json.dumps({"task": "from the copy"}))  # the copy, not the TOML, is what is read now
    assert read_toml(toml) == {"task": "from the copy"}
    toml.write_text('[[task]]\nid = "task1"\npoints = 7\n')  # a changed file: another copy, parsed afresh
    assert read_toml(toml) == {"task": [{"id": "task1", "points": 7}]}
    assert len(list((tmp_path / "__pycache__").glob("tasks.toml.*.json"))) == 2


def test_a_toml_file_json_cannot_hold_is_parsed_each_time(tmp_path):
    toml = tmp_path / "dated.toml"
    toml.write_text("due = 2026-12-04\n")
    assert read_toml(toml) == read_toml(toml) == tomllib.loads(toml.read_text())
    assert not list(tmp_path.glob("__pycache__/*.json")) and not list(tmp_path.glob("__pycache__/.*"))


def test_a_grade_and_the_processes_it_starts_stay_on_one_core_then_the_cores_come_back():
    before = os.sched_getaffinity(0)
    show = [sys.executable, "-c", "import os; print(sorted(os.sched_getaffinity(0)))"]
    with affinity.one_cpu():
        inside = os.sched_getaffinity(0)
        child = json.loads(subprocess.run(show, capture_output=True, text=True, check=True).stdout)
    assert os.sched_getaffinity(0) == before
    assert set(child) == inside <= before
    assert len(inside) == (1 if len(before) > 1 else len(before))


def report_core(counter, queue):
    affinity.take_a_core(counter)
    queue.put(sorted(os.sched_getaffinity(0)))


def test_pool_processes_each_take_a_core_of_their_own():
    context = multiprocessing.get_context("fork")
    counter, queue = context.Value("i", 0), context.Queue()
    procs = [context.Process(target=report_core, args=(counter, queue)) for _ in range(2)]
    for p in procs:
        p.start()
    cores = [queue.get(timeout=30) for _ in procs]
    for p in procs:
        p.join()
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2:
        assert cores == [allowed, allowed]
    else:
        assert sorted(cores) == [[allowed[0]], [allowed[1]]]


def graph_run(spec):
    (run,) = Reference().run("graph", spec=spec, children=True)
    return run


class Asking:
    """The reference, remembering whose children a graph walk asked for."""

    def __init__(self):
        self.reference, self.asked = Reference(), []

    def run(self, probe, **args):
        self.asked += args.get("of", [])
        return self.reference.run(probe, **args)


@pytest.mark.parametrize("op", [["addc", 0, 2.0], ["csub", 2.0, 0], ["sum", [0, 1, 0]]])
def test_the_graph_request_lists_the_children_of_the_nodes_met_among_the_built_ones(op):
    """`a + 2` meets the constant 2 among the children of the node it built: its children (none) come in the same
    answer, and a walk of the graph asks for no node's children twice, nor for any the answer listed."""
    spec = {"leaves": [2.0, 3.0], "nodes": [op]}
    engine = Asking()
    (run,) = engine.run("graph", spec=spec, children=True)
    listed = experiments.listed_children(run)
    assert len(listed) > len(run["data"])  # the second level
    edges = experiments.explore(engine, [2], listed)
    assert not set(engine.asked) & set(listed) and len(set(engine.asked)) == len(engine.asked)
    assert set(edges) <= set(listed) | set(engine.asked) and 2 in edges
    if op[0] == "sum":  # 0 + a + b + a: the 0 is met at the third level, then asked for
        assert engine.asked and min(engine.asked) >= len(listed)
    else:  # a + 2 and 2 - a: two levels are the whole graph
        assert engine.asked == []


@pytest.mark.parametrize(
    "children, why",
    [
        ([[], [], [0, 1], []], "an entry for a node that was never met"),
        ([[], [], [0, 4], []], "a new number that skips one"),
        ([[], [], [0, 1]], None),
        ([[], [], [0, 3], [4]], None),  # 4: met at the second level, listed by a later request
        ([[], [], [0, 3], [5]], "a second-level number that skips one"),
        ([[], [], [0, 3]], "no entry for the node met among the built ones"),
        ([[], [], [-1, 1]], "a negative number"),
    ],
)
def test_listed_children_takes_only_numbers_given_in_turn(children, why):
    run = {"data": [1.0, 2.0, 3.0], "grads": [0.0] * 3, "children": children}
    if why is None:
        assert experiments.listed_children(run) == dict(enumerate(children))
    else:
        with pytest.raises(ProbeFailure, match="children that do not exist"):
            experiments.listed_children(run)


MESSAGES = [
    {"id": 3, "ok": [1.5, -0.0, 1e300, 5, "nan", None, True, False], "forbidden": []},
    {"error": {"type": "ValueError", "message": 'é "quoted" \\ \n\t\x00 \ud800', "where": "", "task": None}},
    {"ask": {"ask": "forward", "params": [0.1] * 50, "x": [[1, 2], {"k": []}]}},
    {"a": float("nan"), "b": float("-inf")},
]


@pytest.mark.parametrize("message", MESSAGES)
def test_the_workers_json_lines_are_jsons(message):
    from autograder.worker import wire

    assert wire.dumps(message) == json.dumps(message, separators=(",", ":"))  # compact, as the grader writes
    assert repr(wire.loads(json.dumps(message) + "\n")) == repr(json.loads(json.dumps(message)))


def test_the_worker_reads_and_writes_json_without_importing_json_re_or_enum():
    worker = affinity.__file__.replace("affinity.py", "worker")
    code = "import sys, wire; print(sorted({'json', 're', 'enum'} & set(sys.modules)), wire.dumps.__module__)"
    out = subprocess.run([sys.executable, "-S", "-c", code], cwd=worker, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[]", "wire"], out.stdout


def test_the_sandbox_gets_the_workers_files_with_checked_bytecode_made_again_when_a_file_changes(tmp_path):
    from autograder import student
    from autograder.catalogue import KIT_ROOT

    worker = student.Student(KIT_ROOT / "solutions")
    try:
        copy = worker.worker._prepare() / "grader"
        sources = sorted(p.name for p in student.WORKER.glob("*.py"))
        assert sorted(p.name for p in copy.iterdir() if p.is_file()) == sources
        assert sorted(p.name.split(".")[0] + ".py" for p in (copy / "__pycache__").iterdir()) == sources
        for source in copy.glob("*.py"):  # each .pyc is of its source as it is: the sandboxed Python takes it
            head = open(importlib.util.cache_from_source(str(source)), "rb").read(16)
            assert head == importlib.util.MAGIC_NUMBER + b"\x03\0\0\0" + importlib.util.source_hash(source.read_bytes())
    finally:
        worker.close()
    module = tmp_path / "kit" / "mod.py"
    module.parent.mkdir()
    module.write_text("X = 1\n")
    first = student.checked_bytecode(module).read_bytes()
    module.write_text("X = 2\n")
    again = student.checked_bytecode(module).read_bytes()
    assert first != again and again[8:16] == importlib.util.source_hash(module.read_bytes())


def warmup(fn, x, h=0.5):
    return ("warmup", {"fn": fn, "args": {"coeffs": [1.0, 2.0, 3.0], "x": x, "h": h}})


def kit_with_warmup(tmp_path, body):
    """The solutions, with forward_difference's body replaced."""
    import shutil

    from autograder.catalogue import KIT_ROOT

    shutil.copytree(
        KIT_ROOT / "solutions" / "mygrad", tmp_path / "mygrad", ignore=shutil.ignore_patterns("__pycache__")
    )
    warm = tmp_path / "mygrad" / "warmup.py"
    warm.write_text(warm.read_text().replace("    return (f(x + h) - f(x)) / h\n", body, 1))
    return tmp_path


def test_requests_asked_together_get_the_answers_asked_one_at_a_time(tmp_path):
    from autograder.student import Student

    requests = [warmup("forward_difference", x) for x in (0.5, 1.5)] + [warmup("central_difference", 2.0)]
    alone = Student(kit_with_warmup(tmp_path / "a", "    return (f(x + h) - f(x)) / h\n"))
    together = Student(tmp_path / "a")
    try:
        one_by_one = [alone.run(probe, **args) for probe, args in requests]
        assert together.run_together(requests) == [None] * 3  # no worker yet: its import is charged alone
        together.run(*requests[0][:1], **requests[0][1])
        starts = together.worker.counter
        assert together.run_together(requests) == one_by_one
        assert together.worker.counter == starts + 1  # one round trip
    finally:
        alone.close()
        together.close()


@pytest.mark.parametrize(
    "body, kind",
    [
        ("    if x > 1:\n        raise ValueError('no')\n    return (f(x + h) - f(x)) / h\n", "exception"),
        ("    while x > 1:\n        pass\n    return (f(x + h) - f(x)) / h\n", "timeout"),
    ],
)
def test_a_failure_among_requests_asked_together_costs_nothing_and_is_met_where_it_is(tmp_path, body, kind):
    from autograder.student import Student

    student = Student(kit_with_warmup(tmp_path, body), request_timeout=0.5)
    student.task = "task0"
    requests = [warmup("forward_difference", x) for x in (0.5, 1.5, 0.25)]
    try:
        student.run(*requests[2][:1], **requests[2][1])  # the worker has imported the submission
        assert student.run_together(requests) == [None, None, None]
        assert student.events == [] and student.timeouts.get("task0", 0) == 0 and not student.timed_out
        assert student.run(*requests[0][:1], **requests[0][1]) == pytest.approx(
            6.5
        )  # (f(1) - f(0.5)) / 0.5 with f = 1 + 2t + 3t²
        with pytest.raises(ProbeFailure) as failure:
            student.run(*requests[1][:1], **requests[1][1])
        assert failure.value.kind == kind
    finally:
        student.close()


def test_experiments_asked_ahead_are_answered_as_one_at_a_time_in_two_round_trips(tmp_path):
    from autograder.catalogue import KIT_ROOT
    from autograder.checks import closure_job, expression_spec
    from autograder.student import Student

    jobs = [
        closure_job("add", 1.5, -2.0, preset=(0.25, -0.5), out_grad=2.0),
        closure_job("mul_self", 3.0, preset=(0.0,), out_grad=1.0),
        (expression_spec("a * 3", 1.5, -0.5), {}, 1.0),
        (expression_spec("sum([a, b, a])", 1.5, -0.5), {}, 1.0),  # 0 + a + b + a: a third level, asked for
    ]
    alone, ahead = Student(KIT_ROOT / "solutions"), Student(KIT_ROOT / "solutions")
    try:
        one_by_one = [experiments.backprop(alone, *job) for job in jobs]
        ahead.run("warmup", fn="partials_of_d", args=[1.0, 2.0, 3.0])  # the worker has imported the submission
        trips = ahead.worker.counter
        experiments.prefetch(ahead, jobs)
        assert ahead.worker.counter == trips + 2  # the builds, then the drives
        assert len(ahead.prefetched) == 3  # the sum's graph is not all in two levels: its check asks itself
        assert [experiments.backprop(ahead, *job) for job in jobs] == one_by_one
        assert ahead.prefetched == {} and ahead.worker.counter > trips + 2
    finally:
        alone.close()
        ahead.close()


def test_a_failure_in_experiments_asked_ahead_leaves_every_check_to_ask_for_itself(tmp_path):
    from autograder.checks import closure_job
    from autograder.student import Student

    body = "    return (f(x + h) - f(x)) / h\n"
    kit = kit_with_warmup(tmp_path, body)
    engine = kit / "mygrad" / "engine.py"
    engine.write_text(engine.read_text().replace("    def tanh(self):\n", "    def tanh(self):\n        1 / 0\n", 1))
    student = Student(kit)
    try:
        student.run("warmup", fn="partials_of_d", args=[1.0, 2.0, 3.0])
        experiments.prefetch(student, [closure_job("add", 1.0, 2.0), closure_job("tanh", 0.5, preset=(0.0,))])
        assert student.prefetched == {} and student.events == []
        with pytest.raises(ProbeFailure, match="ZeroDivisionError"):
            experiments.backprop(student, *closure_job("tanh", 0.5, preset=(0.0,)))
    finally:
        student.close()


def test_the_random_graph_search_asks_ahead_a_few_graphs_at_a_time_and_stops_at_the_first_failure():
    from autograder import strategies

    told, checked = [], []

    def check(spec):
        checked.append(spec)
        if len(checked) == 5:
            raise AssertionError("the fifth graph fails")

    with pytest.raises(AssertionError):
        strategies.search(check, ["add", "mul"], seed=7, ahead=lambda specs: told.append(len(specs)))
    assert told == [3, 6] and len(checked) == 5  # the fifth is in the second chunk: no later graph was asked
    told.clear()
    strategies.search(lambda spec: None, ["add", "mul"], seed=7, ahead=lambda specs: told.append(len(specs)))
    assert told == [3, 6, strategies.EXAMPLES - 9]


def test_feedback_hides_the_same_lines_as_comparing_with_every_worker_line():
    """visible() first looks for 40-character pieces of worker lines: it must hide exactly what the plain
    comparison with each worker line hides (a whole line, one inside a longer line, a long piece of one)."""
    import random

    from autograder.results import visible, worker_lines

    lines, rng = worker_lines(), random.Random(7)

    def plain(line):
        piece = line.strip()
        return any(w in line for w in lines) or len(piece) >= 40 and any(piece in w for w in lines)

    texts = []
    for w in rng.sample(lines, 40):
        cut = rng.randrange(0, len(w) - 39)
        texts += [w, f"  {w}  ", f"x = 1; {w} # and more", w[cut : cut + 40], w[cut : cut + 39], w[:-1] + "?"]
    texts += ["".join(rng.choice("abc ()=._") for _ in range(rng.randrange(0, 120))) for _ in range(200)]
    for text in texts:
        hidden = visible(text, 10_000) == "[a line of the grader's worker code, not shown]"
        assert hidden == plain(text), text
