"""Run the worker (untrusted student code) in a separate, limited process, and keep its life bounded.

Preferred isolation is bubblewrap: own pid and network namespaces, uid 65534, a read-only system, and
only a private copy of the worker's files and the submission visible; killing bwrap ends every process
inside. Without it, the fallback is resource limits, a new session and (as root, always) a uid of the
worker's own, killed whole at the end. `Worker.mode` records which ran.
Whatever the mode, the process gets resource limits, a deadline per request, capped output, and a fixed
address-space layout so that set iteration order in student code is the same on every run.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import random
import re
import resource
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from . import scratch

NOBODY = 65534  # the uid inside bubblewrap's namespace
SANDBOX_UIDS = (1_500_000, 10_000)  # as root: a uid per worker, claimed while it lives (first, how many)
ADDR_NO_RANDOMIZE = 0x0040000
ENV = {"PYTHONHASHSEED": "0", "LANG": "C.UTF-8", "PATH": "/usr/bin:/bin", "HOME": "/tmp"}
# No -I: it implies -E, which would ignore PYTHONHASHSEED (string sets would iterate differently on each
# run). The environment is ours alone either way; -S -s keep every site-packages out.
PYTHON_FLAGS = ["-S", "-s", "-B"]
MAX_COPIED_FILE, MAX_COPIED_TOTAL, MAX_COPIED_FILES, MAX_DEPTH = 8 << 20, 64 << 20, 2000, 32
NOT_THE_STUDENTS = {"__MACOSX", "__pycache__", "site-packages", "node_modules"}  # never the student's code
READY = b'{"ready":true}'  # the worker's line once it has imported the submission (or one module of it)
STARTED = b'{"started":true}'  # its first line, before any code of the submission runs: the sandbox is up
# The worker's line before it imports a module of the submission on first use: {"importing":"nn"}
IMPORTING = re.compile(rb'\{"importing":"([A-Za-z_]\w{0,39})"\}')
CPU_LOOK = 0.05  # seconds between looks at the CPU time of a worker whose request runs long (a look: ~0.1 ms)
TMPFS_BYTES = 64 << 20  # each of bubblewrap's /tmp and /dev/shm
WORKER_TMPFS = "16m"  # each world-writable folder of an rlimit worker with its own mount namespace
PR_SET_NO_NEW_PRIVS = 38
UID_LOCKS = Path("/run/mygrad-sandbox-uids")  # root-only: which sandbox uids are taken right now
# Where an rlimit worker could leave files: with a mount namespace, each is a tmpfs of its own; else walked after it
WORLD_WRITABLE = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")


class SandboxError(Exception):
    """Student code cannot be run safely here: grading must not go ahead."""


@dataclass(frozen=True)
class Limits:
    request_timeout: float = 5.0  # default wall seconds per request
    cpu_share: float = 0.4  # once imported, a request also ends after this share of its deadline in CPU time
    memory_bytes: int = 1 << 30  # RLIMIT_AS
    cpu_seconds: int = 60  # RLIMIT_CPU per worker process
    file_bytes: int = 1 << 20  # RLIMIT_FSIZE
    open_files: int = 64  # RLIMIT_NOFILE
    processes: int = 64  # RLIMIT_NPROC (counts per uid: as root each worker has its own)
    output_bytes: int = 64 * 1024  # stderr kept (the rest is read and dropped)
    response_bytes: int = 4 << 20  # longest answer line
    questions: int = 20_000  # questions one request may ask the grader


@dataclass
class Outcome:
    kind: Literal["ok", "timeout", "crashed", "exited", "out-of-memory", "bad-response", "start-failed"]
    response: dict | None
    detail: str
    output: str
    seconds: float


def interpreter() -> str:
    """The base interpreter (not a venv's), run with -S -s so that no site-packages are importable."""
    return os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)


def reachable(path: str) -> bool:
    """Whether any uid may run this file (every folder above it searchable by others)."""
    p = Path(path)
    return all(q.stat().st_mode & 0o001 for q in [p, *p.parents])


def known_version(python: str) -> tuple[int, ...]:
    """The version of an interpreter, when known without running it: ours, or one named pythonX.Y (Debian's
    /usr/bin/python3 links to python3.11); () otherwise."""
    path = os.path.realpath(python)
    if path == interpreter():
        return tuple(sys.version_info[:2])
    named = re.fullmatch(r"python(\d+)\.(\d+)", os.path.basename(path))
    return (int(named[1]), int(named[2])) if named else ()


@cache
def unprivileged_interpreter() -> str | None:
    """An interpreter another uid can run: ours, or else the system's python3 (e.g. ours under a 0700 /root)."""
    for candidate in (interpreter(), "/usr/bin/python3"):
        if os.path.exists(candidate) and reachable(os.path.realpath(candidate)):
            if known_version(candidate) >= (3, 10):  # no need to start it: a grade is short, a start is not
                return os.path.realpath(candidate)
            version = subprocess.run(
                [candidate, "-S", "-c", "import sys; print(sys.version_info >= (3, 10))"],
                capture_output=True,
                text=True,
            )
            if version.stdout.strip() == "True":
                return os.path.realpath(candidate)
    return None


