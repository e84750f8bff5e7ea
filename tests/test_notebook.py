"""The generated notebook: valid nbgrader metadata, runs clean when solved, fails only at stubs when not,
and turns back into a package that grades like the folder it came from."""
import nbformat
import pytest

from autograder.grade import grade
from autograder.nbgrader.notebook import build_notebook, write_package

nbclient = pytest.importorskip("nbclient", reason="install the nbgrader extra: pip install -e '.[nbgrader]'")


def execute(nb):
    nbclient.NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True).execute()
    return [(c.metadata.get("nbgrader", {}).get("grade_id"), o) for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if o.output_type == "error"]


def stubbed(nb):
    from nbgrader.preprocessors import ClearSolutions
    stubs = ClearSolutions(code_stub={"python": "# YOUR CODE HERE\nraise NotImplementedError('not started')"})
    return stubs.preprocess(nb, {})[0]


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
    assert where == {f"grade-task{i}" for i in range(6)}, where
    assert all(o.ename == "NotImplementedError" for _, o in errors)


def test_notebook_package_grades_like_the_solutions(tmp_path):
    assert write_package(build_notebook(), tmp_path) == []
    assert grade(tmp_path).score == 100
