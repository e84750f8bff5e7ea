"""A grade in a fork of a pool process (autograder/forked.py): the result comes back, a child that dies is
reported and never raised, and the pool process keeps nothing of the grade."""

import gc
import os
import signal

from autograder import batch
from autograder.catalogue import KIT_ROOT
from autograder.forked import in_child
from autograder.grade import warm_up


def test_the_result_comes_back_from_another_process():
    result, why = in_child(lambda a, b: {"sum": a + b, "pid": os.getpid()}, 2, 3)
    assert why == "" and result["sum"] == 5 and result["pid"] != os.getpid()


def test_a_child_that_dies_or_raises_is_reported_not_raised():
    result, why = in_child(lambda: os.kill(os.getpid(), signal.SIGKILL))
    assert result is None and why == "the grading process was killed by SIGKILL"
    result, why = in_child(lambda: 1 / 0)
    assert result is None and why == "the grading process failed (exit status 1)"


def test_a_grade_whose_process_dies_is_a_zero_that_is_graded_again(monkeypatch):
    monkeypatch.setattr(batch, "grade_entry", lambda *args: os.kill(os.getpid(), signal.SIGKILL))
    outcome = batch.grade_forked(str(KIT_ROOT / "solutions"), batch.Settings())
    results = batch.Results.from_dict(outcome["results"])
    assert outcome["graded"] is False and results.score == 0 and results.max_score == 100  # not cached
    assert results.notes == ["GRADER ERROR: the grading process was killed by SIGKILL"]


def test_the_pool_process_keeps_nothing_of_a_grade():
    warm_up()
    gc.collect()
    before = len(gc.get_objects())
    outcome = batch.grade_forked(str(KIT_ROOT / "solutions"), batch.Settings())
    assert outcome["graded"] and batch.Results.from_dict(outcome["results"]).score == 100
    del outcome
    assert len(gc.get_objects()) - before < 2_000  # graded here, the grade leaves 100,000s for the collector
