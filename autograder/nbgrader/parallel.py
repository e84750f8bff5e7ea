"""`mygrad nbgrader autograde ASSIGNMENT`: grade a whole class in parallel, into nbgrader's gradebook.

Phase 1 grades every submitted notebook with N processes into the course's result cache (a progress bar
shows it; an interrupted run resumes where it stopped, since finished notebooks are cached). Phase 2 runs
nbgrader's own `nbgrader autograde`, whose mygrad preprocessor finds each result in the cache: nbgrader
writes the autograded notebooks and the gradebook itself, exactly as in a serial run.

What grades nothing is kept small: the parent imports no nbformat or nbgrader, phase 2 starts nbgrader
without a slow optional import (app.py), and without --force neither phase spends anything on submissions
nbgrader has autograded already (nbgrader would not record them, and a score printed here for them could
differ from the gradebook's). Phase 2 stays one process: it is nbgrader's start-up (1.3 s of CPU) and its own
work per notebook (0.2 s: metadata validation, gradebook writes); more processes would each pay the start-up
again, gain nothing on a busy machine, and contend for the SQLite gradebook.
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from .. import scratch
from ..affinity import take_a_core
from ..forked import in_child
from ..grade import warm_up
from .cache import grade_cells, grade_notebook  # not from .preprocessor: it imports nbgrader (2.5 s)
from .notebook import read


def pool_init(counter) -> None:
    """A pool process: a core of its own (affinity.py), then everything a grade imports, once."""
    take_a_core(counter)
    warm_up()


def grade_one(
    notebook: str, tasks: set[str], request_timeout: float, budget: float, cache_dir: str
) -> tuple[float, float]:
    """(score, most) of one notebook, graded into the cache in a fork of this warmed-up pool process, so that
    every grade costs the same however many came before (autograder/forked.py)."""
    scores, why = in_child(score_of, notebook, tasks, request_timeout, budget, cache_dir)
    if why:
        raise RuntimeError(why)
    return tuple(scores)


def score_of(notebook: str, tasks: set[str], request_timeout: float, budget: float, cache_dir: str) -> list[float]:
    with tempfile.TemporaryDirectory(prefix="mygrad-notebook-", dir=scratch.folder()) as tmp:
        _, results = grade_notebook(read(Path(notebook)), Path(tmp), tasks, request_timeout, budget, cache_dir)
    return [results.score, results.max_score]


def student_of(notebook: Path) -> str:
    return notebook.parent.parent.name  # submitted/<student>/<assignment>/<notebook>


def summary(scores: dict[str, tuple[float, float]], failed: list[str]) -> str:
    if not scores:
        return f"graded no notebook; {len(failed)} failed: {', '.join(failed)}"
    values = sorted(score for score, _ in scores.values())
    most = max(m for _, m in scores.values())
    text = (
        f"graded {len(scores)} notebook{'s' if len(scores) != 1 else ''}: mean {sum(values) / len(values):.2f}, "
        f"median {statistics.median(values):.2f}, lowest {values[0]:g}, highest {values[-1]:g} (of {most:g}); "
        f"full marks: {sum(v == most for v in values)}, zero: {sum(v == 0 for v in values)}"
    )
    return text + (
        f"; {len(failed)} failed here (nbgrader grades and reports them below): {', '.join(failed)}" if failed else ""
    )


def submissions(course: Path, assignment: str) -> list[Path]:
    return sorted(course.glob(f"submitted/*/{assignment}/*.ipynb"))


def autograded_already(course: Path, notebook: Path) -> bool:
    """Whether `nbgrader autograde` without --force will skip this submission: it does when the autograded
    folder exists, unless both folders hold a timestamp.txt and the submission's is newer (here: different, so
    that when unsure the submission is graded here and nbgrader decides)."""
    src = notebook.parent
    dest = course / "autograded" / src.parent.name / src.name
    stamps = src / "timestamp.txt", dest / "timestamp.txt"
    return dest.is_dir() and not (all(p.exists() for p in stamps) and stamps[0].read_bytes() != stamps[1].read_bytes())


def autograde(
    course: Path,
    assignment: str,
    jobs: int = 2,
    request_timeout: float = 5.0,
    budget: float = 120.0,
    force: bool = False,
    console: Console | None = None,
) -> int:
    console = console or Console(stderr=True)
    course = Path(course).resolve()
    cache_dir = course / ".mygrad-cache"
    notebooks = submissions(course, assignment)
    if not notebooks:
        console.print(f"no submitted notebooks under {course}/submitted/*/{assignment}/")
        return 2
    # nbgrader would not record a grade for these, so grading them here is wasted (a changed grader misses the
    # cache), and when nothing is left its start-up (2-4 s) is wasted too
    kept = [] if force else [nb for nb in notebooks if autograded_already(course, nb)]
    if kept:
        console.print(
            f"{len(kept)} submission{'s are' if len(kept) != 1 else ' is'} autograded already, kept as "
            "nbgrader keeps them (--force regrades them): " + ", ".join(student_of(nb) for nb in kept),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        notebooks = [nb for nb in notebooks if nb not in kept]
    if not notebooks:
        console.print("nothing new to grade or record")
        return 0
    tasks_of = {}
    for source in course.glob(f"source/{assignment}/*.ipynb"):  # grade every task the source notebook has
        tasks_of[source.name] = {gid.removeprefix("grade-") for gid in grade_cells(read(source))}
    strangers = [nb for nb in notebooks if nb.name not in tasks_of]  # e.g. "mygrad (1).ipynb": nbgrader skips it
    for nb in strangers:
        console.print(
            f"{student_of(nb)}: {nb.name} is not a notebook of {assignment} (it has: {', '.join(sorted(tasks_of))}): "
            "not graded; nbgrader ignores it too (rename it to grade it)",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    notebooks = [nb for nb in notebooks if nb not in strangers]
    if not notebooks:
        return 1
    started = time.time()
    with (
        Progress(console=console) as progress,
        ProcessPoolExecutor(max_workers=jobs, initializer=pool_init, initargs=(multiprocessing.Value("i", 0),)) as pool,
    ):
        bar = progress.add_task(f"grading {len(notebooks)} notebooks with {jobs} processes", total=len(notebooks))
        futures = {
            pool.submit(grade_one, str(nb), tasks_of.get(nb.name, set()), request_timeout, budget, str(cache_dir)): nb
            for nb in notebooks
        }
        scores, failed = {}, []
        for future in as_completed(futures):
            student = student_of(futures[future])
            try:
                scores[student] = future.result()
                progress.console.print(
                    f"{student}: {scores[student][0]:g} / {scores[student][1]:g}",
                    markup=False,
                    highlight=False,
                    soft_wrap=True,
                )
            except Exception as err:  # nbgrader's own run below grades (and reports) this one again
                failed.append(student)
                console.print(f"[yellow]{futures[future]}: {type(err).__name__}: {err}[/]")
            progress.advance(bar)
    console.print(summary(scores, sorted(failed)), markup=False, highlight=False, soft_wrap=True)
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    args = [
        "autograde",
        assignment,
        f"--MygradGrade.cache_dir={cache_dir}",
        f"--MygradGrade.request_timeout={request_timeout}",
        f"--MygradGrade.budget={budget}",
    ]
    args += ["--force"] if force else []
    console.print("recording the grades with: nbgrader " + " ".join(args))
    # `nbgrader ARGS` through our launcher: the same app, started 1.2 s sooner (see app.py); -P: like the
    # `nbgrader` script, no module is imported from the course folder
    run = subprocess.run(
        [sys.executable, "-P", "-m", "autograder.nbgrader.app", *args],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
    )
    said, log = run.stdout + run.stderr, cache_dir / "nbgrader-autograde.log"  # all of it: tracebacks are long
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(said)
    missing = sorted({student_of(nb) for nb in notebooks if not recorded(course, nb, started)})
    if missing:  # graded above, but nbgrader did not record it: the printed score is not in the gradebook
        console.print(
            f"not recorded by nbgrader (no grade in the gradebook, whatever was printed above): {', '.join(missing)}. "
            f"nbgrader's output is in {log}; its last lines:",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        console.print("\n".join(said.splitlines()[-40:]), markup=False, highlight=False)
    elif run.returncode != 0:
        console.print(f"[red]nbgrader autograde exited with status {run.returncode}: see {log}[/]")
    return run.returncode or (1 if missing else 0)


def recorded(course: Path, notebook: Path, since: float) -> bool:
    """Whether nbgrader wrote this submission's autograded notebook during this run (it removes the
    autograded folder of a submission it failed)."""
    done = course / "autograded" / student_of(notebook) / notebook.parent.name / notebook.name
    try:
        return done.stat().st_mtime >= since - 1
    except OSError:
        return False
