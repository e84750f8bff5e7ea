"""One results model, rendered as the terminal report, Gradescope's results.json, and task totals."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

# Feedback quotes student text (exception messages, file names): a terminal escape in it must not redraw
# the report, so every control character but newline and tab is shown as U+FFFD.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


MAX_FEEDBACK, MAX_NOTE, MAX_NOTES = 4000, 1500, 30  # characters per check, per note; notes per report
WORKER = Path(__file__).resolve().parent / "worker"


def printable(text: str) -> str:
    """Without control characters, and encodable (a file name's undecodable bytes arrive as surrogates)."""
    return CONTROL.sub("\ufffd", text).encode("utf-8", "replace").decode("utf-8")


@lru_cache(maxsize=1)
def worker_lines() -> tuple[str, ...]:
    """The worker's own source lines long enough to recognise (student code can read them in the sandbox)."""
    return tuple(
        {line.strip() for f in WORKER.glob("*.py") for line in f.read_text().splitlines() if len(line.strip()) >= 40}
    )


@lru_cache(maxsize=1)
def worker_windows() -> frozenset[str]:
    """Every 40-character piece of those lines. A line of text holds a worker line, or is a long piece of one,
    only if it holds one of these: a look at each of its pieces in this set rules out most lines at once,
    before comparing them with each of the 200-odd lines."""
    return frozenset(w[i : i + 40] for w in worker_lines() for i in range(len(w) - 39))


def visible(text: str, limit: int) -> str:
    """Text fit for a student's feedback: printable, capped, and without the grader's worker code in it."""
    text = printable(text[: limit * 2])
    lines, windows = worker_lines(), worker_windows()

    def theirs(line: str) -> bool:  # a line of the worker's code in it, or a long piece of one (40 or more)
        piece = line.strip()  # a worker line has no space at either end: it is within the stripped line
        if not any(piece[i : i + 40] in windows for i in range(len(piece) - 39)):
            return False
        return any(w in line for w in lines) or any(piece in w for w in lines)

    if any(theirs(line) for line in text.splitlines()):
        text = "\n".join(
            "[a line of the grader's worker code, not shown]" if theirs(line) else line for line in text.splitlines()
        )
    return text if len(text) <= limit else text[: limit - 40] + f" [... {len(text) - limit + 40} more characters]"


@dataclass
class TestResult:
    name: str
    task: str
    score: float
    max_score: float
    status: Literal["passed", "failed"]
    output: str = ""  # the feedback: what was checked, the example, the diagnosis
    tags: list[str] = field(default_factory=list)  # the task id, then any diagnosis codes
    graph: dict | None = None  # a failed graph check's nodes, numbers and first wrong node (checks.drawing)


@dataclass
class Results:
    tests: list[TestResult]
    execution_time: float = 0.0
    isolation: str = ""
    notes: list[str] = field(default_factory=list)  # flags for the instructor: forbidden imports, crashes

    def __post_init__(self):
        self.notes = [visible(n, MAX_NOTE).replace("\n", "\ufffd") for n in self.notes[:MAX_NOTES]]  # one line each
        for t in self.tests:
            t.name, t.output = visible(t.name, 200), visible(t.output, MAX_FEEDBACK)

    @property
    def score(self) -> float:
        return round(sum(t.score for t in self.tests), 4)

    @property
    def max_score(self) -> float:
        return round(sum(t.max_score for t in self.tests), 4)

    def task_scores(self) -> dict[str, tuple[float, float]]:
        totals: dict[str, tuple[float, float]] = {}
        for t in self.tests:
            s, m = totals.get(t.task, (0.0, 0.0))
            totals[t.task] = (s + t.score, m + t.max_score)
        return {task: (round(s, 4), round(m, 4)) for task, (s, m) in totals.items()}

    def hints(self) -> dict[str, str]:
        """For each task that lost points, where to start: the diagnosis of its first failed row of its own
        (graded order), the mistake the self-check's failing check points at too; "fix the earlier task
        first" when every lost point comes from one; else the task's first hint (solutions/tasks.toml). The
        task's first hint alone often spoke of another mistake (the power rule for a tanh bug)."""
        from . import catalogue
        from .diagnoses import DIAGNOSES

        tasks, hints = catalogue.load(), {}
        for task, (score, most) in self.task_scores().items():
            if score >= most or task not in tasks:
                continue
            failed = [t for t in self.tests if t.task == task and t.status == "failed" and t.max_score > 0]
            own = [t for t in failed if "needs-earlier-task" not in t.tags]  # a mistake of this task's own
            named = [code for t in own for code in t.tags if code in DIAGNOSES]
            if named:
                hints[task] = DIAGNOSES[named[0]]
            elif failed and not own:  # every lost point comes from an earlier task
                hints[task] = DIAGNOSES["needs-earlier-task"]
            elif tasks[task].hints:
                hints[task] = tasks[task].hints[0]
        return hints

    def output(self) -> str:
        lines = [f"Score: {self.score:g} / {self.max_score:g}", f"Student code ran in: {self.isolation} isolation"]
        return "\n".join(lines + self.notes)

    def to_gradescope(self, visibility: str = "visible") -> dict:
        """Gradescope's results.json; visibility ('visible', 'after_due_date', 'after_published' or
        'hidden') applies to the whole result and to each test."""
        return {
            "score": self.score,
            "max_score": self.max_score,
            "execution_time": round(self.execution_time, 2),
            "output": self.output(),
            "visibility": visibility,
            "stdout_visibility": "hidden",
            "tests": [
                {
                    "name": t.name,
                    "score": round(t.score, 4),
                    "max_score": round(t.max_score, 4),
                    "status": t.status,
                    "output": t.output,
                    "tags": t.tags,
                    "visibility": visibility,
                }
                for t in self.tests
            ],
        }

    def to_dict(self) -> dict:
        """Every field as plain JSON data (the batch cache keeps this); `from_dict` reads it back."""
        return {
            "tests": [asdict(t) for t in self.tests],
            "execution_time": self.execution_time,
            "isolation": self.isolation,
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Results:
        return cls([TestResult(**t) for t in data["tests"]], data["execution_time"], data["isolation"], data["notes"])
