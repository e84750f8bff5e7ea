"""CONTRIBUTING's recipes "add an operation" and "add a task", followed on a copy of the kit: until the operation
has a public check, a hidden check and a reference, `mygrad verify` says which is missing; then it is satisfied.
A new task, added by the recipe's steps alone, is built, verified, graded and listed by the self-check."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from autograder.catalogue import KIT_ROOT

SIGMOID = '''
    def sigmoid(self):
        out = Value(1 / (1 + math.exp(-self.data)), (self,), 'sigmoid')

        def _backward():
            """Pass out.grad back to self for out = sigmoid(self)."""
            ### BEGIN SOLUTION task3
            self.grad += out.data * (1 - out.data) * out.grad
            ### END SOLUTION
        out._backward = _backward
        return out
'''
REFERENCE = '''
    def sigmoid(self):
        s = 1.0 / (1.0 + math.exp(-self.data))
        return self._result(s, (self,), 'sigmoid', lambda: (s * (1.0 - s),))
'''
PUBLIC = '''

def test_sigmoid_matches_central_differences():
    f = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    a = Value(0.4)
    out = a.sigmoid()
    out.grad = 1.0
    out._backward()
    assert math.isclose(a.grad, (f(0.4 + 1e-6) - f(0.4 - 1e-6)) / 2e-6, rel_tol=1e-5), a.grad
'''
HIDDEN = '''

@group("task3", "sigmoid backward, called directly", weight=1)
def test_sigmoid(student, reference, rng):
    for x, g, p in ((0.4, 1.0, 0.0), (-1.2, 2.0, 0.5)):
        check_closure(student, reference, "sigmoid", x, preset=(p,), out_grad=g)
'''
REPORT = """
import json
from autograder.verify import missing_in_reference, unchecked_fences
print(json.dumps({"unchecked": unchecked_fences(select=lambda rel, task, owner: "sigmoid" in owner),
                  "missing": missing_in_reference()}))
"""


def insert_after(path, anchor, text):
    source = path.read_text()
    at = source.index(anchor) + len(anchor)
    path.write_text(source[:at] + text + source[at:])


def verify_report(kit):
    env = {**os.environ, "PYTHONPATH": str(kit)}
    subprocess.run([sys.executable, "-m", "autograder.cli", "build"], cwd=kit, env=env, check=True, capture_output=True)
    out = subprocess.run(
        [sys.executable, "-c", REPORT], cwd=kit, env=env, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def copy_kit(tmp_path):
    kit = tmp_path / "kit"
    shutil.copytree(
        KIT_ROOT,
        kit,
        ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.egg-info", ".hypothesis", ".pytest_cache"),
    )
    return kit


def append(path, text):
    path.write_text(path.read_text() + text)


@pytest.mark.slow
def test_adding_an_operation_is_not_done_until_it_is_checked_twice_and_in_the_reference(tmp_path):
    kit = copy_kit(tmp_path)
    insert_after(kit / "solutions/mygrad/engine.py", "        out._backward = _backward\n        return out\n", SIGMOID)
    report = verify_report(kit)
    assert any("hidden suite gives full marks" in line for line in report["unchecked"]), report
    assert any("self-check calls task3 done" in line for line in report["unchecked"]), report
    assert "Value.sigmoid" in report["missing"], report

    insert_after(kit / "mygrad_ref/engine.py", "lambda: (e,))\n", REFERENCE)
    append(kit / "solutions/tests/test_task3_primitives.py", PUBLIC)
    append(kit / "autograder/hidden/test_task3_primitives.py", HIDDEN)
    assert verify_report(kit) == {"unchecked": [], "missing": []}


# "Recipe: add a task", step by step: task6, the sigmoid (its backward written by the student).
TASK6_ROW = """
[[task]]
id = "task6"
title = "The sigmoid"
files = ["mygrad/engine.py"]
lesson = "docs/lessons/task6-sigmoid.md"
points = 5
prerequisites = []
hints = [
    "The sigmoid's local derivative is s * (1 - s), with s its output.",
    "Add (local derivative) * out.grad into self.grad, as in task 3.",
]
example = '''
a = Value(0.0); out = a.sigmoid(); out.grad = 1.0; out._backward()
assert a.grad == 0.25, f"sigmoid at 0: a.grad is {a.grad}, expected 0.25"
'''

[task.checks.test_sigmoid_backward_matches_central_differences]
hints = [
    "Which is easier to differentiate the sigmoid with: its input or its output?",
    "The lesson writes the derivative with s = out.data.",
    "self.grad += out.data * (1 - out.data) * out.grad",
]
"""
TASK6_SOLUTION = SIGMOID.replace("SOLUTION task3", "SOLUTION task6")
TASK6_LESSON = """# Task 6 — The sigmoid

**You write:** the `_backward` closure of `Value.sigmoid()` in `mygrad/engine.py` (`TODO task6`).
**Check yourself:** `pytest exercises/ -m task6`

`s = sigmoid(x) = 1 / (1 + exp(-x))` has the local derivative `s * (1 - s)`, written with the output
`s = out.data`, like tanh's: at x = 0 it is 0.25.
"""
TASK6_PUBLIC = '''"""task6: the sigmoid's backward closure, called directly."""
import math

import pytest
from mygrad.engine import Value

pytestmark = pytest.mark.task6
''' + PUBLIC.replace("def test_sigmoid_matches", "def test_sigmoid_backward_matches")
TASK6_HIDDEN = '''"""Hidden checks for task6: the sigmoid's backward closure, called by the grader."""

