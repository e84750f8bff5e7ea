"""Files written whole or not at all: a reader, a re-run or a process beside us never sees half a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


UMASK = umask()  # read once, at import: os.umask can only be read by setting it


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file beside path, then rename it over path. The file gets the permissions an
    ordinary new file would (mkstemp's are 0600: a gradebook only its writer could read)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")  # new: no link followed
    try:
        os.fchmod(fd, 0o666 & ~UMASK)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
