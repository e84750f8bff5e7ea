"""The task catalogue (solutions/tasks.toml), loaded once and shared by every tool."""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .atomic import write_atomic

KIT_ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = KIT_ROOT / "solutions" / "tasks.toml"


@dataclass(frozen=True)
class Task:
    id: str
    title: str
    files: tuple[str, ...]
    lesson: str
    points: int
    prerequisites: tuple[str, ...]
    hints: tuple[str, ...]
    example: str = ""  # the lesson's worked example as asserts, for the notebook's check cell (optional)


def modules(tasks: dict[str, Task]) -> tuple[str, ...]:
    """The files of mygrad/ that students write, in task order, without the extension: what a notebook, an
    upload of loose files and the release are made of."""
    return tuple(dict.fromkeys(Path(f).stem for task in tasks.values() for f in task.files))


def read_toml(path: Path) -> dict:
    """The TOML file parsed, through a JSON copy in __pycache__/ beside it, named by a hash of the file's
    bytes (so never stale): tomllib is pure Python, and importing it and parsing the catalogue cost every grade
    about 7% of what `import pytest` costs (instructions counted); json reads the copy in C. A folder that
    cannot be written only goes without the copy."""
    data = Path(path).read_bytes()
    copy = Path(path).parent / "__pycache__" / f"{Path(path).name}.{hashlib.sha256(data).hexdigest()[:16]}.json"
    try:
        return json.loads(copy.read_bytes())
    except (OSError, ValueError):
        pass
    try:
        import tomllib
    except ImportError:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    parsed = tomllib.loads(data.decode("utf-8"))
    with contextlib.suppress(OSError, TypeError, ValueError):  # read-only, or a TOML date: parsed each time
        write_atomic(copy, json.dumps(parsed))
    return parsed


@cache
def load(path: Path = CATALOGUE) -> dict[str, Task]:
    """Tasks by id, in catalogue order; raises ValueError naming the problem on a malformed file."""
    rows = read_toml(path)["task"]
    tasks: dict[str, Task] = {}
    for row in rows:
        task = Task(
            row["id"],
            row["title"],
            tuple(row["files"]),
            row["lesson"],
            int(row["points"]),
            tuple(row.get("prerequisites", ())),
            tuple(row.get("hints", ())),
            row.get("example", "").strip(),
        )
        if task.id in tasks:
            raise ValueError(f"{path}: task id {task.id!r} appears twice")
        unknown = [p for p in task.prerequisites if p not in tasks]
        if unknown:
            raise ValueError(f"{path}: {task.id} lists prerequisites {unknown} that are not earlier tasks")
        tasks[task.id] = task
    return tasks
