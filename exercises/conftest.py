# Part of the self-check (pytest exercises/): read it freely; edits are not graded and a new copy replaces them.
"""Self-check plugin for `pytest exercises/`.

It points `import mygrad` at the folder being checked (this one, or `--submission PATH`), turns the stubs'
NotImplementedError into a short "not started" line, and ends the run with one row per task.
"""
import json
import re
import sys
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
NOT_STARTED = re.compile(r"(task\w+) not started")


def pytest_addoption(parser, pluginmanager):
    # pytest's first look at the command line takes `--submission solutions` for a path to test and loads
    # that folder's copy of this file too: register the plugin once, from whichever copy comes first.
    if pluginmanager.has_plugin("mygrad-selfcheck"):
        return
    group = parser.getgroup("mygrad")
    group.addoption("--submission", metavar="PATH",
                    help="folder holding the mygrad/ package to check (default: the exercises folder itself)")
    group.addoption("--summary-json", metavar="PATH", help="also write each task's status to this JSON file")
    pluginmanager.register(SelfCheck(HERE), "mygrad-selfcheck")


class SelfCheck:
    def __init__(self, home):
        self.home = home
        self.tasks = {t["id"]: t for t in tomllib.loads((home / "tasks.toml").read_text())["task"]}
        self.results = {}  # task id -> ["passed" | "not started" | "blocked" | "failed", ...]
        self.import_error = None

    def pytest_configure(self, config):
        for task in self.tasks.values():
            config.addinivalue_line("markers", f"{task['id']}: {task['title']}")
        # The per-task table at the end replaces pytest's list of failed test names; short tracebacks
        # keep each failure's teaching message in view.
        config.option.reportchars = config.option.reportchars.replace("f", "")
        if config.option.tbstyle == "auto":
            config.option.tbstyle = "short"
        self.submission = Path(config.getoption("submission") or self.home).resolve()
        if not (self.submission / "mygrad" / "__init__.py").is_file():
            raise pytest.UsageError(f"--submission {self.submission}: there is no mygrad/__init__.py in that folder")
        # The checked folder must come first on sys.path (pytest may have put an exercises folder there).
        sys.path[:] = [p for p in sys.path if not (Path(p or ".").resolve() / "mygrad").is_dir()]
        sys.path.insert(0, str(self.submission))
        for name in [n for n in sys.modules if n == "mygrad" or n.startswith("mygrad.")]:
            del sys.modules[name]

    def pytest_sessionstart(self, session):
        try:
            import mygrad
        except Exception as err:  # a syntax error in one file stops every import of mygrad
            self.import_error = f"{type(err).__name__}: {err}"
            return
        where = Path(mygrad.__file__).resolve().parent.parent
        if where != self.submission:
            raise pytest.UsageError(f"imported mygrad from {where}, expected {self.submission}")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = (yield).get_result()
        task = next((m.name for m in item.iter_markers() if m.name in self.tasks), None)
        if not task or (report.when != "call" and not report.failed):
            return
        status = "passed" if report.passed else "failed"
        stub = (call.excinfo is not None and call.excinfo.errisinstance(NotImplementedError)
                and NOT_STARTED.search(str(call.excinfo.value)))
        if stub:
            needed = stub.group(1)
            title = self.tasks.get(needed, {}).get("title", "")
            if needed == task:
                status, report.longrepr = "not started", f"{task} not started: {title} (lesson: {self.tasks[task]['lesson']})"
            else:
                status = "blocked"
                report.longrepr = f"this check of {task} needs {needed} ({title}) first: it is not started yet"
        self.results.setdefault(task, []).append(status)

    def status(self, task_id):
        results = self.results.get(task_id, [])
        if not results:
            return "not run"
        if all(r == "passed" for r in results):
            return "done"
        if "failed" in results:
            return "failing"
        return "in progress" if "passed" in results else "not started"

    def pytest_terminal_summary(self, terminalreporter, config):
        write = terminalreporter.write_line
        terminalreporter.section("mygrad self-check")
        if self.import_error:
            write(f"mygrad could not be imported: {self.import_error}")
            write("Fix that first: every check needs `import mygrad` to work.")
        statuses = {}
        for task_id, task in self.tasks.items():
            results = self.results.get(task_id, [])
            statuses[task_id] = status = self.status(task_id)
            mark = {"done": "[x]", "failing": "[!]", "in progress": "[~]"}.get(status, "[ ]")
            write(f"{mark} {task_id}  {task['title']:<48} {status:<12} {results.count('passed')}/{len(results)} checks")
            if status == "failing" and task.get("hints"):
                write(f"      hint: {task['hints'][0]}   (lesson: {task['lesson']})")
        path = config.getoption("summary_json")
        if path:
            Path(path).write_text(json.dumps({"import_error": self.import_error, "tasks": statuses}, indent=2))
