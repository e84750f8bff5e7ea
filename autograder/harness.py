"""The hidden suites' side of pytest: the `group` marker, the fixtures, and one TestResult per hidden test.

Hidden tests import `group` from here; `grade()` runs them with a Harness as a plugin.
"""
from __future__ import annotations

import random
import re

import pytest

from .checks import Mistake, explain
from .diagnoses import DIAGNOSES
from .results import TestResult
from .student import ProbeFailure, SandboxFault


def group(task: str, title: str, weight: float = 1.0, needs: tuple[str, ...] = (), challenge: bool = False):
    """Mark a hidden test as one report row: its task, its title, its share of the task's points. A challenge
    row is shown apart and never makes its task count as failing for later tasks."""
    return pytest.mark.mygrad(task=task, title=title, weight=weight, needs=tuple(needs), challenge=challenge)


OPERATORS = {'+': 'add', '-': 'sub', '*': 'mul', '/': 'truediv', '**': 'pow'}
UNSUPPORTED = re.compile(r"unsupported operand type\(s\) for (\*\*|[-+*/]): '(\w+)' and '(\w+)'")
UNARY = re.compile(r"bad operand type for unary -: '(\w+)'")
NO_ATTRIBUTE = re.compile(r"'(\w+)' object has no attribute '(\w+)'")
CONTRACT_NAMES = {"data", "grad", "_prev", "_op", "_backward", "backward", "tanh", "exp", "log", "relu", "w", "b",
                  "neurons", "layers", "parameters", "zero_grad", "topological_sort", "mse_loss", "sgd_step",
                  "train", "Value", "Neuron", "Layer", "MLP", "Module"}
KEYWORD = re.compile(r"(\w+)\(\) got an unexpected keyword argument '(\w+)'")


def missing_operation(err: ProbeFailure) -> tuple[str, str] | None:
    """(text, code) when the error says an operator, method or argument is missing rather than wrong."""
    if m := UNSUPPORTED.search(err.message):
        symbol, left, right = m.groups()
        if left in ('int', 'float'):
            return (f"`{right}` has no `__r{OPERATORS[symbol]}__`: `2 {symbol} a` needs it (a plain number on the "
                    "left of a Value)", "missing-reflected-op")
        return f"`{left}` has no `__{OPERATORS[symbol]}__`: `a {symbol} b` needs it", "missing-method"
    if m := UNARY.search(err.message):
        return f"`{m.group(1)}` has no `__neg__`: `-a` (and so `a - b`) needs it", "missing-method"
    if (m := NO_ATTRIBUTE.search(err.message)) and err.error_type == "AttributeError":
        owner, name = m.groups()
        if owner in ('int', 'float'):
            return None
        asked = " (the contract, docs/contract.md, asks for it)" if name in CONTRACT_NAMES else ""
        return f"`{owner}` has no attribute `{name}`{asked}", "missing-method"
    if m := KEYWORD.search(err.message):
        return (f"`{m.group(1)}` does not take `{m.group(2)}=`: the contract (docs/contract.md) gives its "
                "signature", "missing-method")
    return None


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
        if err.error_type == "RecursionError":
            return (f"Your code raised {err.message}\n  Endless or very deep recursion: an operator that calls "
                    "itself (e.g. `__radd__` returning `other + self`), or a recursive walk on a deep graph (use "
                    "an explicit stack)."), ["recursion-limit"]
        constant = NO_ATTRIBUTE.search(err.message)
        if err.error_type == "AttributeError" and constant and constant.group(1) in ("int", "float"):
            return (f"A plain number reached code that expects a Value: {err.message}" + explain(
                "constant-not-wrapped")), ["constant-not-wrapped"]
        missing = missing_operation(err)
        if missing:
            return f"{missing[0]} ({err.message}).", [missing[1]]
        said = "Your code raised" if where else "What your code returned could not be used:"
        return f"{said} {err.message}", ["exception"]
    said = {"timeout": "Your code did not answer in time and was stopped (an endless loop or a very slow step?).",
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
    """A pytest plugin: the `student`, `reference` and `rng` fixtures, and one TestResult per hidden test."""

    def __init__(self, student, reference, tasks, only: set[str] | None = None, seed: int = 0):
        self._student, self._reference, self.tasks, self.only = student, reference, tasks, only
        self.grade_seed = seed
        self.results: list[TestResult] = []
        self.points: dict[str, float] = {}
        self.core_failures: set[str] = set()   # tasks with a failing row that is not a challenge
        self.fault = ""                        # the sandbox failed: the grade stops and says why

    @pytest.fixture
    def student(self, request):
        self._student.task = request.node.get_closest_marker("mygrad").kwargs["task"]
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
        return random.Random(f"{self.grade_seed}:{request.node.name}").randrange(2 ** 32)

    def pytest_configure(self, config):
        config.addinivalue_line("markers", "mygrad(task, title, weight, needs, challenge): one row of the report")

    def pytest_collection_modifyitems(self, items, config):
        marked = [(i, i.get_closest_marker("mygrad").kwargs) for i in items if i.get_closest_marker("mygrad")]
        keep = [(i, m) for i, m in marked if self.only is None or m["task"] in self.only]
        items[:] = [i for i, _ in keep]
        weights: dict[str, float] = {}
        for _, m in keep:
            weights[m["task"]] = weights.get(m["task"], 0.0) + m["weight"]
        for item, m in keep:
            self.points[item.nodeid] = self.tasks[m["task"]].points * m["weight"] / weights[m["task"]]

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
        if isinstance(err, SandboxFault):
            self.fault = str(err)
            item.session.shouldstop = self.fault
            return
        if isinstance(err, Mistake):
            text, codes = err.feedback, err.codes
        elif isinstance(err, ProbeFailure):
            text, codes = failure_text(err, m["task"])
        elif type(err).__name__ == "Flaky":
            text, codes = ("The same check gave different results on repeated runs." + explain("order-dependent"),
                           ["order-dependent"])
        else:  # a bug in a hidden test must not pass for the student's: say so plainly
            text, codes = f"The grader could not complete this check ({type(err).__name__}: {err}).", ["grader-error"]
        blocking = [t for t in m["needs"] if t in self.core_failures]
        if blocking and "needs-earlier-task" not in codes:
            text += (f"\n  Note: {' and '.join(blocking)} also fail{'s' if len(blocking) == 1 else ''}; fix "
                     f"{blocking[0]} first, then look at this again.")
            codes = codes + ["needs-earlier-task"]
        if not m.get("challenge"):
            self.core_failures.add(m["task"])
        self.results.append(TestResult(name, m["task"], 0.0, points, "failed", text, [m["task"], *codes]))
