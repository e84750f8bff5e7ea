"""Benchmark: the nbgrader path on the same submissions, three ways, side by side in one run.

  1. `nbgrader autograde` (serial; the course's mygrad preprocessor grades each notebook),
  2. `mygrad grade NOTEBOOK` once per submission (a fresh process each),
  3. `mygrad nbgrader autograde --jobs N` (parallel grading, then nbgrader records the grades),
  4. `mygrad grade-all` on the same notebooks, one per student (no nbgrader at all), with N processes.
Prints total and per-notebook seconds and the ratios. Usage:
  .venv/bin/python benchmarks/bench_nbgrader.py [--students 8] [--jobs 2]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from autograder import samples
from autograder.nbgrader.notebook import answers_of, filled

BIN = Path(sys.executable).parent
BUGS = [b["edit"][0] for b in samples.load("bugs").values() if b["edit"][0]["file"] == "mygrad/engine.py"]


def timed(cmd, cwd, env):
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=8)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    top = Path(tempfile.mkdtemp(prefix="mygrad-bench-"))
    env = dict(os.environ, HOME=str(top), JUPYTER_CONFIG_DIR=str(top / "jc"), JUPYTER_DATA_DIR=str(top / "jd"),
               JUPYTER_RUNTIME_DIR=str(top / "jr"), PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    course = top / "course"
    try:
        subprocess.run([BIN / "mygrad", "nbgrader", "init", course], check=True, capture_output=True, env=env)
        subprocess.run([BIN / "nbgrader", "generate_assignment", "mygrad"], cwd=course, env=env, check=True,
                       capture_output=True)
        release = nbformat.read(str(course / "release/mygrad/mygrad.ipynb"), as_version=4)
        answers = answers_of(nbformat.read(str(course / "source/mygrad/mygrad.ipynb"), as_version=4))
        notebooks = []
        for i in range(args.students):  # a mix: solved, untouched, and one engine bug each
            bug = BUGS[i % len(BUGS)]
            nb = filled(release, None if i % 4 == 1 else answers,
                        None if i % 4 in (0, 1) else ("code-engine", bug["find"], bug["replace"]))
            path = course / "submitted" / f"s{i:03d}" / "mygrad" / "mygrad.ipynb"
            path.parent.mkdir(parents=True)
            nbformat.write(nb, str(path))
            notebooks.append(path)
        n = len(notebooks)
        serial = timed([BIN / "nbgrader", "autograde", "mygrad", "--force"], course, env)
        per_submission = sum(timed([BIN / "mygrad", "grade", nb, "--quiet"], course, env) for nb in notebooks)
        shutil.rmtree(course / ".mygrad-cache", ignore_errors=True)
        parallel = timed([BIN / "mygrad", "nbgrader", "autograde", "mygrad", "--force", "--jobs", str(args.jobs)],
                         course, env)
        flat = top / "class"
        flat.mkdir()
        for nb in notebooks:  # the same notebooks, one file per student
            shutil.copy(nb, flat / f"{nb.parent.parent.name}.ipynb")
        batch = timed([BIN / "mygrad", "grade-all", flat, "--out", top / "grades", "-j", str(args.jobs)], course, env)
    finally:
        shutil.rmtree(top, ignore_errors=True)
    print(f"{n} notebooks, {args.jobs} jobs for the parallel command")
    ways = (("nbgrader autograde (serial)", serial), ("mygrad grade per notebook", per_submission),
            (f"mygrad nbgrader autograde -j{args.jobs}", parallel), (f"mygrad grade-all -j{args.jobs}", batch))
    for name, total in ways:
        print(f"  {name:<34} {total:7.2f} s total  {60 * n / total:6.1f} a minute  {serial / total:5.2f}x vs serial")


if __name__ == "__main__":
    main()
