"""Work a grade no longer repeats, and what must hold for each shortcut: the catalogue read from a JSON copy
(never a stale one), a grade and its worker on one core, the constants' children listed with the graph."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys

import tomllib

from autograder import affinity
from autograder.catalogue import read_toml


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