def system_binds(python: str) -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    prefix = str(Path(python).resolve().parent.parent)  # .../bin/python3 -> its installation
    if not prefix.startswith("/usr/") and prefix != "/usr":
        args += ["--ro-bind", prefix, prefix]
    if os.path.exists("/etc/ld.so.cache"):
        args += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    return args


def bwrap_command(entry_dir: Path, entry: str, submission: Path, python: str) -> list[str]:
    env = [a for k, v in ENV.items() for a in ("--setenv", k, v)]
    return [
        "bwrap",
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        *system_binds(python),
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--size",
        str(TMPFS_BYTES),
        "--tmpfs",
        "/dev/shm",
        "--remount-ro",
        "/dev",
        "--size",
        str(TMPFS_BYTES),
        "--tmpfs",
        "/tmp",  # memory, not RLIMIT_AS
        "--ro-bind",
        str(entry_dir),
        "/grader",
        "--ro-bind",
        str(submission),
        "/submission",
        "--chdir",
        "/submission",
        "--clearenv",
        *env,
        "--uid",
        str(NOBODY),
        "--gid",
        str(NOBODY),
        python,
        *PYTHON_FLAGS,
        f"/grader/{entry}",
        "/submission",
    ]


def claim_uid() -> tuple[int, int]:
    """(uid, lock fd): a uid no other worker on this machine holds (so a process limit and a kill-by-uid
    stay one worker's), claimed with a lock that dies with the fd. Outside every system uid range."""
    locks = UID_LOCKS if os.access(UID_LOCKS.parent, os.W_OK) else Path(tempfile.gettempdir(), UID_LOCKS.name)
    locks.mkdir(mode=0o700, exist_ok=True)
    # Not the lowest free uid: the last worker's zombies (which a container's init may never reap) would
    # still count against the next one's process limit.
    start = random.SystemRandom().randrange(SANDBOX_UIDS[1])
    for step in range(SANDBOX_UIDS[1]):
        uid = SANDBOX_UIDS[0] + (start + step) % SANDBOX_UIDS[1]
        fd = os.open(locks / str(uid), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return uid, fd
        except OSError:
            os.close(fd)
    raise SandboxError("every sandbox uid is taken")


def try_bwrap(python: str, uid: int | None) -> str:
    """'' when bwrap runs a script here this way (as uid, or as ourselves), else why not."""
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        Path(tmp, "probe.py").write_text("print('ok')\n")
        Path(tmp, "probe.py").chmod(0o644)
        try:
            run = subprocess.run(
                bwrap_command(Path(tmp), "probe.py", Path(tmp), python),
                capture_output=True,
                text=True,
                timeout=10,
                preexec_fn=limiter(Limits(), uid),
            )
        except (OSError, subprocess.TimeoutExpired) as err:
            return f"bwrap failed: {err}"
        return "" if run.stdout.strip() == "ok" else f"bwrap failed: {run.stderr.strip()[:200]}"


USERNS_SWITCHES = (
    "/proc/sys/kernel/unprivileged_userns_clone",
    "/proc/sys/user/max_user_namespaces",
    "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
)


def probe_facts() -> str:
    """What the probe's answer depends on, read without running anything: who we are, the kernel and its
    user-namespace switches, and the bwrap and Python binaries (path, size, time)."""
    facts = [str(os.geteuid()), os.uname().release]
    for path in (shutil.which("bwrap"), interpreter(), "/usr/bin/python3"):
        try:
            info = os.stat(path)
            facts.append(f"{path}:{info.st_size}:{info.st_mtime_ns}")
        except (OSError, TypeError):
            facts.append(f"{path}:-")
    for switch in USERNS_SWITCHES:
        try:
            facts.append(Path(switch).read_text().strip())
        except OSError:
            facts.append("-")
    return "|".join(facts)


def probe_record() -> Path:
    """Where the probe's answer is kept between runs (a fresh `mygrad grade` would probe again: ~18 ms of
    CPU, an eighth of Python and pytest's start): this user's cache folder (a relative XDG_CACHE_HOME is
    ignored, as the XDG rules say)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    return Path(base if os.path.isabs(base) else Path.home() / ".cache") / "mygrad" / "sandbox-probe.json"


def ours_alone(info: os.stat_result) -> bool:
    return info.st_uid == os.geteuid() and not info.st_mode & 0o022


def recorded_probe(facts: str) -> bool | None:
    """The recorded answer (how bubblewrap runs), if it was recorded for these facts by this user, in a folder
    and a file (not a link) that nobody else could write; None otherwise."""
    try:
        path = probe_record()
        if not ours_alone(path.parent.stat()):
            return None
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd) as file:
            if not ours_alone(os.fstat(file.fileno())):
                return None
            saved = json.loads(file.read(4096))
        if saved.get("facts") == facts and saved.get("user") in (True, False):
            return saved["user"]
    except (OSError, ValueError, AttributeError):
        pass
    return None


def record_probe(facts: str, user: bool) -> None:
    """Keep a probe's answer that bubblewrap runs (a failure is never kept: it may have been a slow moment)."""
    try:
        path = probe_record()
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not ours_alone(path.parent.stat()):
            return
        fd, partial = tempfile.mkstemp(dir=path.parent, prefix=".sandbox-probe-")  # a new file: no link followed
        try:
            with os.fdopen(fd, "w") as file:
                json.dump({"facts": facts, "user": user}, file)
            os.replace(partial, path)  # whole or not at all, whatever runs beside us
        except OSError:
            os.unlink(partial)
    except OSError:
        pass  # a read-only home: probe again next time


def forget_probe() -> None:
    """The sandbox failed to start as recorded (the machine changed): the next run probes again."""
    bubblewrap_user.cache_clear()
    with contextlib.suppress(OSError):
        probe_record().unlink()


@cache
def bubblewrap_user() -> bool | None:
    """How bubblewrap runs here (probed once, and recorded for later runs on the same facts): True when, as
    root, it starts under a uid of the worker's own (inside, the worker is uid 65534 either way; only then
    does the kernel count its processes against the process limit), False as ourselves, None when it does
    not run at all (with a warning saying why)."""
    facts = probe_facts()
    user = recorded_probe(facts)
    if user is None:
        user, reason = probe_bubblewrap()
        if user is None:
            warnings.warn(f"student code runs with resource limits only: {reason}", RuntimeWarning, stacklevel=2)
            return None
        record_probe(facts, user)
    return user


def probe_bubblewrap() -> tuple[bool | None, str]:
    if not shutil.which("bwrap"):
        return None, "bwrap is not installed (Debian: apt-get install bubblewrap)"
    python = unprivileged_interpreter() if os.geteuid() == 0 else None
    if python:
        uid, lock = claim_uid()
        try:
            if not try_bwrap(python, uid):
                return True, ""
        finally:
            os.close(lock)
    reason = try_bwrap(interpreter(), None)
    return (False, "") if not reason else (None, reason)


def isolation_mode() -> str:
    """'bubblewrap' when it actually runs here, else 'rlimit'."""
    return "rlimit" if bubblewrap_user() is None else "bubblewrap"


CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWNET = 0x00020000, 0x08000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 8, 1 << 12, 1 << 14, 1 << 18


def kit_folders() -> tuple[str, ...]:
    """Where the grader's own code, the reference and the solutions live: hidden from an rlimit worker (it
    runs `python -S`, so no site-packages folder is needed inside)."""
    here = Path(__file__).resolve().parent
    folders = {str(here.parent)}  # the checkout (or site-packages) that holds autograder/ and mygrad_ref/
    if sys.prefix != sys.base_prefix:
        folders.add(sys.prefix)  # the kit's venv
    return tuple(f for f in sorted(folders) if not any(f.startswith(g + "/") for g in folders))  # outermost


def writable_tops() -> list[str]:
    """WORLD_WRITABLE as real paths, without repeats or folders inside another (where /var/tmp or /dev/shm is
    a link, mounting over the link's name would cover its target a second time)."""
    tops = sorted({os.path.realpath(top) for top in WORLD_WRITABLE if os.path.isdir(top)})
    return [top for top in tops if not any(top.startswith(other + "/") for other in tops)]


def own_namespaces(hide: tuple[str, ...] = (), keep: str | None = None) -> None:
    """Mount, IPC and network namespaces of the worker's own (as root): the kit's folders are covered by an
    empty read-only tmpfs, every world-writable folder by a small empty tmpfs of the worker's own (what it
    writes there is seen by no one and dies with it), SysV shared memory, queues and semaphores die with it,
    and no socket reaches a listener on this machine, loopback included, and /proc shows the worker's uid
    only its own processes. keep (the worker's private copy, which may live in /tmp) stays at its own path."""
    libc = ctypes.CDLL(None, use_errno=True)

    def mount(source, target: str, fstype, flags: int, data, what: str) -> None:
        if libc.mount(source, target.encode(), fstype, flags, data) != 0:
            raise OSError(ctypes.get_errno(), f"{what} {target} failed")

    if libc.unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET) failed")
    mount(None, "/", None, MS_REC | MS_PRIVATE, None, "making private")  # nothing mounted here reaches the host
    for folder in hide:  # before the tmpfs below, which would take a kit folder under /tmp out of reach anyway
        mount(b"tmpfs", folder, b"tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, b"size=4k", "hiding")
    # The private copy is usually in /dev/shm or /tmp (scratch.py), under the tmpfs about to cover it. Held
    # open across the mount and bound back at the same path, every path the grader gave the worker (its
    # script, its argument, its cwd) stays valid, wherever TMPDIR points; moving the copy elsewhere would need
    # a folder outside every world-writable one that the sandbox's uid can enter, which not every machine has.
    held = os.open(keep, os.O_RDONLY | os.O_DIRECTORY) if keep else None
    cwd = os.getcwd()
    for top in writable_tops():
        mount(b"tmpfs", top, b"tmpfs", MS_NOSUID | MS_NODEV, f"size={WORKER_TMPFS},mode=1777".encode(), "covering")
    if held is not None:
        os.makedirs(keep, mode=0o755, exist_ok=True)  # no-op when keep is outside the covered folders
        mount(f"/proc/self/fd/{held}".encode(), keep, None, MS_BIND, None, "binding back")
        os.close(held)
    os.chdir(cwd)  # the old cwd is in the covered /tmp, where '..' would lead back to the real one
    # A /proc of its own, where a uid sees only its own processes: the grader's command line (which names the
    # folder of a whole class, every submission readable there) and its other processes are out of sight.
    mount(b"proc", "/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, b"hidepid=2", "mounting")


@cache
def namespaces_work() -> bool:
    """Whether the rlimit fallback can give its workers IPC, network and mount namespaces here, with the
    world-writable folders covered and a folder in the temporary folder kept (probed once)."""
    try:
        with tempfile.TemporaryDirectory(dir=scratch.folder()) as keep:
            return (
                subprocess.run(
                    [interpreter(), "-S", "-c", "import os; os.listdir('.')"],
                    cwd=keep,
                    preexec_fn=lambda: own_namespaces(kit_folders(), keep),
                    capture_output=True,
                    timeout=10,
                ).returncode
                == 0
            )
    except (OSError, subprocess.SubprocessError):
        return False


def remove_ipc_of(uid: int) -> None:
    """Without an IPC namespace: remove the SysV objects the worker's own uid left (they outlive processes)."""
    for kind, flag, key in (("shm", "-m", "shmid"), ("msg", "-q", "msqid"), ("sem", "-s", "semid")):
        try:
            header, *rows = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()
        except (OSError, ValueError):
            continue
        for row in rows:
            fields = dict(zip(header.split(), row.split()))
            if fields.get("uid") == str(uid):
                subprocess.run(["ipcrm", flag, fields[key]], capture_output=True)


def limiter(limits: Limits, uid: int | None, namespaces: bool = False, keep: Path | None = None):
    hide = kit_folders() if namespaces else ()

    def preexec():  # runs in the child between fork and exec (after Popen's chdir)
        if namespaces:
            own_namespaces(hide, str(keep) if keep else None)
        for res, value in (
            (resource.RLIMIT_AS, limits.memory_bytes),
            (resource.RLIMIT_CPU, limits.cpu_seconds),
            (resource.RLIMIT_FSIZE, limits.file_bytes),
            (resource.RLIMIT_NOFILE, limits.open_files),
            (resource.RLIMIT_NPROC, limits.processes),
            (resource.RLIMIT_CORE, 0),
        ):
            resource.setrlimit(res, (value, value))
        try:  # Linux only (elsewhere: the rlimits alone)
            libc = ctypes.CDLL(None, use_errno=True)
            libc.personality(ADDR_NO_RANDOMIZE)  # same addresses every run: id()-ordered sets iterate alike
            libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)  # a setuid program (su, passwd) gains nothing
        except (OSError, AttributeError):
            pass
        if uid is not None:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)

    return preexec


