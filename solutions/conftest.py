"""Self-check plugin for `pytest exercises/`: a tutor's summary of the public checks.

It points `import mygrad` at the folder being checked (this one, or `--submission PATH`), turns each
outcome into one short line (a stub not started yet, a check waiting for an earlier task, an open
challenge, a recursion too deep), and ends the run with one row per task and the hint of the check that
failed (hints in levels, from tasks.toml; `--hint taskN` shows the next level). Progress and the hint
levels seen are remembered in a small file in the checked folder (.mygrad-progress.json).
"""
import ast
import gc
import html
import importlib
import importlib.util
import json
import os
import re
import shutil
import signal
import sys
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
NOT_STARTED = re.compile(r"(task\w+) not started")
PROGRESS = ".mygrad-progress.json"
MARKS = {"done": "[x]", "failing": "[!]", "in progress": "[~]"}
# What pytest's progress line and counts say for outcomes that are not a wrong answer of this check.
QUIET = {"not started": "n", "blocked": "b", "challenge open": "c"}
# Seconds one check may run: they take milliseconds, so a check still running is in an endless loop
CHECK_SECONDS = 15


def pytest_addoption(parser, pluginmanager):
    # pytest's first look at the command line takes `--submission solutions` for a path to test and loads
    # that folder's copy of this file too: register the plugin once, from whichever copy comes first.
    if pluginmanager.has_plugin("mygrad-selfcheck"):
        return
    group = parser.getgroup("mygrad")
    group.addoption("--submission", metavar="PATH",
                    help="folder holding the mygrad/ package to check (default: the exercises folder itself)")
    group.addoption("--hint", metavar="TASK", help="run TASK's checks and show the next hint for its first "
                                                   "failing check (each call goes one level further)")
    group.addoption("--watch", action="store_true", help="after the run, wait for a saved change in mygrad/ "
                                                         "and run the current task again (Ctrl-C stops)")
    group.addoption("--progress", metavar="PATH", help=f"where progress is remembered (default: {PROGRESS} in "
                                                       "the checked folder; 'none' to remember nothing)")
    group.addoption("--summary-json", metavar="PATH", help="also write each task's status to this JSON file")
    group.addoption("--check-seconds", metavar="S", type=int, default=CHECK_SECONDS,
                    help=f"stop a check that runs longer than this (default {CHECK_SECONDS}: an endless loop)")
    pluginmanager.register(SelfCheck(HERE), "mygrad-selfcheck")


