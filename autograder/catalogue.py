"""The task catalogue (solutions/tasks.toml), loaded once and shared by every tool."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

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


@cache
def load(path: Path = CATALOGUE) -> dict[str, Task]:
    """Tasks by id, in catalogue order; raises ValueError naming the problem on a malformed file."""
    rows = tomllib.loads(Path(path).read_text())["task"]
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
