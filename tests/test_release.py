"""`mygrad release`: the student repository holds no answer, its links work, and its self-check runs from
a fresh venv with only what its README installs."""

import fnmatch
import json
import os
import re
import shutil
import subprocess

import pytest

from autograder import build
from autograder.catalogue import KIT_ROOT
from autograder.release import LINK, ReleaseError, release


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    folder = tmp_path_factory.mktemp("release") / "student-repo"
    release(folder)
    return folder


def fenced_lines(text):
    inside, lines = False, []
    for line in text.splitlines():
        if build.BEGIN.match(line):
            inside = True
        elif build.END.match(line):
            inside = False
        elif inside:
            lines.append(line.strip())
    return lines


def secrets():
    """Non-trivial lines of every solution body, of the reference and of the hidden suites, minus the lines
    that the public part of the kit (solutions/ outside the fences, the given draw.py) also holds."""
    public = set()
    for path in [
        *(KIT_ROOT / "solutions").rglob("*.py"),
        *(KIT_ROOT / "solutions").glob("*.toml"),
        KIT_ROOT / "mygrad_ref" / "draw.py",
    ]:
        text = path.read_text()
        body = set(fenced_lines(text))
        public |= {line.strip() for line in text.splitlines()} - body
    found = {}
    for path in (KIT_ROOT / "solutions" / "mygrad").glob("*.py"):
        found |= {line: f"a solution in {path.name}" for line in fenced_lines(path.read_text())}
    for path in [*(KIT_ROOT / "mygrad_ref").rglob("*.py"), *(KIT_ROOT / "autograder" / "hidden").glob("*.py")]:
        if path.name != "draw.py":
            found |= {line.strip(): str(path.relative_to(KIT_ROOT)) for line in path.read_text().splitlines()}
    trivial = lambda line: len(re.sub(r"\W", "", line)) < 12 or line.startswith(("#", "import ", "from ", '"""'))
    return {line: where for line, where in found.items() if line not in public and not trivial(line)}


def test_release_holds_no_answer(out):
    secret = secrets()
    assert len(secret) > 100  # the search must have something to find
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert not [n for n in names if re.search(r"(^|/)(solutions|mygrad_ref|autograder|hidden)(/|$)", n)], names
    leaks = []
    for name in names:
        if name.endswith(".png"):  # a picture of a report: no text to leak
            continue
        text = (out / name).read_text()
        if name.endswith(".ipynb"):  # the cells' text, not its JSON encoding
            text = "\n".join("".join(cell["source"]) for cell in json.loads(text)["cells"])
        lines = {line.strip() for line in text.splitlines()}
        leaks += [f"{name}: {line!r} (from {secret[line]})" for line in lines & set(secret)]
    assert not leaks, "\n".join(sorted(leaks))


def test_release_has_what_students_need(out):
    for rel in (
        "README.md",
        "requirements.txt",
        ".gitignore",
        "exercises/conftest.py",
        "exercises/mygrad/engine.py",
        "docs/student-guide.md",
        "docs/contract.md",
        "docs/tasks.md",
        "docs/lessons/task2-backward.md",
    ):
        assert (out / rel).is_file(), rel
    assert ".mygrad-progress.json" in (out / ".gitignore").read_text()
    for stub in (out / "exercises" / "mygrad").glob("*.py"):
        assert "solutions" not in stub.read_text().splitlines()[0], stub


def test_every_relative_link_resolves(out):
    broken = []
    for page in out.rglob("*.md"):
        for m in LINK.finditer(page.read_text()):
            if not re.match(r"^[a-z]+:", m["target"]) and not (page.parent / m["target"]).is_file():
                broken.append(f"{page.relative_to(out)}: {m[0]}")
        for lesson in re.findall(r"lesson: (docs/lessons/\S+\.md)", page.read_text()):
            assert (out / lesson).is_file(), f"{page}: {lesson}"
    assert not broken, "\n".join(broken)
    stubs = "".join(p.read_text() for p in (out / "exercises" / "mygrad").glob("*.py"))
    lessons = re.findall(r"\(lesson: (docs/lessons/[^)]+)\)", stubs)
    assert lessons and all((out / lesson).is_file() for lesson in lessons)


