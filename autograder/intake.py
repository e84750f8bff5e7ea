"""Submission intake: whatever a student handed in, as a folder holding mygrad/ that the grader can grade.

Students hand in every shape an upload dialog allows: the mygrad/ folder at any depth (a zip of a zip of a
project, with macOS's __MACOSX/ beside it), the loose files (engine.py, nn.py, ... with or without
__init__.py), a notebook, a .zip inside the upload folder. `prepared` finds one candidate, chosen the same
way every time, and says in a note which one was graded. Faults in the upload (link loops, names too long
for the file system, a file and a folder of the same name, unreadable entries) are the grader's to handle:
whatever can be read is taken, the rest is named in a note, and grading goes on.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import stat
import tempfile
import zipfile
from functools import cache
from pathlib import Path, PurePosixPath

from . import catalogue, scratch
from .catalogue import KIT_ROOT
from .sandbox import MAX_DEPTH, NOT_THE_STUDENTS, tools_folder
from .worker.protocol import NOT_STARTED

MAX_ZIP_BYTES, MAX_ZIP_FILES = 50 << 20, 2000
UPLOAD_ZIP_BYTES = 2 * MAX_ZIP_BYTES  # what all the archives of one upload may write together (a zip of zips)
MAX_ZIP_ENTRIES = 100_000  # entries an archive may list (a zipped project's .venv or node_modules included)
MAX_WALKED = 5000  # entries looked at when searching an upload
MAX_READ = 1 << 20  # a file larger than this is not searched for stubs
MAX_NAME_BYTES = 255  # the longest file name Linux file systems take
MODULES = tuple(f"{m}.py" for m in catalogue.modules(catalogue.load()))  # the files of mygrad/ students write
KINDS = ("the mygrad/ folder", "loose files", "the notebook", "the zip archive")  # preferred in this order


class GradingError(Exception):
    """The grader itself cannot run (bad path, unreadable archive): the CLI exits non-zero with this."""


class Budget:
    """The bytes the archives of one upload may still write: a zip of a thousand zips, each within the limits,
    must not fill the grader's memory (its scratch folder may be /dev/shm) or take minutes of its time."""

    def __init__(self):
        self.left = UPLOAD_ZIP_BYTES


def real_dir(path: Path) -> bool:
    """A folder that is not a link: a link could bring in anything on the grading machine."""
    return path.is_dir() and not path.is_symlink()


def regular(path: Path) -> bool:
    """A plain file, not a link, FIFO or device (reading one of those could block or leak)."""
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def find_package(folder: Path) -> Path | None:
    """The folder that holds mygrad/ (the submission itself, or one level down, e.g. exercises/)."""
    for candidate in [folder, *sorted(p for p in folder.iterdir() if real_dir(p))]:
        if real_dir(candidate / "mygrad"):
            return candidate
    return None


def walk(folder: Path):
    """(path, depth) of every entry below folder, breadth first in name order: links are listed but never
    followed (so a link loop ends), hidden and tool folders are not entered, the work stays bounded."""
    level, seen = [folder], 0
    for depth in range(1, MAX_DEPTH + 1):
        below = []
        for top in level:
            try:
                names = sorted(os.listdir(top))
            except OSError:
                continue  # an unreadable folder: the sandbox's copy names it when it matters
            for name in names:
                seen += 1
                if seen > MAX_WALKED:
                    return
                path = top / name
                yield path, depth
                if real_dir(path) and not tools_folder(path):
                    below.append(path)
        level = below


def untouched_stubs(package: Path) -> int:
    """How many stubs of the kit's (`raise NotImplementedError("task1 not started: ...")`) mygrad/ still holds."""
    count = 0
    for path in package.glob("*.py"):
        if regular(path) and path.stat().st_size <= MAX_READ:
            count += len(re.findall(NOT_STARTED, path.read_text(errors="replace")))
    return count


@cache
def all_stubs() -> int:
    """How many stubs the kit's untouched exercises hold."""
    return untouched_stubs(KIT_ROOT / "exercises" / "mygrad") or 1


def candidates(folder: Path) -> list[tuple[int, int, str, Path]]:
    """(kind, depth, relative path, path) of everything in folder that could be the submission, best first:
    of several mygrad/ folders (a backup beside the real one), the one with the fewest untouched stubs; a
    mygrad/ folder that is all stubs (notebooks filled in, their cells never run) after everything else."""
    found = set()
    for path, depth in walk(folder):
        if path.name.startswith("._"):
            continue  # macOS resource forks: never code
        if path.name == "mygrad" and real_dir(path) and any(regular(p) for p in path.glob("*.py")):
            stubs = untouched_stubs(path)  # every stub of the kit still there: any other candidate first
            found.add((0 if stubs < all_stubs() else 4, stubs, depth, path))
        elif path.name in MODULES and regular(path) and path.parent.name != "mygrad":
            found.add((1, 0, depth - 1, path.parent))
        elif path.suffix.lower() == ".ipynb" and regular(path):
            found.add((2, 0, depth, path))
        elif path.suffix.lower() == ".zip" and regular(path):
            found.add((3, 0, depth, path))
    ranked = sorted(
        (kind, stubs, depth, (p.relative_to(folder).as_posix() or "."), p) for kind, stubs, depth, p in found
    )
    return [(kind, depth, where, p) for kind, _, depth, where, p in ranked]


