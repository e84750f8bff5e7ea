"""Every command the docs show runs as written.

The fenced shell blocks of README.md and docs/**/*.md are read with markdown-it (rich's own parser), one
command per line. Each command is in COVERAGE: run by a test here (`Here`), covered by another test that runs
it as written (`Elsewhere`, a node id that must collect), or impossible here (`CannotRun`, with the reason).
A command in the docs that is not in COVERAGE, or an entry no doc shows any more, fails
`test_every_docs_command_is_checked`: a new command cannot go unchecked.

Commands run as written in a folder of the test's own, with only these stand-ins: `<this repository>` is this
checkout, `/path/to/mygrad-kit` the fresh clone, `/tmp/` a private folder, `~` a private HOME, and the
cluster's `scheduler-host:8786` a free port on 127.0.0.1 (other tests and grades share the machine).
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from isolation import reachable_folder
from markdown_it import MarkdownIt

from autograder.catalogue import KIT_ROOT
from autograder.samples.classroom import make_entry

SHELL = {"bash", "sh", "shell", "console", "zsh"}
DOCS = [KIT_ROOT / "README.md", *sorted((KIT_ROOT / "docs").rglob("*.md"))]
LOOKS_LIKE_A_COMMAND = re.compile(r"^(\$ |\.venv/bin/|mygrad |nbgrader |pip |python3? -|bash |git |cd |sudo )")


@dataclass(frozen=True)
class Here:
    test: str  # a test of this file


@dataclass(frozen=True)
class Elsewhere:
    node: str  # a test that runs the command as written
    why: str = ""


@dataclass(frozen=True)
class CannotRun:
    reason: str


CLONE = "git clone <this repository> mygrad-kit && cd mygrad-kit"
README_GRADE = "bash .ci/setup && .venv/bin/mygrad grade --sample demo"
README_SUITE = "bash .ci/setup && .venv/bin/python -m pytest"
GRADE_ALL_DOC = Elsewhere(
    "tests/test_batch.py::test_the_documented_grade_all_commands_run_as_written",
    "it reads the grade-all lines of instructor-guide.md and grading.md and runs them",
)
FRESH_VENV = "tests/test_release.py::test_self_check_runs_from_a_fresh_venv"

COVERAGE = {
    # README.md: the two set-up-and-go commands, and the student release
    README_GRADE: Here("test_readme_grades_the_demo_in_a_fresh_clone"),
    README_SUITE: Here("test_readme_test_suite_command_in_a_fresh_clone"),
    ".venv/bin/mygrad release /tmp/mygrad-student": Here("test_student_self_check_commands"),
    # instructor-guide.md (and the first lines of nbgrader-instructor.md)
    CLONE: Here("test_readme_grades_the_demo_in_a_fresh_clone"),
    "bash .ci/setup": Here("test_readme_grades_the_demo_in_a_fresh_clone"),
    ".venv/bin/mygrad verify": Here("test_verify_in_a_fresh_clone"),
    ".venv/bin/mygrad grade path/to/student-folder": Here("test_grade_commands"),
    ".venv/bin/mygrad grade submission.zip --json results.json": Here("test_grade_commands"),
    ".venv/bin/mygrad grade --sample demo": Here("test_grade_commands"),
    ".venv/bin/mygrad grade path --task task4": Here("test_grade_commands"),
    ".venv/bin/mygrad gradescope mygrad-autograder.zip --visibility after_due_date": Here("test_gradescope_commands"),
    ".venv/bin/mygrad grade-all submissions/": GRADE_ALL_DOC,
    ".venv/bin/mygrad grade-all submissions/ --out grades-task1/ -j 2 --task task1": GRADE_ALL_DOC,
    ".venv/bin/dask scheduler --port 8786": Here("test_cluster_commands"),
    ".venv/bin/dask worker tcp://scheduler-host:8786 --nworkers 4 --nthreads 1": Here("test_cluster_commands"),
    ".venv/bin/mygrad grade-all submissions/ --scheduler tcp://scheduler-host:8786": Here("test_cluster_commands"),
    # grading.md
    ".venv/bin/mygrad grade-all submissions/ --out grades/": GRADE_ALL_DOC,
    # gradescope.md
    ".venv/bin/mygrad gradescope mygrad-autograder.zip": Here("test_gradescope_commands"),
    ".venv/bin/mygrad gradescope /tmp/bundle.zip": Here("test_gradescope_by_hand"),
    "mkdir -p /tmp/ag/submission && unzip -qo /tmp/bundle.zip -d /tmp/ag/source": Here("test_gradescope_by_hand"),
    "cp /tmp/ag/source/run_autograder /tmp/ag/ && chmod +x /tmp/ag/run_autograder /tmp/ag/source/setup.sh": Here(
        "test_gradescope_by_hand"
    ),
    "AUTOGRADER_ROOT=/tmp/ag MYGRAD_SKIP_APT=1 bash /tmp/ag/source/setup.sh": Here("test_gradescope_by_hand"),
    "cp solutions/mygrad/*.py /tmp/ag/submission/": Here("test_gradescope_by_hand"),
    "AUTOGRADER_ROOT=/tmp/ag /tmp/ag/run_autograder && python3 -m json.tool /tmp/ag/results/results.json | head": Here(
        "test_gradescope_by_hand"
    ),
    # nbgrader-instructor.md
    'export PATH="$PWD/.venv/bin:$PATH"': Here("test_nbgrader_from_nothing_to_exported_grades"),
    "pip install -e '/path/to/mygrad-kit[nbgrader]'": Here("test_nbgrader_from_nothing_to_exported_grades"),
    'python -c "import autograder"': Here("test_nbgrader_from_nothing_to_exported_grades"),
    "mygrad nbgrader init ~/course --course-id ml101": Here("test_nbgrader_from_nothing_to_exported_grades"),
    "cd ~/course": Here("test_nbgrader_from_nothing_to_exported_grades"),
    "nbgrader generate_assignment mygrad": Here("test_nbgrader_from_nothing_to_exported_grades"),
    "nbgrader autograde mygrad": Here("test_nbgrader_from_nothing_to_exported_grades"),
    "mygrad nbgrader autograde mygrad --jobs 4": Here("test_nbgrader_from_nothing_to_exported_grades"),
    "nbgrader generate_feedback mygrad": Here("test_nbgrader_from_nothing_to_exported_grades"),
    "nbgrader export": Here("test_nbgrader_from_nothing_to_exported_grades"),
    # student-guide.md (also in the student release, whose copy test_release checks)
    "python3 -m venv .venv && .venv/bin/pip install -r requirements.txt": Elsewhere(
        FRESH_VENV, "it runs the release README's set-up line, the same (test_student_self_check_commands)"
    ),
    ".venv/bin/pytest exercises/": Here("test_student_self_check_commands"),
    ".venv/bin/pytest exercises/ -m task2": Here("test_student_self_check_commands"),
    ".venv/bin/pytest exercises/ --hint task3": Here("test_student_self_check_commands"),
    ".venv/bin/pytest exercises/ -m task3 --watch": Here("test_watch_runs_again_on_a_save"),
}


def fences(doc: Path):
    """(language, text) of each fenced block of a Markdown page."""
    for token in MarkdownIt().parse(doc.read_text()):
        if token.type == "fence":
            yield (token.info.split() or [""])[0], token.content


def commands(text: str, language: str) -> list[str]:
    """The commands of a shell block: one a line (joined at a trailing backslash), without `$ ` prompts,
    comments, or (in a console block) the output lines."""
    found = []
    for line in text.replace("\\\n", " ").splitlines():
        if language == "console" or line.startswith("$ "):
            if not line.startswith("$ "):
                continue  # output
            line = line[2:]
        line = re.sub(r"(^|\s+)#.*$", "", line).strip()
        if line:
            found.append(line)
    return found


def docs_commands() -> dict[str, list[str]]:
    """Each command of the docs' shell blocks -> the pages that show it."""
    shown = {}
    for doc in DOCS:
        for language, text in fences(doc):
            if language in SHELL or (language == "" and any(line.startswith("$ ") for line in text.splitlines())):
                for command in commands(text, language):
                    shown.setdefault(command, []).append(str(doc.relative_to(KIT_ROOT)))
    return shown


