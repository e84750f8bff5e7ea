"""What a test may look at while other grades run on the same machine: only its own processes and folders."""

import os
import tempfile
from pathlib import Path


def processes_with(marker: str) -> list[str]:
    """The processes whose command line names marker (a folder of this test's own), this one aside."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline and proc.name != str(os.getpid()):
            found.append(f"{proc.name}: {cmdline[:200]}")
    return found


def reachable_folder() -> Path:
    """A folder of this test's own that the sandbox's uid can enter (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="mygrad-test-", dir="/tmp"))
    folder.chmod(0o755)
    return folder


def check_outcome(name: str, sample: dict, results) -> None:
    """A hostile or forging sample's expectations: `zero` tasks earn nothing, `full` tasks keep every point,
    rows named in `lose` fail, every code in `codes` appears among the tags, and no check is a grader error."""
    totals = results.task_scores()
    report = "\n".join(f"{t.name} [{t.status}] {t.tags}: {t.output[:300]}" for t in results.tests)
    for task in sample.get("zero", []):
        assert totals[task][0] == 0, f"{name}: {task} earned points\n{report}"
    for task in sample.get("full", []):
        assert totals[task][0] == totals[task][1], f"{name}: {task} lost points\n{report}"
    for title in sample.get("lose", []):
        rows = [t for t in results.tests if title in t.name]
        assert rows and all(t.status == "failed" for t in rows), f"{name}: {title} passed\n{report}"
    tags = {code for t in results.tests for code in t.tags}
    assert "grader-error" not in tags, f"{name}: a check could not complete (the grader's fault)\n{report}"
    for code in sample.get("codes", []):
        assert code in tags, f"{name}: expected {code} among {tags}\n{report}"
