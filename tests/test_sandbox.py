"""The sandbox on its own: hostile worker scripts in both isolation modes."""

import json
import os
import shutil
import socket
import time
from pathlib import Path

import pytest

from autograder import sandbox
from autograder.sandbox import Limits, Worker, isolation_mode

MODES = ["rlimit"] + (["bubblewrap"] if shutil.which("bwrap") and isolation_mode() == "bubblewrap" else [])
HEADER = """import json, os, sys
out = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)
def answer(request, **fields):
    out.write(json.dumps({"id": request["id"], **fields}) + "\\n")
    out.flush()
for line in sys.stdin:
    request = json.loads(line)
"""


def worker(tmp_path, body, mode, ready=False, **limits):
    """A worker running body for each request; with ready, it first says it has imported the submission."""
    entry = tmp_path / "entry"
    entry.mkdir(exist_ok=True)
    header = HEADER.replace("for line", f"out.write({sandbox.READY.decode()!r} + '\\n')\nout.flush()\nfor line")
    body = "".join(f"    {line}\n" for line in body.strip().splitlines())
    (entry / "main.py").write_text((header if ready else HEADER) + body)
    submission = tmp_path / "submission"
    submission.mkdir(exist_ok=True)
    (submission / "data.txt").write_text("visible")
    return Worker(entry, "main.py", submission, Limits(**{"request_timeout": 1.5, **limits}), mode=mode)


def no_process_with(marker):
    time.sleep(0.05)
    for proc in Path("/proc").iterdir():
        try:
            if marker in (proc / "cmdline").read_bytes().decode(errors="replace"):
                return False
        except OSError:
            pass
    return True


@pytest.mark.parametrize("mode", MODES)
def test_answers_many_requests_with_one_process(tmp_path, mode):
    with worker(tmp_path, "answer(request, ok=request['x'] * 2, cwd=open('data.txt').read())", mode) as w:
        for x in range(5):
            outcome = w.request({"x": x})
            assert outcome.kind == "ok" and outcome.response["ok"] == 2 * x and outcome.response["cwd"] == "visible"
        assert w.starts == 1 and w.mode.startswith(mode)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "body, kind, detail",
    [
        ("while request['x']: pass\nanswer(request, ok=1)", "timeout", "no answer within 1.5 s"),
        ("import time\ntime.sleep(1000 * request['x'])\nanswer(request, ok=1)", "timeout", "no answer"),
        ("b = bytearray(request['x'] << 32)\nanswer(request, ok=1)", "out-of-memory", "ran out of memory"),
        ("os._exit(0) if request['x'] else answer(request, ok=1)", "exited", "exited with status 0"),
        ("sys.exit(3) if request['x'] else answer(request, ok=1)", "exited", "status 3"),
        ("import ctypes\nctypes.string_at(0) if request['x'] else answer(request, ok=1)", "crashed", "SIGSEGV"),
        (
            "out.write('not json\\n') if request['x'] else answer(request, ok=1)\nout.flush()",
            "bad-response",
            "not valid",
        ),
        (
            "out.write('{\"id\": 99}\\n') if request['x'] else answer(request, ok=1)\nout.flush()",
            "bad-response",
            "belong",
        ),
        (
            "out.write('{\"id\": %d, \"ok\": NaN}\\n' % request['id']) if request['x'] else answer(request, ok=1)\nout.flush()",
            "bad-response",
            "not valid JSON",
        ),
    ],
)
def test_failures_are_named_and_a_fresh_process_serves_the_next_request(tmp_path, mode, body, kind, detail):
    with worker(tmp_path, body, mode) as w:
        outcome = w.request({"x": 1})
        assert outcome.kind == kind and detail in outcome.detail, outcome
        assert outcome.seconds < 5
        after = w.request({"x": 0})
        assert after.kind == "ok" and w.starts == 2


