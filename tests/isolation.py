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
