"""The hidden suites' side of pytest: the `group` marker, the fixtures, and one TestResult per hidden test.

Hidden tests import `group` from here; `grade()` runs them with a Harness as a plugin.
"""

from __future__ import annotations

import random
import re

import pytest

from .checks import Mistake
from .diagnoses import explain
from .diagnoses.failures import failure_text
from .experiments import GraphTooLarge
from .results import TestResult
from .student import IMPORT, ProbeFailure, SandboxFault


def group(
    task: str,
    title: str,
    weight: float = 1.0,
    needs: tuple[str, ...] = (),
    challenge: bool = False,
    needs_earned: bool = False,
):
    """Mark a hidden test as one report row: its task, its title, its share of the task's points. A challenge
    row is shown apart and never makes its task count as failing for later tasks. A row with needs_earned
    runs the student's whole stack: it is not judged while a task it needs has earned no point (no honest
    kit passes it then, and a model that looks its data up would)."""
    return pytest.mark.mygrad(
        task=task, title=title, weight=weight, needs=tuple(needs), challenge=challenge, needs_earned=needs_earned
    )


def first_error(err: BaseException) -> BaseException:
    """Hypothesis reports several distinct failures as a group: show the first."""
    while hasattr(err, "exceptions") and err.exceptions:
        err = err.exceptions[0]
    return err


