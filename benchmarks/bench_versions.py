"""Grading cost of this checkout against an earlier commit, side by side in one run.

    .venv/bin/python benchmarks/bench_versions.py --base d687e06 --runs 5

Each case runs as a fresh `mygrad grade ... --quiet` process, interleaved (base, this, base, this, ...) so
that the machine's load falls on both alike; prints the median wall and CPU seconds (the process and every
process it starts: the sandboxed worker too), the ratio to the base, and the ratio to the floor: a Python
that only imports pytest, run in the same round as each pair. CPU time is steadier than wall time on a shared machine.

The CPU is counted with `perf stat` (Debian: apt-get install linux-perf) when it runs here: getrusage cannot
see a bubblewrap worker, whose sandbox (a PID namespace) is never waited for by the process we wait for.
Without perf the figures leave the worker out, and the script says so.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent
CASES = {
    "solutions": ["grade", "solutions"],
    "stubs": ["grade", "exercises"],
    "buggy (--sample demo)": ["grade", "--sample", "demo"],
}


def perf_works() -> bool:
    try:
        return "task-clock" in subprocess.run(PERF + ["true"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.SubprocessError):
        return False


PERF = ["perf", "stat", "-x", ",", "-e", "task-clock"]  # counts every descendant, in any namespace


def measure(cmd: list[str], cwd: Path, perf: bool) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    run = subprocess.run(
        (PERF if perf else []) + cmd,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(cwd)},
        check=True,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    if perf:  # "<msec>,msec,task-clock,...": perf's own start-up is not in it
        return wall, float(next(li for li in run.stderr.splitlines() if ",task-clock," in li).split(",")[0]) / 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="HEAD~1", help="the commit to compare with (default HEAD~1)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mygrad-bench-base-") as tmp:
        archive = subprocess.run(["git", "archive", args.base], cwd=KIT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        for tree in (Path(tmp), KIT):  # byte-compiled alike, as .ci/setup does: code is compared, not .pyc files
            subprocess.run(
                [sys.executable, "-m", "compileall", "-q", "autograder", "mygrad_ref"],
                cwd=tree,
                check=True,
                capture_output=True,
            )
        trees = {"base": Path(tmp), "this": KIT}
        perf = perf_works()
        print(
            "CPU: perf stat (the command and all it starts, the sandboxed worker included)"
            if perf
            else "CPU: getrusage, WITHOUT a bubblewrap worker's CPU (install perf to count it)"
        )
        floor_cmd = [sys.executable, "-c", "import pytest"]
        print(f"{'case':<24}{'version':<8}{'wall s':>8}{'cpu s':>8}{'cpu/base':>10}{'cpu/floor':>11}")
        for case, cli in CASES.items():
            runs: dict[str, list[tuple[float, float]]] = {"base": [], "this": [], "floor": []}
            for _ in range(args.runs):  # the floor too in every round: the machine's speed moves within minutes
                for version, tree in trees.items():
                    runs[version].append(measure([sys.executable, "-m", "autograder.cli", *cli, "--quiet"], tree, perf))
                runs["floor"].append(measure(floor_cmd, KIT, perf))
            base_cpu = statistics.median(c for _, c in runs["base"])
            for version in trees:
                wall = statistics.median(w for w, _ in runs[version])
                cpu = statistics.median(c for _, c in runs[version])
                to_floor = statistics.median(c / f for (_, c), (_, f) in zip(runs[version], runs["floor"]))
                print(f"{case:<24}{version:<8}{wall:8.2f}{cpu:8.2f}{cpu / base_cpu:10.2f}{to_floor:11.2f}")
            wall, cpu = (statistics.median(x) for x in zip(*runs["floor"]))
            print(f"{case:<24}{'floor':<8}{wall:8.2f}{cpu:8.2f}{'':>10}{1:11.2f}")
        print("cpu/floor: the median of each run's ratio to the floor measured in the same round")


if __name__ == "__main__":
    main()
