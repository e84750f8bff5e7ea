"""A grade on one CPU core: the grading process and its sandboxed worker take turns (a request, then its
answer), and when the two sit on different cores every turn is a wake-up from one core to the other.

Measured on 2 cores, 3,000 small requests: 0.142 ms of CPU a request across both processes when they may
run anywhere, 0.096 ms on one core; the wall time a request took halved. A grade makes about 300.
"""

from __future__ import annotations

import contextlib
import os


def current_cpu() -> int | None:
    """The core this thread runs on now (field 39 of /proc/thread-self/stat), or None where unknown."""
    try:
        with open("/proc/thread-self/stat", "rb") as stat:
            return int(stat.read().rsplit(b")", 1)[1].split()[36])
    except (OSError, ValueError, IndexError):
        return None


def pin(cpu: int | None) -> set[int] | None:
    """Keep this thread (and every process it starts from now on) on one core; returns the cores it was allowed
    before, or None when it stays as it was: one core only already, an unknown core, or no permission."""
    try:
        allowed = os.sched_getaffinity(0)
        if len(allowed) < 2 or cpu not in allowed:
            return None
        os.sched_setaffinity(0, {cpu})
        return allowed
    except (AttributeError, OSError):  # not Linux, or a container that forbids it: run as before
        return None


@contextlib.contextmanager
def one_cpu():
    """Run the body (a grade: this process and the worker it starts) on the core this thread is on now (the
    scheduler's own choice); then allow what was allowed before."""
    allowed = pin(current_cpu())
    try:
        yield
    finally:
        if allowed:
            with contextlib.suppress(OSError):
                os.sched_setaffinity(0, allowed)


def take_a_core(counter) -> None:
    """For the k-th process of a pool (counter: a shared multiprocessing Value, 0 at first): stay on core k
    (modulo the cores allowed), so that two pool processes never take turns on one core while another idles.
    one_cpu() then leaves each grade where it is."""
    with counter.get_lock():
        slot = counter.value
        counter.value += 1
    with contextlib.suppress(AttributeError, OSError):
        cores = sorted(os.sched_getaffinity(0))
        pin(cores[slot % len(cores)])