class Harness:
    """A pytest plugin: the `student`, `reference` and `rng` fixtures, and one TestResult per hidden test."""

    def __init__(self, student, reference, tasks, only: set[str] | None = None, seed: int = 0):
        self._student, self._reference, self.tasks, self.only = student, reference, tasks, only
        self.grade_seed = seed
        self.results: list[TestResult] = []
        self.points: dict[str, float] = {}
        self.core_failures: set[str] = set()  # tasks with a failing row that is not a challenge
        self.failure_codes: dict[str, set[str]] = {}  # the diagnosis codes of each task's failing core rows
        self.fault = ""  # the sandbox failed: the grade stops and says why
        self.recorded: set[str] = set()  # the tests whose row record() has made

    @pytest.fixture
    def student(self):  # the task whose checks run is set for each test by pytest_runtest_call
        return self._student

    @pytest.fixture
    def reference(self):
        return self._reference

    @pytest.fixture
    def rng(self, request):
        """Numbers drawn for this grade and this check: a submission cannot know them in advance."""
        return random.Random(f"{self.grade_seed}:{request.node.name}")

    @pytest.fixture
    def seed(self, request):
        return random.Random(f"{self.grade_seed}:{request.node.name}").randrange(2**32)

    def pytest_collection_modifyitems(self, items, config):
        marked = [(i, i.get_closest_marker("mygrad").kwargs) for i in items if i.get_closest_marker("mygrad")]
        keep = [(i, m) for i, m in marked if self.only is None or m["task"] in self.only]
        items[:] = [i for i, _ in keep]
        weights: dict[str, float] = {}
        for _, m in keep:
            weights[m["task"]] = weights.get(m["task"], 0.0) + m["weight"]
        for item, m in keep:
            self.points[item.nodeid] = self.tasks[m["task"]].points * m["weight"] / weights[m["task"]]

    def blocking(self, marker, text: str, codes: list[str]) -> list[str]:
        """The earlier tasks to fix first, most likely cause first: a task whose file the error comes from,
        then one whose failing rows share a diagnosis with this one, then the row's other prerequisites."""
        failing = [t for t in self.tasks if t in self.core_failures and t != marker["task"]]
        # the file a syntax error is in ("(nn.py, line 61)"), and where the traceback left mygrad ("(at train.py:2")
        files = [a or b for a, b in re.findall(r"\((\w+\.py), line \d+\)|\(at (\w+\.py):", text)]
        owners = [t for t in failing if any(f"mygrad/{f}" in self.tasks[t].files for f in files)]
        sharing = [
            t
            for t in failing
            if t in marker["needs"]
            and set(codes) & self.failure_codes.get(t, set()) - {"exception", "needs-earlier-task"}
        ]
        rest = [t for t in marker["needs"] if t in failing]
        return list(dict.fromkeys([*owners, *sharing, *rest]))[:3]

    def pytest_runtest_setup(self, item):
        """A needs_earned row is failed here, before it runs, while a task it needs (and that this grade
        checks) has no passing row: the harness records the failure like any other (makereport)."""
        m = item.get_closest_marker("mygrad").kwargs
        if not m.get("needs_earned") or IMPORT in self._student.stuck:  # then the row says the import never ended
            return
        graded = [t for t in m["needs"] if self.only is None or t in self.only]
        empty = [t for t in graded if not any(r.task == t and r.score > 0 for r in self.results)]
        if empty:
            raise Mistake(
                f"Not judged: {' and '.join(empty)} earned no points, and this check runs your whole stack on "
                f"{'it' if len(empty) == 1 else 'them'}; fix {empty[0]} first, then look at this again."
                + explain("needs-earlier-task"),
                "needs-earlier-task",
            )

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        """One row per test, from how its call ended. A failure is recorded here and not passed on: pytest
        would only format a traceback report (most of a failing test's cost) that nobody reads."""
        self._student.task = item.get_closest_marker("mygrad").kwargs["task"]
        self._student.prefetched = {}  # asked ahead for another test: never an answer here
        outcome = yield
        err = outcome.excinfo[1] if outcome.excinfo else None
        if not isinstance(err, (KeyboardInterrupt, SystemExit)):  # Ctrl-C and SIGTERM stop the grade
            self.record(item, err)  # a pytest.skip() or pytest.fail() too: a row never goes missing
            outcome.force_result(None)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = (yield).get_result()
        if report.failed and report.when != "teardown" and item.nodeid not in self.recorded:
            # a fixture of the grader failed, or record() itself did: the row is made from that failure ("the
            # grader could not complete this check"), never left out
            self.record(item, call.excinfo.value)

    def record(self, item, err: BaseException | None):
        m = item.get_closest_marker("mygrad").kwargs
        points = self.points[item.nodeid]
        name = f"{m['task']} · {m['title']}"
        if err is None:
            self.results.append(TestResult(name, m["task"], points, points, "passed", "Passed.", [m["task"]]))
            self.recorded.add(item.nodeid)
            return
        err = first_error(err)
        if isinstance(err, SandboxFault):
            self.fault = str(err)
            item.session.shouldstop = self.fault
            self.recorded.add(item.nodeid)  # no row: the grade stops
            return
        graph = None
        if isinstance(err, Mistake):
            text, codes, graph = err.feedback, err.codes, err.graph
        elif isinstance(err, GraphTooLarge):
            text, codes = str(err) + explain("graph-too-large"), ["graph-too-large"]
        elif isinstance(err, ProbeFailure):
            text, codes = failure_text(err, m["task"])
        elif type(err).__name__ == "Flaky":
            text, codes = (
                "The same check gave different results on repeated runs." + explain("order-dependent"),
                ["order-dependent"],
            )
        else:  # a bug in a hidden test must not pass for the student's: say so plainly
            text, codes = f"The grader could not complete this check ({type(err).__name__}: {err}).", ["grader-error"]
        blocking = self.blocking(m, text, codes)
        if blocking and "needs-earlier-task" not in codes:
            text += (
                f"\n  Note: {' and '.join(blocking)} also fail{'s' if len(blocking) == 1 else ''}; fix "
                f"{blocking[0]} first, then look at this again."
            )
            codes = codes + ["needs-earlier-task"]
        if not m.get("challenge"):
            self.core_failures.add(m["task"])
            self.failure_codes.setdefault(m["task"], set()).update(codes)
        self.results.append(TestResult(name, m["task"], 0.0, points, "failed", text, [m["task"], *codes], graph))
        self.recorded.add(item.nodeid)
