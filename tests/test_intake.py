"""Intake: every upload shape students use is found and graded; faults in an upload never stop the grade.

Most tests look only at what `prepared` makes of an upload (fast, nothing runs); a few grade end to end and
compare with the same code handed in as a plain folder.
"""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder import samples
from autograder.catalogue import KIT_ROOT
from autograder.grade import grade
from autograder.intake import MAX_ZIP_FILES, prepared

SOLVED = KIT_ROOT / "solutions" / "mygrad"
MODULES = ["engine.py", "nn.py", "train.py", "warmup.py"]


def intake(path):
    """(the mygrad/ files of what would be graded, as {name: text}, or None; the notes)."""
    notes = []
    with prepared(path, notes) as folder:
        package = folder / "mygrad"
        files = {p.name: p.read_text() for p in package.glob("*.py")} if package.is_dir() else None
    return files, notes


def zip_of(archive: Path, files: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(archive, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return archive


def solved_files(prefix: str = "", macos: bool = False) -> dict[str, str]:
    files = {f"{prefix}{p.name}": p.read_text() for p in SOLVED.glob("*.py")}
    if macos:  # what macOS's "Compress" adds beside every file
        files |= {f"__MACOSX/{prefix}._{p.name}": "\0\5\26\7 resource fork" for p in SOLVED.glob("*.py")}
    return files


@pytest.mark.parametrize("with_init", [True, False])
def test_loose_files_from_an_upload_dialog_become_the_package(tmp_path, with_init):
    for name in MODULES + (["__init__.py"] if with_init else []):
        (tmp_path / name).write_text((SOLVED / name).read_text() + f"\n# student copy of {name}\n")
    files, notes = intake(tmp_path)
    assert all(f"# student copy of {name}" in files[name] for name in MODULES)
    assert "__init__.py" in files and notes == ["Graded the loose files in the top folder"]


def test_a_zip_nested_two_levels_with_macos_metadata_beside_it(tmp_path):
    archive = zip_of(tmp_path / "sub.zip", solved_files("Archive/my-project/mygrad/", macos=True))
    files, notes = intake(archive)
    assert files["engine.py"] == (SOLVED / "engine.py").read_text() and not any(n.startswith("._") for n in files)
    assert notes == ["Graded the mygrad/ folder Archive/my-project/mygrad/"]


def test_an_unzipped_upload_with_macos_metadata_is_graded_from_the_real_folder(tmp_path):
    for name, text in solved_files("Archive/mygrad/", macos=True).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "__MACOSX" / "mygrad").mkdir()  # a decoy that sorts first: never searched
    (tmp_path / "__MACOSX" / "mygrad" / "engine.py").write_text("raise SystemExit")
    files, notes = intake(tmp_path)
    assert files["engine.py"] == (SOLVED / "engine.py").read_text()
    assert notes == ["Graded the mygrad/ folder Archive/mygrad/"]


def test_a_zip_inside_the_upload_folder(tmp_path):
    zip_of(tmp_path / "handin.zip", solved_files("mygrad/"))
    files, notes = intake(tmp_path)
    assert set(MODULES) <= set(files) and notes == ["Graded handin.zip: the mygrad/ folder mygrad/"]


def test_a_notebook_in_the_upload_folder(tmp_path):
    import nbformat

    from autograder.nbgrader.notebook import build_notebook

    nbformat.write(build_notebook(), str(tmp_path / "mygrad.ipynb"))  # the source notebook: model answers
    files, notes = intake(tmp_path)
    assert "class Value" in files["engine.py"] and notes == ["Graded the notebook mygrad.ipynb"]


def test_several_candidates_one_chosen_the_same_way_every_time_and_named(tmp_path):
    for name in MODULES:
        (tmp_path / "b" / "mygrad").mkdir(parents=True, exist_ok=True)
        (tmp_path / "b" / "mygrad" / name).write_text("# deeper b\n")
        (tmp_path / "a" / "mygrad").mkdir(parents=True, exist_ok=True)
        (tmp_path / "a" / "mygrad" / name).write_text("# deeper a\n")
        (tmp_path / name).write_text("# loose\n")
    (tmp_path / "mygrad.ipynb").write_text("{}")
    first = intake(tmp_path)
    assert first == intake(tmp_path)
    files, notes = first
    assert files["engine.py"] == "# deeper a\n"  # a mygrad/ folder first, then the shallowest, then by name
    assert notes[0].startswith("Graded the mygrad/ folder a/mygrad/ (also found, not graded: ")
    assert "b/mygrad/" in notes[0] and "the loose files in the top folder" in notes[0] and "mygrad.ipynb" in notes[0]


def test_a_link_loop_is_not_followed(tmp_path):
    shutil.copytree(SOLVED, tmp_path / "work" / "mygrad")
    (tmp_path / "work" / "loop").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "work" / "self").symlink_to("self")
    files, _ = intake(tmp_path)
    assert files["engine.py"] == (SOLVED / "engine.py").read_text()


