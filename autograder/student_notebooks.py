"""Notebooks for students who prefer Jupyter, one per file of mygrad/, for the student release.

Each is made from the same single source as exercises/: the lessons of its tasks, one code cell holding
the file's stub (running it writes exercises/mygrad/<file>.py, so the grader and the self-check see the
same code), and a check cell that runs the same public checks as `pytest exercises/` for its tasks.
"""

from __future__ import annotations

from pathlib import Path

from . import build, catalogue
from .catalogue import KIT_ROOT
from .notebook_cells import by_module, core_module, draw_code, lesson_text, new_notebook

FOLDER = "notebooks"
CHECK = '''# Check yourself: the same public checks as `pytest exercises/ -m "{marks}"` (run the cell above first)
import subprocess, sys
print(subprocess.run([sys.executable, "-m", "pytest", "../exercises", "-q", "--color=no", "-p", "no:cacheprovider",
                      "-m", "{marks}"], capture_output=True, text=True).stdout)'''
# The drawing example runs in the notebook's own kernel: it imports the student's saved file afresh.
DRAW_PREAMBLE = """import importlib, sys
sys.path.insert(0, "../exercises")
import mygrad.{core}; importlib.reload(mygrad.{core})
from mygrad.{core} import Value
from mygrad.draw import draw_dot
"""


def notebooks(root: Path = KIT_ROOT) -> dict[Path, str]:
    """Each notebook (path inside the release) as JSON text."""
    import nbformat  # instructors' extra (pip install -e '.[nbgrader]'); students only run the notebooks

    tasks = catalogue.load(root / "solutions" / "tasks.toml")
    stubs = build.expected_files(root)
    core = core_module(tasks, root)
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    found = {}
    for module, mine in by_module(tasks):
        rel = f"mygrad/{module}.py"
        nb = new_notebook()
        nb.cells.append(
            md(
                f"# {', '.join(t.id for t in mine)}: `exercises/{rel}`\n\nRead the lesson, fill in the "
                "`# TODO` blocks in the code cell and run it (that saves your code into "
                f"`exercises/{rel}`, overwriting it), then run the check cell. Work either here or in "
                "the `.py` file, not in both."
            )
        )
        for task in mine:
            nb.cells.append(md(lesson_text(task, root)))
        nb.cells.append(code(f"%%writefile ../exercises/{rel}\n" + stubs[Path("exercises") / rel]))
        nb.cells.append(code(CHECK.format(marks=" or ".join(t.id for t in mine))))
        if module == core:
            nb.cells.append(code(draw_code(DRAW_PREAMBLE.format(core=core))))
        found[Path(FOLDER) / f"{mine[0].id}-{module}.ipynb"] = nbformat.writes(nb) + "\n"
    return found
