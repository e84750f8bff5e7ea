"""Benchmark: `mygrad grade-all` throughput with 1 and 2 processes on one 60-submission class.

The class (autograder/samples/classroom.py): solved ones, stubs, the bug samples, one that loops until its
checks time out, one flagged, broken zips, an empty folder, a notebook. Each run starts from an empty output
folder (no cache). Prints wall time, submissions per minute, the summed grading time of the submissions (from
their results.json) over the wall time (how many grades ran at once, on average; a busy machine also shows
as a larger sum at -j 2), and the ratio of 2 to 1 processes; `--cli N` also times the old way, a serial loop
of `mygrad grade` commands, on N of the submissions.  Usage: .venv/bin/python benchmarks/bench_batch.py
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder.samples.classroom import make_class


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def grading_time(out: Path) -> float:
    """The submissions' own grading times (results.json's execution_time), summed."""
    return sum(json.loads(p.read_text())["execution_time"] for p in out.glob("students/*/results.json"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=60, help="submissions in the class (default 60)")
    parser.add_argument("--cli", type=int, default=0, metavar="N", help="also time `mygrad grade` on N submissions")
    args = parser.parse_args()
    mygrad = [sys.executable, "-m", "autograder.cli"]
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        subs = make_class(Path(tmp) / "submissions", size=args.size)
        print(
            f"grade-all on {args.size} submissions (one run each, no cache; load average before: "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores):"
        )
        rates = {}
        for jobs in (1, 2):
            out = Path(tmp) / f"grades-{jobs}"
            wall = timed([*mygrad, "grade-all", str(subs), "--out", str(out), "-j", str(jobs)])
            rates[jobs], busy = args.size / wall * 60, grading_time(out)
            print(
                f"  -j {jobs}   {wall:6.1f} s   {rates[jobs]:6.1f} submissions/min   grading time {busy:6.1f} s "
                f"= {busy / wall:4.2f} grades at once"
            )
        print(f"  ratio -j 2 / -j 1: {rates[2] / rates[1]:.2f} x")
        if args.cli:  # the old way, the loop the docs used to show, against grade-all -j 1 on the same entries
            few = Path(tmp) / "few"
            few.mkdir()
            for entry in sorted(p for p in subs.iterdir() if p.name not in ("notes.txt", "s01"))[: args.cli]:
                (shutil.copytree if entry.is_dir() else shutil.copy2)(entry, few / entry.name)
            start = time.perf_counter()
            for entry in sorted(few.iterdir()):
                subprocess.run(
                    [*mygrad, "grade", str(entry), "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            loop = time.perf_counter() - start
            batch = timed([*mygrad, "grade-all", str(few), "--out", f"{tmp}/grades-few", "-j", "1"])
            print(f"on {args.cli} of them (not the looping one), one process at a time:")
            print(f"  `mygrad grade` loop  {loop / args.cli:5.2f} s per submission")
            print(f"  grade-all -j 1       {batch / args.cli:5.2f} s per submission   ratio {loop / batch:.2f} x")


if __name__ == "__main__":
    main()
