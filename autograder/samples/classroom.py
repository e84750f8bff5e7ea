"""A made-up class of submissions, as an LMS export would hand it in, for `grade-all`'s tests and benchmark.

Deterministic: solved ones (as folders, nested folders, .zip files and a notebook), untouched stubs, the bug
samples one per student, a looping one, one that uses the reference engine, broken zips, a folder holding
nothing gradable, and a file that is not a submission.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from ..catalogue import KIT_ROOT
from . import load, materialize

KINDS = ("solved", "stubs-nested", "solved-zip", "bug", "flagged", "broken-zip", "bug-zip", "empty", "notebook")


def zip_folder(folder: Path, archive: Path) -> None:
    with zipfile.ZipFile(archive, "w") as z:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                z.write(path, path.relative_to(folder).as_posix())


def make_entry(kind: str, student: str, dest: Path, bug: str = "demo") -> None:
    """One student's entry in dest, of the given kind (one of KINDS, or 'looping')."""
    work = dest / ".build" / student
    if kind == "solved":
        shutil.copytree(
            KIT_ROOT / "solutions" / "mygrad", dest / student / "mygrad", ignore=shutil.ignore_patterns("__pycache__")
        )
    elif kind == "stubs-nested":  # an LMS export: the student's folder, an attempt folder, then exercises/
        shutil.copytree(
            KIT_ROOT / "exercises",
            dest / student / "attempt-1" / "exercises",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    elif kind in ("solved-zip", "bug-zip"):
        sample = {"name": "solved"} if kind == "solved-zip" else load("bugs")[bug]
        zip_folder(materialize(sample, work), dest / f"{student}.zip")
    elif kind == "bug":
        materialize(load("bugs")[bug], dest / student)
    elif kind == "flagged":
        materialize(load("hostile")["imports-the-reference"], dest / student)
    elif kind == "looping":
        materialize(load("hostile")["endless-loop-in-add"], dest / student)
    elif kind == "broken-zip":
        (dest / f"{student}.zip").write_bytes(b"PK\x03\x04 this upload was cut short")
    elif kind == "empty":
        (dest / student).mkdir()
        (dest / student / "readme.txt").write_text("I could not finish, sorry.\n")
    elif kind == "notebook":
        import nbformat

        from ..nbgrader.notebook import build_notebook

        nbformat.write(build_notebook(), str(dest / f"{student}.ipynb"))
    else:
        raise ValueError(f"unknown kind of entry {kind!r}")
    shutil.rmtree(dest / ".build", ignore_errors=True)


def make_class(dest: Path, size: int = 60, looping: bool = True) -> Path:
    """`size` entries s01, s02, ... in dest (created), plus notes.txt; the bug samples go round in order."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    bugs = list(load("bugs"))
    kinds = ["looping"] * looping + list(KINDS)
    try:
        import nbformat  # noqa: F401  (the nbgrader extra: without it, no notebook entry)
    except ImportError:
        kinds.remove("notebook")
    for n in range(size):
        kind = kinds[n] if n < len(kinds) else ("bug" if n % 2 else "bug-zip")
        make_entry(kind, f"s{n + 1:02d}", dest, bug=bugs[n % len(bugs)])
    (dest / "notes.txt").write_text("Exported from the course site.\n")  # not a submission: skipped
    return dest
