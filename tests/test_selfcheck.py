"""The self-check plugin (exercises/conftest.py) as a student meets it: each failing check's own hint, hints
in levels on request, remembered progress, an open challenge shown apart, one line per outcome."""

import ast
import json
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest
from browser import chromium

from autograder import samples
from autograder.catalogue import KIT_ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

TASKS = {t["id"]: t for t in tomllib.loads((KIT_ROOT / "solutions" / "tasks.toml").read_text())["task"]}
BUGS = samples.load("bugs")


def public_checks():
    """(task, test function name, its parametrize values that are strings) for every public test."""
    found = []
    for path in sorted((KIT_ROOT / "solutions" / "tests").glob("test_*.py")):
        tree = ast.parse(path.read_text())
        task = re.search(r"pytest\.mark\.(task\d+)", path.read_text())[1]
        found += [
            (task, node.name)
            for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
        ]
    return found


def test_every_check_has_hints_in_levels_and_every_entry_a_check():
    checks = public_checks()
    for task, name in checks:
        entries = {k: v for k, v in TASKS[task].get("checks", {}).items() if k == name or k.startswith(name + "[")}
        assert entries, f"{task}: {name} has no hints in tasks.toml"
        for key, entry in entries.items():
            hints = entry["hints"]
            assert len(hints) >= 2 and hints[0].rstrip().endswith("?"), f"{key}: a question first, then more"
            assert not re.search(r"\+=|\breturn \w|\bdef ", " ".join(hints[:2])), (
                f"{key}: no code before the last level"
            )
    names = {name for _, name in checks}
    for task in TASKS.values():
        for key in task.get("checks", {}):
            assert key.split("[")[0] in names, f"{task['id']}: tasks.toml has hints for {key}, which is no check"


def selfcheck(submission, *args) -> list[str]:
    """The command line of `pytest exercises/` on submission."""
    return [sys.executable, "-m", "pytest", str(KIT_ROOT / "exercises"), "-q", "-p", "no:cacheprovider"] + [
        "--submission",
        str(submission),
        *args,
    ]


