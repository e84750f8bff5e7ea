"""`mygrad nbgrader init COURSE_DIR`: a working nbgrader course for the mygrad assignment."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat

from .notebook import ASSIGNMENT, NOTEBOOK, build_notebook

CONFIG = '''"""nbgrader configuration for the mygrad course, written by `mygrad nbgrader init`."""
import os

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearHiddenTests, GetGrades,
                                    LimitOutput, SaveAutoGrades)

from autograder.nbgrader.preprocessor import MygradGrade

c = get_config()  # noqa: F821 (defined by nbgrader when it reads this file)

# This folder is the course, whatever the working directory.
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "mygrad"

# The stub that replaces each `### BEGIN SOLUTION taskN` ... `### END SOLUTION` region.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\\nraise NotImplementedError('not started')"}

# Grading: mygrad's trusted preprocessor replaces Execute, so no student code runs in nbgrader's kernel;
# the student's code runs in mygrad's sandbox and the scores are computed here.
c.Autograde.autograde_preprocessors = [MygradGrade, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
                                       AssignLatePenalties, CheckCellMetadata]
c.MygradGrade.request_timeout = 5.0   # seconds for one check: an endless loop costs one timeout per check
c.MygradGrade.budget = 120.0          # seconds for all checks of one notebook
c.OverwriteCells.add_missing_cells = True   # a deleted grade cell comes back (and is graded)

# Feedback shows the feedback text, never hidden test code.
c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
'''


def init_course(course_dir: Path, force: bool = False) -> Path:
    """Write the config, the source notebook and a gradebook holding the assignment; return the notebook."""
    course_dir = Path(course_dir).resolve()
    config = course_dir / "nbgrader_config.py"
    if config.exists() and not force:
        raise FileExistsError(f"{config} exists already (use --force to overwrite the config and the source)")
    source = course_dir / "source" / ASSIGNMENT
    source.mkdir(parents=True, exist_ok=True)
    config.write_text(CONFIG)
    nbformat.write(build_notebook(), str(source / NOTEBOOK))
    # nbgrader creates a new gradebook by running `alembic`: it must be on PATH (our venv's bin).
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}", "mygrad") as gb:
        gb.update_or_create_assignment(ASSIGNMENT)
    return source / NOTEBOOK
