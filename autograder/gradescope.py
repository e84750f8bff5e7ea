"""`mygrad gradescope OUT.zip`: the autograder bundle to upload to a Gradescope programming assignment.

Gradescope unpacks the bundle into /autograder/source, runs setup.sh once while it builds its image, then
runs run_autograder for each submission (the student's upload in /autograder/submission) and reads
/autograder/results/results.json. The bundle is the kit's own source (the grader, the reference engine,
the solutions that define the tasks) without anything only a developer or a student needs.
"""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

from .catalogue import KIT_ROOT

VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")  # Gradescope's four settings
SHIPPED = (
    "pyproject.toml",
    "README.md",
    "autograder",
    "mygrad_ref",
    "solutions",
    "exercises/conftest.py",
)  # the grader compares uploads with the self-check conftest students get
JUNK_DIRS = {
    "__pycache__",
    ".git",
    ".venv",
    "venv",
    ".pytest_cache",
    ".hypothesis",
    "build",
    "dist",
    ".ipynb_checkpoints",
    ".mygrad-cache",
}
JUNK_SUFFIXES = (".pyc", ".pyo", ".egg-info", ".ipynb", ".zip")

SETUP = r"""#!/usr/bin/env bash
# Gradescope runs this once while it builds the autograder image (Ubuntu, as root).
# Written by `mygrad gradescope`; the kit's source is this folder (/autograder/source).
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
if [ -z "${MYGRAD_SKIP_APT:-}" ]; then   # the kit's tests set it: they cannot apt-get
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # bubblewrap sandboxes student code (where the container allows namespaces; else rlimit isolation)
  apt-get install -y -qq python3 python3-venv python3-pip bubblewrap graphviz
fi
python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install -q --disable-pip-version-check -e "$ROOT/source"
"$ROOT/venv/bin/python" -c "import autograder.grade"   # fail the image build now, not at the first student
echo "mygrad autograder installed from $ROOT/source"
"""

RUN = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission. It always leaves a results.json, whatever happens.
# Written by `mygrad gradescope --visibility __VISIBILITY__`.
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PYTHON="${MYGRAD_PYTHON:-$ROOT/venv/bin/python}"
RESULTS="$ROOT/results/results.json"
VISIBILITY="__VISIBILITY__"
mkdir -p "$ROOT/results"
rm -f "$RESULTS"
cd "$ROOT/source" && "$PYTHON" -m autograder.cli grade "$ROOT/submission" --json "$RESULTS" \
    --visibility "$VISIBILITY"
status=$?
if [ ! -s "$RESULTS" ]; then   # the grader itself failed: a report saying so (details in the stdout log)
  echo "run_autograder: the grader exited with status $status and wrote no results" >&2
  cat > "$RESULTS" <<EOF
{"score": 0.0, "output": "The autograder could not grade this submission (grader exit status $status). This is not a verdict on your code: tell your instructor, who can see the details.", "visibility": "$VISIBILITY", "stdout_visibility": "hidden", "tests": []}
EOF
fi
exit 0
"""


def shipped_files(root: Path = KIT_ROOT) -> list[Path]:
    """The kit's files that grading needs, relative to root, sorted (so two builds are byte-identical)."""
    files = []
    for name in SHIPPED:
        top = root / name
        if not top.exists():
            raise FileNotFoundError(f"{top} is missing: build the bundle from a copy of the kit's repository")
        for path in [top] if top.is_file() else sorted(top.rglob("*")):
            rel = path.relative_to(root)
            if (
                path.is_file()
                and not path.is_symlink()
                and not set(rel.parts) & JUNK_DIRS
                and not any(part.endswith(JUNK_SUFFIXES) for part in rel.parts)
            ):
                files.append(rel)
    return sorted(files)


def add(z: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))  # fixed: the same kit gives the same zip
    info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(info, data)


def build_bundle(out: Path, visibility: str = "visible", root: Path = KIT_ROOT) -> list[Path]:
    """Write the bundle to out; return the kit files it holds."""
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}, not {visibility!r}")
    files = shipped_files(root)
    out = Path(out)
    part = out.with_name(out.name + ".part")  # an interrupted build leaves no half bundle under the name
    with zipfile.ZipFile(part, "w") as z:
        add(z, "setup.sh", SETUP.encode(), executable=True)
        add(z, "run_autograder", RUN.replace("__VISIBILITY__", visibility).encode(), executable=True)
        for rel in files:
            add(z, rel.as_posix(), (root / rel).read_bytes())
    part.replace(out)
    return files
