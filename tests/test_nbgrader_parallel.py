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


def test_a_submission_nbgrader_does_not_record_is_named_with_its_log_and_a_stranger_is_not_graded(
    tmp_path, monkeypatch
):
    """The parallel command prints each score as it grades; nbgrader may still fail one when it records them.
    Such a student is named afterwards (their printed score is in no gradebook), with nbgrader's whole
    output kept in a log; a notebook nbgrader would not look at is named and not graded."""
    import io

    import nbformat
    from rich.console import Console

    from autograder.nbgrader import parallel
    from autograder.nbgrader.notebook import build_notebook

    nb = nbformat.writes(build_notebook())
    (tmp_path / "source/mygrad").mkdir(parents=True)
    (tmp_path / "source/mygrad/mygrad.ipynb").write_text(nb)
    for student, name in (("ada", "mygrad.ipynb"), ("bea", "mygrad.ipynb"), ("cy", "mygrad (1).ipynb")):
        (tmp_path / "submitted" / student / "mygrad").mkdir(parents=True)
        (tmp_path / "submitted" / student / "mygrad" / name).write_text(nb)

    def nbgrader(args, cwd, **kwargs):  # records ada, fails bea, as nbgrader does: its autograded folder removed
        (cwd / "autograded/ada/mygrad").mkdir(parents=True)
        (cwd / "autograded/ada/mygrad/mygrad.ipynb").write_text(nb)
        said = "[AutogradeApp | ERROR] There was an error processing assignment: bea\n" + "x\n" * 100 + "KeyError\n"
        return subprocess.CompletedProcess(args, 0, "", said)

    monkeypatch.setattr(parallel.subprocess, "run", nbgrader)
    out = io.StringIO()
    code = parallel.autograde(tmp_path, "mygrad", jobs=2, console=Console(file=out, width=300))
    said = out.getvalue()
    assert code == 1, said
    assert "cy: mygrad (1).ipynb is not a notebook of mygrad" in said and "cy: 0" not in said
    assert "ada: 100 / 100" in said and "not recorded by nbgrader" in said and ": bea." in said
    assert (
        "KeyError" in said and "There was an error" in (tmp_path / ".mygrad-cache/nbgrader-autograde.log").read_text()
    )
