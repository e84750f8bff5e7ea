"""`mygrad grade-all SUBMISSIONS`: grade a whole class on every core (or a Dask cluster), resumably.

The steps: find each student's entry; key it by a hash of its files and of the grader; grade what the cache
lacks in long-lived worker processes (each imports the grader once and grades each submission in a fork of
itself, so no interpreter or pytest start-up per submission; each submission still gets its own fresh
sandboxed worker inside grade()); as each finishes, write its results.json and feedback page; then the
gradebook CSV, the class report and a summary.
Every file is written atomically, so an interrupted run keeps what finished and a re-run resumes.
"""

from __future__ import annotations

import csv
import gc
import hashlib
import io
import json
import multiprocessing
import os
import signal
import stat
import statistics
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from . import catalogue, class_report, forked, report_page
from .affinity import take_a_core
from .atomic import write_atomic
from .catalogue import KIT_ROOT
from .results import Results, TestResult
from .sandbox import MAX_DEPTH

GRADABLE = (".zip", ".ipynb")
HIDDEN_SUITES = "autograder/hidden/"
OK, NOT_ALL_GRADED, BAD_ARGS, INTERRUPTED = 0, 1, 2, 130  # exit statuses (the CLI's help lists them)


@dataclass
class Entry:
    student: str  # the entry's name without extension
    path: Path  # what grade() gets: the student's folder, a .zip or a notebook


@dataclass
class Settings:
    tasks: tuple[str, ...] | None = None
    mode: str | None = None
    budget: float = 120.0
    request_timeout: float = 5.0


# ---- finding the submissions --------------------------------------------------------------------------


def discover(folder: Path, out: Path | None = None) -> tuple[list[Entry], list[str]]:
    """The students' entries in folder (sorted), and what was skipped: "name: why". Each is graded as
    `mygrad grade ENTRY` grades it (intake.py looks for mygrad/, the loose files, a notebook or a zip at any
    depth of a student's folder, and picks one the same way every time), so the gradebook is what grading
    each alone gives. The output folder, or an earlier one, is no student's."""
    entries, skipped, seen = [], [], {}
    ours = Path(out).resolve() if out is not None else None
    for child in sorted(Path(folder).iterdir()):
        if child.name.startswith(".") or child.name == "__MACOSX" or child.resolve() == ours:
            continue
        if not child.is_dir() and child.suffix.lower() not in GRADABLE:
            skipped.append(f"{child.name}: not a folder, .zip or .ipynb")
            continue
        if child.is_dir() and (child / "gradebook.csv").is_file() and (child / ".cache").is_dir():
            skipped.append(f"{child.name}: the output of an earlier grade-all, not a submission")
            continue
        entry = Entry(readable(child.name if child.is_dir() else child.stem), child)
        if entry.student in seen:  # alice/ and alice.zip: grading either would overwrite the other
            skipped.append(f"{child.name}: the same student id as {seen[entry.student]} (keep one)")
            continue
        seen[entry.student] = child.name
        entries.append(entry)
    return entries, skipped


