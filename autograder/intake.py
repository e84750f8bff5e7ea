"""Submission intake: whatever a student handed in (a folder, a .zip, a notebook) as a folder to grade."""
from __future__ import annotations

import contextlib
import os
import tempfile
import zipfile
from pathlib import Path

from .sandbox import MAX_DEPTH

MAX_ZIP_BYTES, MAX_ZIP_FILES = 50 << 20, 2000


class GradingError(Exception):
    """The grader itself cannot run (bad path, unreadable archive): the CLI exits non-zero with this."""


def real_dir(path: Path) -> bool:
    """A folder that is not a link: a link could bring in anything on the grading machine."""
    return path.is_dir() and not path.is_symlink()


def find_package(folder: Path) -> Path | None:
    """The folder that holds mygrad/ (the submission itself, or one level down, e.g. exercises/)."""
    for candidate in [folder, *sorted(p for p in folder.iterdir() if real_dir(p))]:
        if real_dir(candidate / "mygrad"):
            return candidate
    return None


def extract(archive: Path, into: Path) -> None:
    try:
        with zipfile.ZipFile(archive) as z:
            infos = z.infolist()
            if len(infos) > MAX_ZIP_FILES or sum(i.file_size for i in infos) > MAX_ZIP_BYTES:
                raise GradingError(f"{archive}: the archive is too large to grade "
                                   f"(limits: {MAX_ZIP_FILES} files, {MAX_ZIP_BYTES >> 20} MiB)")
            for info in infos:
                target = (into / info.filename).resolve()
                if not target.is_relative_to(into.resolve()):
                    raise GradingError(f"{archive}: refusing the entry {info.filename!r} (it points outside)")
                if len(Path(info.filename).parts) > MAX_DEPTH:
                    raise GradingError(f"{archive}: refusing the entry {info.filename[:80]!r}... (folders nested "
                                       f"more than {MAX_DEPTH} deep)")
            z.extractall(into)
    except (zipfile.BadZipFile, OSError) as err:
        raise GradingError(f"{archive}: not a readable zip archive ({err})") from err


@contextlib.contextmanager
def prepared(path: Path):
    """The submission as a folder: a zip is extracted to a private temporary folder."""
    path = Path(path)
    if not path.exists():
        raise GradingError(f"{path}: no such file or folder")
    if path.is_dir():
        if not os.access(path, os.R_OK | os.X_OK):
            raise GradingError(f"{path}: the folder is not readable")
        yield path.resolve()
        return
    if path.suffix.lower() not in (".zip", ".ipynb"):
        raise GradingError(f"{path}: expected a folder holding mygrad/, a .zip of one, or a notebook")
    with tempfile.TemporaryDirectory(prefix="mygrad-submission-") as tmp:
        if path.suffix.lower() == ".zip":
            extract(path, Path(tmp))
        else:
            try:
                from .nbgrader.notebook import read, write_package
            except ImportError as err:
                raise GradingError(f"grading notebooks needs the nbgrader extra: pip install -e '.[nbgrader]' ({err})")
            try:
                write_package(read(path), Path(tmp))
            except Exception as err:  # nbformat's errors for a file that is not a notebook
                raise GradingError(f"{path}: not a readable notebook ({type(err).__name__}: {err})") from err
        yield Path(tmp)