def cpu_seconds(pids: list[int]) -> float:
    """CPU seconds the processes and the children they have reaped used (utime, stime, cutime, cstime from
    /proc/PID/stat: processes that come and go within a look still count, once their parent, or the
    sandbox's init, has reaped them; 0 for one that is gone or unreadable, so without /proc only the
    wall-clock deadline applies)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
        except (OSError, ValueError, IndexError):
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


def reject(token):
    raise ValueError(f"{token} is not a number")


ANSWERS = json.JSONDecoder(parse_constant=reject)  # NaN and Infinity are not JSON: they travel as strings
# Requests: plain data the grader built (no cycles to look for), without spaces: a 3,000-node graph is 12% fewer
# bytes to write and for the worker to read, and a fifth less encoding time
REQUESTS = json.JSONEncoder(check_circular=False, separators=(",", ":"))


class BusyWatch:
    """What a worker's processes do during one request that runs long, looked at every CPU_LOOK seconds.
    The CPU time they use: a busy loop is stopped on CPU time, not only at the deadline (a loaded machine
    slows an honest request's wall time, never its CPU time), but only once the submission is imported (its
    top-level code may train for a while; the deadline covers that). And the time a process was ready to run
    but waited for a CPU held by other work (/proc/PID/schedstat): the deadline is stretched by that much
    (up to STRETCH times), so other students' code hogging the cores cannot make an honest request time out."""

    def __init__(self, pid: int, most: float, timeout: float):
        self.pid, self.most, self.start, self.timeout = pid, most, None, timeout
        self.used = self.waited = 0.0
        self.delays: dict[int, int] = {}  # each process's run delay (ns) when first seen
        self.next_look = time.monotonic() + CPU_LOOK

    def look(self, now: float, importing: bool) -> None:
        """importing: the submission's code runs on import now, so its CPU time counts from after that."""
        if now < self.next_look:
            return
        self.next_look = now + CPU_LOOK
        pids = [self.pid, *descendants(self.pid)]  # a walk of /proc: only while a request runs long
        used = cpu_seconds(pids)
        if self.start is None or importing:  # processes started later count whole (ended and unreaped ones
            self.start = used  # drop out: an undercount)
        self.used = used - self.start
        for pid, delay in run_delays(pids).items():  # the longest wait of one process: many short-lived
            first = self.delays.setdefault(pid, delay)  # processes of a hog's own do not add theirs up
            self.waited = max(self.waited, (delay - first) / 1e9)

    def too_long(self) -> bool:
        return self.used > self.most

    @property
    def stretch(self) -> float:
        """Seconds the deadline is moved on by: the longest wait for a CPU, at most STRETCH deadlines."""
        return min(self.waited, STRETCH * self.timeout)


