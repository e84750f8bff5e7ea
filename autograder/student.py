"""The student's mygrad behind a sandboxed worker: requests go in, validated plain numbers come out.

Every answer is checked against its declared form (answers.py) before a hidden check sees it; a failure
of any kind raises ProbeFailure saying how (not started, an exception, a timeout, a crash, ...).
"""

from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from . import answers, oracle

WORKER = Path(__file__).resolve().parent / "worker"  # the only grader files the sandbox sees (with their .pyc)
TIMEOUTS_IN_A_ROW = 3  # per task: then that task's remaining checks are skipped
AFTER_A_TIMEOUT = 1.0  # seconds a request may take once the submission has timed out (checks take milliseconds)
IMPORT = "import of your mygrad package"  # every request of a fresh worker starts with it


FailureKind = Literal[
    "not-implemented",
    "exception",
    "import-error",
    "timeout",
    "crashed",
    "exited",
    "out-of-memory",
    "bad-response",
    "time-budget",
    "start-failed",
]


@dataclass
class ProbeFailure(Exception):
    kind: FailureKind
    message: str
    task: str | None = None  # the task whose stub raised, for not-implemented
    error_type: str = ""

    def __str__(self):
        return self.message


class SandboxFault(Exception):
    """The sandbox itself failed (not the student's code): the grade stops, and says so."""


def checked_bytecode(source: Path) -> Path | None:
    """source's .pyc in the kit's own __pycache__, compiled again unless it is a checked-hash .pyc of the source
    as it is now. The sandbox's copy of the worker takes it along (sandbox.grader_files): the sandbox writes no
    .pyc, and compiling the worker's files again was about a quarter of the instructions of every worker
    start. The sandboxed Python checks the hash itself, whatever the copies' file times, and compiles the
    source instead on a mismatch. None where the .pyc cannot be written (a read-only install)."""
    pyc = Path(importlib.util.cache_from_source(str(source)))
    checked = importlib.util.MAGIC_NUMBER + (0b11).to_bytes(4, "little")  # flags: hash-based, checked
    try:
        with open(pyc, "rb") as f:
            if f.read(16) == checked + importlib.util.source_hash(source.read_bytes()):
                return pyc
    except OSError:
        pass
    import py_compile  # only on the first grade, or after the worker's files changed

    try:
        py_compile.compile(
            str(source), cfile=str(pyc), doraise=True, invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH
        )
    except (OSError, py_compile.PyCompileError):
        return None
    return pyc


