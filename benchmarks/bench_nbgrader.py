"""Benchmark: the nbgrader path on the same submissions, side by side in one run.

  1. `nbgrader autograde` (serial; the course's mygrad preprocessor grades each notebook),
  2. `mygrad grade NOTEBOOK` once per submission (a fresh process each),
  3. `mygrad nbgrader autograde --jobs N` (parallel grading, then nbgrader records the grades),
  4. `mygrad grade-all` on the same notebooks, one per student (no nbgrader at all), with 1 and N processes.
Prints total seconds, submissions a minute and the ratios (the targets: grade-all at least 5x nbgrader's
serial autograde, 2 processes at least 1.8x one). The class: solved, untouched and buggy notebooks, and
(unless --no-loop) one whose __add__ backward never returns.
With --base COMMIT, then the parallel command of that commit and of this checkout, interleaved (base, this,
base, ...) --runs times on an empty result cache, with its phases: start-up and parallel grading (up to
"recording the grades"), then nbgrader recording them; medians of wall and CPU seconds (CPU is steadier on a
shared machine: what a change removes shows there whatever the load), and a check that both wrote the same
gradebook and autograded notebooks.
Usage:
  .venv/bin/python benchmarks/bench_nbgrader.py [--students 60] [--jobs 2] [--base COMMIT --runs 5]
"""

import argparse
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from autograder import samples
from autograder.nbgrader.notebook import answers_of, filled

BIN = Path(sys.executable).parent
KIT = Path(__file__).resolve().parent.parent
BUGS = [b["edit"][0] for b in samples.load("bugs").values() if b["edit"][0]["file"] == "mygrad/engine.py"]


