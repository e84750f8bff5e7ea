"""Run one grade in a fork of a long-lived grading process, so that every grade costs the same.

A process that grades again and again (a `grade-all` or `nbgrader autograde --jobs` pool process) keeps what
each grade leaves: the reference's graphs are cycles through their closures, so they wait for the cyclic
collector, which then walks them at every later collection. Measured over 30 grades of one submission in one
process, a grade's CPU grew from 0.33 to 0.50 s; a full collection after each grade holds it but costs 0.05 s.
A forked child starts from the warm parent (imports done, nothing left over), returns its result through a
pipe and leaves with os._exit: its garbage is never collected, as in a `mygrad grade` command. Only for
single-threaded processes of our own (a pool's): forking a process with other threads is unsafe.
"""

from __future__ import annotations

import json
import os
import signal


def in_child(function, *args):
    """function(*args) run in a forked child; its result must be JSON. Returns (result, why): why is "" on
    success, else how the child ended without a result (a signal, e.g. the kernel's OOM killer). A Ctrl-C
    that reaches both ends the child's work as it would this process's; the parent waits for the child."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: whatever happens, it never returns into the parent's code
        status = 1
        try:
            os.close(read_end)
            with os.fdopen(write_end, "w", encoding="utf-8") as out:
                json.dump(function(*args), out)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    try:
        with os.fdopen(read_end, encoding="utf-8") as result:
            text = result.read()
    finally:  # on Ctrl-C too: the child stops on its own SIGINT; no grade is left running unseen
        _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return None, f"the grading process was killed by {signal.Signals(os.WTERMSIG(status)).name}"
    if os.waitstatus_to_exitcode(status) != 0 or not text:
        return None, f"the grading process failed (exit status {os.waitstatus_to_exitcode(status)})"
    return json.loads(text), ""