def test_notebooks_check_themselves_with_the_public_checks(out, tmp_path):
    nbclient = pytest.importorskip("nbclient", reason="install the nbgrader extra: pip install -e '.[nbgrader]'")
    import nbformat

    copy = tmp_path / "repo"
    shutil.copytree(out, copy, ignore=shutil.ignore_patterns(".venv"))
    books = sorted((copy / "notebooks").glob("*.ipynb"))
    assert [b.name for b in books] == [
        "task0-warmup.ipynb",
        "task1-engine.ipynb",
        "task4-nn.ipynb",
        "task5-train.ipynb",
    ]
    for book in books:  # the untouched notebook: its checks say "not started"; then with the model answer: done
        nb = nbformat.read(book, as_version=4)
        nbclient.NotebookClient(
            nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(book.parent)}}
        ).execute()
        text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
        assert "mygrad self-check" in text and "not started" in text, text
        module = book.stem.split("-")[1]
        cell = next(c for c in nb.cells if c.source.startswith("%%writefile"))
        cell.source = cell.source.splitlines()[0] + "\n" + (KIT_ROOT / "solutions/mygrad" / f"{module}.py").read_text()
        nbclient.NotebookClient(
            nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(book.parent)}}
        ).execute()
        text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
        for task in re.findall(r"task\d", book.stem + ("task2 task3" if module == "engine" else "")):
            assert re.search(rf"\[x\] {task} .* done", text), text


def test_release_refuses_a_folder_in_use(tmp_path):
    (tmp_path / "x").write_text("mine")
    with pytest.raises(ReleaseError, match="not empty"):
        release(tmp_path)
    assert (tmp_path / "x").read_text() == "mine"


def readme_setup(out):
    """The README's set-up line, exactly as a student copies it."""
    block = re.search(r"## Set up.*?```bash\n(.*?)\n```", (out / "README.md").read_text(), re.S)
    return block[1]


@pytest.mark.slow
def test_self_check_runs_from_a_fresh_venv(out):
    setup = subprocess.run(["bash", "-c", readme_setup(out)], cwd=out, capture_output=True, text=True, timeout=600)
    assert setup.returncode == 0, setup.stdout[-2000:] + setup.stderr[-2000:]
    assert "include-system-site-packages = false" in (out / ".venv" / "pyvenv.cfg").read_text()
    run = subprocess.run(
        [str(out / ".venv" / "bin" / "pytest"), "exercises/"], cwd=out, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    assert "mygrad self-check" in run.stdout and "task0" in run.stdout, run.stdout[-3000:]
    assert "Error" not in run.stderr, run.stderr
    # every self-check command the README and the guide show (but --watch, which waits for a save)
    commands = [
        line.split("#")[0].strip()
        for page in ("README.md", "docs/student-guide.md")
        for block in re.findall(r"```bash\n(.*?)```", (out / page).read_text(), re.S)
        for line in block.splitlines()
        if line.startswith(".venv/bin/pytest") and "--watch" not in line
    ]
    assert len(commands) >= 5, commands
    for command in commands:
        proc = subprocess.run(["bash", "-c", command], cwd=out, capture_output=True, text=True, timeout=600)
        assert proc.returncode in (0, 1) and "mygrad self-check" in proc.stdout, command + proc.stdout + proc.stderr
    # the guide's drawing example, on a finished copy (the model answers put into a copy of the release)
    done = out.parent / "finished"
    shutil.copytree(out / "exercises", done / "exercises")
    for path in (KIT_ROOT / "solutions" / "mygrad").glob("*.py"):
        shutil.copy(path, done / "exercises" / "mygrad" / path.name)
    code = re.search(r"## Draw your graphs.*?```python\n(.*?)```", (out / "docs/student-guide.md").read_text(), re.S)[1]
    draw = subprocess.run(
        [str(out / ".venv/bin/python"), "-c", code],
        cwd=done / "exercises",
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": os.environ["PATH"], "DISPLAY": ""},
    )
    assert draw.returncode == 0, draw.stderr
    assert "<svg" in (done / "exercises" / "graph.gv.svg").read_text()
    patterns = (out / ".gitignore").read_text().split()
    made = [p.name for p in (done / "exercises").glob("graph*")]
    assert made and all(any(fnmatch.fnmatch(n, p) for p in patterns) for n in made), (made, patterns)  # not committed
