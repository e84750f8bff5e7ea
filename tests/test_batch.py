"""`mygrad grade-all`: a small class graded in parallel equals each submission graded alone; resuming, failures,
Ctrl-C, the class report in a browser, a Dask cluster, and the documented commands."""

import csv
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from browser import chromium
from rich.console import Console

from autograder import batch, samples
from autograder.catalogue import KIT_ROOT
from autograder.samples.classroom import make_class, make_entry, zip_folder

MYGRAD = [sys.executable, "-m", "autograder.cli"]
TASKS = ["task0", "task1", "task2", "task3", "task4", "task5"]


def grade_all(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([*MYGRAD, "grade-all", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=600)


def read_gradebook(out: Path) -> dict[str, list[float]]:
    with open(out / "gradebook.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["student", "total", *TASKS]
    return {row[0]: [float(x) for x in row[1:]] for row in rows[1:]}


def grade_alone(path: Path, tmp: Path) -> tuple[list[float], dict | None]:
    """`mygrad grade PATH --json` in a fresh process: (total and task points, the JSON), or zeros if it
    cannot grade it (exit status 2)."""
    out = tmp / f"{path.name}.json"
    run = subprocess.run([*MYGRAD, "grade", str(path), "--json", str(out), "--quiet"], capture_output=True, text=True)
    if run.returncode == 2:
        return [0.0] * (len(TASKS) + 1), None
    assert run.returncode == 0, run.stderr
    data = json.loads(out.read_text())
    tasks = [sum(t["score"] for t in data["tests"] if t["tags"][0] == task) for task in TASKS]
    return [data["score"], *tasks], data


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """A class of 9 (every kind of entry but the looping one), graded once into a folder that did not exist."""
    root = tmp_path_factory.mktemp("class")
    subs = make_class(root / "submissions", size=9, looping=False)
    out = root / "out" / "grades"
    run = grade_all(subs, "--out", out, "-j", "2")
    return subs, out, run


@pytest.mark.slow
def test_gradebook_equals_grading_each_submission_alone(graded_class, tmp_path):
    subs, out, run = graded_class
    assert run.returncode == 1, run.stderr  # the broken zip and the folder without a submission: not graded
    assert "skipped notes.txt: not a folder" in run.stderr
    assert re.search(r"graded 7 of 9 submissions \(0 from the cache\).*2 could not be graded", run.stderr)
    gradebook = read_gradebook(out)
    assert sorted(gradebook) == [f"s{n:02d}" for n in range(1, 10)]
    # each entry as it is in the folder, handed to `mygrad grade`
    paths = {s: subs / s for s in gradebook}
    paths.update({p.stem: p for p in subs.glob("*.*") if p.suffix in (".zip", ".ipynb")})
    with ThreadPoolExecutor(2) as pool:
        alone = dict(zip(paths, pool.map(lambda s: grade_alone(paths[s], tmp_path), paths)))
    for student, (row, data) in alone.items():
        assert gradebook[student] == pytest.approx(row, abs=1e-3), student
        written = json.loads((out / "students" / student / "results.json").read_text())
        if "NOT GRADED" not in written["output"]:  # every check, its points, status, feedback and tags: the same
            assert written["tests"] == data["tests"], student
    assert gradebook["s01"][0] == 100 and gradebook["s02"][0] == 0 and 0 < gradebook["s04"][0] < 100
    broken = json.loads((out / "students" / "s06" / "results.json").read_text())
    assert broken["score"] == 0 and "not a readable zip archive" in broken["output"]  # a report, with the reason


@pytest.mark.slow
def test_rerun_grades_only_what_changed_and_a_changed_grader_regrades(graded_class, tmp_path, monkeypatch):
    subs, out, _ = graded_class
    copy, grades = tmp_path / "submissions", tmp_path / "grades"
    shutil.copytree(subs, copy)
    shutil.copytree(out, grades)
    run = grade_all(copy, "--out", grades)
    assert "graded 7 of 9 submissions (7 from the cache)" in run.stderr  # the two ungradable ones are tried again
    engine = copy / "s01" / "mygrad" / "engine.py"
    engine.write_text(engine.read_text().replace("self.grad += out.grad", "self.grad = out.grad", 1))
    run = grade_all(copy, "--out", grades)
    assert "(6 from the cache)" in run.stderr
    assert read_gradebook(grades)["s01"][0] < 100
    monkeypatch.setattr(batch, "grader_fingerprint", lambda: "another grader")
    said = io.StringIO()
    assert batch.grade_all(copy, grades, jobs=2, console=Console(file=said, width=200)) == batch.NOT_ALL_GRADED
    assert "graded 7 of 9 submissions (0 from the cache)" in said.getvalue()
    assert not list(grades.rglob("*.part"))


def test_an_exception_in_the_grader_costs_only_that_submission(monkeypatch, tmp_path):
    import autograder.grade

    def broken_grade(path, **kwargs):
        raise RuntimeError("a bug in the grader")

    monkeypatch.setattr(autograder.grade, "grade", broken_grade)
    outcome = batch.grade_entry(str(KIT_ROOT / "solutions"), batch.Settings())
    results = batch.Results.from_dict(outcome["results"])
    assert outcome["graded"] is False and results.score == 0 and results.max_score == 100
    assert results.notes == ["GRADER ERROR: RuntimeError: a bug in the grader"]
    assert {t.tags[1] for t in results.tests} == {"grader-error"}
    assert batch.needs_a_look(results) == results.notes


def test_each_entry_is_handed_to_the_grader_as_it_is_and_the_output_folder_is_no_student(tmp_path):
    (tmp_path / "ann" / "upload" / "deep" / "er" / "mygrad").mkdir(parents=True)  # intake searches inside
    (tmp_path / "bo.ipynb").write_text("{}")
    (tmp_path / "dee.ZIP").write_bytes(b"")
    (tmp_path / "dee").mkdir()  # the same student twice: the first is kept
    (tmp_path / ".DS_Store").write_bytes(b"")
    (tmp_path / "grades.xlsx").write_bytes(b"")
    (tmp_path / "grades" / ".cache").mkdir(parents=True)  # this run's output folder, inside the submissions
    (tmp_path / "old-grades" / ".cache").mkdir(parents=True)  # an earlier run's
    (tmp_path / "old-grades" / "gradebook.csv").write_text("student,total\n")
    entries, skipped = batch.discover(tmp_path, out=tmp_path / "grades")
    assert {e.student: e.path for e in entries} == {
        "ann": tmp_path / "ann",
        "bo": tmp_path / "bo.ipynb",
        "dee": tmp_path / "dee",
    }
    assert skipped == [
        "dee.ZIP: the same student id as dee (keep one)",
        "grades.xlsx: not a folder, .zip or .ipynb",
        "old-grades: the output of an earlier grade-all, not a submission",
    ]


def test_a_name_that_is_not_utf8_is_graded_and_written_like_any_other(tmp_path):
    """An entry named with bytes that are not UTF-8 (an archive made on another system): graded, its row in
    the gradebook and the report (it crashed the whole batch before anyone was graded)."""
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    odd = Path(os.fsdecode(os.fsencode(subs) + b"/bad\xffname"))
    shutil.copytree(KIT_ROOT / "solutions" / "mygrad", odd / "mygrad")
    shutil.copytree(KIT_ROOT / "solutions" / "mygrad", subs / "alice" / "mygrad")
    run = grade_all(subs, "--out", out, "--task", "task1", "-j", "1")
    assert run.returncode == 0, run.stderr
    rows = {row["student"]: row for row in csv.DictReader((out / "gradebook.csv").open(encoding="utf-8"))}
    assert set(rows) == {"alice", "bad\ufffdname"} and rows["bad\ufffdname"]["total"] == rows["alice"]["total"]
    assert (out / "students" / "bad\ufffdname" / "feedback.html").is_file()
    assert (out / "class-report.html").is_file()
    again = grade_all(subs, "--out", out, "--task", "task1", "-j", "1")
    assert again.returncode == 0 and "2 from the cache" in again.stdout + again.stderr, again.stdout + again.stderr


def test_a_folders_hash_marks_where_each_folder_ends(tmp_path):
    (tmp_path / "one" / "a").mkdir(parents=True)  # a/ holding b
    (tmp_path / "one" / "a" / "b").write_text("x")
    (tmp_path / "two" / "a").mkdir(parents=True)  # an empty a/ beside b
    (tmp_path / "two" / "b").write_text("x")
    assert batch.content_hash(tmp_path / "one") != batch.content_hash(tmp_path / "two")


@pytest.fixture
def nested(tmp_path):
    """nested(top, depth): top/d/d/.../d, depth folders deep (made with relative paths: the whole path may pass
    PATH_MAX), removed afterwards by `rm -rf` (shutil.rmtree, and so pytest's own clean-up, recurses per level)."""
    made = []
    yield lambda top, depth: made.append(top) or make_nested(top, depth)
    for top in made:
        subprocess.run(["rm", "-rf", str(top)], check=True)


def make_nested(top: Path, depth: int) -> Path:
    top.mkdir(parents=True)
    here = os.open(top, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=here)
            below = os.open("d", os.O_RDONLY, dir_fd=here)
            os.close(here)
            here = below
        with open(os.open("note.txt", os.O_WRONLY | os.O_CREAT, dir_fd=here), "w") as f:
            f.write(str(depth))
    finally:
        os.close(here)
    return top


def test_a_folder_nested_thousands_deep_gets_a_key_from_what_the_grader_reads(tmp_path, nested):
    """The key reads no deeper than the grader looks (it recursed once per folder: a RecursionError stopped
    the whole class), so what changes below that depth changes nothing."""
    one, two = nested(tmp_path / "one", 1100), nested(tmp_path / "two", 1101)
    assert batch.content_hash(one) == batch.content_hash(two)
    (two / "mygrad").mkdir()
    assert batch.content_hash(one) != batch.content_hash(two)


def test_a_huge_file_is_keyed_by_size_and_time_without_reading_it(tmp_path, monkeypatch):
    sparse = tmp_path / "entry" / "dataset.bin"
    sparse.parent.mkdir()
    with open(sparse, "wb") as f:
        f.truncate(20 << 30)  # 20 GB on paper, nothing on disk (it took the class two minutes to hash)
    monkeypatch.setattr(batch, "open", lambda *a, **k: pytest.fail("the key read a huge file"), raising=False)
    first = batch.content_hash(sparse.parent)
    os.utime(sparse, ns=(1, 1))
    assert batch.content_hash(sparse.parent) != first


def test_an_entry_past_the_keys_bounds_is_graded_every_run_never_cached(tmp_path, monkeypatch):
    entry = tmp_path / "entry"
    shutil.copytree(KIT_ROOT / "solutions" / "mygrad", entry / "mygrad")
    settings = batch.Settings()
    assert batch.cache_key(batch.Entry("x", entry), settings)
    monkeypatch.setattr(batch, "HASHED_ENTRIES", 3)
    assert batch.cache_key(batch.Entry("x", entry), settings) is None


@pytest.mark.slow
def test_one_deep_folder_never_stops_the_class(tmp_path, nested):
    subs = tmp_path / "subs"
    shutil.copytree(KIT_ROOT / "solutions", subs / "alice", ignore=shutil.ignore_patterns("tests", "__pycache__"))
    nested(subs / "mallory" / "deep", 1100)
    shutil.copytree(KIT_ROOT / "exercises" / "mygrad", subs / "mallory" / "mygrad")
    run = grade_all(subs, "--out", tmp_path / "out", "-j", "2")
    assert run.returncode == 0, run.stdout + run.stderr
    book = read_gradebook(tmp_path / "out")
    assert book["alice"][0] > 0 and book["mallory"][0] == 0, book  # both graded, neither lost


@pytest.mark.slow
def test_every_upload_shape_gets_the_grade_it_gets_alone(tmp_path):
    """The shapes students hand in, in an LMS or Gradescope export: grade-all finds what `mygrad grade` finds."""
    subs, solved = tmp_path / "subs", KIT_ROOT / "solutions" / "mygrad"
    loose = subs / "submission_101"  # Gradescope's export: the loose files and its metadata
    loose.mkdir(parents=True)
    for path in solved.glob("*.py"):
        shutil.copy(path, loose / path.name)
    (loose / "submission_metadata.yml").write_text(":submitters: []\n")
    (subs / "pat" / "__MACOSX").mkdir(parents=True)  # a macOS zip, its resource fork beside it
    zip_folder(solved.parent, subs / "pat" / "mygrad.zip")
    (subs / "pat" / "__MACOSX" / "._mygrad.zip").write_bytes(b"\0\5\26\7")
    project = tmp_path / "project"  # a whole project zipped with its virtual environment
    shutil.copytree(solved, project / "mygrad", ignore=shutil.ignore_patterns("__pycache__"))
    (project / ".venv" / "lib").mkdir(parents=True)
    (project / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    for n in range(2100):  # more files than an archive may hold
        (project / ".venv" / "lib" / f"m{n}.py").write_text("x = 1\n")
    zip_folder(project, subs / "quinn.zip")
    # a name a spreadsheet would run as a formula, for a submission that needs a look (a link in the report)
    samples.materialize(samples.load("hostile")["imports-the-reference"], subs / "=HYPERLINK(1) 100%")
    out = subs / "grades"  # the output inside the submissions folder
    first = grade_all(subs, cwd=subs)
    again = grade_all(subs, cwd=subs)
    assert first.returncode == 0 and again.returncode == 0, first.stderr + again.stderr
    assert "graded 4 of 4 submissions (4 from the cache)" in again.stderr
    book = read_gradebook(out)
    assert sorted(book) == ["'=HYPERLINK(1) 100%", "pat", "quinn", "submission_101"]
    for entry in ("submission_101", "pat", "quinn.zip"):
        assert book[Path(entry).stem] == pytest.approx(grade_alone(subs / entry, tmp_path)[0], abs=1e-3), entry
    assert book["quinn"][0] == 100 and book["submission_101"][0] == 100
    notes = json.loads((out / "students" / "quinn" / "results.json").read_text())["output"]
    assert "Left out of quinn.zip (no student code): .venv/" in notes
    assert "href='students/%3DHYPERLINK%281%29%20100%25/feedback.html'" in (out / "class-report.html").read_text()
    assert oct((out / "gradebook.csv").stat().st_mode & 0o777) == oct(0o666 & ~batch_umask())


def batch_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.parametrize(
    "args, message",
    [
        (["no-such-folder"], "not a folder"),
        (["{empty}"], "nothing to grade"),
        (["{empty}", "--task", "task9"], "unknown task task9"),
        (["{empty}", "-j", "0"], "--jobs must be at least 1"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args, message, tmp_path):
    (tmp_path / "empty").mkdir()
    run = grade_all(*[a.format(empty=tmp_path / "empty") for a in args], cwd=tmp_path)
    assert run.returncode == 2 and message in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert "Traceback" not in run.stderr


@pytest.mark.slow
@pytest.mark.parametrize("parent", ["stops", "ignores"])
def test_ctrl_c_keeps_what_finished_and_a_rerun_resumes(tmp_path, parent):
    """Ctrl-C to the process group; with "ignores", grade-all runs where SIGINT is ignored (a background job of
    a script) so that only its grading processes stop their grades: it must still say so, not leave students
    out in silence."""
    subs = make_class(tmp_path / "submissions", size=4)
    shutil.rmtree(subs / "s01")  # s01 hangs at import (two waits of 5 s: no CPU cap cuts a sleep)
    samples.materialize(samples.load("hostile")["sleeps-at-import"], subs / "s01")
    out = tmp_path / "grades"
    command = [*MYGRAD, "grade-all", str(subs), "--out", str(out), "-j", "2"]
    proc = subprocess.Popen(
        command,
        start_new_session=True,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if parent == "ignores" else None,
    )
    deadline = time.monotonic() + 120
    while len(list(out.glob("students/*/results.json"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole process group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    finished = sorted(p.parent.name for p in out.glob("students/*/results.json"))
    assert "s01" not in finished and len(finished) >= 2
    for student in finished:
        assert json.loads((out / "students" / student / "results.json").read_text())["max_score"] == 100
    assert not list(out.rglob("*.part"))
    shutil.rmtree(subs / "s01")  # the looping one: leave it out so the re-run is quick
    run = grade_all(subs, "--out", out)
    assert run.returncode == 0, run.stderr
    assert f"graded 3 of 3 submissions ({len(finished)} from the cache)" in run.stderr


def test_a_stopped_run_keeps_the_earlier_grades_of_those_it_did_not_reach(tmp_path, monkeypatch):
    """A `--force` run (or one after a grader change) stopped by Ctrl-C: the gradebook still lists every
    student, those not graded again with their earlier grade of the same files (it listed only those graded
    in the stopped run), and the message says how to resume (the same command, with --force, grades all)."""
    subs, out = make_class(tmp_path / "submissions", size=3), tmp_path / "grades"
    assert batch.grade_all(subs, out, jobs=1, console=Console(file=io.StringIO())) == batch.OK
    before = (out / "gradebook.csv").read_text()

    def stopped_after_one(jobs, work, on_done):
        student, args = next(iter(work.items()))
        on_done(student, batch.grade_entry(*args))
        return False  # Ctrl-C: the rest never ran

    monkeypatch.setattr(batch, "run_local", stopped_after_one)
    said = io.StringIO()
    code = batch.grade_all(subs, out, jobs=1, force=True, console=Console(file=said, width=300))
    assert code == batch.INTERRUPTED
    assert (out / "gradebook.csv").read_text() == before
    assert "interrupted: 2 left (the gradebook keeps the earlier grade of 2 of them); run it again without --force" in (
        said.getvalue()
    )


def test_ctrl_c_stops_a_grade_but_never_an_idle_pool_process(monkeypatch):
    """An idle pool process that died of Ctrl-C would break the pool, and the grades under way in the others
    would come back as grader errors (written as zeros): it only remembers, and starts no grade after."""
    saved = signal.getsignal(signal.SIGINT)
    monkeypatch.setattr(batch, "_interrupted", False)
    try:
        batch.worker_init()
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.01)  # the handler runs here: it must not raise
        assert batch._interrupted
        assert batch.grade_forked(str(KIT_ROOT / "solutions"), batch.Settings()) is None
    finally:
        signal.signal(signal.SIGINT, saved)


@pytest.mark.slow
def test_class_report_shows_the_plots_and_who_needs_a_look(graded_class, tmp_path):
    _, out, _ = graded_class
    page = (out / "class-report.html").as_uri()
    dom = chromium("--dump-dom", page)
    for plot in ("scores", "tasks", "diagnoses"):
        figure = re.search(rf"<figure id=\"plot-{plot}\">(.*?)</figure>", dom, re.S)
        assert figure and "<svg" in figure.group(1), plot
    assert ">Scores<" in dom and ">Marks per task<" in dom and "not-gradable" in dom
    # the statistics leave out who could not be graded (a zero for an unreadable zip is no score)
    assert re.search(r"7 submissions graded; mean [\d.]+, median [\d.]+, full marks \d+; 2 could not be graded", dom)
    look = re.search(r"<table id=\"needs-a-look\">(.*?)</table>", dom, re.S).group(1)
    for student, why in (("s05", "FLAGGED"), ("s06", "not a readable zip archive"), ("s08", "No mygrad/ package")):
        assert re.search(rf">{student}</a>.*?{re.escape(why)}", look, re.S), (student, why)
    assert ">s01<" not in look  # full marks, nothing to look at
    assert "<li>notes.txt: not a folder, .zip or .ipynb</li>" in dom
    chromium(f"--screenshot={tmp_path / 'report.png'}", "--window-size=1200,2400", page)
    assert (tmp_path / "report.png").stat().st_size > 20_000
    feedback = chromium("--dump-dom", (out / "students" / "s05" / "feedback.html").as_uri())
    text = re.sub(r"<[^>]+>", "", feedback)
    assert "<title>Submission s05</title>" in feedback and "Total: 0.00 / 100" in text and "FLAGGED" in text


@pytest.mark.slow
def test_a_dask_cluster_gives_the_same_gradebook(graded_class, tmp_path):
    import distributed  # the cluster extra (.ci/setup installs it)

    subs, out, _ = graded_class
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        run = grade_all(subs, "--out", tmp_path / "grades", "--scheduler", cluster.scheduler_address)
    assert run.returncode == 1, run.stderr
    assert f"on the Dask cluster at {cluster.scheduler_address}" in run.stderr
    assert read_gradebook(tmp_path / "grades") == read_gradebook(out)


def documented(command: str) -> list[str]:
    """The lines of docs' bash blocks that start with the command."""
    lines = []
    for doc in ("instructor-guide.md", "grading.md"):
        for block in re.findall(r"```bash\n(.*?)```", (KIT_ROOT / "docs" / doc).read_text(), re.S):
            lines += [line.split("  #")[0].strip() for line in block.splitlines() if line.startswith(command)]
    return lines


def test_the_documented_grade_all_commands_run_as_written(tmp_path):
    commands = documented(".venv/bin/mygrad grade-all")
    local = [c for c in commands if "--scheduler" not in c]
    assert len(local) >= 2 and len(commands) > len(local)
    (tmp_path / ".venv").symlink_to(KIT_ROOT / ".venv")
    make_entry("solved", "ada", tmp_path / "submissions")
    make_entry("broken-zip", "bea", tmp_path / "submissions")
    for command in local:
        run = subprocess.run(command, shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=300)
        # a broken zip: 0 and why, tried again on the next run (exit status 1)
        assert run.returncode == 1 and "graded 1 of 2" in run.stderr and "1 could not be graded" in run.stderr, (
            command,
            run.stderr,
        )
        assert re.search(r"median (100|15),", run.stderr), run.stderr  # full marks (or task1's 15); bea's 0 is no score
        out = tmp_path / re.search(r"--out (\S+)", command + " --out grades/").group(1)
        assert (out / "students" / "ada" / "feedback.html").exists()
        assert (out / "class-report.html").exists() and (out / "gradebook.csv").read_text().startswith("student,")
    for command in documented(".venv/bin/dask"):  # the cluster's commands: their options exist as written
        run = subprocess.run(command + " --help", shell=True, cwd=tmp_path, capture_output=True, text=True)
        assert run.returncode == 0, (command, run.stderr)