def drawing_helper(home):
    """draw_comparison from the given mygrad/draw.py: the checked package's, else the kit's own copy."""
    try:
        return importlib.import_module("mygrad.draw").draw_comparison
    except (ImportError, AttributeError):
        spec = importlib.util.spec_from_file_location("mygrad_kit_draw", home / "mygrad" / "draw.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.draw_comparison


def load_tasks(home):
    return {t["id"]: t for t in tomllib.loads((home / "tasks.toml").read_text())["task"]}


def check_key(item):
    """The check's name in tasks.toml: `test_name[param]` when that entry exists (one per parameter),
    else `test_name`."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    return item.originalname, [f"{item.originalname}[{v}]" for v in params.values() if isinstance(v, str)]


class SelfCheck:
    def __init__(self, home):
        self.home = home
        self.tasks = load_tasks(home)
        self.results = {}  # task id -> {check name: "passed" | "failed" | "not started" | "blocked" | "challenge open"}
        self.import_error = None
        self.challenge_said = {}  # task id -> the open challenge's one-line outcome
        self.saved = {"tasks": {}, "hints_seen": {}}
        self.drawings = []  # (check, message, graph) of failed graph checks: drawn on the report page
        self.collected = {}  # task id -> its checks this run collected (a task is done only once all have run)
        self.interrupted = False
        self.unimported = {}  # task id -> why its checks' file could not be imported (this run)
        self.foreign = {}  # task file -> modules outside the standard library it imports

    # --- setting up ------------------------------------------------------------------------------------

    def pytest_configure(self, config):
        # Every node of an engine's graph is in a reference cycle through its closure, so at the default
        # thresholds the cyclic collector runs again and again over graphs still in use: most of a training
        # step. Collect far less often; the graphs are freed when the checks end.
        gc.freeze()
        gc.set_threshold(200_000, 50, 100)
        for task in self.tasks.values():
            config.addinivalue_line("markers", f"{task['id']}: {task['title']}")
        # The per-task table at the end replaces pytest's list of failed test names.
        config.option.reportchars = config.option.reportchars.replace("f", "")
        if config.option.tbstyle == "auto":
            config.option.tbstyle = "short"
        self.hint = config.getoption("hint")
        self.check_seconds = config.getoption("check_seconds")
        if self.hint and self.hint not in self.tasks:
            raise pytest.UsageError(f"--hint {self.hint}: no such task (known: {', '.join(self.tasks)})")
        self.submission = Path(config.getoption("submission") or self.home).resolve()
        if not (self.submission / "mygrad" / "__init__.py").is_file():
            raise pytest.UsageError(f"--submission {self.submission}: there is no mygrad/__init__.py in that folder")
        progress = config.getoption("progress")
        self.progress = None if progress == "none" else Path(progress or self.submission / PROGRESS)
        if self.progress and self.progress.is_file():
            try:
                self.saved.update(json.loads(self.progress.read_text()))
            except (ValueError, OSError):
                pass  # a damaged progress file only costs the memory of the last run
        # The checked folder must come first on sys.path (pytest may have put an exercises folder there).
        sys.path[:] = [p for p in sys.path if not (Path(p or ".").resolve() / "mygrad").is_dir()]
        sys.path.insert(0, str(self.submission))
        for name in [n for n in sys.modules if n == "mygrad" or n.startswith("mygrad.")]:
            del sys.modules[name]

    def foreign_imports(self):
        """{file: modules} for each task file whose module body imports a module outside the standard library:
        here it may be installed, but the grader runs the package with the standard library only (the
        contract). Only what runs on import: an import in a function, under `if __name__ == "__main__":` or
        in a try that catches its failure is left to the checks."""
        stdlib = getattr(sys, "stdlib_module_names", ())
        found = {}
        for rel in dict.fromkeys(f for task in self.tasks.values() for f in task.get("files", [])):
            try:
                tree = ast.parse((self.submission / rel).read_text())
            except (OSError, SyntaxError, ValueError):
                continue  # a missing file or a syntax error: the checks say so
            names = set()
            for node in tree.body:
                if isinstance(node, ast.Import):
                    names.update(a.name.split(".")[0] for a in node.names)
                elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                    names.add(node.module.split(".")[0])
            # mygrad_ref: the kit's reference, which its shim package imports when `mygrad verify` checks it
            # (no student release holds it; the grader flags it anyway)
            foreign = sorted(n for n in names if stdlib and n not in stdlib and n not in ("mygrad", "mygrad_ref"))
            if foreign:
                found[rel] = foreign
        return found

    def pytest_sessionstart(self, session):
        self.foreign = self.foreign_imports()
        try:
            import mygrad
        except Exception as err:  # a syntax error in one file stops every import of mygrad
            self.import_error = f"{type(err).__name__}: {err}"
            # As the grader does: a bare package whose files import one by one, so the checks of the files
            # that work still run (and the others' test files fail to import, each saying why)
            for name in [n for n in sys.modules if n == "mygrad" or n.startswith("mygrad.")]:
                del sys.modules[name]
            package = type(sys)("mygrad")
            package.__path__ = [str(self.submission / "mygrad")]
            package.__getattr__ = names_of_modules(self.submission / "mygrad", self.import_error)
            sys.modules["mygrad"] = package
            session.config.option.continue_on_collection_errors = True
            return
        where = Path(mygrad.__file__).resolve().parent.parent
        if where != self.submission:
            raise pytest.UsageError(f"imported mygrad from {where}, expected {self.submission}")

    def pytest_collectreport(self, report):
        """A test file that could not be imported (a syntax error in the mygrad file it imports): its task
        fails in this run; the last run's "done" must not stand for it."""
        task = re.search(r"test_(task\d+)_\w*\.py$", str(report.nodeid))
        if report.failed and task and task.group(1) in self.tasks:
            last = str(report.longrepr).strip().splitlines()[-1]
            self.unimported[task.group(1)] = re.sub(r"^E\s+", "", last)[:200]  # pytest's "E   " prefix

    def pytest_collection_modifyitems(self, config, items):
        if self.hint:  # --hint taskN runs taskN's checks only
            keep = [i for i in items if i.get_closest_marker(self.hint)]
            config.hook.pytest_deselected(items=[i for i in items if i not in keep])
            items[:] = keep
        self.order = [self.check_of(i)[1] for i in items]

    def pytest_collection_finish(self, session):
        for item in session.items:  # after -m and --hint chose them
            task, check = self.check_of(item)
            if task:
                self.collected.setdefault(task, set()).add(check)

    def pytest_sessionfinish(self, session, exitstatus):
        if self.foreign and exitstatus == pytest.ExitCode.OK:  # its checks pass here, its tasks fail when graded
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_keyboard_interrupt(self, excinfo):
        self.interrupted = True

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        """A check stopped after CHECK_SECONDS, with a message that says why (where SIGALRM exists)."""
        if not hasattr(signal, "SIGALRM"):
            yield
            return

        def stop(signum, frame):
            raise TimeoutError(f"this check ran for over {self.check_seconds} s (the checks take milliseconds): an "
                               "endless loop in your code? (a `while` whose condition never changes, a stack "
                               "that never shrinks)")

        previous = signal.signal(signal.SIGALRM, stop)
        signal.alarm(self.check_seconds)
        try:
            yield
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)

    # --- one check ----------------------------------------------------------------------------------------

    def check_of(self, item):
        task = next((m.name for m in item.iter_markers() if m.name in self.tasks), None)
        checks = self.tasks.get(task, {}).get("checks", {})
        name, specific = check_key(item)
        return task, next((k for k in specific if k in checks), name)

    def info(self, task, check):
        return self.tasks[task].get("checks", {}).get(check, {})

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = (yield).get_result()
        task, check = self.check_of(item)
        if not task or (report.when != "call" and not report.failed):
            return
        status = "passed" if report.passed else "failed"
        error = call.excinfo
        stub = error is not None and error.errisinstance(NotImplementedError) and NOT_STARTED.search(str(error.value))
        if stub and stub.group(1) == task:
            status, report.longrepr = "not started", f"{task} not started: {self.tasks[task]['title']}"
        elif stub:
            needed = stub.group(1)
            status, report.longrepr = "blocked", f"this check of {task} needs {needed} first: it is not started yet"
        elif status == "failed":
            if error is not None and error.errisinstance(RecursionError):
                report.longrepr = self.recursion_line(error)
            elif error is not None and error.errisinstance(TimeoutError) and "endless loop" in str(error.value):
                package = self.submission / "mygrad"
                mine = [e for e in error.traceback if package in Path(str(e.path)).resolve().parents]
                where = f" (stopped in {Path(str(mine[-1].path)).name}, line {mine[-1].lineno + 1})" if mine else ""
                report.longrepr = f"{error.value}{where}"
            elif error is not None and error.errisinstance(AssertionError) and str(error.value):
                report.longrepr = str(error.value).split("\nassert ")[0]  # the check's own message, no code
            if self.info(task, check).get("challenge"):
                status = "challenge open"
            failing = [t for t in self.tasks[task].get("prerequisites", [])
                       if "failed" in self.results.get(t, {}).values()]
            if failing:  # one line: the cause is most likely in the earlier task, not here
                report.longrepr = (f"{failing[0]} is failing: fix it first (this check builds on it; here: "
                                   f"{error.exconly().splitlines()[0] if error else 'failed'})")
        if status == "failed" and error is not None and isinstance(getattr(error.value, "graph", None), dict):
            self.drawings.append((check, str(error.value), error.value.graph))
        if status in QUIET:
            report.mygrad_status = status
        if status == "challenge open":
            self.challenge_said[task] = str(report.longrepr).splitlines()[-1]
            report.outcome = "passed"  # open, not failed: a run with every task done exits 0 (e.g. for CI)
        results = self.results.setdefault(task, {})
        if results.get(check, "passed") == "passed" or status == "failed":  # parameters: the worst one counts
            results[check] = status

    def recursion_line(self, error):
        mine = [e for e in error.traceback if self.submission in Path(str(e.path)).resolve().parents]
        where = f" in {Path(str(mine[-1].path)).name}, line {mine[-1].lineno + 1}, {mine[-1].name}()" if mine else ""
        return (f"RecursionError{where}: more than {sys.getrecursionlimit()} nested calls; a recursive walk "
                "cannot handle a graph this deep")

    def pytest_report_teststatus(self, report, config):
        status = getattr(report, "mygrad_status", None)
        if status:
            return status, QUIET[status], status.upper()

    # --- the summary ------------------------------------------------------------------------------------

    def status(self, task_id):
        results = [s for c, s in self.results.get(task_id, {}).items() if s != "challenge open"
                   and not self.info(task_id, c).get("challenge")]
        if task_id in self.unimported:
            return "failing"  # its checks could not even be imported
        if not self.results.get(task_id):
            # stopped (Ctrl-C) before any of its checks reported: not done, whatever the last run said
            return "not done" if self.interrupted and task_id in self.collected else "not run"
        if any(f in self.foreign for f in self.tasks[task_id].get("files", [])):
            return "failing"  # it works here, not where it is graded
        if any(self.status(t) in ("failing", "blocked") for t in self.tasks[task_id].get("prerequisites", [])):
            return "blocked"  # an earlier task this one builds on fails: fix it first, then this one counts
        if "failed" in results:
            return "failing"
        unfinished = self.collected.get(task_id, set()) - set(self.results[task_id])  # stopped (Ctrl-C) first
        if all(r == "passed" for r in results) and not unfinished:
            return "done"
        return "in progress" if "passed" in results else "not started"

    def first_failing(self, task_id, want=("failed",)):
        results = self.results.get(task_id, {})
        return next((c for c in self.order if results.get(c) in want), None)

    def pytest_terminal_summary(self, terminalreporter, config):
        write = terminalreporter.write_line
        terminalreporter.section("mygrad self-check")
        if self.import_error:
            write(f"mygrad could not be imported: {self.import_error}")
            write("Fix that first: the checks of the files it stops could not run (the others did).")
        rows, statuses = self.saved["tasks"], {}
        for task_id, task in self.tasks.items():
            statuses[task_id] = status = self.status(task_id)
            if status != "not run":
                results = [s for c, s in self.results.get(task_id, {}).items()
                           if not self.info(task_id, c).get("challenge")]
                rows[task_id] = {"status": status, "passed": results.count("passed"), "checks": len(results),
                                 "challenge": self.open_challenge(task_id) if status == "done" else None}
            row = rows.get(task_id)
            if not row:
                write(f"[ ] {task_id}  {task['title']:<48} not run")
                continue
            extra = "" if status != "not run" else "   (remembered from your last run)"
            challenge = f"; challenge open: {row['challenge']}" if row.get("challenge") else ""
            write(f"{MARKS.get(row['status'], '[ ]')} {task_id}  {task['title']:<48} {row['status']:<12} "
                  f"{row['passed']}/{row['checks']} checks{challenge}{extra}")
            if status in ("failing", "blocked"):  # blocked: the row names the earlier task to fix first
                self.write_hint(write, task_id)
            elif row.get("challenge") and task_id in self.challenge_said:
                write(f"      {self.challenge_said[task_id]}")
        for rel, modules in self.foreign.items():
            write(f"{rel} imports {', '.join(modules)}, outside Python's standard library: the grader runs your "
                  "package with the standard library only, so its tasks fail there (see the contract)")
        if self.interrupted:
            write("(interrupted: the checks that did not run count as not done)")
        if self.import_error:  # nothing ran: the rows above are the last run's, and the next step is this one
            write("next: fix the error above, then run the checks again")
        elif self.foreign:
            rel, modules = next(iter(self.foreign.items()))
            write(f"next: use only the standard library in {rel} (no {', '.join(modules)})")
        else:
            write(self.next_step(statuses, rows))
        page = self.write_page()
        if page:
            write(f"a picture of the graph that went wrong: {page}")
        if self.hint:
            self.next_hint(write, self.hint, statuses[self.hint])
        self.save()
        path = config.getoption("summary_json")
        if path:
            Path(path).write_text(json.dumps({"import_error": self.import_error, "tasks": statuses}, indent=2))

    def write_page(self):
        """The failed graph checks drawn (your grad and the expected one at every node, the first wrong node in
        red) on a page beside your progress file; None when there is nothing to draw or no place to put it."""
        if not self.drawings or not self.progress:
            return None
        try:
            draw = drawing_helper(self.home)
            pictures = [draw(graph).pipe(format="svg").decode() for _, _, graph in self.drawings]
        except Exception:  # noqa: BLE001 - no Graphviz, or a draw.py of the student's own: no page, no harm
            return None
        body = "".join(f"<h2>{html.escape(check)}</h2><pre>{html.escape(message)}</pre>{svg[svg.index('<svg'):]}"
                       for (check, message, _), svg in zip(self.drawings, pictures))
        page = self.progress.with_name("mygrad-report.html")
        page.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'><title>mygrad self-check</title></head>"
                        "<style>body{font-family:sans-serif}pre{white-space:pre-wrap}svg{max-width:100%;height:auto}</style>"
                        f"<body><h1>What went wrong</h1>{body}</body></html>")
        return page

    def open_challenge(self, task_id):
        results = self.results.get(task_id, {})
        return next((self.info(task_id, c)["challenge"] for c in self.order
                     if results.get(c) not in (None, "passed") and self.info(task_id, c).get("challenge")), None)

    def write_hint(self, write, task_id):
        mine = [f for f in self.tasks[task_id].get("files", []) if f in self.foreign]
        if mine:
            write(f"      {mine[0]} imports {', '.join(self.foreign[mine[0]])}: only the standard library is there "
                  "when it is graded")
            return
        if task_id in self.unimported:
            write(f"      its checks could not be imported: {self.unimported[task_id]}")
            return
        failing = [t for t in self.tasks[task_id].get("prerequisites", []) if self.status(t) == "failing"]
        if failing:
            write(f"      {failing[0]} is failing: fix it first")
            return
        check = self.first_failing(task_id)
        hints = self.info(task_id, check).get("hints", [])
        if hints:
            level = min(max(self.saved["hints_seen"].get(check, 1), 1), len(hints))
            write(f"      {check}: {hints[level - 1]}")
            if level < len(hints):
                write(f"      more help: {self.command()} --hint {task_id}   (lesson: {self.tasks[task_id]['lesson']})")

    def next_hint(self, write, task_id, status):
        """--hint taskN: one level further on taskN's first failing check, remembered."""
        check = self.first_failing(task_id) or self.first_failing(task_id, ("challenge open",))
        if not check:
            write(f"--hint {task_id}: {task_id} is {status}; nothing is failing, so there is no hint to give"
                  + (f" (lesson: {self.tasks[task_id]['lesson']})" if status == "not started" else ""))
            return
        hints = self.info(task_id, check).get("hints", [])
        shown = 0 if self.info(task_id, check).get("challenge") else 1  # the table shows a failing check's first level
        seen = self.saved["hints_seen"].get(check, shown)
        level = min(seen + 1, len(hints))
        self.saved["hints_seen"][check] = level
        last = "  (the last hint: the lesson has the rest)" if level == len(hints) else ""
        write(f"hint {level}/{len(hints)} for {check}: {hints[level - 1]}{last}")

    def next_step(self, statuses, rows):
        if self.interrupted:
            return "next: run the checks again, to the end"
        for task_id, task in self.tasks.items():
            status = statuses[task_id] if statuses[task_id] != "not run" else rows.get(task_id, {}).get("status")
            if status == "done":
                continue
            if status == "failing":
                return f"next: make {task_id} pass ({self.command()} -m {task_id})"
            return (f"next: {task_id}, the TODOs in {relative(self.submission)}/{task['files'][0]} "
                    f"(lesson: {task['lesson']})")
        return "All tasks done."

    def command(self):
        """The command that checks the same folder again."""
        other = f" --submission {relative(self.submission)}" if self.submission != self.home else ""
        return f"{rerun_program()} {relative(self.home)}/{other}"

    def save(self):
        if not self.progress:
            return
        try:
            self.progress.write_text(json.dumps(self.saved, indent=1))
        except OSError:
            pass  # a read-only folder: nothing is remembered, nothing breaks

    def pytest_unconfigure(self, config):
        if config.getoption("watch"):
            watch_and_rerun(self.submission / "mygrad", self.current_task())

    def current_task(self):
        statuses = {t: self.status(t) for t in self.tasks}
        rows = self.saved["tasks"]
        return next((t for t in self.tasks if (statuses[t] if statuses[t] != "not run"
                                               else rows.get(t, {}).get("status")) != "done"), None)