def named(kind: int, where: str) -> str:
    return [
        f"the mygrad/ folder {where}/",
        f"the loose files in {where}/",
        f"the notebook {where}",
        f"the zip archive {where}",
        f"the mygrad/ folder {where}/ (untouched stubs)",
    ][kind].replace(" ./", " the top folder")


def copy_loose_files(folder: Path, into: Path, notes: list[str]) -> Path:
    """The .py files of folder as into/mygrad/ (a package __init__.py added when the upload has none)."""
    package = into / "mygrad"
    package.mkdir(parents=True)
    skipped = []
    for path in sorted(folder.glob("*.py")):
        try:
            if not regular(path):
                raise OSError("not a plain file")
            shutil.copyfile(path, package / path.name, follow_symlinks=False)
        except OSError as err:
            skipped.append(f"{path.name} ({err.strerror or err})")
    if not regular(package / "__init__.py"):
        shutil.copyfile(KIT_ROOT / "solutions" / "mygrad" / "__init__.py", package / "__init__.py")
    if skipped:
        notes.append("Skipped (could not be read): " + ", ".join(skipped))
    return into


def saved_files(nb: dict) -> dict[str, str]:
    """What a notebook of the student release saves: {module: source} from each code cell that starts with
    `%%writefile .../mygrad/<module>.py` (the last such cell of a module wins, as running them in order
    would leave it)."""
    from .nbgrader.notebook import _source

    found = {}
    for cell in nb["cells"]:
        first, _, body = _source(cell).partition("\n") if cell.get("cell_type") == "code" else ("", "", "")
        words = first.split()
        if len(words) == 2 and words[0] == "%%writefile":
            target = PurePosixPath(words[1].replace("\\", "/"))
            if target.parent.name == "mygrad" and target.name in MODULES:
                found[target.stem] = body
    return found


def read_notebook(path: Path) -> dict:
    """A notebook's JSON, read only when it is no larger than an archive may hold (a sparse file of terabytes
    named .ipynb must not be read into the grader's memory)."""
    from .nbgrader.notebook import read

    if path.stat().st_size > MAX_ZIP_BYTES:
        raise ValueError(f"larger than {MAX_ZIP_BYTES >> 20} MiB")
    return read(path)


def notebook_package(path: Path, into: Path, notes: list[str]) -> tuple[Path | None, list[Path]]:
    """into/mygrad/ written from a notebook, and the notebooks used. The nbgrader notebook holds every file;
    the student release has one notebook per file, so its notebooks beside this one are used too."""
    from .nbgrader.notebook import write_package  # plain JSON: no nbgrader needed

    try:
        nb = read_notebook(path)
        saved = saved_files(nb)
        if not saved:
            notes += [f"Notebook: {p}" for p in write_package(nb, into)]
            return into, [path]
    except Exception as err:  # whatever is wrong with a file that is not a notebook
        notes.append(f"{path.name} is not a readable notebook ({type(err).__name__}: {str(err)[:200]})")
        return None, []
    used, files = [], {}
    for other in sorted(path.parent.glob("*.ipynb")):  # this one among them, in name order
        try:
            mine = saved if other == path else saved_files(read_notebook(other)) if regular(other) else {}
        except Exception:  # noqa: BLE001 - a broken neighbour is not this submission's notebook
            mine = {}
        if mine:
            used.append(other)
            files.update(mine)
    package = into / "mygrad"
    package.mkdir(parents=True)
    for module, source in files.items():
        (package / f"{module}.py").write_text(source)
    shutil.copyfile(KIT_ROOT / "solutions" / "mygrad" / "__init__.py", package / "__init__.py")
    missing = [m for m in MODULES if m.removesuffix(".py") not in files]
    if missing:
        notes.append(f"Notebooks: no notebook here saves mygrad/{', mygrad/'.join(m for m in missing)}")
    return into, used


ARCHIVES_DEEP = 2  # a zip of a zip of a project is opened, whether the upload is the outer zip or a folder holding it