def test_faulty_zip_entries_are_skipped_and_named_and_the_rest_graded(tmp_path):
    archive = zip_of(
        tmp_path / "faults.zip",
        solved_files("mygrad/")
        | {
            "mygrad/" + "n" * 300 + ".py": "x = 1\n",
            "notes": "a file ...",
            "notes/today.txt": "... and a folder",
            "../outside.py": "x = 1\n",
            "mygrad/broken.py": "y = 2\n" * 50,
        },
    )
    raw = bytearray(archive.read_bytes())  # corrupt broken.py's compressed data: its CRC check fails
    at = raw.index(b"y = 2\n" * 50)
    raw[at : at + 6] = b"z = 3\n"
    archive.write_bytes(bytes(raw))
    files, notes = intake(archive)
    assert files["engine.py"] == (SOLVED / "engine.py").read_text() and "broken.py" not in files
    skipped = notes[-1]
    assert skipped.startswith("Skipped in faults.zip (4 entries)")
    for why in ["name too long", "a file and a folder of the same name", "points outside", "'mygrad/broken.py'"]:
        assert why in skipped, (why, skipped)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: (d / "bad.zip").write_text("not a zip") and d / "bad.zip", "not a readable zip archive"),
        (lambda d: zip_of(d / "many.zip", {f"f{i}": "" for i in range(MAX_ZIP_FILES + 1)}), "too large to grade"),
        (lambda d: (d / "essay.txt").write_text("hi") and d / "essay.txt", "it holds: essay.txt"),
        (lambda d: d, "it holds: nothing"),
        (lambda d: Path("/dev/null"), "not a file or folder that can be graded"),
        (lambda d: (d / "x.ipynb").write_text("{") and d, "not a readable notebook"),
    ],
)
def test_what_is_no_submission_gets_a_report_with_zero_and_the_reason(tmp_path, make, message):
    results = grade(make(tmp_path))
    assert results.score == 0 and results.max_score == 100 and results.isolation == "none (nothing ran)"
    assert all(message in t.output and "No mygrad/ package" in t.output for t in results.tests), results.tests[0]


def test_the_cli_writes_a_report_for_a_broken_zip(tmp_path):
    (tmp_path / "bad.zip").write_bytes(b"PK\3\4 broken")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder.cli",
            "grade",
            str(tmp_path / "bad.zip"),
            "--json",
            str(tmp_path / "r.json"),
            "--quiet",
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0 and "not a readable zip archive" in (tmp_path / "r.json").read_text()


@pytest.mark.parametrize("shape", ["loose", "nested-zip", "zip-in-folder"])
def test_each_shape_grades_the_same_as_the_plain_folder(tmp_path, shape):
    folder = samples.materialize(samples.load("bugs")["bias-missing"], tmp_path / "plain")
    expected = grade(folder, request_timeout=2.0)
    upload = tmp_path / "upload"
    upload.mkdir()
    if shape == "loose":
        for path in (folder / "mygrad").glob("*.py"):
            shutil.copy(path, upload)
    else:
        files = {f"Archive/proj/mygrad/{p.name}": p.read_bytes() for p in (folder / "mygrad").glob("*.py")}
        upload = zip_of(tmp_path / "sub.zip" if shape == "nested-zip" else upload / "sub.zip", files)
        upload = upload if shape == "nested-zip" else upload.parent
    results = grade(upload, request_timeout=2.0)
    assert results.score == expected.score and 0 < results.score < 100
    assert results.notes[0].startswith("Graded ")


