"""The self-check and the grader say the same thing: on every bug and style sample, a task the self-check
calls done gets full marks from the grader, and a task with full marks is done, unless the self-check says
it is blocked (an earlier task it builds on fails: fix that first)."""

import pytest

from autograder import samples
from autograder.grade import grade
from autograder.verify import self_check

SAMPLES = {
    **{f"bug:{k}": v for k, v in samples.load("bugs").items()},
    **{f"style:{k}": v for k, v in samples.load("styles").items()},
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_self_check_and_grader_agree_task_by_task(name, tmp_path):
    folder = samples.materialize(SAMPLES[name], tmp_path / "submission")
    _, statuses, output = self_check(folder)
    scores = grade(folder).task_scores()
    disagree = {
        task: (statuses.get(task), f"{score:g}/{most:g}")
        for task, (score, most) in scores.items()
        if (statuses.get(task) == "done") != (score == most) and statuses.get(task) != "blocked"
    }
    assert not disagree, f"{name}: self-check vs grader {disagree}\n{output[-2500:]}"
