"""End to end with the real nbgrader: init, generate_assignment, submissions, autograde, feedback, export.

Hermetic: the course and every Jupyter folder live in a temporary directory. The exact scores come from
nbgrader's export and gradebook, and are compared with `mygrad grade` on the same code as a folder.
"""

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from notebook_env import jupyter_env

from autograder import catalogue, samples
from autograder.grade import grade
from autograder.nbgrader.notebook import answers_of, filled

pytestmark = pytest.mark.slow  # the real nbgrader, end to end
BIN = Path(sys.executable).parent
HIDDEN_TEXT = [
    "check_closure",
    "wrong_order_variants",
    "def test_",
    "BEGIN HIDDEN",
    "autograder.hidden",
    "diagnoses.training",
]
BUG = samples.load("bugs")["assign-in-add"]["edit"][0]


def run(args, course, env):
    done = subprocess.run(args, cwd=course, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done


def submit(course, student, answers, edit=None, reshape=None):
    nb = filled(nbformat.read(str(course / "release/mygrad/mygrad.ipynb"), as_version=4), answers, edit)
    if reshape:
        reshape(nb)
    folder = course / "submitted" / student / "mygrad"
    folder.mkdir(parents=True)
    nbformat.write(nb, str(folder / "mygrad.ipynb"))


SCRATCH = [  # cells students add: a drawing, an error, and what would block or end the import if it ran
    "d = Value(2.0) * 3\nd.backward()\ndraw_dot(d)\n1 / 0",
    "name = input('your name: ')",
    "import time\nwhile True:\n    time.sleep(1)",
    "import sys\nsys.exit(0)",
    "import os\nos._exit(0)",
]


def reorganise(nb):
    """Split the engine cell in two, add scratch cells, copy the nn answer cell and a grade cell (Jupyter's copy
    keeps their nbgrader metadata), delete the task0 grade cell."""
    cells = nb.cells
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in cells]
    i = ids.index("code-engine")
    head, tail = cells[i].source.split("def topological_sort(root):")
    cells[i].source = head
    cells[i + 1 : i + 1] = [nbformat.v4.new_code_cell("def topological_sort(root):" + tail)] + [
        nbformat.v4.new_code_cell(source) for source in SCRATCH
    ]
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in cells]
    for grade_id in ("code-nn", "grade-task4"):
        k = ids.index(grade_id)
        copy = json.loads(json.dumps(cells[k]))
        copy.pop("id", None)  # Jupyter gives the copy a new id, and keeps its metadata
        cells.insert(k + 1, nbformat.from_dict(copy))
        ids.insert(k + 1, grade_id)
    nb.cells = [c for c in cells if c.metadata.get("nbgrader", {}).get("grade_id") != "grade-task0"]


def delete_nn_cell(nb):
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "code-nn"]


def folder_score(tmp_path, name, kind="bugs"):
    return grade(samples.materialize(samples.load(kind)[name], tmp_path / f"folder-{name}"), request_timeout=2.0)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    pytest.importorskip("nbgrader", reason="install the nbgrader extra: pip install -e '.[nbgrader]'")
    top = tmp_path_factory.mktemp("nbgrader")
    env = jupyter_env(top)
    course = top / "course"
    run([str(BIN / "mygrad"), "nbgrader", "init", str(course)], top, env)
    with open(course / "nbgrader_config.py", "a") as config:
        config.write("c.MygradGrade.request_timeout = 2.0\n")
    run([str(BIN / "nbgrader"), "generate_assignment", "mygrad"], course, env)
    answers = answers_of(nbformat.read(str(course / "source/mygrad/mygrad.ipynb"), as_version=4))
    submit(course, "solved", answers)
    submit(course, "untouched", None)
    submit(course, "buggy", answers, ("code-engine", BUG["find"], BUG["replace"]))
    submit(
        course,
        "looping",
        answers,
        ("code-engine", "self.grad += (out.data > 0) * out.grad", "while True:\n                pass"),
    )
    submit(course, "broken", answers, ("code-nn", "class Layer(Module):", "class Layer(Module:"))
    submit(course, "reorganised", answers, reshape=reorganise)
    submit(course, "deleted", answers, reshape=delete_nn_cell)
    run([str(BIN / "nbgrader"), "autograde", "mygrad"], course, env)
    run([str(BIN / "nbgrader"), "generate_feedback", "mygrad"], course, env)
    run([str(BIN / "nbgrader"), "export"], course, env)
    return course, env


