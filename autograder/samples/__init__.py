"""Sample submissions, each a few edits to solutions/ (so they never drift into copies of it).

bugs.toml: typical learner bugs with the task that must lose points and the diagnosis it must get.
hostile.toml: broken or hostile submissions, each with the outcome the grader must reach.
forgers.toml: submissions that try to earn points without an engine or to use the grader's channels.
`materialize(sample, dest)` writes one as a folder holding mygrad/.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ..catalogue import KIT_ROOT, read_toml

HERE = Path(__file__).resolve().parent


def load(kind: str) -> dict[str, dict]:
    """Samples of one kind ('bugs', 'hostile', 'forgers' or 'styles') by name."""
    rows = read_toml(HERE / f"{kind}.toml")["sample"]
    return {row["name"]: row for row in rows}


def materialize(sample: dict, dest: Path, solutions: Path = KIT_ROOT / "solutions") -> Path:
    """Copy the solutions' mygrad/ (or the stubs', for `base = "exercises"`) to dest and apply the sample's
    edits; return dest."""
    dest = Path(dest)
    base = KIT_ROOT / "exercises" if sample.get("base") == "exercises" else solutions
    shutil.copytree(base / "mygrad", dest / "mygrad", ignore=shutil.ignore_patterns("__pycache__"))
    for edit in sample.get("edit", []):
        path = dest / edit["file"]
        if "symlink" in edit:
            path.symlink_to(edit["symlink"])
        elif edit.get("delete"):
            path.unlink()
        elif "write" in edit:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(edit["write"])
        else:
            text = path.read_text()
            if text.count(edit["find"]) != 1:
                raise ValueError(
                    f"sample {sample['name']}: {edit['find']!r} occurs {text.count(edit['find'])} "
                    f"times in {edit['file']} (expected once): update the sample"
                )
            path.write_text(text.replace(edit["find"], edit["replace"]))
    return dest