@pytest.mark.parametrize("mode", MODES)
def test_a_busy_loop_is_stopped_on_cpu_time_and_a_wait_at_the_deadline(tmp_path, mode):
    # a share of 0.05 of a 30 s deadline: 1.5 s of CPU time stops the loop long before the deadline
    for loop in ("pass", "print('still here')"):  # a loop that prints all the while is looked at too
        body = f"while request['x']: {loop}\nanswer(request, ok=1)"
        with worker(tmp_path, body, mode, ready=True, request_timeout=30.0, cpu_share=0.05) as w:
            outcome = w.request({"x": 1})
            assert outcome.kind == "timeout" and "no answer after 1.5 s of CPU time" in outcome.detail, outcome
            assert w.request({"x": 0}).kind == "ok" and w.starts == 2
    with worker(tmp_path, "import time\ntime.sleep(1000)", mode, ready=True, cpu_share=0.05) as w:
        outcome = w.request({"x": 1})  # asleep, it uses no CPU time: it gets its whole deadline
        assert outcome.kind == "timeout" and "no answer within 1.5 s" in outcome.detail, outcome


@pytest.mark.parametrize("mode", MODES)
def test_a_request_starved_of_cpu_by_other_work_gets_the_time_it_waited(tmp_path, mode):
    """Another student's code hogging the core (here: three busy processes on the worker's only core) slows
    an honest request in wall time: its deadline moves on by the time it waited for the CPU, so it answers.
    A busy loop of its own is still stopped: it waits for no one."""
    import subprocess
    import sys

    body = "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end: pass\nanswer(request, ok=1)"
    core = {min(os.sched_getaffinity(0))}
    saved = os.sched_getaffinity(0)
    hogs = []
    try:
        os.sched_setaffinity(0, core)  # the worker inherits it
        with worker(tmp_path, body, mode, ready=True, request_timeout=1.0, cpu_share=1.0) as w:
            assert w.request({"x": 0}).kind == "ok"  # started and imported, before the hogs
            spin = f"import os\nos.sched_setaffinity(0, {core!r})\nwhile True: pass"
            hogs = [subprocess.Popen([sys.executable, "-c", spin], start_new_session=True) for _ in range(3)]
            time.sleep(0.3)
            outcome = w.request({"x": 1})  # 0.4 s of CPU at a quarter of the core (sessions share it): ~1.6 s
            assert outcome.kind == "ok" and outcome.seconds > 1.0, outcome
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
        os.sched_setaffinity(0, saved)


@pytest.mark.parametrize("mode", MODES)
def test_cpu_time_is_not_watched_before_the_worker_is_ready(tmp_path, mode):
    # busy before its ready line (a submission's top-level code runs on import): only the deadline applies
    with worker(tmp_path, "answer(request, ok=1)", mode, cpu_share=0.05) as w:
        (w.entry_dir / "main.py").write_text("while True: pass\n" + (w.entry_dir / "main.py").read_text())
        outcome = w.request({"x": 1})
        assert outcome.kind == "timeout" and "no answer within 1.5 s" in outcome.detail, outcome


@pytest.mark.parametrize("mode", MODES)
def test_a_worker_that_never_reads_cannot_block_a_large_request(tmp_path, mode):
    entry = tmp_path / "entry"
    entry.mkdir()
    (entry / "main.py").write_text("import time\ntime.sleep(1000)\n")
    with Worker(entry, "main.py", tmp_path, Limits(request_timeout=1.0), mode=mode) as w:
        outcome = w.request({"spec": "x" * (1 << 20)})
        assert outcome.kind == "timeout" and outcome.seconds < 3


@pytest.mark.parametrize("mode", MODES)
def test_output_is_capped_and_drained(tmp_path, mode):
    body = "sys.stderr.write('x' * (50 << 20))\nsys.stderr.flush()\nanswer(request, ok=1)"
    with worker(tmp_path, body, mode) as w:
        outcome = w.request({}, timeout=20)
        assert outcome.kind == "ok" and len(outcome.output) <= Limits().output_bytes