STRETCH = 3.0  # a request starved of CPU may take up to (1 + STRETCH) times its deadline


def run_delays(pids: list[int]) -> dict[int, int]:
    """Nanoseconds each process has spent ready to run but waiting for a CPU (empty without schedstat)."""
    delays = {}
    for pid in pids:
        try:
            delays[pid] = int(Path(f"/proc/{pid}/schedstat").read_text().split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return delays


def descendants(pid: int) -> list[int]:
    """Every process below pid (a `setsid` grandchild is still a descendant until its parent dies): from each
    thread's list of its children, a few small reads, or where the kernel keeps no such lists, from a walk
    of every process on the machine."""
    if not CHILDREN_LISTS:
        return descendants_by_walk(pid)
    found, stack, seen = [], [pid], {pid}
    while stack:
        parent = stack.pop()
        try:
            threads = os.listdir(f"/proc/{parent}/task")
        except OSError:  # gone already
            continue
        for thread in threads:
            try:
                with open(f"/proc/{parent}/task/{thread}/children", "rb") as listed:
                    children = [int(child) for child in listed.read().split()]
            except (OSError, ValueError):
                continue
            for child in children:
                if child not in seen:  # a pid reused while we read cannot send us round in circles
                    seen.add(child)
                    found.append(child)
                    stack.append(child)
    return found


CHILDREN_LISTS = os.path.exists(f"/proc/self/task/{os.getpid()}/children")  # Linux with CONFIG_PROC_CHILDREN


def descendants_by_walk(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for proc in Path("/proc").iterdir():
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(proc.name))
        except (OSError, ValueError, IndexError):
            continue
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def alive(pid: int) -> bool:
    try:  # a zombie has been killed already; it only waits to be reaped
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


LEFTOVER_AGE = 3600.0  # seconds: far longer than any grade (its budget is 120 s)
_swept = False


def sweep_leftovers() -> None:
    """Remove the copies of submissions that graders killed outright (SIGKILL, the out-of-memory killer)
    left behind, once per process: those whose folder names a process that is gone and that are an hour
    old (a live grader in another pid namespace sharing this /tmp is never that old)."""
    global _swept
    if _swept:
        return
    _swept = True
    now = time.time()
    for folder in (f for place in scratch.places() for f in Path(place).glob("mygrad-sandbox-*-*")):
        pid = folder.name.split("-")[2]
        try:
            info = folder.lstat()  # a folder, not a link someone planted to make us delete elsewhere
        except OSError:
            continue
        if stat.S_ISDIR(info.st_mode) and now - info.st_mtime > LEFTOVER_AGE and pid.isdigit() and not alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def looks(seconds: float):
    """Yield once per look for up to `seconds`, sleeping between looks: a killed process is gone within a
    millisecond or two, so look again after 1 ms, then less often (doubling, at most every 50 ms)."""
    give_up, pause = time.monotonic() + seconds, 0.001
    while time.monotonic() < give_up:
        yield
        time.sleep(pause)
        pause = min(2 * pause, 0.05)


def kill_uid(uid: int) -> None:
    """Without a pid namespace, a `setsid` grandchild escapes the process group: kill everything of the
    worker's own uid (one no other process holds), again until none is left (one that forks while we look
    would otherwise slip through)."""
    for _ in looks(5.0):
        found = 0
        for proc in Path("/proc").iterdir():
            try:
                if proc.name.isdigit() and proc.stat().st_uid == uid and alive(int(proc.name)):
                    os.kill(int(proc.name), signal.SIGKILL)
                    found += 1
            except OSError:
                pass
        if not found:
            break


def remove_files_of(uid: int) -> None:
    """Files an rlimit worker left where every uid can write: gone, so no later worker (or student) finds
    them. find(1) walks any depth; -xdev keeps it on each of those file systems."""
    tops = [top for top in WORLD_WRITABLE if os.path.isdir(top)]
    try:
        subprocess.run(["find", *tops, "-xdev", "-uid", str(uid), "-delete"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        pass


def grader_files(folder: str, names: list[str]) -> list[str]:
    """copytree's ignore for the worker's own folder: its sources, and their bytecode for this Python only."""
    pyc = f".{sys.implementation.cache_tag}.pyc"
    if os.path.basename(folder) == "__pycache__":
        return [n for n in names if not n.endswith(pyc)]
    return [n for n in names if not (n.endswith(".py") or n == "__pycache__")]


def tools_folder(path: Path) -> bool:
    """A folder below a submission that holds tools, not the student's code: hidden (.git, .venv), a tool
    folder (NOT_THE_STUDENTS), or a virtual environment by any name (it holds pyvenv.cfg). Left out of the
    sandbox's copy and of the static scan, as intake leaves them out of an archive."""
    return path.name.startswith(".") or path.name in NOT_THE_STUDENTS or (path / "pyvenv.cfg").is_file()


class Worker:
    """One sandboxed worker process at a time, started on demand and replaced after any failure."""

    def __init__(
        self,
        entry_dir: Path,
        entry_script: str,
        submission_dir: Path,
        limits: Limits = Limits(),
        mode: str | None = None,
    ):
        self.entry_dir, self.entry, self.submission = Path(entry_dir), entry_script, Path(submission_dir)
        self.limits = limits
        self.mode = mode or isolation_mode()
        self.proc: subprocess.Popen | None = None
        self.ready, self.importing = False, ""
        self.starts, self.elapsed, self.counter = 0, 0.0, 0
        self.private: Path | None = None
        self.skipped: list[str] = []  # files of the submission left out of the sandbox's copy, and why
        self.copied = self.files = 0  # bytes and files of the submission copied so far
        self.python, self.uid, self.uid_lock = interpreter(), None, None
        if os.geteuid() == 0 and (self.mode == "rlimit" or bubblewrap_user()):  # never student code as root
            python = unprivileged_interpreter()
            if python is None:
                raise SandboxError(
                    "as root, rlimit isolation runs student code under a uid of its own, and no "
                    "Python >= 3.10 here is reachable by other uids: install bubblewrap "
                    "(apt-get install bubblewrap) or Debian's python3"
                )
            if not reachable(scratch.folder()):
                raise SandboxError(
                    f"the temporary folder {scratch.folder()} cannot be entered by the "
                    "sandbox's uid, so no worker could read its copy of the submission: set "
                    "TMPDIR to a folder every user can enter (e.g. /tmp)"
                )
            self.python, (self.uid, self.uid_lock) = python, claim_uid()
        self.namespaces = self.mode == "rlimit" and self.uid is not None and namespaces_work()
        if self.mode == "rlimit":
            self.mode = (
                f"rlimit (uid {self.uid}, own IPC and network namespaces, the kit and other processes hidden, "
                "its own /tmp)"
                if self.namespaces
                else f"rlimit (uid {self.uid}; no IPC or network namespace: its SysV objects are removed after "
                "it, but it could reach services on this machine)"
                if self.uid is not None
                else "rlimit (same uid as the grader: no IPC or network isolation, no kill by uid)"
            )

    # --- process life -------------------------------------------------------------------------------

    def _why_left_out(self, path: Path) -> str:
        """Why a path of the submission stays out of the sandbox's copy ("" when it goes in)."""
        info = path.lstat()
        if stat.S_ISDIR(info.st_mode):
            if tools_folder(path):
                return "tools, not your code (a virtual environment, a hidden or a package folder)"
            return "" if len(path.relative_to(self.submission).parts) <= MAX_DEPTH else f"over {MAX_DEPTH} deep"
        if stat.S_ISLNK(info.st_mode):  # a link to a folder could loop; one to a file outside could be anything
            target = path.resolve()
            if not (target.is_file() and target.is_relative_to(self.submission.resolve())):
                return "a link to something outside the submission, or to a folder"
        elif not stat.S_ISREG(info.st_mode):
            return "not a plain file"
        size = path.stat().st_size
        if size > MAX_COPIED_FILE:
            return f"larger than {MAX_COPIED_FILE >> 20} MiB"
        if self.copied + size > MAX_COPIED_TOTAL or self.files >= MAX_COPIED_FILES:
            return f"past {MAX_COPIED_TOTAL >> 20} MiB or {MAX_COPIED_FILES} files in all"
        self.copied, self.files = self.copied + size, self.files + 1
        return ""

    def _leave_out(self, folder: str, names: list[str]) -> list[str]:
        """copytree's ignore: __pycache__, and whatever _why_left_out names (recorded for the report)."""
        left = []
        for name in names:
            path = Path(folder, name)
            try:
                why = "" if name == "__pycache__" else self._why_left_out(path)
            except OSError as err:
                why = f"unreadable ({err.strerror})"
            except RuntimeError:  # Python 3.11's Path.resolve() on a link that loops
                why = "a link that loops"
            if why or name == "__pycache__":
                left.append(name)
            if why:
                self.skipped.append(f"{path.relative_to(self.submission)}: {why}")
        return left

    def _prepare(self) -> Path:
        """A private copy of the worker's files and the submission, readable by the sandbox's uid and holding
        nothing else of ours: links out of the submission, devices, FIFOs and huge files are left out."""
        if self.private is None:
            sweep_leftovers()
            self.private = Path(tempfile.mkdtemp(prefix=f"mygrad-sandbox-{os.getpid()}-", dir=scratch.folder()))
            shutil.copytree(self.entry_dir, self.private / "grader", ignore=grader_files)
            try:
                shutil.copytree(self.submission, self.private / "submission", ignore=self._leave_out)
            except shutil.Error as err:  # files that vanished or could not be read: the rest is copied
                self.skipped += [f"{Path(source).name}: {why}" for source, _, why in err.args[0]]
            # Readable by the worker's uid alone (through its group: it can read the copy, never change it, so
            # nothing it writes there reaches a later worker of this grade, e.g. the fresh one that checks
            # a trained model). Bubblewrap started as root maps the worker to root's files and binds the copy
            # read-only, so there the copy stays world-readable, inside a folder only root can list.
            shared = self.uid is None and self.mode == "bubblewrap"
            for path in [self.private, *self.private.rglob("*")]:
                if self.uid is not None:
                    os.lchown(path, -1, self.uid)
                    path.chmod(0o750 if path.is_dir() else 0o640)
                    continue
                private = path == self.private or not shared
                path.chmod((0o700 if private else 0o755) if path.is_dir() else (0o600 if private else 0o644))
        return self.private

    def prepared_submission(self) -> Path:
        return self._prepare() / "submission"

    def start(self) -> None:
        private = self._prepare()
        if self.mode == "bubblewrap":
            cmd, cwd = bwrap_command(private / "grader", self.entry, private / "submission", self.python), None
        else:
            cwd = private / "submission"
            cmd = [self.python, *PYTHON_FLAGS, str(private / "grader" / self.entry), str(cwd)]
        self.proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=dict(ENV),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=limiter(self.limits, self.uid, self.namespaces, private),
        )
        self.starts += 1
        self.stdout_buf, self.stderr_buf = b"", b""
        self.started = False  # the worker runs (its first line, before any code of the submission)
        self.ready = False  # the worker has imported the submission (it says so once, before any answer)
        self.importing = ""  # ... and the module of it that it is importing on first use now, if any
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            os.set_blocking(stream.fileno(), False)

    def kill(self, grace: float = 0.0) -> None:
        """End the worker and everything it started. With grace, first close its stdin and give it that long
        to leave by itself: then its CPU time is counted in this process's children (benchmarks read it)."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        tree = descendants(proc.pid)
        if grace:
            try:
                proc.stdin.close()
                proc.wait(timeout=grace)
            except (OSError, subprocess.TimeoutExpired):
                pass
        for pid in [proc.pid, *tree]:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.uid is not None and self.mode.startswith("rlimit"):  # bubblewrap's pid namespace dies whole
            kill_uid(self.uid)
        proc.wait()
        for _ in looks(2.0):  # the kernel ends them asynchronously: wait until gone
            if not any(alive(pid) for pid in tree):
                break
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            try:
                stream.close()
            except OSError:
                pass

    def close(self) -> None:
        self.kill(grace=0.5)
        if self.uid is not None and self.mode.startswith("rlimit") and not self.namespaces:
            remove_files_of(self.uid)  # with namespaces, its world-writable folders were tmpfs of its own
            remove_ipc_of(self.uid)
        if self.uid_lock is not None:
            os.close(self.uid_lock)
            self.uid_lock = None
        if self.private:
            shutil.rmtree(self.private, ignore_errors=True)
            self.private = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- one request ----------------------------------------------------------------------------------

    def _keep_stderr(self, chunk: bytes) -> None:
        self.stderr_buf = (self.stderr_buf + chunk)[-self.limits.output_bytes :]

    def request(self, payload: dict, timeout: float | None = None, on_ask=None) -> Outcome:
        """Send one request and wait for its answer; questions the worker asks on the way (`{"ask": ...}`)
        are answered with on_ask(question), which returns a JSON-able answer or None (a bad response)."""
        timeout = timeout or self.limits.request_timeout
        self._prepare()  # the copy is the grader's work: it does not count against the request's deadline
        began = time.monotonic()
        if self.proc is None:
            try:
                self.start()
            except OSError as err:
                forget_probe()
                return Outcome("start-failed", None, f"could not start the worker: {err}", "", 0.0)
        self.counter += 1
        line = REQUESTS.encode({**payload, "id": self.counter}).encode() + b"\n"
        outcome = self._exchange(line, self.counter, began + timeout, timeout, on_ask)
        outcome.seconds = time.monotonic() - began
        self.elapsed += outcome.seconds
        if outcome.kind != "ok":
            self.kill()
        if outcome.kind == "start-failed":
            forget_probe()
        return outcome

    def _send(self, line: bytes, deadline: float, timeout: float) -> Outcome | None:
        """Write line to the worker's stdin (None when done); a worker that never reads its stdin must not
        block us once the pipe is full."""
        pending, stdin = memoryview(line), self.proc.stdin.fileno()
        while pending:
            try:  # the pipe is non-blocking: it takes what fits, and only a full pipe is waited for
                pending = pending[os.write(stdin, pending) :]
                continue
            except BlockingIOError:
                pass
            except OSError:  # a broken pipe: the worker has gone
                return self._ended()
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([], [stdin], [], left)[1]:
                return self._fail("timeout", f"did not take the request within {timeout:.1f} s (stopped)")
        return None

    def _exchange(self, line: bytes, ident: int, deadline: float, timeout: float, on_ask=None) -> Outcome:
        proc = self.proc
        self.stdout_buf = b""  # anything written before this request is not its answer
        failed = self._send(line, deadline, timeout)
        if failed:
            return failed
        streams = {proc.stdout.fileno(): "out", proc.stderr.fileno(): "err"}
        asked, busy, last_look = 0, BusyWatch(proc.pid, timeout * self.limits.cpu_share, timeout), False
        while True:
            if b"\n" in self.stdout_buf:
                raw, self.stdout_buf = self.stdout_buf.split(b"\n", 1)
                if self._status(raw):
                    continue
                outcome = self._parse(raw, ident)
                question = outcome.response.get("ask") if outcome.kind == "ok" and len(outcome.response) == 1 else None
                if question is None:
                    return outcome
                asked += 1
                failed = self._answer(question, asked, on_ask, deadline, timeout)
                if failed:
                    return failed
                continue
            if len(self.stdout_buf) > self.limits.response_bytes:
                return self._fail("bad-response", "the answer was longer than the limit")
            now = time.monotonic()
            busy.look(now, importing=not self.ready or bool(self.importing))
            left = deadline + busy.stretch - now
            if left <= 0 and not last_look:  # once: the answer may be there, and this process slow to look
                last_look = True
                if not self._take(streams, 0):
                    return self._ended()
                continue
            if left <= 0:
                more = f" and {busy.stretch:.1f} s more it waited for a busy CPU" if busy.stretch >= 0.05 else ""
                return self._fail("timeout", f"no answer within {timeout:.1f} s{more} (stopped)")
            if self.ready and not self.importing and busy.too_long():  # never an import's: see BusyWatch
                return self._fail("timeout", f"no answer after {busy.most:.1f} s of CPU time (stopped)")
            if not self._take(streams, min(left, CPU_LOOK)):
                return self._ended()

    def _answer(self, question, asked: int, on_ask, deadline: float, timeout: float) -> Outcome | None:
        """Send the answer to the worker's question (None when sent), or say why the request failed."""
        if asked > self.limits.questions:  # what an endless loop around the grader's model looks like
            return self._fail("timeout", f"asked the grader over {self.limits.questions} questions in one request")
        try:
            answer = on_ask(question) if on_ask else None
        except Exception:  # noqa: BLE001 - a question that breaks the grader's arithmetic is a bad one
            answer = None
        if answer is None:
            return self._fail("bad-response", "the worker asked a question the grader does not answer")
        return self._send(REQUESTS.encode({"answer": answer}).encode() + b"\n", deadline, timeout)

    def _take(self, streams: dict[int, str], wait: float) -> bool:
        """Read what the worker wrote, waiting up to `wait` seconds for it; False once its stdout has ended
        (without stdout there can be no answer)."""
        ready, _, _ = select.select(list(streams), [], [], wait)
        for fd in ready:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                if streams.pop(fd) == "out":
                    return False
            elif streams[fd] == "out":
                self.stdout_buf += chunk
            else:
                self._keep_stderr(chunk)
        return True

    def _status(self, raw: bytes) -> bool:
        """Whether raw is a line saying where the worker is, not an answer: it has imported the submission
        (or a module of it), or it is importing a module on first use (its name is kept; only the deadline
        applies then: a lie gains nothing more)."""
        if raw == STARTED:
            self.started = True
            return True
        importing = IMPORTING.fullmatch(raw)
        if raw != READY and not importing:
            return False
        self.ready = self.ready or raw == READY
        self.importing = importing.group(1).decode() if importing else ""
        return True

    def _output(self) -> str:
        return self.stderr_buf.decode(errors="replace")

    def _fail(self, kind: str, detail: str) -> Outcome:
        return Outcome(kind, None, detail, self._output(), 0.0)

    def _ended(self) -> Outcome:
        """The process stopped answering: say how it ended."""
        try:
            code = self.proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            return self._fail("crashed", "closed its output without answering")
        err, give_up = self.proc.stderr.fileno(), time.monotonic() + 0.5
        while time.monotonic() < give_up and select.select([err], [], [], 0.05)[0]:  # its last words
            chunk = os.read(err, 1 << 16)
            if not chunk:
                break
            self._keep_stderr(chunk)
        started = self.started or STARTED in (self.stdout_buf + self._unread_stdout()).split(b"\n")
        if self.mode == "bubblewrap" and not started and self._output().startswith("bwrap:"):  # bwrap's own failure
            # (the worker's first line says bwrap started it: after that, a "bwrap:" line is the submission's)
            return self._fail("start-failed", f"the sandbox could not start: {self._output()[:300]}")
        if self.mode == "bubblewrap" and 128 < code < 128 + 65:
            code = 128 - code  # bwrap reports a child killed by signal N as exit status 128 + N
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            if name == "SIGXCPU":
                return self._fail("timeout", f"used up its CPU time limit ({self.limits.cpu_seconds} s)")
            return self._fail("crashed", f"killed by signal {name}")
        if "MemoryError" in self._output():
            return self._fail("out-of-memory", f"ran out of memory (limit {self.limits.memory_bytes >> 20} MiB)")
        return self._fail("exited", f"exited with status {code} before answering")

    def _unread_stdout(self, most: int = 1 << 16) -> bytes:
        """What the ended worker wrote that was not read yet (it may have died before its request was sent)."""
        try:
            return os.read(self.proc.stdout.fileno(), most)
        except OSError:  # nothing there (a non-blocking pipe), or closed
            return b""

    def _parse(self, raw: bytes, ident: int) -> Outcome:
        try:
            reply = ANSWERS.decode(raw.decode())
        except (ValueError, RecursionError) as err:  # RecursionError: an answer nested thousands deep
            return self._fail("bad-response", f"the answer was not valid JSON ({str(err)[:80]})")
        if isinstance(reply, dict) and len(reply) == 1 and "ask" in reply:
            return Outcome("ok", reply, "", "", 0.0)  # a question: answered by _exchange
        if not isinstance(reply, dict) or reply.get("id") != ident:
            return self._fail("bad-response", "the answer did not belong to this request")
        return Outcome("ok", reply, "", self._output(), 0.0)