def exported(course):
    with open(course / "grades.csv") as f:
        return {row["student_id"]: float(row["score"]) for row in csv.DictReader(f)}


def task_scores(course, student):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {
            f"task{i}": gb.find_grade(f"grade-task{i}", "mygrad", "mygrad", student).score
            for i in range(len(catalogue.load()))
        }


def test_exact_scores_from_nbgrader_export(course, tmp_path):
    course, _ = course
    scores = exported(course)
    assert scores["solved"] == 100.0 and scores["untouched"] == 0.0 and scores["reorganised"] == 100.0
    assert scores["buggy"] == pytest.approx(folder_score(tmp_path, "assign-in-add").score, abs=1e-6)
    assert scores["broken"] == pytest.approx(folder_score(tmp_path, "syntax-error-in-nn", "hostile").score, abs=1e-6)
    assert 0 < scores["buggy"] < 100


def test_an_endless_loop_costs_only_its_task(course):
    course, _ = course
    tasks = task_scores(course, "looping")
    assert tasks.pop("task3") < 20
    assert tasks == {"task0": 10, "task1": 15, "task2": 20, "task4": 15, "task5": 20}


def test_a_deleted_answer_cell_is_named(course):
    course, _ = course
    assert task_scores(course, "deleted")["task4"] == 0
    feedback = (course / "feedback/deleted/mygrad/mygrad.html").read_text()
    assert "the code cell for mygrad/nn.py is missing" in feedback


def test_feedback_names_the_mistake_and_no_hidden_test_leaks(course):
    course, _ = course
    release = (course / "release/mygrad/mygrad.ipynb").read_text()
    assert "other.grad += self.data * out.grad" not in release  # solutions stripped
    for task in catalogue.load().values():  # the stubs of `mygrad build`, so the grader says "not started"
        assert f'raise NotImplementedError(\\"{task.id} not started: {task.title}\\")' in release, task.id
        assert f"{task.id} is not started" in (course / "feedback/untouched/mygrad/mygrad.html").read_text()
    for student in ("solved", "untouched", "buggy", "looping", "broken", "reorganised", "deleted"):
        html = (course / f"feedback/{student}/mygrad/mygrad.html").read_text()
        leaks = [text for text in HIDDEN_TEXT if text in html or text in release]
        assert not leaks, (student, leaks)
    assert "assign-not-accumulate" in (course / "feedback/buggy/mygrad/mygrad.html").read_text()


def test_parallel_command_records_the_same_grades(course):
    course, env = course
    serial = exported(course)
    done = run(
        [str(BIN / "mygrad"), "nbgrader", "autograde", "mygrad", "--jobs", "2", "--force", "--request-timeout", "2.0"],
        course,
        env,
    )
    run([str(BIN / "nbgrader"), "export"], course, env)
    assert exported(course) == serial
    said = done.stdout + done.stderr  # each student's score as it finishes, then a summary
    for student, score in serial.items():
        assert f"{student}: {score:g} / 100" in said, (student, said[-3000:])
    assert "graded 7 notebooks: mean " in said and "full marks: 2" in said
    shutil.rmtree(course / ".mygrad-cache")


def test_parallel_command_grades_only_what_nbgrader_will_record(course):
    course, env = course
    before = exported(course)
    mygrad = [str(BIN / "mygrad"), "nbgrader", "autograde", "mygrad", "--jobs", "2", "--request-timeout", "2.0"]
    again = run(mygrad, course, env)  # everyone is autograded already: nothing to grade, nbgrader not started
    assert "7 submissions are autograded already" in again.stderr and "nothing new to grade or record" in again.stderr
    for folder, stamp in (("autograded", "2026-11-21 09:30:00 UTC"), ("submitted", "2026-11-22 09:30:00 UTC")):
        (course / folder / "buggy/mygrad/timestamp.txt").write_text(stamp)  # buggy handed in again, a day later
    resubmitted = run(mygrad, course, env)
    assert "6 submissions are autograded already" in resubmitted.stderr
    assert f"buggy: {before['buggy']:g} / 100" in resubmitted.stderr and "graded 1 notebook:" in resubmitted.stderr
    assert (course / "autograded/buggy/mygrad/timestamp.txt").read_text().startswith("2026-11-22")  # recorded anew
    run([str(BIN / "nbgrader"), "export"], course, env)
    assert exported(course) == before