@pytest.mark.parametrize("mode", MODES)
def test_files_are_size_limited_and_site_packages_hidden(tmp_path, mode):
    body = """try:
    import tempfile; tempfile.TemporaryFile(dir='/tmp').write(b'x' * (4 << 20)); big = 'written'
except OSError as err:
    big = type(err).__name__
try:
    import pytest; imported = 'pytest'
except ImportError:
    imported = 'none'
answer(request, big=big, imported=imported)"""
    with worker(tmp_path, body, mode) as w:
        reply = w.request({}).response
        assert reply == {"id": 1, "big": "OSError", "imported": "none"}


@pytest.mark.parametrize("mode", MODES)
def test_addresses_are_the_same_on_every_run(tmp_path, mode):
    body = "s = {object() for _ in range(20)}\nanswer(request, ok=[id(o) % 9973 for o in s])"
    runs = []
    for _ in range(2):
        with worker(tmp_path, body, mode) as w:
            runs.append(w.request({}).response["ok"])
    assert runs[0] == runs[1]


@pytest.mark.parametrize("mode", MODES)
def test_setsid_grandchild_dies_with_the_worker(tmp_path, mode):
    body = """import subprocess
subprocess.Popen(['sleep', '4343'], start_new_session=True, stdout=subprocess.DEVNULL)
answer(request, ok=1)"""
    with worker(tmp_path, body, mode) as w:
        assert w.request({}).kind == "ok"
    assert no_process_with("4343")