from autograder.checks import check_closure, vary
from autograder.harness import group


@group("task6", "sigmoid backward, called directly", weight=1)
def test_sigmoid(student, reference, rng):
    for x, g, p in ((0.4, 1.0, 0.0), (-1.2, 2.0, 0.5)):
        (x,) = vary(rng, x)
        check_closure(student, reference, "sigmoid", x, preset=(p,), out_grad=g)
'''
GRADES = """
import json
from pathlib import Path
from autograder.grade import grade
solutions, stubs = grade(Path("solutions")), grade(Path("exercises"), tasks={"task6"})
print(json.dumps({"total": solutions.score, "solutions": solutions.task_scores(), "stubs": stubs.task_scores()}))
"""

NBGRADER_EXAMPLE = """
from pathlib import Path
from autograder.nbgrader.notebook import build_notebook
print(sum("sigmoid at 0" in cell.source for cell in build_notebook(Path(".")).cells))
"""


@pytest.mark.slow
def test_adding_a_task_by_the_recipe_builds_verifies_and_grades(tmp_path):
    kit = copy_kit(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(kit)}

    def run(*args):
        return subprocess.run(args, cwd=kit, env=env, capture_output=True, text=True)

    # 1. the catalogue row; 5 of task5's 20 points move to it, so the total stays 100
    toml = kit / "solutions/tasks.toml"
    source = toml.read_text()
    at = source.index('id = "task5"')
    row5 = source[at:].replace("points = 20", "points = 15", 1)
    toml.write_text(source[:at] + row5 + TASK6_ROW)
    # 2. the fenced body and the lesson
    insert_after(
        kit / "solutions/mygrad/engine.py", "        out._backward = _backward\n        return out\n", TASK6_SOLUTION
    )
    (kit / "docs/lessons/task6-sigmoid.md").write_text(TASK6_LESSON)
    # 3. public and hidden tests
    (kit / "solutions/tests/test_task6_sigmoid.py").write_text(TASK6_PUBLIC)
    (kit / "autograder/hidden/test_task6_sigmoid.py").write_text(TASK6_HIDDEN)
    # 4. the reference, then the build (exercises/, docs/tasks.md, the release and the nbgrader notebook follow)
    insert_after(kit / "mygrad_ref/engine.py", "lambda: (e,))\n", REFERENCE)
    build = run(sys.executable, "-m", "autograder.cli", "build")
    assert build.returncode == 0, build.stdout + build.stderr
    assert "| task6 |" in (kit / "docs/tasks.md").read_text()
    assert "TODO task6" in (kit / "exercises/mygrad/engine.py").read_text()
    release = run(sys.executable, "-m", "autograder.cli", "release", str(tmp_path / "release"))
    assert release.returncode == 0, release.stdout + release.stderr
    assert (tmp_path / "release/docs/lessons/task6-sigmoid.md").exists()
    assert "Task 6 — The sigmoid" in (tmp_path / "release/notebooks/task1-engine.ipynb").read_text()
    assert run(sys.executable, "-c", NBGRADER_EXAMPLE).stdout.split() == ["1"]  # the example in its check cell
    # 5. verify passes (the slow fence-by-fence step limited to the new task)
    verify = run(sys.executable, "-m", "autograder.cli", "verify", "--task", "task6")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "(task6 only)" in verify.stdout, verify.stdout

    grades = run(sys.executable, "-c", GRADES)
    assert grades.returncode == 0, grades.stderr
    scores = json.loads(grades.stdout.strip().splitlines()[-1])
    assert scores["total"] == 100 and scores["solutions"]["task6"] == [5.0, 5.0], scores
    assert scores["solutions"]["task5"] == [15.0, 15.0], scores
    assert scores["stubs"] == {"task6": [0.0, 5.0]}, scores
    summary = tmp_path / "summary.json"
    selfcheck = run(
        sys.executable, "-m", "pytest", "exercises", "-q", "-p", "no:cacheprovider", "-m", "task6",
        "--summary-json", str(summary), "--progress", "none",
    )  # fmt: skip
    assert selfcheck.returncode != 0, selfcheck.stdout
    assert "task6" in selfcheck.stdout and "The sigmoid" in selfcheck.stdout, selfcheck.stdout
    assert json.loads(summary.read_text())["tasks"]["task6"] == "not started", summary.read_text()


def test_verify_names_a_task_whose_hidden_checks_need_an_unlisted_prerequisite(tmp_path):
    """The grader charges a row while a task it needs fails; the self-check calls a task blocked only for its
    prerequisites: a need that is not one would let the self-check say done where the grader takes points."""
    from autograder.verify import prerequisites_missing

    shutil.copytree(KIT_ROOT / "autograder" / "hidden", tmp_path / "autograder" / "hidden")
    (tmp_path / "solutions").mkdir()
    shutil.copy(KIT_ROOT / "solutions" / "tasks.toml", tmp_path / "solutions" / "tasks.toml")
    assert prerequisites_missing(tmp_path) == []
    suite = tmp_path / "autograder" / "hidden" / "test_task2_backward.py"
    text = suite.read_text()
    first = text.index('@group("task2", ')
    end = text.index(")\n", first)
    suite.write_text(text[:end] + ', needs=("task0",)' + text[end:])
    assert prerequisites_missing(tmp_path) == ["task2: hidden checks need ['task0'], not in its prerequisites"]
