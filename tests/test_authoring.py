"""CONTRIBUTING's recipe "add an operation", followed on a copy of the kit: until the operation has a public
check, a hidden check and a reference, `mygrad verify` says which is missing; then it is satisfied."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from autograder.catalogue import KIT_ROOT

SIGMOID = '''
    def sigmoid(self):
        out = Value(1 / (1 + math.exp(-self.data)), (self,), 'sigmoid')

        def _backward():
            """Pass out.grad back to self for out = sigmoid(self)."""
            ### BEGIN SOLUTION task3
            self.grad += out.data * (1 - out.data) * out.grad
            ### END SOLUTION
        out._backward = _backward
        return out
'''
REFERENCE = '''
    def sigmoid(self):
        s = 1.0 / (1.0 + math.exp(-self.data))
        return self._result(s, (self,), 'sigmoid', lambda: (s * (1.0 - s),))
'''
PUBLIC = '''

def test_sigmoid_matches_central_differences():
    f = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    a = Value(0.4)
    out = a.sigmoid()
    out.grad = 1.0
    out._backward()
    assert math.isclose(a.grad, (f(0.4 + 1e-6) - f(0.4 - 1e-6)) / 2e-6, rel_tol=1e-5), a.grad
'''
HIDDEN = '''

@group("task3", "sigmoid backward, called directly", weight=1)
def test_sigmoid(student, reference, rng):
    for x, g, p in ((0.4, 1.0, 0.0), (-1.2, 2.0, 0.5)):
        check_closure(student, reference, "sigmoid", x, preset=(p,), out_grad=g)
'''
REPORT = """
import json
from autograder.verify import missing_in_reference, unchecked_fences
print(json.dumps({"unchecked": unchecked_fences(select=lambda rel, task, owner: "sigmoid" in owner),
                  "missing": missing_in_reference()}))
"""


def insert_after(path, anchor, text):
    source = path.read_text()
    at = source.index(anchor) + len(anchor)
    path.write_text(source[:at] + text + source[at:])


def verify_report(kit):
    env = {**os.environ, "PYTHONPATH": str(kit)}
    subprocess.run([sys.executable, "-m", "autograder.cli", "build"], cwd=kit, env=env, check=True, capture_output=True)
    out = subprocess.run(
        [sys.executable, "-c", REPORT], cwd=kit, env=env, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.slow
def test_adding_an_operation_is_not_done_until_it_is_checked_twice_and_in_the_reference(tmp_path):
    kit = tmp_path / "kit"
    shutil.copytree(
        KIT_ROOT,
        kit,
        ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.egg-info", ".hypothesis", ".pytest_cache"),
    )
    insert_after(kit / "solutions/mygrad/engine.py", "        out._backward = _backward\n        return out\n", SIGMOID)
    report = verify_report(kit)
    assert any("hidden suite gives full marks" in line for line in report["unchecked"]), report
    assert any("self-check calls task3 done" in line for line in report["unchecked"]), report
    assert "Value.sigmoid" in report["missing"], report

    insert_after(kit / "mygrad_ref/engine.py", "lambda: (e,))\n", REFERENCE)
    (kit / "solutions/tests/test_task3_primitives.py").write_text(
        (kit / "solutions/tests/test_task3_primitives.py").read_text() + PUBLIC
    )
    (kit / "autograder/hidden/test_task3_primitives.py").write_text(
        (kit / "autograder/hidden/test_task3_primitives.py").read_text() + HIDDEN
    )
    assert verify_report(kit) == {"unchecked": [], "missing": []}