def release_notebooks(folder: Path, solved: set[str]) -> None:
    """The student release's notebooks in folder, the code cells of the modules in `solved` filled in with the
    model answers (the others left as the stubs), as a student who worked in Jupyter would hand them in."""
    import json

    from autograder.student_notebooks import notebooks

    for rel, text in notebooks().items():
        nb = json.loads(text)
        for cell in nb["cells"]:
            source = "".join(cell["source"])
            first = source.partition("\n")[0]
            if first.startswith("%%writefile") and Path(first.split()[1]).name in solved:
                cell["source"] = first + "\n" + (SOLVED / Path(first.split()[1]).name).read_text()
        (folder / rel.name).write_text(json.dumps(nb))


def test_the_student_releases_notebooks_are_graded_together(tmp_path):
    """One notebook per file: handed in together (a folder or a zip of notebooks/), each gives its file."""
    (tmp_path / "notebooks").mkdir()
    release_notebooks(tmp_path / "notebooks", set(MODULES))
    files, notes = intake(tmp_path)
    assert {name: files[name] for name in MODULES} == {name: (SOLVED / name).read_text() for name in MODULES}
    assert notes[0].startswith("Graded the notebook notebooks/") and all(
        name.removesuffix(".py") in notes[0] for name in MODULES
    )
    results = grade(tmp_path)
    assert results.score == results.max_score

    one = tmp_path / "one"  # only the engine's notebook: its tasks graded, the missing files named
    one.mkdir()
    shutil.copy(next((tmp_path / "notebooks").glob("*-engine.ipynb")), one)
    files, notes = intake(one)
    assert files["engine.py"] == (SOLVED / "engine.py").read_text() and "nn.py" not in files
    assert any("no notebook here saves mygrad/warmup.py, mygrad/nn.py, mygrad/train.py" in n for n in notes), notes
    scores = grade(one).task_scores()
    assert scores["task1"][0] == scores["task1"][1] > 0 and scores["task4"][0] == 0


def test_of_several_mygrad_folders_the_most_finished_is_graded(tmp_path):
    """A backup of the untouched stubs beside the real work, whatever their names: the work is graded."""
    shutil.copytree(KIT_ROOT / "exercises" / "mygrad", tmp_path / "project" / "a-backup" / "mygrad")
    shutil.copytree(SOLVED, tmp_path / "project" / "exercises" / "mygrad")
    files, notes = intake(tmp_path)
    assert files["engine.py"] == (SOLVED / "engine.py").read_text()
    assert notes[0].startswith("Graded the mygrad/ folder project/exercises/mygrad/ (also found, not graded: ")


def test_an_archive_listing_too_many_entries_is_refused_before_its_list_is_read(tmp_path, monkeypatch):
    """A million empty entries took the grader ~700 MB to list: the end record's count is read first."""
    import autograder.intake

    monkeypatch.setattr(autograder.intake, "MAX_ZIP_ENTRIES", 50)
    read = []
    monkeypatch.setattr(zipfile.ZipFile, "infolist", lambda self: read.append(1) or [])
    archive = zip_of(tmp_path / "many.zip", solved_files("mygrad/") | {f"e/{i}": "" for i in range(60)})  # + 5 files
    files, notes = intake(archive)
    assert files is None and not read
    assert any("lists 65 entries, too many to grade (limit: 50" in n for n in notes), notes


def test_a_virtual_environment_beside_the_package_is_neither_scanned_nor_copied(tmp_path):
    """A project folder with its venv (any name: it holds pyvenv.cfg): its site-packages name the kit and
    other libraries, and reach for frames (setuptools does), which flagged a correct submission (0 points)."""
    shutil.copytree(SOLVED, tmp_path / "mygrad")
    packages = tmp_path / "env" / "lib" / "python3.11" / "site-packages"
    (packages / "autograder").mkdir(parents=True)
    (packages / "autograder" / "__init__.py").write_text("import mygrad_ref\nimport sys\nsys._getframe()\n")
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    results = grade(tmp_path)
    assert results.score == results.max_score
    assert not any(n.startswith(("FLAGGED", "REVIEW", "Mentions")) for n in results.notes), results.notes
    assert any("Left out of the sandbox's copy: env: tools, not your code" in n for n in results.notes), results.notes