def run(submission, *args, cwd=KIT_ROOT):
    proc = subprocess.run(
        selfcheck(submission, *args),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return proc.returncode, proc.stdout + proc.stderr


def table(output):
    return {m[1]: m[0] for m in re.finditer(r"^\[.\] (task\d+) .*$", output, re.M)}


@pytest.fixture
def edited(tmp_path):
    """A copy of the model answers with edits (find, replace) in one file."""

    def make(file, *edits):
        shutil.copytree(KIT_ROOT / "solutions" / "mygrad", tmp_path / "mygrad")
        path = tmp_path / "mygrad" / file
        text = path.read_text()
        for find, replace in edits:
            assert find in text, find
            text = text.replace(find, replace)
        path.write_text(text)
        return tmp_path

    return make


def test_untouched_stubs_print_the_table_and_one_line(tmp_path):
    shutil.copytree(KIT_ROOT / "exercises" / "mygrad", tmp_path / "mygrad")
    code, out = run(tmp_path)
    assert code == 1
    assert "not started" not in out.split("mygrad self-check")[0].replace("not started,", ""), out
    rows = table(out)
    assert list(rows) == list(TASKS) and all("not started" in r for r in rows.values()), out
    assert re.search(r"^next: task0, the TODOs in .*mygrad/warmup.py", out, re.M), out
    assert "challenge open" not in out


def test_a_tanh_bug_gets_the_tanh_hint_and_later_tasks_point_back(edited):
    folder = edited("engine.py", ("(1 - out.data ** 2)", "(1 - self.data ** 2)"))
    code, out = run(folder, "--progress", "none")
    rows = table(out)
    assert "failing" in rows["task3"] and "done" in rows["task1"], out
    assert TASKS["task3"]["checks"]["test_against_central_differences[tanh]"]["hints"][0] in out, out
    assert "x**(k-1)" not in out and "**" not in rows["task3"].split("failing")[1], out  # not the power rule's hint
    assert "task3 is failing: fix it first" in out, out
    assert re.search(r"^\[ \] task5 .* blocked .*\n      task3 is failing: fix it first$", out, re.M), out  # the row


def test_parameters_order_bug_blames_one_check(edited):
    folder = edited("nn.py", ("return self.w + [self.b]", "return [self.b] + self.w"))
    code, out = run(folder, "--progress", "none", "-m", "task4")
    m = re.search(r"task4 .* failing +(\d+)/(\d+) checks", out)
    assert m and int(m[2]) - int(m[1]) == 1, out  # one check fails, not three
    assert out.count("\n___") == 1 or out.count("_ test_") == 1, out


def test_central_difference_bug_fails_only_its_own_check(edited):
    folder = edited("warmup.py", ("(2 * h)", "h"))
    code, out = run(folder, "--progress", "none", "-m", "task0")
    m = re.search(r"task0 .* failing +(\d+)/(\d+) checks", out)
    assert m and int(m[2]) - int(m[1]) == 1, out
    assert "test_central_difference_steps_both_ways" in out


def test_recursive_sort_is_done_with_the_challenge_open_and_one_line(edited):
    start = "    ### BEGIN SOLUTION task2\n    order, visited = [], set()"
    folder = edited(
        "engine.py",
        (start, "    ### BEGIN SOLUTION task2\n    return _sort(root, [], set())\n    order, visited = [], set()"),
        (
            "def topological_sort(root):",
            "def _sort(v, order, seen):\n    if v not in seen:\n"
            "        seen.add(v)\n        for c in v._prev:\n            _sort(c, order, seen)\n"
            "        order.append(v)\n    return order\n\n\ndef topological_sort(root):",
        ),
    )
    code, out = run(folder, "--progress", "none", "-m", "task2", "-rA")
    assert re.search(r"\[x\] task2 .* done .*; challenge open: a 1,500-node chain needs an explicit stack", out), out
    assert code == 0, out  # open, not failed: a CI check of a finished repository passes
    assert re.search(r"RecursionError in engine.py, line \d+, _sort\(\): more than \d+ nested calls", out), out
    assert out.count("engine.py:") < 3, out  # no 40-frame traceback


LOOPING_TRAIN = ("    ### BEGIN SOLUTION task5\n", "    ### BEGIN SOLUTION task5\n    while lr:\n        pass\n")


def test_a_check_in_an_endless_loop_is_stopped_and_says_so(edited):
    folder = edited("train.py", LOOPING_TRAIN)
    code, out = run(folder, "--progress", "none", "-m", "task5", "--check-seconds", "1")
    assert code == 1 and "[!] task5" in out, out
    assert re.search(r"ran for over 1 s .*: an endless loop in your code\? .*\(stopped in train\.py, line \d+\)", out)


def test_a_run_stopped_with_ctrl_c_never_calls_an_unfinished_task_done(edited):
    """Ctrl-C during a check that loops: the checks that ran passed, the others never ran; not done, and not
    remembered as done (it was, and the next run showed it so)."""
    folder = edited("train.py", LOOPING_TRAIN)
    progress = folder / "progress.json"
    proc = subprocess.Popen(
        selfcheck(folder, "-m", "task5", "--progress", str(progress)),
        cwd=KIT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    time.sleep(6)  # the loop has started: the first checks of task5 take milliseconds
    proc.send_signal(signal.SIGINT)
    out = proc.communicate(timeout=60)[0]
    assert "[x] task5" not in out and "interrupted: the checks that did not run count as not done" in out, out
    assert "next: run the checks again, to the end" in out and "All tasks done" not in out, out
    assert json.loads(progress.read_text())["tasks"]["task5"]["status"] != "done"


def test_an_import_error_says_to_fix_it_next_not_an_earlier_task(edited, tmp_path):
    """A typo in nn.py stops `import mygrad`: the next step is the typo (it said "next: make task3 pass", from
    the rows remembered), and the files that import are checked now, file by file, as the grader does."""
    progress = tmp_path / "progress.json"
    progress.write_text(
        json.dumps(
            {
                "tasks": {
                    "task3": {"status": "failing", "passed": 18, "checks": 21},
                    "task4": {"status": "done", "passed": 11, "checks": 11},
                }
            }
        )
    )
    folder = edited("nn.py", ("from .engine import Value", "from .engine import Valeu"))
    code, out = run(folder, "--progress", str(progress))
    assert "mygrad could not be imported: ImportError" in out and "Valeu" in out, out
    assert "next: fix the error above, then run the checks again" in out and "next: make task3" not in out, out
    rows = table(out)  # as the grader does: the files that import are checked (task3: engine.py), now
    assert rows["task3"].startswith("[x]") and "remembered" not in rows["task3"]
    # task4's checks could not be imported: failing now, whatever the last run said (it showed "done")
    assert rows["task4"].startswith("[!]") and "failing" in rows["task4"] and "remembered" not in rows["task4"], out
    assert "its checks could not be imported: ImportError" in out, out


def test_a_task_file_that_imports_outside_the_standard_library_is_not_done(edited):
    """graphviz is installed beside the self-check (for drawing), not where the grader runs the package: a
    task file that imports it works here and fails there, so its tasks are not done here either."""
    folder = edited(
        "engine.py", ('"""A scalar autograd engine', 'from graphviz import Digraph\n"""A scalar autograd engine')
    )
    code, out = run(folder, "--progress", "none")
    rows = table(out)
    assert all(rows[t].startswith("[!]") for t in ("task1", "task2", "task3")) and rows["task0"].startswith("[x]"), out
    assert "mygrad/engine.py imports graphviz, outside Python's standard library" in out, out
    assert "next: use only the standard library in mygrad/engine.py (no graphviz)" in out and code != 0, out


def test_hints_go_one_level_further_per_request_and_progress_is_remembered(edited):
    folder = edited("engine.py", ("(1 - out.data ** 2)", "(1 - self.data ** 2)"))
    hints = TASKS["task3"]["checks"]["test_against_central_differences[tanh]"]["hints"]
    code, out = run(folder)
    assert hints[0] in out and hints[1] not in out, out
    for level in (2, 3, 3):
        code, out = run(folder, "--hint", "task3")
        assert f"hint {level}/3 for test_against_central_differences[tanh]: {hints[level - 1]}" in out, out
    saved = json.loads((folder / ".mygrad-progress.json").read_text())
    assert saved["hints_seen"]["test_against_central_differences[tanh]"] == 3
    code, out = run(folder, "-m", "task4")
    rows = table(out)
    assert "done" in rows["task4"] and "remembered" not in rows["task4"], out
    assert "failing" in rows["task3"] and "remembered from your last run" in rows["task3"], out
    assert "done" in rows["task0"] and "remembered from your last run" in rows["task0"], out
    assert hints[2] not in out  # the table shows a failing check's hint only for tasks run now


@pytest.mark.parametrize(
    "sample, file, edits, task",
    [
        ("rsub-backwards", None, None, "task3"),
        ("detached negation", "engine.py", [("return self * -1", "return Value(-self.data)")], "task3"),
        ("bias as a number", "nn.py", [("self.b)", "self.b.data)")], "task4"),
    ],
)
def test_public_checks_catch_the_bugs_they_used_to_miss(edited, tmp_path, sample, file, edits, task):
    folder = samples.materialize(BUGS[sample], tmp_path / "s") if sample in BUGS else edited(file, *edits)
    code, out = run(folder, "--progress", "none", "-m", task)
    assert "failing" in table(out)[task], out


def test_a_failed_graph_check_is_drawn_on_a_page_beside_the_progress_file(edited):
    folder = edited(
        "engine.py", ("for node in reversed(topological_sort(self)):", "for node in topological_sort(self):")
    )
    code, out = run(folder, "-m", "task2")
    page = folder / "mygrad-report.html"
    assert f"a picture of the graph that went wrong: {page}" in out, out
    text = page.read_text()
    assert "test_backward_through_shared_nodes_gives_10" in text and "<svg" in text
    assert "#ffcdd2" in text and "expected 3" in text  # b, the first wrong node from the output, in red
    dom = chromium("--dump-dom", page.as_uri())
    assert "What went wrong" in dom and "your grad" in dom
