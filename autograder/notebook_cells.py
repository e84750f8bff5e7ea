"""What both notebook generators make, from the catalogue and the single source.

The nbgrader notebook (nbgrader/notebook.py: one notebook, graded) and the student release's notebooks
(student_notebooks.py: one per file of mygrad/) share their order (catalogue.modules), their lesson
cells, their drawing example and where it goes; each adds only what its path needs around them.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

from . import catalogue
from .catalogue import Task

RELATIVE_IMPORT = re.compile(r"^from \.\w* import .*$", re.M)
# The lesson's graph (task2), drawn with the student's own engine; an untouched stub says which task is missing.
DRAW_GRAPH = """a = Value(2.0, label='a'); b = a + a; b.label = 'b'; c = a * b; c.label = 'c'; d = c + b; d.label = 'd'
try:
    d.backward()
except NotImplementedError as err:
    print(f"{err}: the grads below are still 0")
draw_dot(d)"""


def by_module(tasks: dict[str, Task]) -> list[tuple[str, list[Task]]]:
    """Each file of mygrad/ that students write (its name without .py), with its tasks, in task order."""
    return [
        (module, [t for t in tasks.values() if f"mygrad/{module}.py" in t.files]) for module in catalogue.modules(tasks)
    ]


def new_notebook():
    import nbformat  # instructors' extra (pip install -e '.[nbgrader]'); students only run the notebooks

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def lesson_text(task: Task, root: Path) -> str:
    """The task's lesson page, or (a task whose lesson is not written yet) its title and hints."""
    path = root / task.lesson
    if path.exists():
        return path.read_text()
    return f"# {task.id}: {task.title}\n\n" + "\n".join(f"- {h}" for h in task.hints)


def example(task: Task) -> str:
    """The task's worked example (tasks.toml `example`), or a line saying there is none."""
    return task.example or f'print("{task.id}: no worked example for this task; the hidden checks grade it")'


def core_module(tasks: dict[str, Task], root: Path) -> str:
    """The file that defines Value: the drawing example follows it, and every later file can use Value."""
    return defining_value(tuple(catalogue.modules(tasks)), Path(root))


@cache  # asked once per file of every notebook graded: parsing the solutions again was ~5 ms of each grade
def defining_value(modules: tuple[str, ...], root: Path) -> str:
    for module in modules:
        tree = ast.parse((root / "solutions" / "mygrad" / f"{module}.py").read_text())
        if any(isinstance(node, ast.ClassDef) and node.name == "Value" for node in tree.body):
            return module
    raise ValueError("no file of solutions/mygrad/ in the catalogue defines class Value")


def imports(module: str, tasks: dict[str, Task], root: Path) -> str:
    """What a file written back from a notebook needs first: in the notebook, a cell sees what the cells
    above it defined, and later files use Value; so each file after the core one imports all of it."""
    order = catalogue.modules(tasks)
    core = core_module(tasks, root)
    return f"from .{core} import *\n" if order.index(module) > order.index(core) else ""


def draw_code(preamble: str = "") -> str:
    return (
        "# Draw the lesson's graph with your engine (needs Graphviz's `dot`); in Jupyter it renders below\n"
        + preamble
        + DRAW_GRAPH
    )