def test_filled_notebooks_beat_a_package_of_untouched_stubs(tmp_path):
    """The student release worked in Jupyter whose cells were never run: exercises/mygrad/ is all stubs, the
    notebooks hold the code. The notebooks are graded (the stubs were, for 0)."""
    shutil.copytree(KIT_ROOT / "exercises" / "mygrad", tmp_path / "exercises" / "mygrad")
    (tmp_path / "notebooks").mkdir()
    release_notebooks(tmp_path / "notebooks", set(MODULES))
    files, notes = intake(tmp_path)
    assert files["engine.py"] == (SOLVED / "engine.py").read_text()
    assert notes[0].startswith("Graded the notebook notebooks/") and "(untouched stubs)" in notes[0], notes


def test_a_zip_of_a_zip_in_a_students_folder_is_opened_as_when_uploaded_alone(tmp_path):
    """An LMS folder per student holding mygrad.zip, itself holding inner.zip with the project: opened, as the
    same outer zip uploaded alone is (a folder's zip was opened one level only: 0 points)."""
    inner = zip_of(tmp_path / "inner.zip", solved_files("project/mygrad/"))
    outer = zip_of(tmp_path / "mygrad.zip", {"inner.zip": inner.read_bytes()})
    (tmp_path / "Pat Lee_1_assignsubmission_file_").mkdir()
    shutil.copy(outer, tmp_path / "Pat Lee_1_assignsubmission_file_" / "mygrad.zip")
    alone, _ = intake(outer)
    in_folder, notes = intake(tmp_path / "Pat Lee_1_assignsubmission_file_")
    assert alone == in_folder and in_folder["engine.py"] == (SOLVED / "engine.py").read_text()
    assert notes[0] == "Graded mygrad.zip: inner.zip: the mygrad/ folder project/mygrad/", notes


def test_the_archives_of_one_upload_share_a_budget_and_a_fruitless_one_is_deleted(tmp_path, monkeypatch):
    """A zip of many zips, each within the limits, no longer fills the grader's scratch folder (each was kept,
    up to 50 MiB apiece: ~50 GB for a 50 MB upload): what the archives of one upload write is bounded together,
    and an archive that held no submission is deleted before the next is tried."""
    from autograder import intake

    monkeypatch.setattr(intake, "UPLOAD_ZIP_BYTES", 5 << 20)
    inner = tmp_path / "inner.zip"
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("notes/data.bin", b"\0" * (2 << 20))  # 2 MiB of nothing, no submission
    upload = tmp_path / "upload.zip"
    with zipfile.ZipFile(upload, "w") as z:
        for i in range(6):
            z.write(inner, f"backup{i}.zip")
    seen = []
    extract = intake.extract

    def watched(archive, into, notes=None, budget=None):
        seen.append(sum(f.stat().st_size for f in into.parents[0].rglob("*") if f.is_file()))
        return extract(archive, into, notes, budget)

    monkeypatch.setattr(intake, "extract", watched)
    notes = []
    with prepared(upload, notes):
        pass
    assert max(seen) < 3 << 20, seen  # never more than one fruitless archive's content at a time
    assert sum("not opened" in n for n in notes) == 4, notes  # 2 of the 6 fit in the 5 MiB budget


def test_a_huge_notebook_is_not_read(tmp_path):
    notebook = tmp_path / "upload" / "mygrad.ipynb"
    notebook.parent.mkdir()
    with open(notebook, "wb") as f:
        f.truncate(20 << 30)  # sparse: 20 GB on paper
    notes = []
    with prepared(notebook.parent, notes):
        pass
    assert any("not a readable notebook" in n and "larger than 50 MiB" in n for n in notes), notes
