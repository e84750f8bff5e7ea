"""`mygrad grade`: run the hidden suites on one submission and collect one Results object.

The suites run with pytest in this (trusted) process; the student's code runs only in the sandboxed worker
behind `StudentEngine`. Nothing from the submission is imported here or put on this process's sys.path.
"""
from __future__ import annotations

import ast
import contextlib
import io
import os
import re
import stat
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from . import catalogue
from .catalogue import KIT_ROOT
from .checks import Mistake
from .diagnoses import DIAGNOSES
from .engines import ProbeFailure, ReferenceEngine, StudentEngine
from .results import Results, TestResult
from .sandbox import MAX_DEPTH, SandboxError
from .intake import GradingError, find_package, missing_message, prepared, real_dir  # noqa: F401 (re-exported)

HIDDEN = Path(__file__).resolve().parent / "hidden"
KIT = ("mygrad_ref", "solutions", "autograder")                        # the answers and the grader itself
INTERNALS = ("probes", "worker_main")                                 # the grader's files in the sandbox
FORBIDDEN = KIT + ("micrograd", "torch", "tinygrad", "jax", "tensorflow")  # ... and other autograd libraries
MODULE_PATH = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")                 # 'torch.nn', not 'torch. See ...'
MAX_SCANNED_BYTES, MAX_SCANNED_ENTRIES = 256 << 10, 5000  # bounds on the grader's own work (and MAX_DEPTH)
SCAN_SECONDS = 10
# Names that only code reaching into the grader's worker needs (frames, the heap, its __main__): worth a look
REACHING = ("_getframe", "f_back", "f_globals", "f_locals", "get_objects", "get_referrers", "__main__", "/grader")
IGNORED = ("conftest.py", "pytest.ini", "sitecustomize.py", "usercustomize.py", "setup.cfg", "tox.ini")


def group(task: str, title: str, weight: float = 1.0, needs: tuple[str, ...] = ()):
    """Mark a hidden test as one report row: its task, its title, its share of the task's points."""
    return pytest.mark.mygrad(task=task, title=title, weight=weight, needs=tuple(needs))


def failure_text(err: ProbeFailure, task: str) -> tuple[str, list[str]]:
    where = re.search(r"\(at ([^)]*)\)$", err.message)
    at = f" ({where.group(1)})" if where else ""
    if err.kind == "not-implemented":
        if err.task == task:
            return f"{task} is not started (or not finished): a stub{at} still raises NotImplementedError.", \
                ["not-implemented"]
        return (f"This check needs {err.task}, which is not finished yet: a stub{at} still raises "
                f"NotImplementedError. Fix {err.task} first.", ["needs-earlier-task"])
    if err.kind == "import-error":
        return f"A file of your mygrad package could not be imported: {err.message}", ["import-error"]
    if err.kind == "exception":
        code = "recursion-limit" if err.error_type == "RecursionError" else "exception"
        extra = ("\n  Endless or very deep recursion: an operator that calls itself (e.g. `__radd__` returning "
                 "`other + self`), or a recursive walk on a deep graph (use an explicit stack)."
                 if code == "recursion-limit" else "")
        said = "Your code raised" if where else "Checking what your code returned raised"
        return f"{said} {err.message}{extra}", [code]
    said = {"timeout": "Your code did not answer in time and was stopped (an endless loop or a very slow step?); "
                       "a fresh worker ran the remaining checks.",
            "crashed": "The process running your code crashed", "exited": "Your code ended the process",
            "out-of-memory": "Your code ran out of memory", "bad-response": "The answer from your code's process "
                                                                           "was not valid"}.get(err.kind, "")
    return f"{said} ({err.message})" if said else err.message, [err.kind if err.kind in DIAGNOSES else "crashed"]


def first_error(err: BaseException) -> BaseException:
    """Hypothesis reports several distinct failures as a group: show the first."""
    while hasattr(err, "exceptions") and err.exceptions:
        err = err.exceptions[0]
    return err


