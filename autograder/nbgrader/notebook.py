"""One nbgrader notebook for the whole assignment, generated from the single source, and back again.

Generation: the lesson pages (read-only cells), the drawing helper (a read-only code cell), and for each
file of mygrad/ a section header and an answer cell holding the fenced solution source (nbgrader's
`generate_assignment` turns the fences into stubs), followed by each task's grade cell. Extraction: the
code cells of each section, in order, become that file of a mygrad/ package the grader can grade.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

from .. import catalogue, notebook_cells
from ..catalogue import KIT_ROOT

ASSIGNMENT, NOTEBOOK = "mygrad", "mygrad.ipynb"
GRADED_NOTE = "# Graded by mygrad's hidden checks when you submit. Below: the lesson's worked examples.\n"


def meta(kind: str, grade_id: str = "", points: float = 0) -> dict:
    """nbgrader cell metadata (schema 3): 'text' read-only, 'answer' editable, 'grade' locked and scored."""
    m = {"schema_version": 3, "grade": kind == "grade", "solution": kind == "answer", "locked": kind != "answer"}
    if grade_id:
        m["grade_id"] = grade_id
    if kind == "grade":
        m["points"] = points
    return {"nbgrader": m}


def build_notebook(root: Path = KIT_ROOT):
    import nbformat  # imported here: reading a submission must not pay for its schema machinery

    tasks = catalogue.load(root / "solutions" / "tasks.toml")
    nb = notebook_cells.new_notebook()
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb.cells.append(
        md(
            "# Build your own autograd: mygrad\n\nWork from top to bottom. Fill in the cells marked "
            "`# TODO taskN` (each says which task it belongs to), run the check cell after each "
            "task, and draw your graphs with `draw_dot(value)`. Keep the cells in order; you may add "
            "cells of your own.",
            metadata=meta("text", "intro"),
        )
    )
    draw = notebook_cells.RELATIVE_IMPORT.sub("", (root / "mygrad_ref" / "draw.py").read_text())
    nb.cells.append(code("# Given: the drawing helper (run this cell)\n" + draw, metadata=meta("text", "draw-helper")))
    core = notebook_cells.core_module(tasks, root)
    for module, mine in notebook_cells.by_module(tasks):
        rel = f"mygrad/{module}.py"
        for task in mine:
            nb.cells.append(md(notebook_cells.lesson_text(task, root), metadata=meta("text", f"lesson-{task.id}")))
        nb.cells.append(
            md(
                f"## Your code: `{rel}`\n\nTasks: " + ", ".join(f"{t.id} ({t.title})" for t in mine),
                metadata=meta("text", f"section-{module}"),
            )
        )
        source = notebook_cells.RELATIVE_IMPORT.sub("", (root / "solutions" / rel).read_text()).strip() + "\n"
        nb.cells.append(code(source, metadata=meta("answer", f"code-{module}")))
        for task in mine:
            grade_meta = meta("grade", f"grade-{task.id}", task.points)
            nb.cells.append(code(GRADED_NOTE + notebook_cells.example(task), metadata=grade_meta))
        if module == core:
            nb.cells.append(code(notebook_cells.draw_code(), metadata=meta("text", "draw-example")))
    return nb


# --- back from a submitted notebook to a package ----------------------------------------------------


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _without_magics(source: str) -> str:
    return "\n".join(
        "pass  # " + line if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()
    )


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
        if (
            cell.get("cell_type") != "code"
            or current is None
            or _nbgrader(cell).get("grade")
            or (_nbgrader(cell).get("locked") and not _nbgrader(cell).get("solution"))
        ):
            continue
        found[current].append((grade_id.startswith("code-"), _source(cell)))
    return found


DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def definitions(source: str) -> str:
    """What a cell the student added defines: its imports, functions, classes, and assignments that call
    nothing. The rest never runs when grading: a drawing, a training run, `input()` (which would read the
    grader's requests), a loop, `sys.exit()` could each block or end the import of the whole module."""
    try:
        tree = ast.parse(_without_magics(source))
        kept = [
            node
            for node in tree.body
            if isinstance(node, DEFINITIONS)
            or isinstance(node, (ast.Assign, ast.AnnAssign))
            and not any(isinstance(part, ast.Call) for part in ast.walk(node))
        ]
        return ast.unparse(ast.Module(kept, type_ignores=[]))
    except (SyntaxError, ValueError, MemoryError, RecursionError):  # a half-written cell: nothing of it
        return ""


def module_source(cells: list[tuple[bool, str]], preamble: str = "") -> str:
    """Answer cells go in as written; of the cells the student added, only their definitions, and errors
    in those (a name defined further down) are ignored, so they cannot break the import. The preamble
    imports what the notebook's earlier cells defined (notebook_cells.imports)."""
    parts = [preamble]
    for index, (answer, source) in enumerate(cells):
        if answer:
            parts.append(_without_magics(source))
        elif kept := definitions(source):
            parts.append(
                f"try:\n    exec(compile({kept!r}, '<your cell {index + 1}>', 'exec'), globals())\n"
                "except Exception:\n    pass"
            )
    return "\n\n".join(parts) + "\n"


def write_package(nb, dest: Path, root: Path = KIT_ROOT) -> list[str]:
    """Write dest/mygrad/ from a submitted notebook; return the problems found (missing sections)."""
    package = Path(dest) / "mygrad"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text((root / "solutions" / "mygrad" / "__init__.py").read_text())
    problems = []
    found = sections(nb)
    tasks = catalogue.load(root / "solutions" / "tasks.toml")
    for module in catalogue.modules(tasks):
        cells = found.get(module, [])
        if not any(source.strip() for _, source in cells):
            problems.append(
                f"the code cell for mygrad/{module}.py is missing from the notebook (deleted?): "
                "copy it back from the released notebook"
            )
            (package / f"{module}.py").write_text(f"raise ImportError({problems[-1]!r})\n")
            continue
        (package / f"{module}.py").write_text(module_source(cells, notebook_cells.imports(module, tasks, root)))
    return problems


def read(path: Path) -> dict:
    """A notebook's JSON as a dict: enough to find the code, without nbformat's slow schema machinery."""
    nb = json.loads(Path(path).read_text())
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError("no list of cells in it")
    return nb


def answers_of(source_nb) -> dict[str, str]:
    """The answer cells' code of a notebook, by grade_id (from the source notebook: the model answers)."""
    return {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in source_nb.cells
        if c.get("metadata", {}).get("nbgrader", {}).get("solution")
    }


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