def test_every_docs_command_is_checked():
    shown = docs_commands()
    unchecked = {c: pages for c, pages in shown.items() if c not in COVERAGE}
    assert not unchecked, (
        "commands in the docs that no test runs: add each to COVERAGE (run it in a test here, "
        f"name the test that runs it, or say why it cannot run): {unchecked}"
    )
    stale = [c for c in COVERAGE if c not in shown]
    assert not stale, f"COVERAGE names commands no doc shows any more: {stale}"
    assert len(shown) >= 35, sorted(shown)  # the parser still finds the blocks
    here = {name for name, value in globals().items() if name.startswith("test_") and callable(value)}
    missing = {c: k.test for c, k in COVERAGE.items() if isinstance(k, Here) and k.test not in here}
    assert not missing, missing
    # README's set-up-and-go: exactly two commands
    readme = [
        c
        for language, text in fences(KIT_ROOT / "README.md")
        if language in SHELL
        for c in commands(text, language)
        if c.startswith("bash .ci/setup")
    ]
    assert readme == [README_GRADE, README_SUITE], readme


def test_code_blocks_without_a_language_hold_no_commands():
    """A block of commands written without ```bash would escape the check above."""
    for doc in DOCS:
        for language, text in fences(doc):
            if language == "":
                odd = [line for line in text.splitlines() if LOOKS_LIKE_A_COMMAND.match(line)]
                assert not odd, f"{doc}: mark this block ```bash (or ```console with $ prompts): {odd}"