class Harness:
    """A pytest plugin: the `student` and `reference` fixtures, and one TestResult per hidden test."""

    def __init__(self, student, reference, tasks, only: set[str] | None = None):
        self._student, self._reference, self.tasks, self.only = student, reference, tasks, only
        self.results: list[TestResult] = []
        self.points: dict[str, float] = {}

    @pytest.fixture
    def student(self):
        return self._student

    @pytest.fixture
    def reference(self):
        return self._reference

    def pytest_configure(self, config):
        config.addinivalue_line("markers", "mygrad(task, title, weight, needs): one row of the grade report")

    def pytest_collection_modifyitems(self, items, config):
        marked = [(i, i.get_closest_marker("mygrad").kwargs) for i in items if i.get_closest_marker("mygrad")]
        keep = [(i, m) for i, m in marked if self.only is None or m["task"] in self.only]
        items[:] = [i for i, _ in keep]
        weights: dict[str, float] = {}
        for _, m in keep:
            weights[m["task"]] = weights.get(m["task"], 0.0) + m["weight"]
        for item, m in keep:
            self.points[item.nodeid] = self.tasks[m["task"]].points * m["weight"] / weights[m["task"]]

    def failed_tasks(self) -> set[str]:
        return {r.task for r in self.results if r.status == "failed"}

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = (yield).get_result()
        if report.when != "call" and not report.failed or report.when == "teardown":
            return
        m = item.get_closest_marker("mygrad").kwargs
        points = self.points[item.nodeid]
        name = f"{m['task']} · {m['title']}"
        if report.passed:
            self.results.append(TestResult(name, m["task"], points, points, "passed", "Passed.", [m["task"]]))
            return
        err = first_error(call.excinfo.value)
        if isinstance(err, Mistake):
            text, codes = err.feedback, err.codes
        elif isinstance(err, ProbeFailure):
            text, codes = failure_text(err, m["task"])
        elif type(err).__name__ == "Flaky":
            text, codes = ("The same check gave different results on repeated runs." + "\n  Diagnosis [order-dependent]: "
                           + DIAGNOSES["order-dependent"]), ["order-dependent"]
        else:  # a bug in a hidden test must not pass for the student's: say so plainly
            text, codes = f"The grader could not complete this check ({type(err).__name__}: {err}).", ["grader-error"]
        blocking = [t for t in m["needs"] if t in self.failed_tasks()]
        if blocking and "needs-earlier-task" not in codes:
            text += (f"\n  Note: {' and '.join(blocking)} also fail{'s' if len(blocking) == 1 else ''}; fix "
                     f"{blocking[0]} first, then look at this again.")
            codes = codes + ["needs-earlier-task"]
        self.results.append(TestResult(name, m["task"], 0.0, points, "failed", text, [m["task"], *codes]))


def entries(folder: Path):
    """Every file and folder below folder, without following links or entering hidden folders (.git,
    .venv), at most MAX_DEPTH deep and MAX_SCANNED_ENTRIES in all (the grader's own work stays bounded)."""
    stack, seen = [(folder, 0)], 0
    while stack:
        top, depth = stack.pop()
        try:
            names = sorted(os.listdir(top))
        except OSError:
            continue
        for name in names:
            seen += 1
            if seen > MAX_SCANNED_ENTRIES:
                return
            path = top / name
            yield path
            if depth < MAX_DEPTH and real_dir(path) and not name.startswith(".") and name != "__pycache__":
                stack.append((path, depth + 1))


