"""`mygrad nbgrader autograde` spends nothing on what grades nothing: no nbgrader imports in the grading parent,
nbgrader started without its slow optional import, and no work for submissions nbgrader will not record."""

import subprocess
import sys

import pytest

from autograder.nbgrader.parallel import autograded_already


def submission(course, student, stamp=None, autograded_stamp=None, autograded=True):
    folder = course / "submitted" / student / "mygrad"
    folder.mkdir(parents=True)
    (folder / "mygrad.ipynb").write_text("{}")
    if stamp:
        (folder / "timestamp.txt").write_text(stamp)
    if autograded:
        done = course / "autograded" / student / "mygrad"
        done.mkdir(parents=True)
        if autograded_stamp:
            (done / "timestamp.txt").write_text(autograded_stamp)
    return folder / "mygrad.ipynb"


def test_only_what_nbgrader_skips_counts_as_autograded_already(tmp_path):
    old, new = "2026-11-21 09:30:00.000000 UTC", "2026-11-22 09:30:00.000000 UTC"
    assert not autograded_already(tmp_path, submission(tmp_path, "new", autograded=False))
    assert autograded_already(tmp_path, submission(tmp_path, "done"))
    assert autograded_already(tmp_path, submission(tmp_path, "same", old, old))
    assert not autograded_already(tmp_path, submission(tmp_path, "resubmitted", new, old))
    assert autograded_already(tmp_path, submission(tmp_path, "stamp-only-in-submission", new))  # nbgrader skips it


def test_the_grading_parent_imports_no_nbformat_or_nbgrader():
    code = "import sys, autograder.nbgrader.parallel; print(sorted({'nbformat', 'nbgrader', 'jsonschema'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_nbgrader_starts_without_the_iri_grammar():
    pytest.importorskip("nbgrader", reason="install the nbgrader extra: pip install -e '.[nbgrader]'")
    done = subprocess.run(
        [sys.executable, "-P", "-X", "importtime", "-m", "autograder.nbgrader.app", "--version"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "nbgrader version" in done.stdout, done.stderr[-2000:]
    assert "jsonschema._format" in done.stderr and "rfc3987_syntax.syntax_helpers" not in done.stderr