def timed(cmd, cwd, env):
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cpu_of(pid: int) -> float:
    """CPU seconds of a running process and its children waited for (Linux: /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(t) for t in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime, stime, cutime, cstime


def phased(tree: Path, course: Path, env: dict, jobs: int) -> tuple[float, float, float, float]:
    """Wall and CPU seconds of the parallel command of the kit in tree, on an empty cache, up to its "recording
    the grades" line (start-up and grading: its grading processes are waited for by then) and after it."""
    shutil.rmtree(course / ".mygrad-cache", ignore_errors=True)
    cpu, start = cpu_of_children(), time.perf_counter()
    cmd = [sys.executable, "-m", "autograder.cli", "nbgrader", "autograde", "mygrad", "--force", "--jobs", str(jobs)]
    with subprocess.Popen(
        cmd,
        cwd=course,
        env=dict(env, PYTHONPATH=str(tree)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as run:
        recording = next(
            ((time.perf_counter(), cpu_of(run.pid)) for line in run.stderr if "recording the grades" in line), None
        )
        run.stderr.read()
    if run.returncode or recording is None:
        raise RuntimeError(f"{tree}: the parallel command failed ({run.returncode})")
    wall, cpu = time.perf_counter() - start, cpu_of_children() - cpu
    return recording[0] - start, wall - (recording[0] - start), recording[1], cpu - recording[1]


def recorded(course: Path) -> tuple[list, dict]:
    """What nbgrader recorded: every grade in the gradebook, and the autograded notebooks."""
    with sqlite3.connect(course / "gradebook.db") as db:
        grades = db.execute(
            "select student.id, base_cell.name, grade.auto_score, grade.needs_manual_grade from grade "
            "join submitted_notebook on grade.notebook_id = submitted_notebook.id join "
            "submitted_assignment on submitted_notebook.assignment_id = submitted_assignment.id join "
            "student on submitted_assignment.student_id = student.id join base_cell on grade.cell_id "
            "= base_cell.id order by 1, 2"
        ).fetchall()
    return grades, {str(p.relative_to(course)): p.read_bytes() for p in course.glob("autograded/*/*/*.ipynb")}


def compare(base: str, runs: int, course: Path, env: dict, jobs: int, n: int) -> None:
    with tempfile.TemporaryDirectory(prefix="mygrad-bench-base-") as tmp:
        archive = subprocess.run(["git", "archive", base], cwd=KIT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        trees = {"base": Path(tmp), "this": KIT}
        for tree in trees.values():  # byte-compiled alike, as .ci/setup does: code is compared, not .pyc files
            subprocess.run(
                [sys.executable, "-m", "compileall", "-q", "autograder", "mygrad_ref"],
                cwd=tree,
                check=True,
                capture_output=True,
            )
        times, books = {v: [] for v in trees}, {}
        for _ in range(runs):
            for version, tree in trees.items():
                times[version].append(phased(tree, course, env, jobs))
                books[version] = recorded(course)
    assert len(books["this"][0]) == 6 * n and len(books["this"][1]) == n, "not every notebook was recorded"
    assert books["base"] == books["this"], "the gradebooks or the autograded notebooks differ"
    print(
        f"\nmygrad nbgrader autograde -j{jobs}, {n} notebooks, base {base} vs this checkout, medians of {runs} "
        "interleaved runs (same gradebook and autograded notebooks: checked)"
    )
    print(
        f"  {'version':<8}{'start+grade s':>14}{'record s':>10}{'total s':>9}{'/base':>7}"
        f"{'cpu: start+grade':>18}{'record':>8}{'total':>7}{'/base':>7}"
    )
    med = {}
    for version, t in times.items():  # each phase's median, then the median of the totals
        totals = [a + b for a, b, _, _ in t], [c + d for *_, c, d in t]
        med[version] = [statistics.median(x) for x in (*zip(*t), *totals)]
    for version, (grading, recording, cpu_grading, cpu_recording, total, cpu) in med.items():
        print(
            f"  {version:<8}{grading:14.2f}{recording:10.2f}{total:9.2f}{total / med['base'][4]:7.2f}"
            f"{cpu_grading:18.2f}{cpu_recording:8.2f}{cpu:7.2f}{cpu / med['base'][5]:7.2f}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=8)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--base", metavar="COMMIT", help="also compare the parallel command with this commit's")
    parser.add_argument("--runs", type=int, default=5, help="runs of each version with --base (default 5)")
    parser.add_argument("--no-ways", action="store_true", help="skip the four ways (only the --base comparison)")
    parser.add_argument("--no-loop", action="store_true", help="leave out the student whose code loops")
    args = parser.parse_args()
    top = Path(tempfile.mkdtemp(prefix="mygrad-bench-"))
    env = dict(
        os.environ,
        HOME=str(top),
        JUPYTER_CONFIG_DIR=str(top / "jc"),
        JUPYTER_DATA_DIR=str(top / "jd"),
        JUPYTER_RUNTIME_DIR=str(top / "jr"),
        PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}",
    )
    course = top / "course"
    try:
        subprocess.run([BIN / "mygrad", "nbgrader", "init", course], check=True, capture_output=True, env=env)
        subprocess.run(
            [BIN / "nbgrader", "generate_assignment", "mygrad"], cwd=course, env=env, check=True, capture_output=True
        )
        release = nbformat.read(str(course / "release/mygrad/mygrad.ipynb"), as_version=4)
        answers = answers_of(nbformat.read(str(course / "source/mygrad/mygrad.ipynb"), as_version=4))
        notebooks = []
        loop = samples.load("hostile")["endless-loop-in-add"]["edit"][0]
        for i in range(args.students):  # a mix: solved, untouched, and one engine bug each (the first loops)
            bug = loop if i == 2 and not args.no_loop else BUGS[i % len(BUGS)]
            nb = filled(
                release,
                None if i % 4 == 1 else answers,
                None if i % 4 in (0, 1) else ("code-engine", bug["find"], bug["replace"]),
            )
            path = course / "submitted" / f"s{i:03d}" / "mygrad" / "mygrad.ipynb"
            path.parent.mkdir(parents=True)
            nbformat.write(nb, str(path))
            notebooks.append(path)
        n = len(notebooks)
        if not args.no_ways:
            four_ways(course, top, env, notebooks, args.jobs)
        if args.base:
            compare(args.base, args.runs, course, env, args.jobs, n)
    finally:
        shutil.rmtree(top, ignore_errors=True)


def four_ways(course, top, env, notebooks, jobs):
    n = len(notebooks)
    serial = timed([BIN / "nbgrader", "autograde", "mygrad", "--force"], course, env)
    per_submission = sum(timed([BIN / "mygrad", "grade", nb, "--quiet"], course, env) for nb in notebooks)
    shutil.rmtree(course / ".mygrad-cache", ignore_errors=True)
    parallel = timed([BIN / "mygrad", "nbgrader", "autograde", "mygrad", "--force", "--jobs", str(jobs)], course, env)
    flat = top / "class"
    flat.mkdir()
    for nb in notebooks:  # the same notebooks, one file per student
        shutil.copy(nb, flat / f"{nb.parent.parent.name}.ipynb")
    batch = {
        j: timed([BIN / "mygrad", "grade-all", flat, "--out", top / f"grades-{j}", "-j", str(j)], course, env)
        for j in sorted({1, jobs})
    }
    print(f"{n} notebooks, {jobs} jobs for the parallel commands (load average {os.getloadavg()[0]:.1f})")
    ways = [
        ("nbgrader autograde (serial)", serial),
        ("mygrad grade per notebook", per_submission),
        (f"mygrad nbgrader autograde -j{jobs}", parallel),
    ]
    ways += [(f"mygrad grade-all -j{j}", t) for j, t in batch.items()]
    for name, total in ways:
        print(f"  {name:<34} {total:7.2f} s total  {60 * n / total:6.1f} a minute  {serial / total:5.2f}x vs serial")
    print(f"  grade-all -j{jobs} / -j1: {batch[1] / batch[jobs]:.2f}x")


if __name__ == "__main__":
    main()