def locate(
    folder: Path, work: Path, notes: list[str], rel: str = "", opened: int = 0, budget: Budget | None = None
) -> Path | None:
    """The folder holding the chosen candidate's mygrad/ (built under work when need be), or None.
    rel names the archive that folder came from, for the notes; `opened` counts the archives already opened
    on the way here (the upload itself, when it is one): at most ARCHIVES_DEEP, writing at most what the
    upload's budget has left, and an archive that held no submission is deleted before the next is tried."""
    budget = budget or Budget()
    found = candidates(folder)
    for i, (kind, depth, where, path) in enumerate(found):
        if kind in (0, 4):
            root = path.parent
        elif kind == 1:
            root = copy_loose_files(path, work / f"files{i}", notes)
        elif kind == 2:
            root, used = notebook_package(path, work / f"notebook{i}", notes)
            if len(used) > 1:  # the release's notebooks, one per file: graded together
                where = f"{where} with {', '.join(u.name for u in used if u != path)}"
                found = [f for f in found if f[3] not in used or f[3] == path]
        elif opened < ARCHIVES_DEEP:  # a zip in the upload: search inside it the same way
            extract(path, work / f"zip{i}", notes, budget)
            root = locate(work / f"zip{i}", work / f"in-zip{i}", notes, f"{rel}{where}: ", opened + 1, budget)
            if root is not None:
                return root  # the nested search said what it graded
            for done in (work / f"zip{i}", work / f"in-zip{i}"):
                shutil.rmtree(done, ignore_errors=True)
        else:
            root = None
        if root is not None:
            others = [rel + named(k, w) for k, _, w, p in found if p != path]
            if (kind in (0, 4), depth, rel, others) == (True, 1, "", []):
                return root  # the usual shape: nothing to say
            notes.insert(
                0,
                f"Graded {rel}{named(kind, where)}"
                + (f" (also found, not graded: {', '.join(others[:5])})" if others else ""),
            )
            return root
    return None


def entry_parts(info: zipfile.ZipInfo) -> tuple[str, ...]:
    return tuple(p for p in info.filename.replace("\\", "/").split("/") if p not in ("", "."))


def not_the_students(entries: list[tuple[str, ...]]) -> set[tuple[str, ...]]:
    """The folders of an archive (its entries' path parts) that hold no student code: hidden ones (.venv,
    .git), tool folders (NOT_THE_STUDENTS) and virtual environments by any name (a folder holding pyvenv.cfg)."""
    folders = set()
    for parts in entries:
        for depth, part in enumerate(parts[:-1]):
            if part.startswith(".") and part != ".." or part in NOT_THE_STUDENTS:  # "..": refused by extract_entry
                folders.add(parts[: depth + 1])
                break
        if parts[-1:] == ("pyvenv.cfg",) and len(parts) > 1:  # a venv made in the project's own top folder: kept
            folders.add(parts[:-1])
    return folders


def entries_listed(archive: Path) -> int:
    """How many entries the archive's end record says it lists, read before the list itself (0 when it has
    no such record: then zipfile says what is wrong with it)."""
    with open(archive, "rb") as f:
        end = zipfile._EndRecData(f)  # the record zipfile itself reads first; no public API gives it alone
    return end[zipfile._ECD_ENTRIES_TOTAL] if end else 0


def extract(archive: Path, into: Path, notes: list[str] | None = None, budget: Budget | None = None) -> None:
    """Extract what can be extracted; each entry left out is named in notes (one note per archive). Folders
    that hold no student code (a zipped project's .venv, .git) are left out first, and the size limits
    apply to the rest, and the upload's budget (shared by the archives inside it)."""
    notes = [] if notes is None else notes
    budget = budget or Budget()
    into.mkdir(parents=True, exist_ok=True)
    skipped: list[str] = []
    try:
        listed = entries_listed(archive)
        if listed > MAX_ZIP_ENTRIES:  # a list of a million entries would take the grader ~700 MB to read
            notes.append(
                f"{archive.name}: the archive lists {listed} entries, too many to grade (limit: {MAX_ZIP_ENTRIES}, "
                f"and {MAX_ZIP_FILES} files once folders with no student code are left out): nothing was extracted"
            )
            return
        with zipfile.ZipFile(archive) as z:
            entries = [(info, entry_parts(info)) for info in z.infolist()]
            junk = not_the_students([parts for _, parts in entries])
            infos = [info for info, parts in entries if not any(parts[: len(f)] == f for f in junk)]
            shown = sorted("/".join(f) + "/" for f in junk if f[-1] not in ("__MACOSX", "__pycache__"))
            if shown:
                notes.append(f"Left out of {archive.name} (no student code): {', '.join(shown[:5])}")
            size = sum(i.file_size for i in infos)
            if len(infos) > MAX_ZIP_FILES or size > MAX_ZIP_BYTES:
                notes.append(
                    f"{archive.name}: the archive is too large to grade (limits: {MAX_ZIP_FILES} files, "
                    f"{MAX_ZIP_BYTES >> 20} MiB): nothing was extracted"
                )
                return
            if size > budget.left:
                notes.append(
                    f"{archive.name}: not opened: the archives of this upload may hold {UPLOAD_ZIP_BYTES >> 20} MiB "
                    "together, and the ones opened before it used that up"
                )
                return
            left = min(MAX_ZIP_BYTES, budget.left)
            for info in infos:
                why = extract_entry(z, info, into, left)
                if isinstance(why, int):
                    left -= why
                    budget.left -= why
                elif why:
                    skipped.append(f"{info.filename[:80]!r} ({why})")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as err:
        notes.append(f"{archive.name}: not a readable zip archive ({str(err)[:200]})")
    if skipped:
        notes.append(
            f"Skipped in {archive.name} ({len(skipped)} entr{'y' if len(skipped) == 1 else 'ies'}): "
            + "; ".join(skipped[:10])
        )


