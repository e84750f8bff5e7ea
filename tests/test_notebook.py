"""The generated notebook: valid nbgrader metadata, runs clean when solved, fails only at stubs when not,
and turns back into a package that grades like the folder it came from."""

from pathlib import Path

import nbformat
import pytest

from autograder import build, catalogue, notebook_cells
from autograder.catalogue import KIT_ROOT
from autograder.grade import grade
from autograder.nbgrader.notebook import build_notebook, write_package
from autograder.notebook_cells import RELATIVE_IMPORT

nbclient = pytest.importorskip("nbclient", reason="install the nbgrader extra: pip install -e '.[nbgrader]'")


def execute(nb):
    nbclient.NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True).execute()
    return [
        (c.metadata.get("nbgrader", {}).get("grade_id"), o)
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.output_type == "error"
    ]


def stubbed(nb):
    """What `nbgrader generate_assignment` makes of it with the course's config (its stub step)."""
    from autograder.nbgrader.stubs import MygradStubs

    return MygradStubs().preprocess(nb, {})[0]


def test_metadata_is_valid_and_ids_unique():
    nb = build_notebook()
    nbformat.validate(nb)
    ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells]
    assert len(ids) == len(set(ids))
    points = {i: c.metadata["nbgrader"]["points"] for i, c in zip(ids, nb.cells) if c.metadata["nbgrader"]["grade"]}
    assert sum(points.values()) == 100 and len(points) == 6


def test_solved_notebook_runs_top_to_bottom_without_errors_and_draws_inline():
    nb = build_notebook()
    errors = execute(nb)
    assert not errors, errors
    drawing = next(c for c in nb.cells if c.metadata["nbgrader"].get("grade_id") == "draw-example")
    svg = next(o["data"]["image/svg+xml"] for o in drawing.outputs if "image/svg+xml" in o.get("data", {}))
    assert "grad 10.0000" in svg  # a.grad in the lesson's graph


def test_released_notebook_fails_only_in_the_checks_that_reach_a_stub():
    errors = execute(stubbed(build_notebook()))
    where = {grade_id for grade_id, _ in errors}
    assert where == {f"grade-{task}" for task in catalogue.load()}, where
    assert all(o.ename == "NotImplementedError" for _, o in errors)


def test_released_answer_cells_are_the_stubs_of_exercises():
    """One stub protocol: generate_assignment's stubs are exactly `mygrad build`'s, cell by file."""
    stubs = build.expected_files()
    cells = {c.metadata["nbgrader"]["grade_id"]: c.source for c in stubbed(build_notebook()).cells}
    for module in catalogue.modules(catalogue.load()):
        stub = stubs[Path(f"exercises/mygrad/{module}.py")].split("\n", 1)[1]  # without the header line
        assert cells[f"code-{module}"] == RELATIVE_IMPORT.sub("", stub).strip() + "\n", module
    assert 'raise NotImplementedError("task1 not started: Backward for + and *")' in cells["code-engine"]


def test_untouched_notebook_grades_like_untouched_exercises(tmp_path):
    """The same statuses and tags (not-implemented, needs-earlier-task) whichever path the stubs came from."""
    assert write_package(stubbed(build_notebook()), tmp_path) == []
    from_notebook, from_folder = grade(tmp_path), grade(KIT_ROOT / "exercises")
    assert [(t.name, t.status, t.tags) for t in from_notebook.tests] == [
        (t.name, t.status, t.tags) for t in from_folder.tests
    ]
    assert from_folder.score == 0 and all(t.status == "failed" for t in from_folder.tests)
    said = " ".join(t.output for t in from_notebook.tests)
    assert all(f"{task} is not started" in said for task in catalogue.load()), said


def test_notebook_package_grades_like_the_solutions(tmp_path):
    assert write_package(build_notebook(), tmp_path) == []
    assert grade(tmp_path).score == 100


def test_a_task_added_to_the_catalogue_gets_its_section_and_grade_cell(tmp_path):
    """The notebook follows tasks.toml: a new task with a new file needs no change to the generator; its check
    cell runs the task's own `example`, or says it has none."""
    import dataclasses
    import shutil

    for folder in ("solutions", "mygrad_ref", "docs"):
        shutil.copytree(KIT_ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    with open(tmp_path / "solutions" / "tasks.toml", "a") as catalogue_file:
        catalogue_file.write(
            '\n[[task]]\nid = "task6"\ntitle = "Softmax"\nfiles = ["mygrad/extra.py"]\n'
            'lesson = "docs/lessons/task6-softmax.md"\npoints = 0\nprerequisites = []\n'
            'hints = ["Sum."]\nexample = """\nassert softmax([1]) == [1]\n"""\n'
        )
    (tmp_path / "solutions" / "mygrad" / "extra.py").write_text(
        "def softmax(xs):\n    ### BEGIN SOLUTION task6\n    return xs\n    ### END SOLUTION\n"
    )
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in build_notebook(tmp_path).cells}
    ids = list(cells)
    assert "code-extra" in ids and "grade-task6" in ids and ids.index("code-extra") < ids.index("grade-task6")
    assert cells["grade-task6"].source.endswith("\nassert softmax([1]) == [1]")
    assert cells["grade-task2"].source.endswith(catalogue.load()["task2"].example)
    task6 = catalogue.load(tmp_path / "solutions" / "tasks.toml")["task6"]
    assert "task6: no worked example" in notebook_cells.example(dataclasses.replace(task6, example=""))
    assert write_package(build_notebook(tmp_path), tmp_path / "out", tmp_path) == []
    assert (tmp_path / "out/mygrad/extra.py").read_text().startswith("from .engine import *\n")  # after Value's file
