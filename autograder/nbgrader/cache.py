"""Grades of notebooks, kept by what was graded: the student's extracted code and the grader's own source.

The parallel command fills the cache with many processes; the preprocessor inside `nbgrader autograde`
then finds each notebook's result there. A changed submission or a changed grader misses the cache.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import cache
from pathlib import Path

from ..results import Results, TestResult

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
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    data = {"tests": [t.__dict__ for t in results.tests], "execution_time": results.execution_time,
            "isolation": results.isolation, "notes": results.notes}
    fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".part")  # atomic: an interrupted write leaves no entry
    with os.fdopen(fd, "w") as f:
        json.dump(data, f)
    os.replace(tmp, Path(cache_dir) / f"{k}.json")