def extract_entry(z: zipfile.ZipFile, info: zipfile.ZipInfo, into: Path, budget: int) -> int | str:
    """Bytes written for one entry, or why it was left out ('' for entries not worth a mention)."""
    parts = [p for p in info.filename.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or parts[0] == "__MACOSX" or parts[-1].startswith("._"):
        return ""  # macOS metadata
    if ".." in parts or info.filename.startswith(("/", "\\")) or ":" in parts[0]:
        return "it points outside the archive"
    if len(parts) > MAX_DEPTH:
        return f"folders nested more than {MAX_DEPTH} deep"
    if any(len(p.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES for p in parts):
        return "name too long"
    target = into.joinpath(*parts)
    try:
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            return 0
        target.parent.mkdir(parents=True, exist_ok=True)
        with z.open(info) as src, open(target, "xb") as dst:
            data = src.read(min(budget, info.file_size) + 1)  # the header's size can lie
            if len(data) > min(budget, info.file_size):
                raise ValueError("larger than it says")
            dst.write(data)
        return len(data)
    except (FileExistsError, NotADirectoryError, IsADirectoryError):
        return "a file and a folder of the same name"
    except (OSError, zipfile.BadZipFile, ValueError, RuntimeError, NotImplementedError, EOFError) as err:
        with contextlib.suppress(OSError):
            if target.is_file() and not target.is_symlink():
                target.unlink()  # no half-written file
        if isinstance(err, OSError) and err.errno == errno.ENAMETOOLONG:
            return "name too long"
        return f"unreadable: {type(err).__name__}: {str(err)[:100]}"


def missing_message(folder: Path, notes: list[str] = ()) -> str:
    """Why nothing was graded, for the student: what the upload held, what went wrong, what we look for."""
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        entries = []
    found = ", ".join(p.name for p in entries[:8]) or "nothing"
    links = " (links are not followed: hand in the folders themselves)" if any(p.is_symlink() for p in entries) else ""
    return (
        f"No mygrad/ package was found in the submission (it holds: {found}){links}. "
        + "".join(f"{n}. " for n in notes)
        + "Hand in the folder that contains mygrad/, the files of "
        f"mygrad/ ({', '.join(MODULES)}), a .zip of either, or your notebook."
    )


@contextlib.contextmanager
def prepared(path: Path, notes: list[str] | None = None):
    """The submission as a folder holding mygrad/ (or, when none is found, the upload as it was, for
    missing_message). Appended to notes: what was graded, what was left out and why."""
    notes = [] if notes is None else notes
    path = Path(path)
    if not path.exists():
        raise GradingError(f"{path}: no such file or folder")
    path = path.resolve()  # the instructor's own link to a submission is followed; links inside it are not
    with tempfile.TemporaryDirectory(prefix="mygrad-submission-", dir=scratch.folder()) as tmp:
        work, upload = Path(tmp), Path(tmp) / "upload"
        upload.mkdir()
        budget = Budget()
        if path.is_dir():
            if os.access(path, os.R_OK | os.X_OK):
                upload = path
            else:
                notes.append(f"{path.name}: the folder is not readable")
        elif path.is_file() and path.suffix.lower() == ".zip":
            extract(path, upload, notes, budget)
        elif path.is_file():  # one loose file, a notebook, or something that is no submission: look at it
            try:
                shutil.copyfile(path, upload / path.name)
            except OSError as err:
                notes.append(f"{path.name} could not be read ({err.strerror or err})")
        else:
            notes.append(f"{path.name} is not a file or folder that can be graded (a device or a pipe?)")
        archive = path.is_file() and path.suffix.lower() == ".zip"
        yield locate(upload, work, notes, opened=1 if archive else 0, budget=budget) or upload
