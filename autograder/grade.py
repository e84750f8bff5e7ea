"""`mygrad grade`: run the hidden suites on one submission and collect one Results object.

The suites run with pytest in this (trusted) process; the student's code runs only in the sandboxed worker
behind `Student` (autograder/student.py). Nothing from the submission is imported here or put on this
process's sys.path.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import os
import time
from pathlib import Path

import pytest

from . import catalogue
from .affinity import one_cpu
from .diagnoses import explain
from .harness import Harness
from .intake import GradingError, find_package, missing_message, prepared, real_dir  # noqa: F401 (re-exported)
from .reference import Reference
from .results import Results, TestResult
from .sandbox import SandboxError
from .scan import SCAN_SECONDS, scan
from .student import Student

HIDDEN = Path(__file__).resolve().parent / "hidden"
# pytest's plugins that a hidden suite never uses (it marks rows and takes the harness's fixtures), each
# imported and set up per grade, and most of them run again around every test: off. `capture` too: a grade
# redirects this process's output itself, and the student's code prints in another process; the unraisable and
# thread-exception plugins would run full collections at the end to find what nobody raised here. `terminal`
# (nobody reads pytest's output: the Harness keeps each row, and a failure never reaches a report, so no
# traceback is formatted) and `assertion` (the checks raise their own Mistake: rewriting asserts buys
# nothing) too. `skipping` stays: a skip or xfail mark on a hidden test keeps its meaning.
PLUGINS_OFF = [
    arg
    for name in (
        "cacheprovider debugging unittest legacypath tmpdir monkeypatch recwarn pastebin junitxml doctest "
        "setuponly setupplan stepwise faulthandler subtests logging warnings capture unraisableexception "
        "threadexception terminal assertion reports"
    ).split()
    for arg in ("-p", f"no:{name}")
]


def rare_collections() -> None:
    """Set this process up for grading, once: the reference builds graphs whose every node is in a cycle
    through its closure, still in use, so at the default thresholds the cyclic collector runs again and again
    for nothing (most of a training step). Freeze what is loaded (never scanned again) and collect young
    objects every 200,000 allocations instead of 700, as the worker does. Memory stays bounded; the
    garbage of one grade is collected during the next (or never, by a command that then leaves with
    os._exit)."""
    global _collections_set
    if not _collections_set:
        gc.freeze()
        gc.set_threshold(200_000, 50, 100)
        _collections_set = True


_collections_set = False


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


def run_hidden_suites(*plugins, options=()) -> int:
    """pytest on the hidden suites, quietly, with only the given plugins and the built-in ones they need: no
    plugin autoload keeps other installed plugins out, and PLUGINS_OFF the built-in ones no hidden suite
    needs."""
    with (
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
        without_plugin_autoload(),
    ):
        args = [str(HIDDEN), *options, "-c", str(HIDDEN / "pytest.ini")]
        return pytest.main([*args, "--rootdir", str(HIDDEN), *PLUGINS_OFF], plugins=list(plugins))


def warm_up() -> None:
    """Import, once, everything a grade imports (pytest's lazily loaded parts, the hidden suites and what
    they use, the notebook reader), then set up the collector: for a process whose grades run in forks of it
    (forked.py), so that no fork imports or parses anything again (a notebook's grade did both: ~10 ms)."""
    from .nbgrader import notebook  # plain JSON and ast: no nbgrader

    run_hidden_suites(options=("--collect-only",))
    notebook.notebook_cells.core_module(catalogue.load(), catalogue.KIT_ROOT)
    rare_collections()


def missing_package_results(tasks, only, message) -> list[TestResult]:
    return [
        TestResult(f"{t.id} · all checks", t.id, 0.0, float(t.points), "failed", message, [t.id, "not-gradable"])
        for t in tasks.values()
        if only is None or t.id in only
    ]


def content_seed(folder: Path) -> int:
    """A number drawn from every file the sandbox's copy of the submission holds (every file its code can
    read): the hidden inputs of this grade. The same files always get the same grade; a submission cannot
    know its inputs in advance, since changing any file it could read them from changes them (a file of
    answers beside mygrad/, grown from one grade's feedback to the next, is such a change)."""
    digest = hashlib.sha256()
    for top, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            path = Path(top, name)
            try:
                digest.update(str(path.relative_to(folder)).encode(errors="surrogateescape") + b"\0")
                digest.update(path.read_bytes() + b"\0")
            except OSError:
                continue
    return int.from_bytes(digest.digest()[:8], "big")


def grade(
    path, *, tasks: set[str] | None = None, mode: str | None = None, budget: float = 120.0, request_timeout: float = 5.0
) -> Results:
    """Grade one submission folder (or .zip). Raises GradingError only when the grader cannot run."""
    started = time.monotonic()
    rare_collections()
    catalog = catalogue.load()
    intake_notes: list[str] = []  # intake (autograder/intake.py): what was graded, what was left out and why
    with prepared(path, intake_notes) as folder:
        root = find_package(folder)
        if root is None:
            why = missing_message(folder, intake_notes)
            return Results(
                missing_package_results(catalog, tasks, why),
                time.monotonic() - started,
                "none (nothing ran)",
                [f"NOT GRADED: {why}", *intake_notes],
            )
        found = scan(root)
        with one_cpu():  # the worker starts inside: both on one core (affinity.py says why)
            try:
                student = Student(root, budget_seconds=budget, request_timeout=request_timeout, mode=mode)
            except SandboxError as err:
                raise GradingError(f"cannot run student code safely: {err}") from err
            harness = Harness(student, Reference(), catalog, tasks, seed=content_seed(student.copy()))
            try:
                code = run_hidden_suites(harness)
            finally:
                student.close()
    if harness.fault:
        raise GradingError(f"cannot run student code safely: {harness.fault}")
    if code == pytest.ExitCode.INTERRUPTED:  # Ctrl-C or SIGTERM: pytest stopped; the worker is gone already
        raise KeyboardInterrupt
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED):
        raise GradingError(f"the hidden suites could not run (pytest exit status {int(code)}): a fault of the grader")
    notes = list(intake_notes)  # intake's notes first
    forbidden = sorted(student.forbidden) + list(dict.fromkeys(found.flagged))
    if forbidden:
        notes.append("FLAGGED: the submission uses code it must not (no points for any check): " + "; ".join(forbidden))
        for r in harness.results:
            r.score, r.status = 0.0, "failed"
            r.output += explain("forbidden-import")
            r.tags.append("forbidden-import")
    if found.mentions:
        notes.append(
            "Mentions another autograd library, never imported while grading (no points depend on it): "
            + "; ".join(found.mentions[:10])
        )
    if found.reaching:
        notes.append(
            "REVIEW by hand: code that reaches for stack frames, the heap or the worker's __main__ "
            "(the grader trusts only numbers that match its reference, but no honest engine needs "
            "this): " + "; ".join(found.reaching[:10])
        )
    if found.ignored:
        notes.append("Ignored (the grader never runs these): " + ", ".join(found.ignored[:20]))
    if found.cut_short:
        notes.append(f"The static scan stopped after {SCAN_SECONDS} s: a very large submission")
    if student.skipped:
        notes.append("Left out of the sandbox's copy: " + "; ".join(student.skipped[:10]))
    if student.events:
        notes.append("Worker events: " + "; ".join(student.events[:10]))
    return Results(harness.results, time.monotonic() - started, student.mode, notes)
