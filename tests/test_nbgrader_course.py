"""`mygrad nbgrader init` and the course it writes, with the real nbgrader: the course id, a working
zip_collect, edited files never overwritten, and a config that stops nbgrader when the kit is missing."""

import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from notebook_env import jupyter_env

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


def run(args, cwd, env, ok=True):
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True)
    assert (done.returncode == 0) == ok, f"{args}: {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture
def course(tmp_path):
    pytest.importorskip("nbgrader", reason="install the nbgrader extra: pip install -e '.[nbgrader]'")
    env = jupyter_env(tmp_path)
    course = tmp_path / "course"
    run([BIN / "mygrad", "nbgrader", "init", course, "--course-id", "ml101"], tmp_path, env)
    run([BIN / "nbgrader", "generate_assignment", "mygrad"], course, env)
    return course, env


def gradebook_rows(course, table):
    with sqlite3.connect(course / "gradebook.db") as db:
        return db.execute(f"select count(*) from {table}").fetchone()[0]


def test_course_id_and_a_second_init_changes_nothing(course):
    course, env = course
    config = (course / "nbgrader_config.py").read_text()
    assert "c.CourseDirectory.course_id = 'ml101'" in config
    again = run([BIN / "mygrad", "nbgrader", "init", course, "--course-id", "ml101"], course, env)
    assert "kept" in again.stdout and (course / "nbgrader_config.py").read_text() == config
    with sqlite3.connect(course / "gradebook.db") as db:  # the gradebook files the assignment under the id
        assert db.execute("select name, course_id from assignment").fetchall() == [("mygrad", "ml101")]


def test_an_edited_config_is_never_overwritten_without_force(course):
    course, env = course
    config = course / "nbgrader_config.py"
    edited = config.read_text() + "c.MygradGrade.request_timeout = 9.0\n"
    config.write_text(edited)
    refused = run([BIN / "mygrad", "nbgrader", "init", course, "--course-id", "ml101"], course, env, ok=False)
    assert refused.returncode == 2 and "differs from what" in refused.stderr and "--force" in refused.stderr
    assert config.read_text() == edited
    forced = run([BIN / "mygrad", "nbgrader", "init", course, "--course-id", "ml101", "--force"], course, env)
    assert "nbgrader_config.py.bak" in forced.stdout
    assert (course / "nbgrader_config.py.bak").read_text() == edited and "9.0" not in config.read_text()
    config.write_text(config.read_text() + "# edited again\n")  # a second backup never replaces the first
    again = run([BIN / "mygrad", "nbgrader", "init", course, "--course-id", "ml101", "--force"], course, env)
    assert "nbgrader_config.py.bak2" in again.stdout and (course / "nbgrader_config.py.bak").read_text() == edited
    assert (course / "nbgrader_config.py.bak2").read_text().endswith("# edited again\n")
    other = run([BIN / "mygrad", "nbgrader", "init", course, "--course-id", "ml999"], course, env, ok=False)
    assert other.returncode == 2 and "is the config of the course 'ml101'" in other.stderr, other.stderr


def test_zip_collect_files_lms_downloads_under_each_student(course):
    course, env = course
    release = course / "release/mygrad/mygrad.ipynb"
    archive = course / "downloaded/mygrad/archive"
    archive.mkdir(parents=True)
    with zipfile.ZipFile(archive / "lms-download.zip", "w") as z:
        z.write(release, "alice_20261121T093000_mygrad.ipynb")
        z.write(release, "bob_smith_mygrad.ipynb")
    shutil.copy(release, archive / "carol_mygrad.ipynb")
    run([BIN / "nbgrader", "zip_collect", "mygrad"], course, env)
    for student in ("alice", "bob_smith", "carol"):
        assert (course / f"submitted/{student}/mygrad/mygrad.ipynb").is_file(), student
    assert (course / "submitted/alice/mygrad/timestamp.txt").read_text().startswith("2026-11-21 09:30:00")


def test_nbgrader_stops_with_a_clear_message_when_the_kit_cannot_be_imported(course, tmp_path):
    course, env = course
    folder = course / "submitted/alice/mygrad"
    folder.mkdir(parents=True)
    shutil.copy(course / "release/mygrad/mygrad.ipynb", folder)
    # nbgrader's environment without the kit, as on a JupyterHub whose formgrader lacks it: a package of the
    # same name first on the path that fails to import, as a missing one does
    shadow = tmp_path / "no-kit" / "autograder"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'autograder'\")\n")
    done = run([BIN / "nbgrader", "autograde", "mygrad"], course, dict(env, PYTHONPATH=str(shadow.parent)), ok=False)
    assert "the mygrad kit cannot be imported here" in done.stderr and "python -c 'import autograder'" in done.stderr
    assert not (course / "autograded").exists() and gradebook_rows(course, "submitted_notebook") == 0
    run([BIN / "nbgrader", "autograde", "mygrad"], course, env)  # with the kit: graded
    assert gradebook_rows(course, "submitted_notebook") == 1


def test_the_parallel_summary_takes_the_median_of_an_even_class():
    from autograder.nbgrader.parallel import summary

    text = summary({"ada": (100.0, 100.0), "bea": (0.0, 100.0), "cy": (40.0, 100.0), "dan": (60.0, 100.0)}, [])
    assert "mean 50.00, median 50.00, lowest 0, highest 100 (of 100); full marks: 1, zero: 1" in text, text


def test_without_the_kit_a_command_stops_and_the_formgrader_server_stays_up_but_grades_nothing(monkeypatch, capsys):
    """In a command, the config stops nbgrader (above). Loaded by a running Jupyter server (the formgrader on a
    JupyterHub), stopping would take the whole server down: instead every grading step fails with the reason."""
    from jupyter_server.serverapp import ServerApp
    from traitlets.config import Config

    from autograder.nbgrader.course import config_text

    monkeypatch.setitem(sys.modules, "autograder.nbgrader.preprocessor", None)  # as if the kit were missing

    def load():
        config = Config()
        exec(
            compile(config_text("ml101"), "nbgrader_config.py", "exec"),
            {"get_config": lambda: config, "__file__": "c.py"},
        )
        return config

    with pytest.raises(SystemExit, match="the mygrad kit cannot be imported here"):
        load()
    ServerApp.instance()
    try:
        config = load()
    finally:
        ServerApp.clear_instance()
    assert "the mygrad kit cannot be imported here" in capsys.readouterr().err
    for steps in (config.Autograde.sanitize_preprocessors, config.Autograde.autograde_preprocessors):
        failing = [step for step in steps if step.__name__ == "KitMissing"]
        assert failing, steps
        with pytest.raises(RuntimeError, match="pip install -e"):
            failing[0]().preprocess(None, {})
    assert config.CourseDirectory.course_id == "ml101"