def readable(name: str) -> str:
    """A file name as text every output can hold: bytes that are not UTF-8 (Python keeps them as lone
    surrogates, which no UTF-8 file, CSV or page can be written with) become U+FFFD."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


# ---- the cache: results by what was graded and by what graded it -------------------------------------


@cache
def grader_fingerprint() -> str:
    """Changes whenever the grader, the reference engine, the catalogue or the kit's version does."""
    digest = hashlib.sha256(version("mygrad-kit").encode())
    files = [
        *(KIT_ROOT / "autograder").rglob("*"),
        *(KIT_ROOT / "mygrad_ref").rglob("*"),
        KIT_ROOT / "solutions" / "tasks.toml",
    ]
    for path in sorted(p for p in files if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(KIT_ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


# Bounds on what the cache key reads of one entry: no grade reads more (the sandbox copies files up to 8 MiB and
# 64 MiB in all, an archive holds up to 50 MiB, nothing below 32 folders is looked at). A larger file is known by
# its size and modification time; past the other bounds the entry gets no key: it is graded on every run.
HASHED_FILE, HASHED_BYTES, HASHED_ENTRIES = 64 << 20, 256 << 20, 20_000


class Unhashable(Exception):
    """The entry is beyond the cache key's bounds (or could not be read): grade it, never cache it."""


def content_hash(path: Path) -> str:
    """A hash of a file, or of a folder's names, file contents and link targets (links are not followed),
    within the bounds above: a folder nested thousands deep or a sparse file of terabytes costs the class
    nothing. Raises Unhashable past them."""
    digest, read, listed = hashlib.sha256(), 0, 0
    stack: list[tuple[Path, int] | None] = [(path, 0)]  # depth first, each folder's entries in name order
    while stack:
        item = stack.pop()
        if item is None:  # a folder's end is marked: a/ holding b differs from an empty a/ beside b
            digest.update(b")")
            continue
        node, depth = item
        if depth:
            digest.update(b"D" + node.name.encode(errors="surrogateescape") + b"\0")
        info = node.lstat()
        if stat.S_ISLNK(info.st_mode):
            digest.update(b"L" + os.readlink(node).encode(errors="surrogateescape"))
        elif stat.S_ISREG(info.st_mode) and info.st_size > HASHED_FILE:
            digest.update(b"B" + f"{info.st_size}:{info.st_mtime_ns}".encode() + b"\0")
        elif stat.S_ISREG(info.st_mode):
            read += info.st_size
            if read > HASHED_BYTES:
                raise Unhashable(f"over {HASHED_BYTES >> 20} MiB of files")
            digest.update(b"F" + str(info.st_size).encode() + b"\0")
            with open(node, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
        elif stat.S_ISDIR(info.st_mode):
            digest.update(b"(")
            names = sorted(n for n in os.listdir(node) if n != "__pycache__") if depth <= MAX_DEPTH else []
            listed += len(names)  # deeper than the grader ever looks: left out
            if listed > HASHED_ENTRIES:
                raise Unhashable(f"over {HASHED_ENTRIES} files and folders")
            stack += [None, *((node / name, depth + 1) for name in reversed(names))]
    return digest.hexdigest()


def cache_key(entry: Entry, settings: Settings) -> str | None:
    """The entry's key in the cache of grades; None when it has none (then it is graded on every run)."""
    try:
        content = content_hash(entry.path)
    except (Unhashable, OSError):  # OSError: unreadable, or changed while it was read
        return None
    text = f"{grader_fingerprint()}|{settings}|{entry.path.name}|{content}"
    return hashlib.sha256(text.encode(errors="surrogateescape")).hexdigest()


# ---- grading one submission (runs in a worker process, local or on a Dask worker) ---------------------

_interrupted = False
_grading = False  # a pool process is grading (Ctrl-C then stops the grade)


def worker_init(counter=None) -> None:
    """Ctrl-C reaches the workers too: remember it, so a grade it cut short is never taken as a result, and
    no grade starts after it. It stops a grade under way, never the process (a pool process that died while
    idle would break the pool: the grades under way in the others would come back as failures). Then take a
    core of this process's own (affinity.py), and import what grading needs, once: each grade runs in a fork
    of this process (grade_forked)."""

    def on_sigint(signum, frame):
        global _interrupted
        _interrupted = True
        if _grading:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_sigint)
    if counter is not None:
        take_a_core(counter)
    from .grade import warm_up

    warm_up()


def not_graded(message: str, code: str, tasks=None) -> Results:
    """Zero points on every task, with the reason on each row and in the notes."""
    rows = [
        TestResult(f"{t.id} · not graded", t.id, 0.0, float(t.points), "failed", message, [t.id, code])
        for t in catalogue.load().values()
        if tasks is None or t.id in tasks
    ]
    head = "GRADER ERROR" if code == "grader-error" else "NOT GRADED"
    return Results(rows, 0.0, "none (nothing ran)", [f"{head}: {message}"])


def grade_entry(path: str, settings: Settings, student: str = "", collect: bool = False) -> dict | None:
    """Grade one submission; never raises. Returns {"results": Results.to_dict(), "graded": bool, "page":
    its feedback page}, or None when Ctrl-C cut the grade short. graded is False when the grader could not
    grade it (a 0 with why). The page is drawn here, in parallel, not in the one process that collects.
    collect: for a process that grades again in itself (a Dask worker; a pool process grades in forks of its
    warmed-up self instead, see forked.py): the hidden suites an earlier grade ran are forgotten first, so
    that this one starts as a fresh run, and the grade's garbage is freed before returning."""
    from .grade import GradingError, grade

    if collect:
        for name, module in list(sys.modules.items()):
            if HIDDEN_SUITES in (getattr(module, "__file__", None) or "").replace(os.sep, "/"):
                del sys.modules[name]
    tasks = set(settings.tasks) if settings.tasks else None
    graded = False
    try:
        results = grade(
            Path(path),
            tasks=tasks,
            mode=settings.mode,
            budget=settings.budget,
            request_timeout=settings.request_timeout,
        )
        graded = not any("not-gradable" in t.tags for t in results.tests)  # nothing gradable was handed in
    except GradingError as err:
        results = not_graded(str(err), "not-gradable", tasks)
    except KeyboardInterrupt:
        return None
    except Exception as err:  # a bug in the grader costs this submission, never the batch
        results = not_graded(f"{type(err).__name__}: {err}", "grader-error", tasks)
    if _interrupted:
        return None
    outcome = {"results": results.to_dict(), "graded": graded, "page": feedback_page(results, student)}
    if collect:
        gc.collect()
    return outcome


def grade_forked(path: str, settings: Settings, student: str = "") -> dict | None:
    """grade_entry in a fork of this (warmed-up) pool process: every grade costs the same, however many this
    process graded before (forked.py)."""
    global _grading
    if _interrupted:  # after Ctrl-C: the parent is cancelling what has not started
        return None
    _grading = True
    try:
        result, why = forked.in_child(grade_entry, path, settings, student)
    except KeyboardInterrupt:  # Ctrl-C: the child has stopped too (in_child waits for it)
        return None
    finally:
        _grading = False
    if _interrupted:
        return None
    if why:  # e.g. the kernel's OOM killer: the batch goes on, and the next run grades this one again
        return {"results": not_graded(why, "grader-error", settings.tasks).to_dict(), "graded": False}
    return result


# ---- where the grading runs -------------------------------------------------------------------------


def run_local(jobs: int, work: dict[str, tuple], on_done) -> bool:
    """Grade work (student -> grade_entry's arguments) in `jobs` long-lived processes; call on_done(student,
    outcome) as each finishes. Returns False if Ctrl-C stopped it (what had finished is kept)."""
    context = multiprocessing.get_context("forkserver" if sys.platform == "linux" else None)
    cores = context.Value("i", 0)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=worker_init, initargs=(cores,)) as pool:
        futures = {pool.submit(grade_forked, *args): student for student, args in work.items()}
        try:
            for future in as_completed(futures):
                on_done(futures[future], outcome(future))
        except KeyboardInterrupt:
            for future in futures:
                future.cancel()
            for future in as_completed(f for f in futures if not f.cancelled() and not f.done()):
                on_done(futures[future], outcome(future, cut_short=True))  # the workers stop their grades at once
            return False
    return True


def run_dask(address: str, work: dict[str, tuple], on_done) -> bool:
    """The same on a Dask cluster: each submission is a task that a worker runs with grade_entry, in its
    own process (a Dask worker runs tasks in threads: no fork), collecting each grade's garbage after it."""
    from distributed import Client
    from distributed import as_completed as dask_completed

    with Client(address, timeout="20s") as client:
        futures = {
            client.submit(
                grade_entry,
                *args,
                collect=True,
                key=f"mygrad-{student}-{os.getpid()}-{time.time_ns()}",
                pure=False,
            ): student
            for student, args in work.items()
        }
        try:
            for future in dask_completed(futures):
                on_done(futures[future], outcome(future))
        except KeyboardInterrupt:
            client.cancel(list(futures))
            return False
    return True


def outcome(future, cut_short: bool = False) -> dict | None:
    """A finished future's result; when the grading process failed, a 0 with why, or None (not a result)
    for a grade that Ctrl-C cut short."""
    try:
        return future.result()
    except BaseException as err:  # the worker process died, or the cluster lost it
        if cut_short:
            return None
        return {
            "results": not_graded(
                f"the grading process failed ({type(err).__name__}: {err})", "grader-error"
            ).to_dict(),
            "graded": False,
        }


# ---- the outputs ----------------------------------------------------------------------------------


def feedback_page(results: Results, student: str) -> str:
    return report_page.page(results, f"Submission {student}")


def write_student(out: Path, student: str, results: Results, page: str | None = None) -> None:
    folder = out / "students" / student
    write_atomic(folder / "results.json", json.dumps(results.to_gradescope(), indent=2))
    write_atomic(folder / "feedback.html", page or feedback_page(results, student))


def cell(text: str) -> str:
    """A student id as a spreadsheet shows it, never as a formula (an upload named `=HYPERLINK(...)` would
    otherwise run in the instructor's spreadsheet): such a name starts with an apostrophe."""
    return f"'{text}" if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def gradebook(graded: dict[str, Results], tasks: list[str]) -> str:
    """CSV: student, total, then each task's points."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "total", *tasks])
    for student, results in sorted(graded.items()):
        scores = results.task_scores()
        writer.writerow([cell(student), f"{results.score:g}", *(f"{scores.get(t, (0.0, 0.0))[0]:g}" for t in tasks)])
    return buffer.getvalue()


def needs_a_look(results: Results) -> list[str]:
    """Why a human should look at this submission (empty if nothing)."""
    why = [n for n in results.notes if n.startswith(("FLAGGED", "REVIEW", "GRADER ERROR", "NOT GRADED"))]
    for code, what in (("timeout", "timed out"), ("time-budget", "ran out of its time budget")):
        tasks = sorted({t.task for t in results.tests if code in t.tags[1:]})
        if tasks:
            why.append(f"{what} in {', '.join(tasks)}")
    return why


def say(console: Console, text: str) -> None:
    """One line, as written: paths and student names are never read as markup, nor wrapped."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)


# ---- the command --------------------------------------------------------------------------------------


def grade_all(
    submissions: Path,
    out: Path,
    jobs: int,
    scheduler: str | None = None,
    settings: Settings | None = None,
    force: bool = False,
    console: Console | None = None,
) -> int:
    console = console or Console(stderr=True)
    settings = settings or Settings()
    entries, skipped = discover(submissions, out)
    if not entries:
        say(
            console,
            f"mygrad grade-all: nothing to grade in {submissions} (expected folders holding mygrad/, "
            ".zip files or .ipynb notebooks, one per student)",
        )
        return BAD_ARGS
    for why in skipped:
        say(console, f"skipped {why}")
    cache = out / ".cache"
    started = time.monotonic()
    graded: dict[str, Results] = {}
    failed: set[str] = set()
    work, keys, hits = {}, {}, 0

    def finish(student: str, result: dict | None) -> None:
        if result is None:  # cut short by Ctrl-C: neither cached nor written
            return
        results = Results.from_dict(result["results"])
        if result["graded"] and keys.get(student):
            write_atomic(cache / f"{keys[student]}.json", json.dumps(result["results"]))
        elif not result["graded"]:
            failed.add(student)  # retried on the next run: never cached
        write_student(out, student, results, result.get("page"))
        graded[student] = results
        progress.advance(bar)

    with Progress(console=console, transient=False) as progress:
        bar = progress.add_task("checking the cache", total=len(entries))
        for entry in entries:
            keys[entry.student] = cache_key(entry, settings)
            hit = cache / f"{keys[entry.student]}.json"
            if keys[entry.student] and hit.exists() and not force:
                finish(entry.student, {"results": json.loads(hit.read_text()), "graded": True})
                hits += 1
            else:
                work[entry.student] = (str(entry.path.resolve()), settings, entry.student)
        where = f"on the Dask cluster at {scheduler}" if scheduler else f"with {jobs} processes"
        progress.update(bar, description=f"grading {len(work)} of {len(entries)} submissions {where}")
        complete = True
        if work:
            threading.Thread(target=class_report.preload, daemon=True).start()
            if scheduler:
                runner = lambda: run_dask(scheduler, work, finish)  # noqa: E731
            else:
                runner = lambda: run_local(jobs, work, finish)  # noqa: E731
            complete = runner()

    stopped = not complete or len(graded) < len(entries)  # or Ctrl-C reached only the grading processes
    earlier = 0
    if stopped:  # who was not graded again keeps the grade of these very files from an earlier run, if any
        for entry in entries:
            hit = cache / f"{keys[entry.student]}.json"  # every entry was keyed above
            if entry.student not in graded and keys[entry.student] and hit.exists():
                graded[entry.student] = Results.from_dict(json.loads(hit.read_text()))
                earlier += 1
    tasks = [t for t in catalogue.load() if not settings.tasks or t in settings.tasks]
    write_atomic(out / "gradebook.csv", gradebook(graded, tasks))
    write_atomic(out / "class-report.html", class_report.class_report(graded, skipped, needs_a_look))
    look = sum(1 for r in graded.values() if needs_a_look(r))
    scores = sorted(r.score for s, r in graded.items() if s not in failed)  # an ungraded zero is no score
    say(
        console,
        f"graded {len(graded) - len(failed)} of {len(entries)} submissions ({hits} from the cache) "
        f"in {time.monotonic() - started:.0f} s: median {statistics.median(scores) if scores else 0:g}, "
        f"{len(failed)} could not be graded, {look} need a look; see {out / 'class-report.html'}",
    )
    if stopped:
        left = len(entries) - len(graded) + earlier
        again = "run it again without --force" if force else "run the same command again"
        kept = f" (the gradebook keeps the earlier grade of {earlier} of them)" if earlier else ""
        say(console, f"interrupted: {left} left{kept}; {again} to grade only those")
        return INTERRUPTED
    return NOT_ALL_GRADED if failed else OK
