"""The kit's own proof (`mygrad verify`): fresh build, public tests pass on solutions and the reference,
every task reports 'not started' on the untouched stubs, no instructor imports in exercises/, every task has
hidden checks, the reference has every public name, every fenced body is checked by both sides."""

from autograder.verify import verify


def test_verify_passes():
    lines = []
    assert verify(say=lines.append), "\n".join(lines)
    assert lines and all(line.startswith("ok") for line in lines), "\n".join(lines)
