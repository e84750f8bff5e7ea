"""The Gradescope bundle end to end: build it, lay it out as Gradescope does under a fake /autograder,
install it with its own setup.sh (apt-get skipped), and grade every upload shape with its run_autograder.
Each results.json must match Gradescope's documented format (the schema below)."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder import samples
from autograder.gradescope import build_bundle

jsonschema = pytest.importorskip("jsonschema", reason="pip install -e '.[test]'")
BIN = Path(sys.executable).parent
VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
# Gradescope's results.json, from its "Autograder Specifications" page (Output format): every documented
# field with its type; a score at the top or on every test; nothing undocumented.
RESULTS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "score": {"type": "number"},
        "max_score": {"type": "number"},
        "execution_time": {"type": "number"},
        "output": {"type": "string"},
        "output_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
        "test_output_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
        "test_name_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
        "visibility": VISIBILITY,
        "stdout_visibility": VISIBILITY,
        "extra_data": {"type": "object"},
        "leaderboard": {"type": "array"},
        "tests": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "score": {"type": "number"},
                    "max_score": {"type": "number"},
                    "status": {"enum": ["passed", "failed"]},
                    "name": {"type": "string"},
                    "name_format": {"type": "string"},
                    "number": {"type": "string"},
                    "output": {"type": "string"},
                    "output_format": {"type": "string"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "visibility": VISIBILITY,
                    "extra_data": {"type": "object"},
                },
                "required": ["score", "max_score", "name"],
            },
        },
    },
    "anyOf": [{"required": ["score"]}, {"required": ["tests"], "properties": {"tests": {"minItems": 1}}}],
}


def solved_or(bug=None):
    return samples.load("bugs")[bug] if bug else {}


def shape(name: str, dest: Path) -> None:
    """Lay out one upload shape in dest (Gradescope's /autograder/submission)."""
    work = dest.parent / f"{name}-work"
    folder = samples.materialize(solved_or("bias-missing" if name != "notebook" else None), work)
    package = folder / "mygrad"
    if name == "mygrad-at-top":
        shutil.copytree(package, dest / "mygrad")
    elif name == "flat-files":
        dest.mkdir()
        for path in package.glob("*.py"):
            if path.name != "__init__.py":
                shutil.copy(path, dest)
    elif name == "nested-zip":
        dest.mkdir()
        with zipfile.ZipFile(dest / "handin.zip", "w") as z:
            for path in package.glob("*.py"):
                z.write(path, f"Archive/my-project/mygrad/{path.name}")
                z.writestr(f"__MACOSX/Archive/my-project/mygrad/._{path.name}", "\0\5\26\7")
    elif name == "notebook":
        import nbformat

        from autograder.nbgrader.notebook import build_notebook

        dest.mkdir()
        nbformat.write(build_notebook(), str(dest / "mygrad.ipynb"))  # the source notebook: model answers
    elif name == "empty":
        dest.mkdir()


@pytest.fixture(scope="module")
def autograder_root(tmp_path_factory):
    """A fake /autograder with the bundle installed by its own setup.sh (slow: a venv and a pip install)."""
    root = tmp_path_factory.mktemp("autograder")
    bundle = root.parent / "bundle.zip"
    build_bundle(bundle, visibility="after_due_date")
    with zipfile.ZipFile(bundle) as z:
        z.extractall(root / "source")
    for script in ("setup.sh", "run_autograder"):  # zipfile does not restore modes; Gradescope does
        (root / "source" / script).chmod(0o755)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), MYGRAD_SKIP_APT="1")
    done = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return root


