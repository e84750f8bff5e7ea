"""Grades of notebooks, kept by what was graded: the student's extracted code and the grader's own source.

The parallel command fills the cache with many processes; the preprocessor inside `nbgrader autograde`
then finds each notebook's result there. A changed submission or a changed grader misses the cache.
Nothing here imports nbformat or nbgrader (2.5 s of imports): the parallel command's parent and its
grading processes need only this.
"""

from __future__ import annotations

import gc
import hashlib
import json
from functools import cache
from pathlib import Path

from ..atomic import write_atomic
from ..grade import grade
from ..results import Results, TestResult
from .notebook import write_package

HERE = Path(__file__).resolve().parent.parent


@cache
def grader_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted([*HERE.rglob("*.py"), *HERE.rglob("*.toml"), HERE.parent / "solutions" / "tasks.toml"]):
        if "__pycache__" not in path.parts:
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def key(package_root: Path, tasks: set[str], settings: str) -> str:
    digest = hashlib.sha256(f"{grader_fingerprint()}|{sorted(tasks)}|{settings}".encode())
    for path in sorted((Path(package_root) / "mygrad").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def load(cache_dir: Path, k: str) -> Results | None:
    path = Path(cache_dir) / f"{k}.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return Results([TestResult(**t) for t in data["tests"]], data["execution_time"], data["isolation"], data["notes"])


def store(cache_dir: Path, k: str, results: Results) -> None:
    data = {
        "tests": [t.__dict__ for t in results.tests],
        "execution_time": results.execution_time,
        "isolation": results.isolation,
        "notes": results.notes,
    }
    write_atomic(Path(cache_dir) / f"{k}.json", json.dumps(data))  # an interrupted write leaves no entry


def grade_notebook(nb, tmp: Path, tasks, request_timeout, budget, cache_dir="", collect=False):
    """(problems, results) for one notebook, from the cache when it holds this exact code. collect: free the
    grade's garbage afterwards, for a process that grades notebook after notebook (see forked.py)."""
    problems = write_package(nb, tmp)
    k = key(tmp, tasks, f"{request_timeout}|{budget}")
    results = load(Path(cache_dir), k) if cache_dir else None
    if results is None:
        results = grade(tmp, tasks=tasks, request_timeout=request_timeout, budget=budget)
        if cache_dir:
            store(Path(cache_dir), k, results)
        if collect:
            gc.collect()
    return problems, results


def grade_cells(nb) -> dict:
    """The notebook's mygrad grade cells by grade_id (works on a NotebookNode or a plain dict)."""
    cells = {}
    for cell in nb["cells"]:
        info = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") == "code" and info.get("grade") and info.get("grade_id", "").startswith("grade-"):
            cells[info["grade_id"]] = cell
    return cells
