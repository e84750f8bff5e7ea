"""The build that turns solutions/ into exercises/: fences, stubs, drift detection."""

import shutil
import subprocess
import sys

import pytest

from autograder import build, catalogue
from autograder.catalogue import KIT_ROOT

TASKS = catalogue.load()
SOURCE = '''def f(x):
    """Doc stays."""
    ### BEGIN SOLUTION task1
    return x + 1
    ### END SOLUTION
'''


def test_stub_keeps_signature_and_docstring_and_names_the_task():
    stub = build.strip_solutions(SOURCE, "mygrad/engine.py", TASKS)
    assert 'def f(x):\n    """Doc stays."""\n' in stub
    assert 'raise NotImplementedError("task1 not started: Backward for + and *")' in stub
    assert "return x + 1" not in stub
    namespace = {}
    exec(stub, namespace)
    with pytest.raises(NotImplementedError, match="task1 not started"):
        namespace["f"](1)


@pytest.mark.parametrize(
    "source, message",
    [
        ("### BEGIN SOLUTION task1\nx = 1\n", "never closed"),
        ("### BEGIN SOLUTION task1\n### BEGIN SOLUTION task1\n### END SOLUTION\n", "inside the fence"),
        ("### END SOLUTION\n", "without a BEGIN"),
        ("### BEGIN SOLUTION task9\n### END SOLUTION\n", "not in the catalogue"),
        ("### BEGIN SOLUTION\n### END SOLUTION\n", "not in the catalogue"),
        ("### BEGIN SOLUTION task4\n### END SOLUTION\n", "catalogue lists its files"),
        ("x = 1  # BEGIN SOLUTION task1\n", "malformed fence"),
    ],
)
def test_bad_fences_are_errors(source, message):
    with pytest.raises(build.FenceError, match=message):
        build.strip_solutions(source, "mygrad/engine.py", TASKS)


def test_committed_exercises_are_a_fresh_build():
    assert build.build(KIT_ROOT, check=True) == []


@pytest.fixture
def kit_copy(tmp_path):
    for name in ("solutions", "exercises", "mygrad_ref", "docs"):
        shutil.copytree(KIT_ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_hand_edited_exercise_fails_the_check_until_rebuilt(kit_copy):
    engine = kit_copy / "exercises" / "mygrad" / "engine.py"
    engine.write_text(engine.read_text().replace("raise NotImplementedError", "pass  # raise NotImplementedError", 1))
    (kit_copy / "exercises" / "mygrad" / "extra.py").write_text("x = 1\n")
    problems = build.build(kit_copy, check=True)
    assert any("exercises/mygrad/engine.py: differs" in p for p in problems)
    assert any("exercises/mygrad/extra.py: not produced" in p for p in problems)
    build.build(kit_copy)
    assert build.build(kit_copy, check=True) == []


def test_cli_build_check_exit_status(kit_copy):
    ok = subprocess.run([sys.executable, "-m", "autograder.cli", "build", "--check"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
