"""`mygrad nbgrader init COURSE_DIR`: a working nbgrader course for the mygrad assignment."""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import sys
from pathlib import Path

import nbformat

from .notebook import ASSIGNMENT, NOTEBOOK, build_notebook

CONFIG = '''"""nbgrader configuration for the mygrad course, written by `mygrad nbgrader init`."""
import os
import sys

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearHiddenTests, ClearOutput,
                                    DeduplicateIds, GetGrades, LimitOutput, NbGraderPreprocessor, OverwriteCells,
                                    OverwriteKernelspec, SaveAutoGrades)

try:
    from autograder.nbgrader.preprocessor import MygradGrade, UnmarkCopies
    from autograder.nbgrader.stubs import generate_preprocessors
except ImportError as err:
    # Without the kit, nbgrader would only log an error about this file and go on with its stock settings:
    # student code would run unsandboxed in its kernel and the visible checks would grade it. Stop instead.
    MISSING = (
        f"nbgrader_config.py: the mygrad kit cannot be imported here ({err}), so nothing was done and no "
        "grade was written. Install the kit in the Python environment that runs nbgrader (for JupyterHub: the "
        "formgrader's environment): pip install -e '/path/to/mygrad-kit[nbgrader]'; check with: "
        "python -c 'import autograder'")
    server = sys.modules.get("jupyter_server.serverapp")
    if server is None or not server.ServerApp.initialized():
        raise SystemExit(MISSING)  # a command (nbgrader autograde ...): it stops, and says why

    class KitMissing(NbGraderPreprocessor):  # in the formgrader: stopping would take the Jupyter server down
        def preprocess(self, nb, resources):
            raise RuntimeError(MISSING)  # so each grading step fails instead, with the reason: no grade recorded

    print(MISSING, file=sys.stderr)
    MygradGrade = UnmarkCopies = KitMissing
    generate_preprocessors = lambda: [KitMissing]  # noqa: E731

c = get_config()  # noqa: F821 (defined by nbgrader when it reads this file)

# This folder is the course, whatever the working directory.
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = __COURSE_ID__

# generate_assignment: each `### BEGIN SOLUTION taskN` ... `### END SOLUTION` region becomes the stub that
# `mygrad build` writes in exercises/ (`raise NotImplementedError("taskN not started: ...")`), so the grader
# says "not started" on both paths.
c.GenerateAssignment.preprocessors = generate_preprocessors()

# A cell the student copied (its metadata with it) is one they added: without UnmarkCopies, nbgrader fails the
# whole submission while it restores missing cells.
c.Autograde.sanitize_preprocessors = [ClearOutput, DeduplicateIds, UnmarkCopies, OverwriteKernelspec, OverwriteCells,
                                      CheckCellMetadata]

# Grading: mygrad's trusted preprocessor replaces Execute, so no student code runs in nbgrader's kernel;
# the student's code runs in mygrad's sandbox and the scores are computed here.
c.Autograde.autograde_preprocessors = [MygradGrade, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
                                       AssignLatePenalties, CheckCellMetadata]
c.MygradGrade.request_timeout = 5.0   # seconds for one check: an endless loop costs one timeout per check
c.MygradGrade.budget = 120.0          # seconds for all checks of one notebook
c.OverwriteCells.add_missing_cells = True   # a deleted grade cell comes back (and is graded)

# `nbgrader zip_collect mygrad`: files downloaded from an LMS into downloaded/mygrad/archive/ (zips are
# unpacked), named STUDENT_mygrad.ipynb or STUDENT_20261121T093000_mygrad.ipynb (a compact timestamp: a
# dashed time loses its minutes when nbgrader parses it). Change the pattern to your LMS's file names; it
# must name the student_id and file_id groups.
c.FileNameCollectorPlugin.named_regexp = (
    r".*/(?P<student_id>[^/]+?)_(?:(?P<timestamp>\\d{8}T\\d{6})_)?(?P<file_id>mygrad)\\.ipynb$")

# Feedback shows the feedback text, never hidden test code.
c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
'''


def config_text(course_id: str) -> str:
    return CONFIG.replace("__COURSE_ID__", repr(course_id))


def canonical(path: Path, data: bytes):
    """What must match for a file to count as unedited: a notebook's cell ids are random on every build."""
    if path.suffix != ".ipynb":
        return data
    try:
        nb = json.loads(data)
        for cell in nb.get("cells", []):
            cell.pop("id", None)
        return nb
    except (ValueError, AttributeError):
        return data


def edited(path: Path, data: bytes) -> bool:
    return path.exists() and canonical(path, path.read_bytes()) != canonical(path, data)


def backup_name(path: Path) -> Path:
    """path.bak, or path.bak2, path.bak3, ... : an earlier backup is never overwritten."""
    return next(
        candidate
        for n in itertools.count(1)
        if not (candidate := path.with_name(f"{path.name}.bak{n if n > 1 else ''}")).exists()
    )


def course_id_of(path: Path) -> str | None:
    """The course id of a config `mygrad nbgrader init` wrote, unedited, or None."""
    text = path.read_text()
    found = re.search(r"^c\.CourseDirectory\.course_id = (['\"])(.*)\1$", text, re.M)
    return found.group(2) if found and text == config_text(found.group(2)) else None


def write_unless_edited(path: Path, data: bytes, force: bool) -> str:
    """Write path; a different file already there is kept unless force, and then kept as a backup.
    Returns what happened, for the command's output."""
    if edited(path, data):
        backup = backup_name(path)
        if not force:
            was = course_id_of(path) if path.name == "nbgrader_config.py" else None
            why = (
                f"is the config of the course {was!r}"
                if was
                else "differs from what `mygrad nbgrader init` writes (edited?)"
            )
            raise FileExistsError(
                f"{path} exists and {why}; nothing was changed. Use --force to replace it (the old file is kept as "
                f"{backup.name})"
            )
        shutil.copy2(path, backup)
        path.write_bytes(data)
        return f"replaced {path} (the old one is {backup.name})"
    if path.exists():
        return f"kept {path} (unchanged)"
    path.write_bytes(data)
    return f"wrote {path}"


def init_course(course_dir: Path, force: bool = False, course_id: str = "mygrad") -> list[str]:
    """Write the config, the source notebook and a gradebook holding the assignment; return what was done.
    An existing file that differs from what we write is never overwritten without force (FileExistsError)."""
    course_dir = Path(course_dir).resolve()
    config, source = course_dir / "nbgrader_config.py", course_dir / "source" / ASSIGNMENT / NOTEBOOK
    writes = [(config, config_text(course_id).encode()), (source, nbformat.writes(build_notebook()).encode())]
    if not force:  # check both before writing either
        for path, data in writes:
            if edited(path, data):
                write_unless_edited(path, data, force=False)
    source.parent.mkdir(parents=True, exist_ok=True)
    done = [write_unless_edited(path, data, force) for path, data in writes]
    # nbgrader creates a new gradebook by running `alembic`: it must be on PATH (our venv's bin).
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}", course_id) as gb:
        gb.update_or_create_assignment(ASSIGNMENT)
    return done