def rerun_program():
    """How this run was started, as the student would type it again (.venv/bin/pytest, pytest, ...)."""
    started = Path(sys.argv[0])
    if started.name not in ("pytest", "py.test", "pytest.exe"):
        return "python -m pytest"
    on_path = shutil.which(started.name)
    if on_path and Path(on_path).resolve() == started.resolve():
        return started.name
    return relative(started) if not relative(started).startswith("..") else str(started)


def names_of_modules(folder, failed):
    """The bare package's __getattr__, as the grader's: `from mygrad import Value` in nn.py finds Value in the
    first file of the package that imports and has it, so a syntax error in warmup.py fails warmup's checks only."""
    def __getattr__(name):
        if not name.startswith("__"):
            for file in sorted(Path(folder).glob("*.py")):
                if file.name != "__init__.py":
                    try:
                        module = importlib.import_module(f"mygrad.{file.stem}")
                    except Exception:  # that file's own checks say what is wrong with it
                        continue
                    if hasattr(module, name):
                        return getattr(module, name)
        raise AttributeError(f"module 'mygrad' has no attribute {name!r} (its __init__.py failed: {failed})")
    return __getattr__


def relative(path):
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def watch_and_rerun(folder, task):
    """Wait for a saved change under folder (watchfiles: the OS's file events, no polling), then run
    pytest again in a fresh process on the current task."""
    from watchfiles import watch

    argv, chosen = sys.argv[1:], os.environ.pop("MYGRAD_WATCH_TASK", None)
    if chosen and argv[-2:] == ["-m", chosen]:  # the task this loop chose last time: choose again
        argv = argv[:-2]
    if task and "-m" not in argv:  # the student named no task: follow the current one
        argv += ["-m", task]
        os.environ["MYGRAD_WATCH_TASK"] = task
    print(f"\nwatching {relative(folder)} for changes (Ctrl-C stops)...", flush=True)
    try:
        next(iter(watch(folder, watch_filter=lambda change, path: path.endswith(".py"))))
    except KeyboardInterrupt:
        return
    os.execv(sys.executable, [sys.executable, "-m", "pytest", *argv])
