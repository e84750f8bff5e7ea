"""One nbgrader notebook for the whole assignment, generated from the single source, and back again.

Generation: the lesson pages (read-only cells), the drawing helper (a read-only code cell), and for each
file of mygrad/ a section header and an answer cell holding the fenced solution source (nbgrader's
`generate_assignment` turns the fences into stubs), followed by each task's grade cell. Extraction: the
code cells of each section, in order, become that file of a mygrad/ package the grader can grade.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from .. import catalogue
from ..catalogue import KIT_ROOT

ASSIGNMENT, NOTEBOOK = "mygrad", "mygrad.ipynb"
IMPORTS = {"nn": "from .engine import *\n", "train": "from .engine import *\n"}
RELATIVE_IMPORT = re.compile(r"^from \.\w* import .*$", re.M)

# Quick checks students can run in the grade cells (the lesson's worked examples, where a task has them);
# the real grade comes from the hidden suites.
VISIBLE = {
    "task0": """assert abs(central_difference(lambda x: 3*x**2 - 4*x + 5, 3.0) - 14) < 1e-4, "central difference of 3x²-4x+5 at 3 should be 14"
assert tuple(partials_of_d(2, -3, 10)) == (-3, 2, 1), "partials of d = a*b + c at (2, -3, 10) are (-3, 2, 1)"
assert backprop_by_hand(2, -3, 10, -2)["a"] == 6, "dL/da at the lesson's point is 6"
print("task0: the lesson's examples check out")""",
    "task1": """a = Value(3.0); out = a + a; out.grad = 1.0; out._backward()
assert a.grad == 2.0, f"a + a: a.grad is {a.grad}, expected 2.0 (accumulate with +=)"
a, b = Value(1.5), Value(-2.0); out = a * b; out.grad = 3.0; out._backward()
assert (a.grad, b.grad) == (-6.0, 4.5), f"a * b: got {(a.grad, b.grad)}, expected (-6.0, 4.5)"
print("task1: the lesson's examples check out")""",
    "task2": """a = Value(2.0); b = a + a; c = a * b; d = c + b
d.backward()
assert a.grad == 10.0, f"the lesson's graph: a.grad is {a.grad}, expected 10.0"
print("task2: the lesson's example checks out")""",
    "task3": """import math
x = Value(0.5); t = x.tanh(); t.backward()
assert abs(x.grad - (1 - math.tanh(0.5)**2)) < 1e-12, "tanh's derivative is 1 - t**2 with t the output"
z = Value(0.0); r = z.relu(); r.backward()
assert z.grad == 0.0, "relu's slope at exactly 0 is 0"
print("task3: the lesson's examples check out")""",
    "task4": """assert len(MLP(3, [4, 4, 1]).parameters()) == 41, "MLP(3, [4, 4, 1]) has 41 parameters"
assert isinstance(Layer(3, 1)([1.0, 2.0, 3.0]), Value), "a Layer with one neuron returns a Value"
print("task4: the lesson's examples check out")""",
    "task5": """assert mse_loss([Value(1.0), Value(-2.0)], [0.0, 1.0]).data == 10.0, "mse_loss is the sum of squares"
import random; random.seed(1)
losses = train(MLP(3, [4, 4, 1]), [[2, 3, -1], [3, -1, 0.5], [0.5, 1, 1], [1, 1, -1]], [1, -1, -1, 1], 60, 0.05)
assert losses[-1] < 0.1 * losses[0], f"the loss should fall by 10x in 60 steps: {losses[0]:.3f} -> {losses[-1]:.3f}"
print("task5: the lesson's example checks out")""",
}
DRAW_EXAMPLE = """# Draw the lesson's graph with your engine (the drawing needs Graphviz's `dot` program)
a = Value(2.0, label='a'); b = a + a; b.label = 'b'; c = a * b; c.label = 'c'; d = c + b; d.label = 'd'
try:
    d.backward()
except NotImplementedError:
    print("backward() is not written yet (tasks 1-2): the grads below are still 0")