@pytest.mark.skipif("bubblewrap" not in MODES, reason="bubblewrap is not installed here (CI installs it)")
def test_bubblewrap_hides_the_kit_and_the_network(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    body = f"""import socket
seen = os.path.exists({str(Path(__file__).resolve())!r}), os.path.exists('/work'), os.getuid()
try:
    socket.create_connection(('127.0.0.1', {port}), timeout=1); net = 'connected'
except OSError:
    net = 'blocked'
answer(request, seen=list(seen), net=net)"""
    try:
        with worker(tmp_path, body, "bubblewrap") as w:
            reply = w.request({}).response
    finally:
        listener.close()
    assert reply["seen"] == [False, False, 65534] and reply["net"] == "blocked"


@pytest.mark.parametrize("mode", MODES)
def test_string_sets_iterate_the_same_way_on_every_run(tmp_path, mode):
    body = "answer(request, ok=list({f'name{i}' for i in range(40)}))"  # str hashes follow PYTHONHASHSEED
    runs = []
    for _ in range(3):
        with worker(tmp_path, body, mode) as w:
            runs.append(w.request({}).response["ok"])
    assert runs[0] == runs[1] == runs[2]


def test_rlimit_mode_never_runs_student_code_as_root(tmp_path):
    with (
        worker(tmp_path, "answer(request, uid=os.getuid())", "rlimit") as a,
        worker(tmp_path, "answer(request, uid=os.getuid())", "rlimit") as b,
    ):
        uids = [a.request({}).response["uid"], b.request({}).response["uid"]]
        if os.geteuid() == 0:  # a uid of each worker's own: killing one worker's processes spares the other's
            assert 0 not in uids and uids[0] != uids[1] and a.mode.startswith(f"rlimit (uid {uids[0]}")
        else:
            assert uids == [os.geteuid()] * 2 and a.mode.startswith("rlimit (same uid")


@pytest.mark.parametrize("mode", MODES)
def test_the_sandbox_gets_a_copy_without_links_out_fifos_or_huge_files(tmp_path, mode):
    (tmp_path / "secret.txt").write_text("secret")
    w = worker(tmp_path, "answer(request, seen=sorted(os.listdir('.')))", mode)
    submission = tmp_path / "submission"
    (submission / "secret.txt").symlink_to(tmp_path / "secret.txt")
    (submission / "same.txt").symlink_to(submission / "data.txt")
    (submission / "folder").symlink_to(tmp_path)
    os.mkfifo(submission / "fifo")
    with open(submission / "big.bin", "wb") as f:
        f.truncate(9 << 20)  # sparse: larger than a copied file may be
    with w:
        assert w.request({}).response["seen"] == ["data.txt", "same.txt"]
    assert sorted(s.split(":")[0] for s in w.skipped) == ["big.bin", "fifo", "folder", "secret.txt"]


@pytest.mark.parametrize("mode", MODES)
def test_the_process_limit_binds(tmp_path, mode):
    body = """import time
forked = 0
try:
    while forked < 200:
        if os.fork() == 0:
            time.sleep(2)
            os._exit(0)
        forked += 1
except OSError:
    pass
answer(request, forked=forked)"""
    with worker(tmp_path, body, mode) as w:
        assert w.request({}).response["forked"] < Limits().processes


@pytest.mark.parametrize("mode", MODES)
def test_no_new_privileges_and_a_small_tmp(tmp_path, mode):
    body = """flags = [l for l in open('/proc/self/status') if l.startswith('NoNewPrivs')]
try:
    with open('/tmp/mygrad-big-' + str(os.getpid()), 'wb') as f:
        for _ in range(200):
            f.write(b'x' * (1 << 20))
    tmp = 'wrote 200 MiB'
except OSError as err:
    tmp = type(err).__name__
answer(request, flags=flags, tmp=tmp)"""
    with worker(tmp_path, body, mode, file_bytes=1 << 30) as w:
        reply = w.request({}, timeout=20).response
    assert reply["flags"] == ["NoNewPrivs:\t1\n"]
    if mode == "bubblewrap" or w.namespaces:  # a tmpfs of its own: 64 MiB (bubblewrap), 16 MiB (rlimit)
        assert reply["tmp"] == "OSError"


@pytest.mark.parametrize("namespaces", ["as-the-machine-allows", "none"])
def test_files_an_rlimit_worker_writes_in_world_writable_folders_do_not_outlive_it(tmp_path, monkeypatch, namespaces):
    """With its own mount namespace the worker writes in tmpfs folders of its own: the grader never sees the
    files. Without one ("none" forces it; so does a machine where namespaces_work() is False) they are real,
    and the walk after the worker removes them."""
    if os.geteuid() != 0:
        pytest.skip("only as root does the worker get a uid of its own (and its leftovers can be told apart)")
    if namespaces == "none":
        monkeypatch.setattr(sandbox, "namespaces_work", lambda: False)
    names = [f"{top}/mygrad-left-{os.getpid()}" for top in ("/tmp", "/var/tmp", "/dev/shm")]
    body = f"for name in {names!r}:\n    open(name, 'w').write('x')\nanswer(request, ok=1)"
    with worker(tmp_path, body, "rlimit") as w:
        assert w.request({}).kind == "ok"
        seen = [os.path.exists(name) for name in names]  # the worker is still alive here
        private = w.namespaces
    assert private is (namespaces != "none" and sandbox.namespaces_work())
    assert seen == [not private] * len(names)
    assert not [name for name in names if os.path.exists(name)]


def test_rlimit_workers_reach_no_listener_and_leave_no_sysv_objects(tmp_path):
    """As root the rlimit fallback gives each worker IPC and network namespaces of its own; without them it
    removes the worker's SysV objects and says in its mode that the network was reachable."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    body = f"""import ctypes, socket
libc = ctypes.CDLL(None)
shm = libc.shmget(0x4d79, 4096, 0o1600)  # IPC_CREAT | 0600: outlives a process unless removed
try:
    socket.create_connection(('127.0.0.1', {port}), timeout=1).close()
    reached = True
except OSError:
    reached = False
answer(request, reached=reached, shm=shm)"""
    with worker(tmp_path, body, "rlimit") as w:
        outcome = w.request({})
        assert outcome.kind == "ok" and outcome.response["shm"] >= 0, outcome
        isolated = "own IPC and network namespaces" in w.mode
        assert outcome.response["reached"] is not isolated
    listener.close()
    keys = [row.split()[0] for row in Path("/proc/sysvipc/shm").read_text().splitlines()[1:]]
    assert "19833" not in keys  # 0x4d79: gone with the worker's namespace, or removed after it


@pytest.fixture
def probe_record_in(tmp_path, monkeypatch):
    """The sandbox probe's record in a folder of this test's, and a probe that only counts its runs."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    runs = []
    monkeypatch.setattr(sandbox, "probe_bubblewrap", lambda: runs.append(1) or (False, ""))
    sandbox.bubblewrap_user.cache_clear()
    yield runs
    sandbox.bubblewrap_user.cache_clear()


def test_the_sandbox_probe_runs_once_for_the_same_facts(probe_record_in, monkeypatch):
    runs = probe_record_in
    assert sandbox.bubblewrap_user() is False and len(runs) == 1
    sandbox.bubblewrap_user.cache_clear()  # as a new `mygrad grade` process would start
    assert sandbox.bubblewrap_user() is False and len(runs) == 1, "the recorded answer was not used"
    monkeypatch.setattr(sandbox, "probe_facts", lambda: "another kernel")
    sandbox.bubblewrap_user.cache_clear()
    assert sandbox.bubblewrap_user() is False and len(runs) == 2, "changed facts must be probed again"


def test_a_probe_record_others_could_write_is_not_trusted(probe_record_in):
    runs = probe_record_in
    sandbox.bubblewrap_user()
    sandbox.probe_record().chmod(0o666)
    sandbox.bubblewrap_user.cache_clear()
    sandbox.bubblewrap_user()
    assert len(runs) == 2


def test_a_sandbox_that_no_longer_starts_is_probed_again(probe_record_in, tmp_path):
    runs = probe_record_in
    sandbox.bubblewrap_user()
    w = worker(tmp_path, "answer(request, ok=1)", "rlimit")
    w.python = str(tmp_path / "no-such-python")  # the worker cannot start: the grader's fault, not theirs
    try:
        assert w.request({"probe": "x"}).kind == "start-failed"
    finally:
        w.close()
    assert not sandbox.probe_record().exists()
    sandbox.bubblewrap_user()
    assert len(runs) == 2


def test_a_failed_probe_is_never_kept_and_a_linked_record_never_read(probe_record_in, monkeypatch, tmp_path):
    runs = probe_record_in
    monkeypatch.setattr(sandbox, "probe_bubblewrap", lambda: runs.append(1) or (None, "bwrap failed: timed out"))
    with pytest.warns(RuntimeWarning):
        assert sandbox.bubblewrap_user() is None
    assert not sandbox.probe_record().exists(), "one slow probe would keep every later grade in rlimit"
    elsewhere = tmp_path / "planted.json"  # a link planted at the record's path is not followed
    elsewhere.write_text(json.dumps({"facts": sandbox.probe_facts(), "user": False}))
    sandbox.probe_record().parent.mkdir(mode=0o700)
    sandbox.probe_record().symlink_to(elsewhere)
    assert sandbox.recorded_probe(sandbox.probe_facts()) is None


def test_copies_left_by_a_grader_killed_outright_are_removed_by_a_later_one(tmp_path, monkeypatch):
    import subprocess
    import sys
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(sandbox, "_swept", False)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead, old = int(gone.stdout), time.time() - 2 * sandbox.LEFTOVER_AGE
    folders = {
        "stale": tmp_path / f"mygrad-sandbox-{dead}-abc",  # its grader is gone, an hour ago: removed
        "recent": tmp_path / f"mygrad-sandbox-{dead}-def",  # gone, but recent: kept (another pid namespace?)
        "alive": tmp_path / f"mygrad-sandbox-{os.getpid()}-ghi",  # a live grader's: kept
    }
    for folder in folders.values():
        (folder / "submission").mkdir(parents=True)
        (folder / "submission" / "engine.py").write_text("x = 1\n")
    target = tmp_path / "elsewhere"
    target.mkdir()
    (tmp_path / f"mygrad-sandbox-{dead}-lnk").symlink_to(target)  # a planted link: never followed
    for path in [*folders.values(), tmp_path / f"mygrad-sandbox-{dead}-lnk"]:
        if path.name.endswith(("abc", "ghi", "lnk")):
            os.utime(path, (old, old), follow_symlinks=False)
    sandbox.sweep_leftovers()
    assert not folders["stale"].exists() and folders["recent"].exists() and folders["alive"].exists()
    assert target.is_dir() and (tmp_path / f"mygrad-sandbox-{dead}-lnk").is_symlink()


def test_a_grades_short_lived_folders_go_to_memory_unless_a_temporary_folder_was_chosen(monkeypatch):
    import tempfile

    from autograder import scratch
    from autograder.grade import grade
    from tests.isolation import reachable_folder

    memory = reachable_folder()  # stands for /dev/shm: a folder every uid may enter and write to
    try:
        memory.chmod(0o1777)
        monkeypatch.setattr(scratch, "MEMORY", str(memory))
        monkeypatch.setattr(tempfile, "tempdir", scratch.DEFAULT)
        for name in ("TMPDIR", "TEMP", "TMP"):
            monkeypatch.delenv(name, raising=False)
        assert scratch.folder() == str(memory)
        monkeypatch.setattr(scratch, "ROOM", 1 << 62)  # too little room there: the temporary folder
        assert scratch.folder() == scratch.DEFAULT
        monkeypatch.setattr(scratch, "ROOM", 0)
        monkeypatch.setenv("TMPDIR", scratch.DEFAULT)  # chosen, even as the default: obeyed
        assert scratch.folder() == scratch.DEFAULT
        monkeypatch.delenv("TMPDIR")
        memory.chmod(0o755)  # not writable by every uid: not used
        assert scratch.folder() == scratch.DEFAULT
        memory.chmod(0o1777)

        made = []
        real_mkdtemp = tempfile.mkdtemp
        monkeypatch.setattr(tempfile, "mkdtemp", lambda *a, **k: made.append(real_mkdtemp(*a, **k)) or made[-1])
        results = grade(Path(__file__).resolve().parent.parent / "solutions", tasks={"task1"})
        assert results.score == results.max_score > 0
        copies = [m for m in made if Path(m).name.startswith("mygrad-sandbox-")]
        assert copies and all(Path(m).parent == memory for m in made), made  # the copy and intake's folder
        assert not list(memory.iterdir()), list(memory.iterdir())  # and nothing left there
    finally:
        shutil.rmtree(memory, ignore_errors=True)


@pytest.mark.parametrize("mode", MODES)
def test_a_worker_reads_its_copy_of_the_submission_and_cannot_change_it(tmp_path, mode):
    """What one worker writes into the copy would reach the next worker of the grade (the fresh one that
    checks a trained model's predictions): bubblewrap binds it read-only; as root, rlimit gives the worker's
    uid only its group's read access."""
    if mode == "rlimit" and os.geteuid() != 0:
        pytest.skip("without root, an rlimit worker runs as the grader's own uid: documented, nothing to hide")
    body = """
try:
    with open('data.txt', 'a') as f:
        f.write('changed')
    wrote = True
except OSError:
    wrote = False
try:
    open('new.txt', 'w').close()
    made = True
except OSError:
    made = False
answer(request, read=open('data.txt').read(), wrote=wrote, made=made)"""
    with worker(tmp_path, body, mode) as w:
        first = w.request({}).response
        w.kill()  # the next request starts a fresh worker on the same copy
        second = w.request({}).response
    for seen in (first, second):
        assert {k: seen[k] for k in ("read", "wrote", "made")} == {"read": "visible", "wrote": False, "made": False}


def test_an_rlimit_worker_sees_only_its_own_processes(tmp_path):
    """The grader's command line names the folder a whole class is graded from (every classmate's code and
    the earlier gradebook readable there): with its own /proc the worker sees only its uid's processes."""
    if os.geteuid() != 0 or not sandbox.namespaces_work():
        pytest.skip("only as root does the rlimit fallback get namespaces (its mode says so otherwise)")
    body = f"""pids = [p for p in os.listdir('/proc') if p.isdigit()]
try:
    grader = open('/proc/{os.getpid()}/cmdline', 'rb').read().decode()
except OSError:
    grader = None
answer(request, mine=os.getpid(), pids=pids, grader=grader)"""
    with worker(tmp_path, body, "rlimit") as w:
        reply = w.request({}).response
        assert "other processes hidden" in w.mode
    assert reply["grader"] is None and str(os.getpid()) not in reply["pids"] and str(reply["mine"]) in reply["pids"]