def test_the_tests_named_elsewhere_exist():
    nodes = sorted({k.node for k in COVERAGE.values() if isinstance(k, Elsewhere)})
    run = subprocess.run(
        [str(KIT_ROOT / ".venv/bin/python"), "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *nodes],
        cwd=KIT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    for node in nodes:
        assert node in run.stdout, (node, run.stdout[-3000:])


def test_the_student_guide_sets_up_as_the_release_readme_does(student_release):
    """The guide's set-up line is the one test_release runs in a fresh venv (from the release's README)."""
    from test_release import readme_setup

    assert readme_setup(student_release) == "python3 -m venv .venv && .venv/bin/pip install -r requirements.txt"


# ---- running the commands -------------------------------------------------------------------------------


def here(test: str) -> list[str]:
    """The commands COVERAGE gives to a test of this file, in the docs' order."""
    return [c for c in docs_commands() if COVERAGE.get(c) == Here(test)]


def sh(command: str, cwd: Path, env: dict | None = None, timeout: int = 600, ok=(0,)) -> str:
    """Run one documented command in bash; its exit status must be one of ok. Returns stdout + stderr."""
    run = subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    said = run.stdout + run.stderr
    assert run.returncode in ok, f"{command} (exit {run.returncode}):\n{said[-4000:]}"
    return said


def private_tmp_paths(command: str, folder: Path) -> str:
    return command.replace("/tmp/", f"{folder}/")


@pytest.fixture
def workdir():
    """A folder of this test's own that the sandbox's uid can enter, with the checkout's .venv."""
    folder = reachable_folder()
    (folder / ".venv").symlink_to(KIT_ROOT / ".venv")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_grade_commands(workdir):
    solved = sorted((KIT_ROOT / "solutions/mygrad").glob("*.py"))
    for folder in (workdir / "path/to/student-folder/mygrad", workdir / "path/mygrad"):
        folder.mkdir(parents=True)
        for file in solved:
            shutil.copy(file, folder)
    shutil.make_archive(str(workdir / "submission"), "zip", workdir / "path/to/student-folder")
    commands = here("test_grade_commands")
    assert len(commands) == 4, commands
    for command in commands:
        said = sh(command, workdir)
        total = re.search(r"^Total: ([\d.]+) / (\d+)", said, re.M)
        assert total, said[-3000:]
        if "--sample demo" in command:
            assert float(total[1]) < 100 and "assign-not-accumulate" in said, said[-3000:]
        else:
            assert float(total[1]) == float(total[2]) == (15 if "--task task4" in command else 100), said[-3000:]
    assert '"score": 100.0' in (workdir / "results.json").read_text()


def test_gradescope_commands(workdir):
    for command in here("test_gradescope_commands"):
        said = sh(command, workdir)
        visibility = re.search(r"--visibility (\S+)", command)
        assert f"(test visibility: {visibility[1] if visibility else 'visible'})" in said, said
        assert shutil.unpack_archive(workdir / "mygrad-autograder.zip", workdir / "unpacked") is None
        assert (workdir / "unpacked/run_autograder").is_file() and (workdir / "unpacked/setup.sh").is_file()
        shutil.rmtree(workdir / "unpacked")


@pytest.mark.slow
def test_gradescope_by_hand(workdir):
    """gradescope.md's block, pasted into one shell in a copy's top folder: the solutions score 100."""
    shutil.copytree(KIT_ROOT / "solutions", workdir / "solutions")
    block = "\n".join(["set -e", *(private_tmp_paths(c, workdir) for c in here("test_gradescope_by_hand"))])
    assert block.count("\n") == 6, block
    said = sh(block, workdir, timeout=900)
    assert '"score": 100.0' in said and '"max_score": 100.0' in said, said[-3000:]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_cluster_commands(workdir):
    """The scheduler and a worker as the guide starts them (on this machine), then grade-all on the cluster."""
    scheduler, worker, grade_all = here("test_cluster_commands")
    port = str(free_port())
    where = {"scheduler-host:8786": f"127.0.0.1:{port}", "--port 8786": f"--port {port}"}

    def local(command):
        for old, new in where.items():
            command = command.replace(old, new)
        return command

    make_entry("solved", "ada", workdir / "submissions")
    make_entry("broken-zip", "bea", workdir / "submissions")
    started = [
        subprocess.Popen(
            ["bash", "-c", "exec " + local(c)],
            cwd=workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for c in (scheduler, worker)
    ]
    try:
        said = sh(local(grade_all), workdir, timeout=600, ok=(1,))  # the broken zip: not graded, exit status 1
    finally:
        for proc in started:  # ours only: each in its own session
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=60)
    assert f"on the Dask cluster at tcp://127.0.0.1:{port}" in said and "graded 1 of 2" in said, said
    assert (workdir / "grades/gradebook.csv").read_text().count("\n") == 3


@pytest.fixture(scope="module")
def student_release():
    """The student release, made with README.md's command (test_student_self_check_commands checks its output)."""
    top = reachable_folder()
    (top / ".venv").symlink_to(KIT_ROOT / ".venv")
    (command,) = here("test_student_self_check_commands")[:1]
    said = sh(private_tmp_paths(command, top), top)
    out = top / "mygrad-student"
    assert f"to {out}" in said and (out / "exercises/mygrad/engine.py").is_file(), said
    yield out
    shutil.rmtree(top, ignore_errors=True)


@pytest.fixture
def student_copy(student_release, workdir):
    """A copy of the student release of this test's own, with the checkout's .venv."""
    out = workdir / "student"
    shutil.copytree(student_release, out)
    (out / ".venv").symlink_to(KIT_ROOT / ".venv")
    return out


def test_student_self_check_commands(student_copy):
    """The release as README.md makes it, then the student guide's self-check commands in it."""
    untouched = next(
        text
        for language, text in fences(KIT_ROOT / "docs/student-guide.md")
        if language == "" and "not started" in text
    )
    commands = here("test_student_self_check_commands")[1:]
    assert len(commands) == 3, commands
    for command in commands:
        said = sh(command, student_copy, ok=(1,))  # 1: checks fail on the stubs
        assert "mygrad self-check" in said, said
        if command == ".venv/bin/pytest exercises/":  # the guide's picture of the untouched stubs, line by line
            for line in untouched.splitlines():
                assert line == "..." or line in said, (line, said[-3000:])
        if "-m task2" in command:
            assert re.search(r"^\[ \] task2 .* not started +0/\d+ checks$", said, re.M), said
        if "--hint task3" in command:
            assert "--hint task3: task3 is not started" in said, said


def test_watch_runs_again_on_a_save(student_copy):
    (command,) = here("test_watch_runs_again_on_a_save")
    out = student_copy
    proc = subprocess.Popen(
        ["bash", "-c", "exec " + command],
        cwd=out,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    stop = threading.Event()

    def save_until_stopped():  # a save every second once it waits (the watcher starts just after its message)
        engine = out / "exercises/mygrad/engine.py"
        deadline = time.monotonic() + 120
        while not stop.wait(1) and time.monotonic() < deadline:
            if "watching " in "".join(lines):
                engine.write_text(engine.read_text() + "\n")
        if not stop.is_set():
            os.killpg(proc.pid, signal.SIGKILL)  # never ran again: the assertion below says so

    lines = []
    saver = threading.Thread(target=save_until_stopped)
    saver.start()
    try:
        for line in proc.stdout:  # the first run, then the wait; a save, then the second run and the wait
            lines.append(line)
            if sum(seen.startswith("watching ") for seen in lines) == 2:
                break
        stop.set()
        proc.send_signal(signal.SIGINT)  # Ctrl-C stops
        proc.wait(timeout=60)
    finally:
        stop.set()
        saver.join()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    text = "".join(lines)
    assert text.count("mygrad self-check") == 2 and "task3" in text, text


# ---- a fresh clone, set up as the README says (slow: a new venv) -------------------------------------------


@pytest.fixture(scope="module")
def fresh_clone():
    """`git clone <this repository> mygrad-kit && cd mygrad-kit` (this checkout, with its uncommitted
    changes laid over), then README.md's first command; yields the clone and that command's output."""
    top = reachable_folder()
    sh(CLONE.replace("<this repository>", str(KIT_ROOT)), top)
    clone = top / "mygrad-kit"
    changed = subprocess.run(
        ["git", "ls-files", "-mo", "--exclude-standard", "-z"], cwd=KIT_ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    for rel in filter(None, changed):
        if (KIT_ROOT / rel).is_file():
            (clone / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(KIT_ROOT / rel, clone / rel)
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    said = sh(README_GRADE, clone, env=env, timeout=1800)
    yield clone, said, env
    shutil.rmtree(top, ignore_errors=True)


@pytest.mark.slow
def test_readme_grades_the_demo_in_a_fresh_clone(fresh_clone):
    clone, said, _ = fresh_clone
    assert (clone / ".venv/bin/mygrad").exists()
    total = re.search(r"^Total: ([\d.]+) / 100 .*student code ran in (\w+)", said, re.M)
    assert total and 0 < float(total[1]) < 100, said[-3000:]
    for code in ("assign-not-accumulate", "tanh-uses-input", "parameter-order"):  # the three bugs
        assert code in said, (code, said[-3000:])


@pytest.mark.slow
def test_readme_test_suite_command_in_a_fresh_clone(fresh_clone):
    """Setup again (safe to repeat), then the suite: collected whole here and one of its files run (the whole
    suite is this very run; CI runs the command as written)."""
    clone, _, env = fresh_clone
    said = sh(README_SUITE + " --collect-only -q", clone, env=env, timeout=900)
    collected = re.search(r"^(\d+) tests collected", said, re.M)
    assert collected and int(collected[1]) > 100, said[-3000:]
    sh(README_SUITE.split(" && ")[1] + " -q tests/test_build.py", clone, env=env)


@pytest.mark.slow
def test_verify_in_a_fresh_clone(fresh_clone):
    clone, _, env = fresh_clone
    (command,) = here("test_verify_in_a_fresh_clone")
    said = sh(command, clone, env=env)
    assert "ok   every fenced solution body is checked by the self-check and the grader" in said, said


@pytest.mark.slow
def test_nbgrader_from_nothing_to_exported_grades(fresh_clone):
    """nbgrader-instructor.md's blocks in one shell, HOME a folder of the test's own: install, course,
    release, two submissions (the model answers, the untouched notebook), both autograde commands, export."""
    clone, _, env = fresh_clone
    home = clone.parent / "home"
    home.mkdir()
    env = {**env, "HOME": str(home)}
    commands = [
        c.replace("/path/to/mygrad-kit", str(clone)) for c in here("test_nbgrader_from_nothing_to_exported_grades")
    ]
    split = commands.index("nbgrader autograde mygrad")
    set_up, grade = commands[:split], commands[split:]
    said = sh("\n".join(["set -e", *set_up]), clone, env=env, timeout=900)
    assert "next: cd" in said and (home / "course/release/mygrad/mygrad.ipynb").is_file(), said[-3000:]
    submit = (
        "import nbformat, pathlib\n"
        "from autograder.nbgrader.notebook import answers_of, filled\n"
        "c = pathlib.Path.home() / 'course'\n"
        "answers = answers_of(nbformat.read(str(c / 'source/mygrad/mygrad.ipynb'), as_version=4))\n"
        "for student, code in (('alice', answers), ('bob', None)):\n"
        "    nb = filled(nbformat.read(str(c / 'release/mygrad/mygrad.ipynb'), as_version=4), code, None)\n"
        "    (c / 'submitted' / student / 'mygrad').mkdir(parents=True)\n"
        "    nbformat.write(nb, str(c / 'submitted' / student / 'mygrad/mygrad.ipynb'))\n"
    )
    subprocess.run([str(clone / ".venv/bin/python"), "-c", submit], env=env, check=True, timeout=120)
    set_path = next(c for c in set_up if c.startswith("export PATH="))
    # The two autograde commands are alternatives ("or"): the parallel one first prints each score; the
    # serial one after it finds both students autograded and, like nbgrader, leaves them as they are.
    serial, parallel, *rest = grade
    assert serial == "nbgrader autograde mygrad" and parallel.startswith("mygrad nbgrader autograde"), grade
    said = sh("\n".join(["set -e", set_path, "cd ~/course", parallel, serial, *rest]), clone, env=env, timeout=1800)
    assert "alice: 100 / 100" in said and "bob: 0 / 100" in said, said[-3000:]
    csv = (home / "course/grades.csv").read_text()
    assert "mygrad,,,alice,,,,100.0" in csv and "mygrad,,,bob,,,,0.0" in csv, csv
    assert (home / "course/feedback/alice/mygrad/mygrad.html").is_file()