draw_dot(d)"""
GRADED_NOTE = "# Graded by mygrad's hidden checks when you submit. Below: the lesson's worked examples.\n"


def meta(kind: str, grade_id: str = "", points: float = 0) -> dict:
    """nbgrader cell metadata (schema 3): 'text' read-only, 'answer' editable, 'grade' locked and scored."""
    m = {"schema_version": 3, "grade": kind == "grade", "solution": kind == "answer", "locked": kind != "answer"}
    if grade_id:
        m["grade_id"] = grade_id
    if kind == "grade":
        m["points"] = points
    return {"nbgrader": m}


def lesson_text(task, root: Path) -> str:
    path = root / task.lesson
    if path.exists():
        return path.read_text()
    return f"# {task.id}: {task.title}\n\n" + "\n".join(f"- {h}" for h in task.hints)


def build_notebook(root: Path = KIT_ROOT):
    import nbformat  # imported here: reading a submission must not pay for its schema machinery
    tasks = catalogue.load(root / "solutions" / "tasks.toml")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb.cells.append(md("# Build your own autograd: mygrad\n\nWork from top to bottom. Fill in the cells marked "
                       "`YOUR CODE HERE` (each says which task it belongs to), run the check cell after each "
                       "task, and draw your graphs with `draw_dot(value)`. Keep the cells in order; you may add "
                       "cells of your own.", metadata=meta("text", "intro")))
    draw = RELATIVE_IMPORT.sub("", (root / "mygrad_ref" / "draw.py").read_text())
    nb.cells.append(code("# Given: the drawing helper (run this cell)\n" + draw, metadata=meta("text", "draw-helper")))
    for module in catalogue.modules(tasks):
        rel = f"mygrad/{module}.py"
        mine = [t for t in tasks.values() if rel in t.files]
        for task in mine:
            nb.cells.append(md(lesson_text(task, root), metadata=meta("text", f"lesson-{task.id}")))
        nb.cells.append(md(f"## Your code: `{rel}`\n\nTasks: " + ", ".join(f"{t.id} ({t.title})" for t in mine),
                           metadata=meta("text", f"section-{module}")))
        source = RELATIVE_IMPORT.sub("", (root / "solutions" / rel).read_text()).strip() + "\n"
        nb.cells.append(code(source, metadata=meta("answer", f"code-{module}")))
        for task in mine:
            grade_meta = meta("grade", f"grade-{task.id}", task.points)
            example = VISIBLE.get(task.id, f'print("{task.id}: no worked example here; run the cells above")')
            nb.cells.append(code(GRADED_NOTE + example, metadata=grade_meta))
        if module == "engine":
            nb.cells.append(code(DRAW_EXAMPLE, metadata=meta("text", "draw-example")))
    return nb


# --- back from a submitted notebook to a package ----------------------------------------------------

def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _without_magics(source: str) -> str:
    return "\n".join("pass  # " + line if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())


def sections(nb) -> dict[str, list[tuple[bool, str]]]:
    """For each module, its code cells in order as (is_answer_cell, source). A section starts at its header,
    or at its answer cell if the header was deleted; grade cells and read-only cells are never code."""
    found: dict[str, list[tuple[bool, str]]] = {}
    current = None
    for cell in nb["cells"]:
        grade_id = _nbgrader(cell).get("grade_id", "")
        if grade_id.startswith("section-") or grade_id.startswith("code-"):
            current = grade_id.split("-", 1)[1]
            found.setdefault(current, [])
        if cell.get("cell_type") != "code" or current is None or _nbgrader(cell).get("grade") or \
                (_nbgrader(cell).get("locked") and not _nbgrader(cell).get("solution")):
            continue
        found[current].append((grade_id.startswith("code-"), _source(cell)))
    return found


def module_source(module: str, cells: list[tuple[bool, str]]) -> str:
    """Answer cells go in as written; cells the student added are run for their definitions, and their
    errors (a stray drawing, a half-finished experiment) are ignored, so they cannot break the import."""
    parts = [IMPORTS.get(module, "")]
    for index, (answer, source) in enumerate(cells):
        if answer:
            parts.append(_without_magics(source))
        else:
            parts.append(f"try:\n    exec(compile({source!r}, '<your cell {index + 1}>', 'exec'), globals())\n"
                         "except Exception:\n    pass")
    return "\n\n".join(parts) + "\n"


def write_package(nb, dest: Path, root: Path = KIT_ROOT) -> list[str]:
    """Write dest/mygrad/ from a submitted notebook; return the problems found (missing sections)."""
    package = Path(dest) / "mygrad"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text((root / "solutions" / "mygrad" / "__init__.py").read_text())
    problems = []
    found = sections(nb)
    for module in catalogue.modules(catalogue.load(root / "solutions" / "tasks.toml")):
        cells = found.get(module, [])
        if not any(source.strip() for _, source in cells):
            problems.append(f"the code cell for mygrad/{module}.py is missing from the notebook (deleted?): "
                            "copy it back from the released notebook")
            (package / f"{module}.py").write_text(f"raise ImportError({problems[-1]!r})\n")
            continue
        (package / f"{module}.py").write_text(module_source(module, cells))
    return problems


def read(path: Path) -> dict:
    """A notebook's JSON as a dict: enough to find the code, without nbformat's slow schema machinery."""
    nb = json.loads(Path(path).read_text())
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError("no list of cells in it")
    return nb


def answers_of(source_nb) -> dict[str, str]:
    """The answer cells' code of a notebook, by grade_id (from the source notebook: the model answers)."""
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in source_nb.cells
            if c.get("metadata", {}).get("nbgrader", {}).get("solution")}


def filled(release_nb, answers: dict[str, str] | None, edit: tuple[str, str, str] | None = None):
    """A copy of the released notebook as a student would hand it in: answer cells filled with `answers`,
    and optionally one edit (grade_id, find, replace) to plant a bug. For tests, demos and benchmarks."""
    import nbformat
    nb = nbformat.from_dict(json.loads(json.dumps(release_nb)))
    for cell in nb.cells:
        grade_id = _nbgrader(cell).get("grade_id", "")
        if answers and grade_id in answers:
            cell.source = answers[grade_id]
            if edit and grade_id == edit[0]:
                if edit[1] not in cell.source:
                    raise ValueError(f"{edit[1]!r} is not in the cell {grade_id}")
                cell.source = cell.source.replace(edit[1], edit[2])
    return nb
