"""Benchmark: wall time to grade one submission, and the sandbox's per-request overhead.

Prints medians measured side by side in one run (machines here are noisy): full grading of the model
answers and of the untouched stubs, and one trivial probe through the sandboxed worker versus the same
probe run in-process on the reference.  Usage: .venv/bin/python benchmarks/bench_grade.py [--runs N]
"""

import argparse
import statistics
import subprocess
import sys
import time

from autograder.catalogue import KIT_ROOT
from autograder.grade import grade
from autograder.reference import Reference
from autograder.student import Student


def timed(fn, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), max(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    print(f"grading, median of {args.runs} runs (min-max):")
    for name, folder in (
        ("solutions/ (100 points)", KIT_ROOT / "solutions"),
        ("exercises/ (stubs)", KIT_ROOT / "exercises"),
    ):
        med, lo, hi = timed(lambda folder=folder: grade(folder), args.runs)
        print(f"  {name:<26} {med:6.2f} s   ({lo:.2f}-{hi:.2f})")

    cli = [sys.executable, "-m", "autograder.cli", "grade", str(KIT_ROOT / "solutions"), "--quiet"]
    med, lo, hi = timed(lambda: subprocess.run(cli, check=True), args.runs)
    print(f"  {'mygrad grade solutions/ (CLI)':<26} {med:6.2f} s   ({lo:.2f}-{hi:.2f})   whole command, fresh process")

    probe = dict(data=[1.0, 2.0], grads=[0.5, -0.5], lr=0.1)
    student = Student(KIT_ROOT / "solutions")
    try:
        start = time.perf_counter()
        student.run("sgd", **probe)  # starts the worker
        startup = time.perf_counter() - start
        sandboxed, _, _ = timed(lambda: student.run("sgd", **probe), args.requests)
        mode = student.mode
    finally:
        student.close()
    reference = Reference()
    in_process, _, _ = timed(lambda: reference.run("sgd", **probe), args.requests)
    print(f"per request, median of {args.requests} (isolation: {mode}):")
    print(f"  worker start + first request {startup * 1000:8.1f} ms")
    print(f"  sandboxed round trip         {sandboxed * 1000:8.3f} ms")
    print(f"  same probe in-process        {in_process * 1000:8.3f} ms")
    print(f"  overhead ratio               {sandboxed / in_process:8.0f} x")


if __name__ == "__main__":
    main()
