"""The trusted step of `nbgrader autograde`: grade the student's code with mygrad, outside the kernel.

nbgrader normally executes the notebook and scores each grade cell from what the cell printed, in the
student's own kernel, where student code can rewrite anything. Our course config puts this preprocessor
where nbgrader's Execute was: it writes the notebook's code out as a mygrad/ package, grades it with the
same sandboxed grader as `mygrad grade`, and gives each grade cell its feedback (stdout) and its score
(a float result, which nbgrader's own partial-credit rule reads). No student code runs in this process.
"""

import tempfile
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Float, Unicode

from .. import scratch
from .cache import grade_cells, grade_notebook


def feedback_text(results, task: str, problems: list[str]) -> str:
    lines = [f"mygrad's hidden checks for {task}:"]
    for t in (t for t in results.tests if t.task == task):
        lines.append(
            f"  [{'passed' if t.status == 'passed' else 'FAILED'}] {t.name.split(' · ', 1)[-1]} "
            f"({t.score:.2f} / {t.max_score:.2f})"
        )
        if t.status != "passed":
            lines += ["      " + line for line in t.output.splitlines()]
    lines += [f"  Note: {p}" for p in problems]
    score, most = results.task_scores().get(task, (0.0, 0.0))
    lines.append(f"Score for {task}: {score:.2f} / {most:g}")
    return "\n".join(lines) + "\n"


def score_cell(cell, text: str, score: float) -> None:
    points = float(cell.metadata["nbgrader"]["points"])
    score = min(max(score, 0.0), points)  # nbgrader fails the whole submission on a score above the points
    cell.execution_count = 1
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text=text),
        nbformat.v4.new_output("execute_result", data={"text/plain": repr(round(score, 4))}, execution_count=1),
    ]


class MygradGrade(NbGraderPreprocessor):
    request_timeout = Float(5.0, help="wall seconds allowed for one check of the student's code").tag(config=True)
    budget = Float(120.0, help="wall seconds allowed for all checks of one notebook").tag(config=True)
    cache_dir = Unicode("", help="reuse results graded ahead (by `mygrad nbgrader autograde`)").tag(config=True)

    def preprocess(self, nb, resources):
        cells = grade_cells(nb)
        tasks = {grade_id.removeprefix("grade-") for grade_id in cells}
        with tempfile.TemporaryDirectory(prefix="mygrad-notebook-", dir=scratch.folder()) as tmp:
            problems, results = grade_notebook(
                nb, Path(tmp), tasks, self.request_timeout, self.budget, self.cache_dir, collect=True
            )
        self.log.info("mygrad: %s / %s (%s isolation)", results.score, results.max_score, results.isolation)
        for grade_id, cell in cells.items():
            task = grade_id.removeprefix("grade-")
            score_cell(cell, feedback_text(results, task, problems), results.task_scores().get(task, (0.0, 0.0))[0])
        return nb, resources


class UnmarkCopies(NbGraderPreprocessor):
    """A cell the student copied, its nbgrader metadata with it, becomes a cell the student added. nbgrader's
    DeduplicateIds keeps the last cell of a grade id and empties the others' metadata, on which OverwriteCells
    then fails while it restores missing cells (KeyError: 'grade_id'), and the whole submission goes
    ungraded. Runs between the two (the course config's Autograde.sanitize_preprocessors)."""

    def preprocess_cell(self, cell, resources, index):
        if cell.metadata.get("nbgrader") == {}:
            del cell.metadata["nbgrader"]
        return cell, resources
