"""The two engines a hidden check runs on: the student's (in a sandboxed worker) and the reference.

Both answer `run(probe, **args)` with the same plain JSON structures; only the student's can fail, and
then it raises ProbeFailure saying how (not started, an exception, a timeout, a crash, ...).
"""
from __future__ import annotations

import importlib
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import probes

HERE = Path(__file__).resolve().parent
# The form of each probe's answer (the keys a dict must have, or a list): anything else is a bad response,
# not a puzzle for the hidden test that reads it.
FORMS = {"closure": ("out", "grads", "linked"), "expression": ("out", "grads"), "mse": ("loss", "grads"),
         "training": ("losses", "params"), "own_training": ("losses", "params"), "graph": list, "sgd": list,
         "zero_grad": ("grads", "data", "before", "same_objects"),
         "module": ("count", "all_values", "in_order", "distinct", "same_objects")}


def well_formed(probe: str, answer) -> bool:
    form = FORMS.get(probe)
    if form is list:
        return isinstance(answer, list)
    return form is None or isinstance(answer, dict) and all(key in answer for key in form)


@dataclass
class ProbeFailure(Exception):
    kind: str        # not-implemented | exception | import-error | forbidden-import | timeout | crashed | exited
    #                  | out-of-memory | bad-response | time-budget | start-failed
    message: str
    task: str | None = None   # the task whose stub raised, for not-implemented
    error_type: str = ""

    def __str__(self):
        return self.message


class ReferenceEngine:
    """mygrad_ref, run in this (trusted) process."""

    def run(self, probe: str, slow: bool = False, **args):
        if probe in ("mse", "training", "module"):
            args["reference"] = True  # the reference needs no known-good stand-in
        return probes.run(lambda name: importlib.import_module(f"mygrad_ref.{name}"), probe, args)


class StudentEngine:
    """The student's mygrad, behind a sandboxed worker that only ever hands back numbers."""

    def __init__(self, submission: Path, budget_seconds: float = 120.0, request_timeout: float = 5.0,
                 mode: str | None = None):
        from .sandbox import Limits, Worker
        self.entry = Path(tempfile.mkdtemp(prefix="mygrad-worker-"))
        for name in ("worker_main.py", "probes.py"):  # only these two files are visible in the sandbox
            shutil.copy(HERE / name, self.entry / name)
        try:
            self.worker = Worker(self.entry, "worker_main.py", submission, Limits(request_timeout=request_timeout),
                                 mode=mode)
        except Exception:
            shutil.rmtree(self.entry, ignore_errors=True)
            raise
        self.deadline = time.monotonic() + budget_seconds
        self.budget, self.request_timeout = budget_seconds, request_timeout
        self.timeouts_in_row = 0
        self.forbidden: set[str] = set()
        self.events: list[str] = []  # timeouts, crashes: shown in the report

    @property
    def mode(self) -> str:
        return self.worker.mode

    @property
    def skipped(self) -> list[str]:
        """Files of the submission that the sandbox's copy left out, with the reason."""
        return self.worker.skipped

    def run(self, probe: str, slow: bool = False, **args):
        """The probe's answer; `slow` allows four times the usual time (deep graphs, whole training runs)."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise ProbeFailure("time-budget", f"not run: the submission used up its {self.budget:.0f} s "
                                              "time budget on earlier checks")
        if self.timeouts_in_row >= 3:  # e.g. an import that never returns: do not pay a timeout per check
            raise ProbeFailure("timeout", "not run: your code timed out on 3 checks in a row, so the remaining "
                                          "checks were skipped")
        timeout = self.request_timeout * (4 if slow else 1)
        outcome = self.worker.request({"probe": probe, "args": args}, timeout=min(timeout, left))
        self.timeouts_in_row = self.timeouts_in_row + 1 if outcome.kind == "timeout" else 0
        if outcome.kind != "ok":
            self.events.append(f"{probe}: {outcome.kind}: {outcome.detail}")
            raise ProbeFailure(outcome.kind, outcome.detail + (f"\n{outcome.output[-600:]}" if outcome.output.strip()
                                                               and outcome.kind != "timeout" else ""))
        reply = outcome.response
        self.forbidden |= set(reply.get("forbidden") or [])
        if "error" in reply:
            err = reply["error"] if isinstance(reply["error"], dict) else {}
            kind = ("not-implemented" if err.get("task") else "import-error" if err.get("import") else
                    "out-of-memory" if err.get("type") == "MemoryError" else "exception")
            where = f" (at {err['where']})" if err.get("where") else ""
            raise ProbeFailure(kind, f"{err.get('type', 'Error')}: {err.get('message', '')}{where}",
                               task=err.get("task"), error_type=str(err.get("type", "")))
        if "ok" not in reply or not well_formed(probe, reply["ok"]):
            raise ProbeFailure("bad-response", "the worker's answer did not have the form of this check's result")
        return reply["ok"]

    def close(self):
        self.worker.close()
        shutil.rmtree(self.entry, ignore_errors=True)
