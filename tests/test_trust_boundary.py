"""The trust boundary: what runs in the sandbox knows no answer, and no submission earns points without an
engine, gets at the grader through its channels, or leaves anything behind."""

import ast
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import pytest
from isolation import check_outcome, processes_with

from autograder import answers, samples
from autograder.catalogue import KIT_ROOT
from autograder.grade import grade
from autograder.results import worker_lines

WORKER = KIT_ROOT / "autograder" / "worker"
FORGERS = samples.load("forgers")
STDLIB = {"gc", "importlib", "json", "_json", "os", "re", "sys", "traceback", "types", "math", "operator", "random"}


def worker_trees():
    return {path.name: ast.parse(path.read_text()) for path in sorted(WORKER.glob("*.py"))}


def functions(tree):
    """(qualified name, node) of every function, methods as Class.method."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            out += [(f"{node.name}.{f.name}", f) for f in node.body if isinstance(f, ast.FunctionDef)]
        elif isinstance(node, ast.FunctionDef):
            out.append((node.name, node))
    return out


def enclosing(tree, target):
    """The names of the functions that contain target."""
    return {name for name, fn in functions(tree) if any(n is target for n in ast.walk(fn))}


def test_the_worker_imports_only_the_standard_library_and_itself():
    for name, tree in worker_trees().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""] if not node.level else []
            else:
                continue
            for module in modules:
                assert module.split(".")[0] in STDLIB | {"nets", "session", "protocol", "wire"}, (name, module)


def test_the_worker_holds_no_derivative_rule():
    for name, tree in worker_trees().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "math":
                assert node.attr == "isfinite", f"{name}: math.{node.attr}"
            if (
                isinstance(node, ast.AugAssign)
                and isinstance(node.target, ast.Attribute)
                and node.target.attr == "grad"
            ):
                # the only gradient arithmetic: a coefficient the grader sent, times out.grad
                assert enclosing(tree, node) >= {"asked_node", "_backward"}, (name, ast.unparse(node))
                assert ast.unparse(node.value) == "c * out.grad", (name, ast.unparse(node))


def test_the_worker_holds_no_graph_walk():
    for name, tree in worker_trees().items():
        assert not [n for n in ast.walk(tree) if isinstance(n, ast.While)], f"{name} has a while loop"
        for qualified, fn in functions(tree):
            calls = {ast.unparse(c.func) for c in ast.walk(fn) if isinstance(c, ast.Call)}
            assert fn.name not in calls and f"self.{fn.name}" not in calls, f"{name}: {qualified} is recursive"
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "_prev":
                # one level of children, listed on request; children set on nodes the grader describes
                assert enclosing(tree, node) & {"Session.children", "Session.recorded"}, (name, ast.unparse(node))


@pytest.mark.parametrize(
    "item", [0.0, -1.5, 1e308, 2**53 - 1, 2**53, -(2**53), 3, -1, 10**9, "nan", "-inf", "NaN", "x", True, None, [], {}]
)
def test_a_list_of_numbers_is_checked_by_the_rule_for_one_number(item):
    """answers.py checks lists of numbers and of node numbers in one pass: the same rule as for one."""
    one = answers.conforms(item, answers.NUM, [10])
    assert answers.conforms([0.5, item], answers.List(answers.NUM), [10]) == one
    assert answers.valid("drive", [item]) == one
    assert answers.conforms(float("nan"), answers.NUM, [10]) is False  # JSON's NaN never gets through
    index = answers.conforms(item, answers.INT, [10])
    assert answers.conforms([1, item], answers.List(answers.INT), [10]) == index


def test_grading_imports_no_nbgrader_code():
    code = "import sys, autograder.grade; print([m for m in sys.modules if 'nbgrader' in m or m == 'nbformat'])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("name", sorted(FORGERS))
def test_forger_earns_nothing_it_did_not_do(name, tmp_path, private_tmp):
    sample = FORGERS[name]
    results = grade(samples.materialize(sample, tmp_path / "submission"), request_timeout=2.0)
    check_outcome(name, sample, results)
    shown = json.dumps(results.to_gradescope())
    assert len(shown) < 200_000, f"{name}: results.json of {len(shown)} bytes"
    assert not [line for line in worker_lines() if line in shown], f"{name}: the worker's code is in the feedback"
    assert not processes_with(str(private_tmp)), processes_with(str(private_tmp))
    assert not list(private_tmp.iterdir()), f"{name} left {list(private_tmp.iterdir())}"


def test_symlink_loop_is_named_in_the_notes(tmp_path, private_tmp):
    results = grade(samples.materialize(FORGERS["symlink-loop-beside-correct-code"], tmp_path / "s"))
    assert results.score == results.max_score
    assert any("loop" in note and "Left out" in note for note in results.notes), results.notes


def test_sigterm_to_the_grader_ends_the_worker_and_removes_its_folders(tmp_path, private_tmp):
    private = private_tmp
    submission = samples.materialize(samples.load("hostile")["endless-loop-in-add"], tmp_path / "submission")
    env = {**os.environ, "TMPDIR": str(private)}
    grader = subprocess.Popen(
        [sys.executable, "-m", "autograder.cli", "grade", str(submission), "--quiet"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    give_up = time.monotonic() + 120  # the sandbox's copy of the submission: there while a worker may run
    while not list(private.glob("mygrad-sandbox-*")) and grader.poll() is None and time.monotonic() < give_up:
        time.sleep(0.05)
    assert grader.poll() is None and list(private.glob("mygrad-sandbox-*")), (
        f"the grade never reached its sandbox: {grader.poll()} {grader.stderr.read() if grader.poll() else ''}"
    )
    time.sleep(1.0)  # a worker of the looping submission is running now (or a fresh one starting)
    grader.send_signal(signal.SIGTERM)
    _, err = grader.communicate(timeout=30)
    assert grader.returncode == 130 and "interrupted" in err, err
    time.sleep(0.2)
    assert not processes_with(str(private)), processes_with(str(private))
    assert not list(private.iterdir()), list(private.iterdir())


def test_a_sandbox_that_cannot_start_stops_the_grade_instead_of_blaming_the_student(tmp_path, monkeypatch):
    hidden = tmp_path / "private"  # root's pytest folders are closed to other uids
    hidden.mkdir(mode=0o700)
    monkeypatch.setattr(tempfile, "tempdir", str(hidden))
    from autograder.grade import GradingError

    if os.geteuid() != 0:
        pytest.skip("only root runs workers under uids of their own (CI runs as root)")
    with pytest.raises(GradingError, match="cannot be entered|could not start"):
        grade(KIT_ROOT / "solutions")


def test_answers_kept_beside_the_package_meet_new_inputs_at_every_grade(tmp_path):
    """A submission that computes nothing and looks its answers up in a file beside mygrad/, filled from the
    expected values its last feedback printed: every file the sandbox copies draws the inputs, so the file
    it grows changes them (the inputs came from mygrad/ alone: such a file scored more at each round)."""
    import shutil

    sub = tmp_path / "sub"
    shutil.copytree(KIT_ROOT / "solutions" / "mygrad", sub / "mygrad")
    (sub / "mygrad" / "warmup.py").write_text(
        "import json, os\n"
        "TABLE = json.load(open(os.path.join(os.path.dirname(__file__), '..', 'answers.json')))\n"
        "def forward_difference(f, x, h=1e-6):\n    return 0.0\n"
        "def central_difference(f, x, h=1e-6):\n    return 0.0\n"
        "def partials_of_d(a, b, c):\n    return tuple(TABLE.get(repr((a, b, c)), (0.0, 0.0, 0.0)))\n"
        "def backprop_by_hand(a, b, c, f):\n    return dict.fromkeys('abcdef', 0.0)\n"
    )
    (sub / "answers.json").write_text("{}")

    def points_asked(results):
        return {t.output.split(")")[0] for t in results.tests if t.output.startswith("partials_of_d(")}

    first = grade(sub, tasks={"task0"})
    learned = {}  # what a harvest of the feedback gives: each point asked, and its right answer
    for point in points_asked(first):
        a, b, c = (float(v.split("=")[1]) for v in point.removeprefix("partials_of_d(").split(", "))
        learned[repr((a, b, c))] = [b, a, 1.0]
    assert learned, [t.output for t in first.tests]
    (sub / "answers.json").write_text(json.dumps(learned))
    again = grade(sub, tasks={"task0"})
    assert points_asked(again) and points_asked(again).isdisjoint(points_asked(first))
    assert again.score == first.score == 0.0
