"""`mygrad verify`: the kit's own consistency proof, run by CI.

The build is fresh; the public tests pass on solutions/ and on the reference; every task fails on the
untouched stubs with the task named; nothing students receive imports instructor code.
"""
from __future__ import annotations

import ast
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from . import build, catalogue
from .catalogue import KIT_ROOT

FORBIDDEN = ("mygrad_ref", "solutions", "autograder")


def self_check(submission: Path, root: Path = KIT_ROOT) -> tuple[int, dict, str]:
    """Run the public tests on one submission folder; return (pytest exit code, task statuses, output)."""
    with tempfile.TemporaryDirectory() as tmp:
        summary = Path(tmp) / "summary.json"
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", str(root / "exercises"), "-q", "-p", "no:cacheprovider",
             "--submission", str(submission), "--summary-json", str(summary), "--progress", "none"],
            cwd=root, capture_output=True, text=True)
        statuses = json.loads(summary.read_text())["tasks"] if summary.exists() else {}
    return proc.returncode, statuses, proc.stdout + proc.stderr


def forbidden_imports(folder: Path) -> list[str]:
    found = []
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            found += [f"{path}: imports {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    return found


def verify(root: Path = KIT_ROOT, say=print) -> bool:
    tasks = catalogue.load(root / "solutions" / "tasks.toml")
    ok = True

    def result(good: bool, what: str, detail: str = "") -> None:
        nonlocal ok
        ok &= good
        say(f"{'ok  ' if good else 'FAIL'} {what}" + (f"\n{detail}" if detail and not good else ""))

    problems = build.build(root, check=True)
    result(not problems, "exercises/ is a fresh build of solutions/", "\n".join(problems))
    for name, folder in (("solutions/", root / "solutions"), ("the reference", root / "mygrad_ref" / "submission")):
        code, statuses, output = self_check(folder, root)
        result(code == 0 and all(s == "done" for s in statuses.values()),
               f"public tests pass on {name}", output[-3000:])
    code, statuses, output = self_check(root / "exercises", root)
    bad = {t: s for t, s in statuses.items() if s != "not started"}
    result(code != 0 and set(statuses) == set(tasks) and not bad,
           "every task reports 'not started' on the untouched stubs", f"{bad}\n{output[-3000:]}")
    leaks = forbidden_imports(root / "exercises")
    result(not leaks, "nothing in exercises/ imports mygrad_ref, solutions or autograder", "\n".join(leaks))
    return ok