class Student:
    def __init__(
        self, submission: Path, budget_seconds: float = 120.0, request_timeout: float = 5.0, mode: str | None = None
    ):
        from .sandbox import Limits, Worker

        for source in WORKER.glob("*.py"):
            checked_bytecode(source)
        self.worker = Worker(WORKER, "main.py", submission, Limits(request_timeout=request_timeout), mode=mode)
        self.deadline = time.monotonic() + budget_seconds
        self.budget, self.request_timeout = budget_seconds, request_timeout
        self.task = ""  # the task whose checks run now (set by the harness)
        self.timeouts: dict[str, int] = {}  # timeouts in a row, per task
        self.timed_out = False  # a request of this grade timed out
        self.stuck: dict[str, str] = {}  # a function of theirs that timed out alone -> in which task
        self.import_timeouts = 0  # fresh workers in a row whose import of the submission timed out
        self.forbidden: set[str] = set()
        self.events: list[str] = []  # timeouts, crashes: shown in the report
        self.prefetched: dict[str, dict] = {}  # experiments' answers asked ahead (experiments.prefetch), this test's

    @property
    def mode(self) -> str:
        return self.worker.mode

    def copy(self) -> Path:
        """The sandbox's copy of the submission (made now if need be): all its code can read of it."""
        return self.worker.prepared_submission()

    @property
    def skipped(self) -> list[str]:
        """Files of the submission that the sandbox's copy left out, with the reason."""
        return self.worker.skipped

    def run(self, probe: str, slow: bool = False, fresh: bool = False, touches: frozenset[str] = frozenset(), **args):
        """The probe's answer; `slow` allows four times the usual time (deep graphs, whole training runs);
        `fresh` runs it in a new worker process, which remembers nothing of earlier requests. `touches` names
        the student's functions the request calls (e.g. "`add` backward"): once a request that calls only
        one of them timed out, a later request that calls it again fails at once instead of waiting as long
        again (a loop in one function costs its checks, not minutes of everyone's grading time)."""
        if fresh:
            self.worker.kill()
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise ProbeFailure(
                "time-budget", f"not run: the submission used up its {self.budget:.0f} s time budget on earlier checks"
            )
        if self.timeouts.get(self.task, 0) >= TIMEOUTS_IN_A_ROW:
            raise ProbeFailure(
                "timeout",
                f"not run: your code timed out on {TIMEOUTS_IN_A_ROW} checks of "
                f"{self.task} in a row, so {self.task}'s other checks were skipped "
                "(other tasks are still checked)",
            )
        timeout = self.timeout() * (4 if slow else 1)
        if IMPORT in self.stuck:
            raise ProbeFailure(
                "timeout",
                f"not run: the {IMPORT} did not finish in time in an earlier check ({self.stuck[IMPORT]}), "
                "and every check needs it",
            )
        stuck = sorted(touches & self.stuck.keys())
        if stuck:
            raise ProbeFailure(
                "timeout",
                f"not run: your {stuck[0]} did not answer in time in an earlier check "
                f"({self.stuck[stuck[0]]}), and this check calls it again",
            )
        # only train() on the grader's model may ask for numbers: anywhere else a question is a bad response
        outcome = self.worker.request(
            {"probe": probe, "args": args},
            timeout=min(timeout, left),
            on_ask=oracle.answer if probe == "training" else None,
        )
        if outcome.kind == "start-failed":  # the grader's fault: no check may be charged for it
            raise SandboxFault(outcome.detail)
        self.timeouts[self.task] = self.timeouts.get(self.task, 0) + 1 if outcome.kind == "timeout" else 0
        self.timed_out = self.timed_out or outcome.kind == "timeout"
        self.remember_stuck(outcome, touches)
        if outcome.kind != "ok":
            self.events.append(f"{probe}: {outcome.kind}: {outcome.detail}")
            raise ProbeFailure(
                outcome.kind,
                outcome.detail
                + (f"\n{outcome.output[-300:]}" if outcome.output.strip() and outcome.kind != "timeout" else ""),
            )
        reply = outcome.response
        self.note_forbidden(reply)
        if "error" in reply:
            err = reply["error"]
            if not answers.valid_error(err):
                raise ProbeFailure("bad-response", "the worker's error report was not of the expected form")
            kind = (
                "not-implemented"
                if err["task"]
                else "import-error"
                if err["import"]
                else "out-of-memory"
                if err["type"] == "MemoryError"
                else "exception"
            )
            where = f" (at {err['where']})" if err["where"] else ""
            raise ProbeFailure(
                kind, f"{err['type']}: {err['message']}{where}", task=err["task"], error_type=err["type"]
            )
        if "ok" not in reply or not answers.valid(probe, reply["ok"]):
            raise ProbeFailure("bad-response", "the worker's answer did not have the form of this check's result")
        return reply["ok"]

    def timeout(self) -> float:
        """A request's deadline. Once the submission has looped, later requests wait less: an honest one
        answers in milliseconds, and a loop then costs the class's grading time once, not at every check."""
        return min(self.request_timeout, AFTER_A_TIMEOUT) if self.timed_out else self.request_timeout

    def note_forbidden(self, reply: dict) -> None:
        """The forbidden modules the worker says its process has loaded (at most 20 names, 100 characters)."""
        forbidden = reply.get("forbidden")
        if isinstance(forbidden, list):
            self.forbidden |= {str(m)[:100] for m in forbidden[:20]}

    def run_together(self, requests: list[tuple[str, dict]]) -> list:
        """The answers to requests that do not depend on one another, asked in one round trip (each trip costs
        both processes a wake-up), as they would be answered one after another. A list of None where that fails
        in any way (an exception, a timeout, a crash, a bad answer): the checks then ask one request at a time
        and meet the failure where it is, and nothing of this try counts against the submission (no timeout
        is counted, no event shown: only its time passes). Only once a worker has imported the submission (a
        slow import is charged to the check that waited for it) and while nothing has timed out in this task.
        The try waits at most AFTER_A_TIMEOUT (its CPU share, once imported): its requests take milliseconds,
        and a loop in one of them would otherwise cost its full deadline here and again in the check that
        meets it."""
        left = self.deadline - time.monotonic()
        running = self.worker.proc is not None and self.worker.ready
        if len(requests) < 2 or left <= 0 or not running or self.stuck or self.timeouts.get(self.task, 0):
            return [None] * len(requests)
        outcome = self.worker.request(
            {"probe": "batch", "args": {"requests": [{"probe": p, "args": a} for p, a in requests]}},
            timeout=min(self.timeout(), AFTER_A_TIMEOUT, left),
        )
        if outcome.kind == "start-failed":
            raise SandboxFault(outcome.detail)
        reply = outcome.response if outcome.kind == "ok" else {}
        self.note_forbidden(reply)
        got = reply.get("ok")
        if not isinstance(got, list) or len(got) != len(requests):
            return [None] * len(requests)
        if not all(answers.valid(probe, answer) for (probe, _), answer in zip(requests, got)):
            return [None] * len(requests)
        self.timeouts[self.task] = 0
        return got

    def remember_stuck(self, outcome, touches: frozenset[str]) -> None:
        """What a timeout says is stuck: the one function of theirs the request called, or, when the worker
        never got past importing their package twice in a row (two fresh workers: once could be a slow
        moment of the machine), that import. A timeout while a module was imported on first use is that
        import's, said as such, and no function's."""
        if self.worker.importing and outcome.kind == "timeout":
            outcome.detail += (
                f", still importing mygrad/{self.worker.importing}.py on its first use (code at the top level of "
                "a module runs when it is imported: a demo or a training run there belongs under "
                "`if __name__ == '__main__':`)"
            )
        elif self.worker.ready:
            self.import_timeouts = 0
            if outcome.kind == "timeout" and len(touches) == 1:
                self.stuck.setdefault(next(iter(touches)), self.task)
        elif outcome.kind == "timeout":
            self.import_timeouts += 1
            outcome.detail += f", still in the {IMPORT} (code at the top level of a module runs on import)"
            if self.import_timeouts >= 2:
                self.stuck.setdefault(IMPORT, self.task)

    def close(self):
        self.worker.close()