def code_names(path: Path) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(line, module) for each absolute import and each string that reads like a module path; and
    (line, name) for each use of a name in REACHING (not counting `if __name__ == "__main__":`)."""
    try:
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_SCANNED_BYTES:
            return [], []  # a link, a FIFO or a device is never read (it could point anywhere, or block)
        tree = ast.parse(path.read_bytes(), filename=str(path))
        nodes = list(ast.walk(tree))
    except (SyntaxError, ValueError, OSError, MemoryError, RecursionError):
        return [], []  # the worker reports syntax errors, task by task; a parser bomb is the worker's too
    compared = {id(c) for node in nodes if isinstance(node, ast.Compare) for c in node.comparators}
    modules, reaching = [], []
    for node in nodes:
        names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                 [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else
                 [node.value] if isinstance(node, ast.Constant) and isinstance(node.value, str)
                 and MODULE_PATH.fullmatch(node.value) else [])
        modules += [(node.lineno, n) for n in names]
        text = (node.attr if isinstance(node, ast.Attribute) else
                node.value if isinstance(node, ast.Constant) and isinstance(node.value, str)
                and id(node) not in compared else "")
        reaching += [(node.lineno, r) for r in REACHING if r in text[:200]] + [
            (node.lineno, n) for n in names if n == "__main__" and not isinstance(node, ast.Constant)]
    return modules, reaching


@dataclass
class Scan:
    """What a static look at the submission (parsed, never run) found."""
    flagged: list[str] = field(default_factory=list)   # no points: the kit's own code named anywhere, or a
    #                                                    copy of a forbidden package where Python imports it
    mentions: list[str] = field(default_factory=list)  # another autograd library named: it cannot be imported
    #                                                    in the sandbox, so no points depend on it
    reaching: list[str] = field(default_factory=list)  # code that reaches for frames, the heap or __main__
    ignored: list[str] = field(default_factory=list)   # conftest.py and friends: never run
    cut_short: bool = False                             # the scan stopped at its time bound


def scan(folder: Path) -> Scan:
    found = Scan()
    own = (KIT_ROOT / "exercises" / "conftest.py").read_bytes()
    give_up = time.monotonic() + SCAN_SECONDS
    for path in entries(folder):
        if time.monotonic() > give_up:
            found.cut_short = True
            break
        rel = path.relative_to(folder).as_posix()
        info = path.lstat()
        same = stat.S_ISREG(info.st_mode) and info.st_size == len(own) and path.read_bytes() == own
        if (path.name in IGNORED or path.name.endswith(".pth")) and not same:
            found.ignored.append(rel)  # the self-check conftest that students receive is not worth a mention
        name = path.stem if path.suffix == ".py" else path.name
        importable = path.parent in (folder, folder / "mygrad") and (path.is_dir() or path.suffix == ".py")
        if name in FORBIDDEN and (importable or name in KIT):
            found.flagged.append(f"{rel} (a copy of {name} inside the submission)")
        if path.suffix == ".py":
            modules, reaching = code_names(path)
            for line, module in modules:
                top = module.split(".")[0]
                if top in FORBIDDEN + INTERNALS:
                    (found.flagged if top in KIT + INTERNALS else found.mentions).append(f"{rel}:{line} uses {module}")
            found.reaching += [f"{rel}:{line} uses {name}" for line, name in reaching]
    return found


@contextlib.contextmanager
def without_plugin_autoload():
    saved = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = saved


def missing_package_results(tasks, only, message) -> list[TestResult]:
    return [TestResult(f"{t.id} · all checks", t.id, 0.0, float(t.points), "failed", message, [t.id, "import-error"])
            for t in tasks.values() if only is None or t.id in only]


def grade(path, *, tasks: set[str] | None = None, mode: str | None = None, budget: float = 120.0,
          request_timeout: float = 5.0) -> Results:
    """Grade one submission folder (or .zip). Raises GradingError only when the grader cannot run."""
    started = time.monotonic()
    catalog = catalogue.load()
    intake_notes: list[str] = []  # intake (autograder/intake.py): what was graded, what was left out and why
    with prepared(path, intake_notes) as folder:
        root = find_package(folder)
        if root is None:
            return Results(missing_package_results(catalog, tasks, missing_message(folder, intake_notes)),
                           time.monotonic() - started, "none (nothing ran)", intake_notes)
        found = scan(root)
        try:
            student = StudentEngine(root, budget_seconds=budget, request_timeout=request_timeout, mode=mode)
        except SandboxError as err:
            raise GradingError(f"cannot run student code safely: {err}") from err
        harness = Harness(student, ReferenceEngine(), catalog, tasks)
        try:
            # --assert=plain: the checks raise their own Mistake, so rewriting every module's asserts (most of
            # the start-up time) buys nothing; no plugin autoload keeps other installed plugins out
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
                    without_plugin_autoload():
                pytest.main([str(HIDDEN), "-q", "-p", "no:cacheprovider", "--assert=plain", "-c",
                             str(HIDDEN / "pytest.ini"), "--rootdir", str(HIDDEN)], plugins=[harness])
        finally:
            student.close()
    notes = list(intake_notes)  # intake's notes first
    forbidden = sorted(student.forbidden) + list(dict.fromkeys(found.flagged))
    if forbidden:
        notes.append("FLAGGED: the submission uses code it must not (no points for any check): "
                     + "; ".join(forbidden))
        for r in harness.results:
            r.score, r.status = 0.0, "failed"
            r.output = f"{r.output}\n  Diagnosis [forbidden-import]: {DIAGNOSES['forbidden-import']}"
            r.tags.append("forbidden-import")
    if found.mentions:
        notes.append("Mentions another autograd library, never imported while grading (no points depend on it): "
                     + "; ".join(found.mentions[:10]))
    if found.reaching:
        notes.append("REVIEW by hand: code that reaches for stack frames, the heap or the worker's __main__ "
                     "(the grader trusts only numbers that match its reference, but no honest engine needs "
                     "this): " + "; ".join(found.reaching[:10]))
    if found.ignored:
        notes.append("Ignored (the grader never runs these): " + ", ".join(found.ignored[:20]))
    if found.cut_short:
        notes.append(f"The static scan stopped after {SCAN_SECONDS} s: a very large submission")
    if student.skipped:
        notes.append("Left out of the sandbox's copy: " + "; ".join(student.skipped[:10]))
    if student.events:
        notes.append("Worker events: " + "; ".join(student.events[:10]))
    return Results(harness.results, time.monotonic() - started, student.mode, notes)
