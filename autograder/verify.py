"""`mygrad verify`: the kit's own consistency proof, run by CI.

The build is fresh; the public tests pass on solutions/ and on the reference; every task fails on the
untouched stubs with the task named; nothing students receive imports instructor code; every task has hidden
checks, which need no earlier task it does not list as a prerequisite; the reference has every public name the
solutions have; and every fenced solution body is checked twice: put back as its stub alone, both the
self-check and the grader must see its task unfinished.
"""

from __future__ import annotations

import ast
import json
import shutil
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
            [
                sys.executable,
                "-m",
                "pytest",
                str(root / "exercises"),
                "-q",
                "-p",
                "no:cacheprovider",
                "--submission",
                str(submission),
                "--summary-json",
                str(summary),
                "--progress",
                "none",
            ],
            cwd=root,
            capture_output=True,
            text=True,
        )
        statuses = json.loads(summary.read_text())["tasks"] if summary.exists() else {}
    return proc.returncode, statuses, proc.stdout + proc.stderr


def forbidden_imports(folder: Path) -> list[str]:
    found = []
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            found += [f"{path}: imports {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    return found


def fences(root: Path):
    """(file, number, task, the def it sits in) for every fenced solution body in solutions/mygrad/."""
    for path in sorted((root / "solutions" / "mygrad").glob("*.py")):
        text = path.read_text()
        begins = [(i, m["task"]) for i, line in enumerate(text.splitlines()) if (m := build.BEGIN.match(line))]
        for number, (at, task) in enumerate(begins):
            yield f"mygrad/{path.name}", number, task, build.todo_for(text, at + 1)


def unchecked_fences(root: Path = KIT_ROOT, select=lambda rel, task, owner: True) -> list[str]:
    """Fenced bodies whose removal (that one body put back as a stub, every other one solved) the public
    self-check or the hidden grade does not notice: a solution nobody would be graded on."""
    from .grade import grade

    tasks = catalogue.load(root / "solutions" / "tasks.toml")
    found = []
    for rel, number, task, owner in fences(root):
        if not select(rel, task, owner):
            continue
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copytree(
                root / "solutions" / "mygrad", Path(tmp) / "mygrad", ignore=shutil.ignore_patterns("__pycache__")
            )
            path = Path(tmp) / rel
            path.write_text(build.strip_solutions(path.read_text(), rel, tasks, only=number))
            score, most = grade(Path(tmp), tasks={task}).task_scores().get(task, (0.0, 0.0))
            _, statuses, _ = self_check(Path(tmp), root)
        where = f"{rel}, fence {number + 1} ({task}, in {owner})"
        if most == 0 or score >= most:
            found.append(f"{where}: the hidden suite gives full marks without it (add a hidden check)")
        if statuses.get(task) == "done":
            found.append(f"{where}: the self-check calls {task} done without it (add a public check)")
    return found


def missing_in_reference(root: Path = KIT_ROOT) -> list[str]:
    """Public names (functions, classes, methods) of solutions/mygrad that mygrad_ref lacks."""

    def names(folder: Path) -> set[str]:
        found = set()
        for path in folder.glob("*.py"):
            for node in ast.parse(path.read_text()).body:
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
                    found.add(node.name)
                if isinstance(node, ast.ClassDef):  # methods, and names bound in the class (`__radd__ = __add__`)
                    members = [f.name for f in node.body if isinstance(f, ast.FunctionDef)] + [
                        t.id
                        for a in node.body
                        if isinstance(a, ast.Assign)
                        for t in a.targets
                        if isinstance(t, ast.Name)
                    ]
                    found |= {
                        f"{node.name}.{m}"
                        for m in members
                        if not m.startswith("_") or m.startswith("__") and m != "__repr__"
                    }
        return found

    return sorted(names(root / "solutions" / "mygrad") - names(root / "mygrad_ref"))


def hidden_needs(root: Path = KIT_ROOT) -> dict[str, set[str]]:
    """For each task, the earlier tasks its hidden checks need (`@group(task, ..., needs=(...))`), read
    from the suites' source."""
    found: dict[str, set[str]] = {}
    for path in sorted((root / "autograder" / "hidden").glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "group" and node.args:
                needs = next((k.value for k in node.keywords if k.arg == "needs"), None)
                task = ast.literal_eval(node.args[0])
                found.setdefault(task, set()).update(ast.literal_eval(needs) if needs is not None else ())
    return found


def prerequisites_missing(root: Path = KIT_ROOT) -> list[str]:
    """Tasks whose hidden checks need an earlier task that the catalogue does not list as a prerequisite:
    the grader charges such a task while that one fails, so the self-check must call it blocked then, never
    done (it may list more: a public check may use a given part of an earlier task's file)."""
    needs = hidden_needs(root)
    return [
        f"{t.id}: hidden checks need {sorted(needs[t.id] - set(t.prerequisites))}, not in its prerequisites"
        for t in catalogue.load(root / "solutions" / "tasks.toml").values()
        if needs.get(t.id, set()) - set(t.prerequisites)
    ]


def verify(root: Path = KIT_ROOT, say=print, only: set[str] | None = None) -> bool:
    """Every check below; `only` (task ids) limits the slow fence-by-fence check to those tasks' bodies."""
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
        result(
            code == 0 and all(s == "done" for s in statuses.values()), f"public tests pass on {name}", output[-3000:]
        )
    code, statuses, output = self_check(root / "exercises", root)
    bad = {t: s for t, s in statuses.items() if s != "not started"}
    result(
        code != 0 and set(statuses) == set(tasks) and not bad,
        "every task reports 'not started' on the untouched stubs",
        f"{bad}\n{output[-3000:]}",
    )
    leaks = forbidden_imports(root / "exercises")
    result(not leaks, "nothing in exercises/ imports mygrad_ref, solutions or autograder", "\n".join(leaks))
    from .grade import grade

    hidden = grade(root / "exercises").task_scores()
    without = [t for t in tasks if hidden.get(t, (0, 0))[1] == 0]
    result(not without, "every task has hidden checks worth points", f"no hidden checks: {without}")
    unlisted = prerequisites_missing(root)
    result(not unlisted, "every earlier task a hidden check needs is a prerequisite", "\n".join(unlisted))
    missing = missing_in_reference(root)
    result(not missing, "mygrad_ref has every public name of solutions/mygrad", f"missing: {missing}")
    unknown = sorted((only or set()) - set(tasks))
    result(not unknown, "the tasks asked for are in the catalogue", f"unknown: {unknown}")
    unchecked = unchecked_fences(root, select=lambda rel, task, owner: only is None or task in only)
    which = f" ({', '.join(sorted(only))} only)" if only else ""
    result(
        not unchecked,
        f"every fenced solution body{which} is checked by the self-check and the grader",
        "\n".join(unchecked),
    )
    return ok
