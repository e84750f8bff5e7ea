"""A static look at a submission (parsed, never run): the kit's own code, other autograd libraries, code
that reaches into the worker, files the grader ignores. Flags and notes only: no verdict depends on names.
"""

from __future__ import annotations

import ast
import os
import re
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from .catalogue import KIT_ROOT
from .intake import real_dir
from .sandbox import MAX_DEPTH, tools_folder
from .worker.protocol import FORBIDDEN, KIT

MODULE_PATH = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")  # 'torch.nn', not 'torch. See ...'
# ... nor a file name: open("solutions.json") reads a file of the student's, it imports nothing
FILE_SUFFIXES = frozenset(
    "json txt csv tsv log md rst py pyc ipynb png jpg jpeg gif svg pdf html htm yaml yml toml cfg ini pkl "
    "pickle npy npz dat zip gz tar out err db sqlite xml bin pt pth".split()
)
MAX_SCANNED_BYTES, MAX_SCANNED_ENTRIES = 256 << 10, 5000  # bounds on the grader's own work (and MAX_DEPTH)
SCAN_SECONDS = 10
# Names that only code reaching into the grader's worker needs (frames, the heap, its __main__): worth a look
REACHING = ("_getframe", "f_back", "f_globals", "f_locals", "get_objects", "get_referrers", "__main__", "/grader")
IGNORED = ("conftest.py", "pytest.ini", "sitecustomize.py", "usercustomize.py", "setup.cfg", "tox.ini")


def entries(folder: Path):
    """Every file and folder below folder, without following links or entering folders of tools (.git, a
    virtual environment: sandbox.tools_folder), at most MAX_DEPTH deep and MAX_SCANNED_ENTRIES in all (the
    grader's own work stays bounded)."""
    stack, seen = [(folder, 0)], 0
    while stack:
        top, depth = stack.pop()
        try:
            names = sorted(os.listdir(top))
        except OSError:
            continue
        for name in names:
            seen += 1
            if seen > MAX_SCANNED_ENTRIES:
                return
            path = top / name
            yield path
            if depth < MAX_DEPTH and real_dir(path) and not tools_folder(path):
                stack.append((path, depth + 1))


def module_path(text: str) -> bool:
    return bool(MODULE_PATH.fullmatch(text)) and text.rpartition(".")[2].lower() not in FILE_SUFFIXES


def code_names(path: Path) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(line, module) for each absolute import and each string that reads like a module path; and
    (line, name) for each use of a name in REACHING (not counting `if __name__ == "__main__":`)."""
    try:
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_SCANNED_BYTES:
            return [], []  # a link, a FIFO or a device is never read (it could point anywhere, or block)
        tree = ast.parse(path.read_bytes(), filename=str(path))
        nodes = list(ast.walk(tree))
    except (SyntaxError, ValueError, OSError, MemoryError, RecursionError):
        return [], []  # the worker reports syntax errors, task by task; a parser bomb is the worker's too
    compared = {id(c) for node in nodes if isinstance(node, ast.Compare) for c in node.comparators}
    modules, reaching = [], []
    for node in nodes:
        if not isinstance(node, (ast.Import, ast.ImportFrom, ast.Constant, ast.Attribute)):
            continue  # nothing else names a module or one of REACHING (most nodes: skipped cheaply)
        names = (
            [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom) and not node.level
            else [node.value]
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and module_path(node.value)
            else []
        )
        modules += [(node.lineno, n) for n in names]
        text = (
            node.attr
            if isinstance(node, ast.Attribute)
            else node.value
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in compared
            else ""
        )
        reaching += [(node.lineno, r) for r in REACHING if r in text[:200]] + [
            (node.lineno, n) for n in names if n == "__main__" and not isinstance(node, ast.Constant)
        ]
    return modules, reaching


@dataclass
class Scan:
    """What a static look at the submission (parsed, never run) found."""

    flagged: list[str] = field(default_factory=list)  # no points: the kit's own code named anywhere, or a
    #                                                    copy of a forbidden package where Python imports it
    mentions: list[str] = field(default_factory=list)  # another autograd library named: it cannot be imported
    #                                                    in the sandbox, so no points depend on it
    reaching: list[str] = field(default_factory=list)  # code that reaches for frames, the heap or __main__
    ignored: list[str] = field(default_factory=list)  # conftest.py and friends: never run
    cut_short: bool = False  # the scan stopped at its time bound


def scan(folder: Path) -> Scan:
    found = Scan()
    own = (KIT_ROOT / "exercises" / "conftest.py").read_bytes()
    give_up = time.monotonic() + SCAN_SECONDS
    for path in entries(folder):
        if time.monotonic() > give_up:
            found.cut_short = True
            break
        rel = path.relative_to(folder).as_posix()
        info = path.lstat()
        same = stat.S_ISREG(info.st_mode) and info.st_size == len(own) and path.read_bytes() == own
        if (path.name in IGNORED or path.name.endswith(".pth")) and not same:
            found.ignored.append(rel)  # the self-check conftest that students receive is not worth a mention
        name = path.stem if path.suffix == ".py" else path.name
        importable = path.parent in (folder, folder / "mygrad") and (path.is_dir() or path.suffix == ".py")
        if name in FORBIDDEN and (importable or name in KIT):
            found.flagged.append(f"{rel} (a copy of {name} inside the submission)")
        if path.suffix == ".py" and path.name not in IGNORED:  # what is never run names nothing that counts
            modules, reaching = code_names(path)
            for line, module in modules:
                top = module.split(".")[0]
                if top in FORBIDDEN:
                    (found.flagged if top in KIT else found.mentions).append(f"{rel}:{line} uses {module}")
            found.reaching += [f"{rel}:{line} uses {name}" for line, name in reaching]
    return found
