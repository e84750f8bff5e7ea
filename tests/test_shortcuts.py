"""Work a grade no longer repeats, and what must hold for each shortcut: the catalogue read from a JSON copy
(never a stale one), a grade and its worker on one core, the constants' children listed with the graph."""

from __future__ import annotations

import json

import tomllib

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