def run_autograder(root: Path, upload: str) -> dict:
    submission = root / "submission"
    shutil.rmtree(submission, ignore_errors=True)
    shape(upload, submission)
    env = dict(os.environ, AUTOGRADER_ROOT=str(root))
    done = subprocess.run([str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    data = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(data, RESULTS_SCHEMA)
    return data


def test_bundle_holds_the_scripts_and_the_kit_without_junk(tmp_path):
    bundle = tmp_path / "b.zip"
    build_bundle(bundle)
    with zipfile.ZipFile(bundle) as z:
        names = z.namelist()
        modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
    assert {
        "setup.sh",
        "run_autograder",
        "pyproject.toml",
        "autograder/grade.py",
        "solutions/tasks.toml",
        "mygrad_ref/engine.py",
        "exercises/conftest.py",
    } <= set(names)
    assert not [
        n
        for n in names
        if "__pycache__" in n
        or n.endswith((".pyc", ".ipynb"))
        or n.startswith((".git", ".venv", "exercises/mygrad", "docs/", "tests/", "benchmarks/"))
    ]
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    build_bundle(tmp_path / "again.zip")
    assert (tmp_path / "again.zip").read_bytes() == bundle.read_bytes()  # the same kit, the same bundle


def test_setup_script_is_valid_bash_and_installs_the_bundled_source(tmp_path):
    build_bundle(tmp_path / "b.zip")
    with zipfile.ZipFile(tmp_path / "b.zip") as z:
        z.extractall(tmp_path / "source")
    for script in ("setup.sh", "run_autograder"):
        assert subprocess.run(["bash", "-n", str(tmp_path / "source" / script)]).returncode == 0
    setup = (tmp_path / "source" / "setup.sh").read_text()
    assert 'pip install -q --disable-pip-version-check -e "$ROOT/source"' in setup
    assert "apt-get install -y -qq python3 python3-venv python3-pip bubblewrap graphviz" in setup


def test_a_bad_visibility_is_refused(tmp_path):
    run = subprocess.run(
        [str(BIN / "mygrad"), "gradescope", str(tmp_path / "b.zip"), "--visibility", "soon"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2 and "invalid choice" in run.stderr and not (tmp_path / "b.zip").exists()


@pytest.mark.slow
def test_setup_installs_the_kit_from_the_bundle(autograder_root):
    where = subprocess.run(
        [str(autograder_root / "venv" / "bin" / "python"), "-c", "import autograder; print(autograder.__file__)"],
        cwd="/",
        capture_output=True,
        text=True,
    )
    assert Path(where.stdout.strip()).resolve() == (autograder_root / "source/autograder/__init__.py").resolve()


@pytest.mark.slow
@pytest.mark.parametrize("upload", ["mygrad-at-top", "flat-files", "nested-zip"])
def test_every_upload_shape_is_graded_on_gradescope(autograder_root, upload, tmp_path):
    data = run_autograder(autograder_root, upload)
    expected = grade_folder(tmp_path)
    assert data["score"] == expected and 0 < data["score"] < 100 and data["max_score"] == 100
    assert {t["visibility"] for t in data["tests"]} == {"after_due_date"} == {data["visibility"]}
    if upload != "mygrad-at-top":
        assert "Graded " in data["output"]


def grade_folder(tmp_path):
    from autograder.grade import grade

    return grade(samples.materialize(samples.load("bugs")["bias-missing"], tmp_path / "plain")).score


@pytest.mark.slow
def test_a_notebook_upload_is_graded_on_gradescope(autograder_root):
    data = run_autograder(autograder_root, "notebook")
    assert data["score"] == 100 and "Graded the notebook mygrad.ipynb" in data["output"]


@pytest.mark.slow
def test_an_upload_without_code_gets_a_report(autograder_root):
    data = run_autograder(autograder_root, "empty")
    assert data["score"] == 0 and "No mygrad/ package" in data["tests"][0]["output"]


@pytest.mark.slow
def test_a_grader_that_cannot_run_still_leaves_results(autograder_root):
    shape("mygrad-at-top", autograder_root / "submission") if not (autograder_root / "submission").exists() else None
    env = dict(os.environ, AUTOGRADER_ROOT=str(autograder_root), MYGRAD_PYTHON="/bin/false")
    done = subprocess.run([str(autograder_root / "run_autograder")], env=env, capture_output=True, text=True)
    data = json.loads((autograder_root / "results" / "results.json").read_text())
    jsonschema.validate(data, RESULTS_SCHEMA)
    assert done.returncode == 0 and data["score"] == 0 and "could not grade" in data["output"]
