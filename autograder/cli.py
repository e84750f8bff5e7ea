"""The `mygrad` command: a thin argparse layer over plain functions."""

from __future__ import annotations

import argparse
import gc
import os
import signal
import sys

VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")  # Gradescope's settings


def cmd_build(args) -> int:
    from .build import FenceError, build

    try:
        problems = build(check=args.check)
    except FenceError as err:
        print(f"mygrad build: {err}", file=sys.stderr)
        return 2
    if args.check:
        for line in problems:
            print(line)
        print(
            "exercises/ and the generated docs are up to date"
            if not problems
            else "generated files are stale: run `mygrad build` and commit the result"
        )
        return 1 if problems else 0
    print("wrote exercises/, docs/tasks.md and docs/diagnoses.md")
    return 0


def cmd_release(args) -> int:
    from .release import ReleaseError, release

    try:
        files = release(args.out)
    except ReleaseError as err:
        print(f"mygrad release: {err}", file=sys.stderr)
        return 2
    print(f"wrote {len(files)} files to {args.out}: the student repository (push it as your course template)")
    return 0


def cmd_verify(args) -> int:
    from .verify import verify

    return 0 if verify(only=set(args.task) if args.task else None) else 1


def cmd_grade(args) -> int:
    import json
    import tempfile
    from pathlib import Path

    from . import samples, scratch
    from .grade import GradingError, grade

    only = set(args.task) if args.task else None
    try:
        with tempfile.TemporaryDirectory(prefix="mygrad-sample-", dir=scratch.folder()) as tmp:
            if args.sample:
                bugs = samples.load("bugs")
                if args.sample not in bugs:
                    print(f"mygrad grade: no sample named {args.sample!r} (known: {', '.join(bugs)})", file=sys.stderr)
                    return 2
                path = samples.materialize(bugs[args.sample], Path(tmp))
                title = f"Sample submission '{args.sample}': {bugs[args.sample]['about']}"
            elif args.submission:
                path, title = Path(args.submission), f"Submission {args.submission}"
            else:
                print("mygrad grade: give a SUBMISSION folder or .zip, or --sample NAME", file=sys.stderr)
                return 2
            results = grade(path, tasks=only, mode=args.isolation)
    except GradingError as err:
        print(f"mygrad grade: {err}", file=sys.stderr)
        return 2
    if args.json:
        from .atomic import write_atomic

        write_atomic(Path(args.json), json.dumps(results.to_gradescope(args.visibility), indent=2))
    if args.html:
        from .report_page import page

        Path(args.html).write_text(page(results, title))
    if not args.quiet:
        from . import report  # rich costs ~0.1 s to import: only when a report is printed

        report.render(results, title=title)
    return 0


def cmd_gradescope(args) -> int:
    from .gradescope import build_bundle

    try:
        files = build_bundle(args.out, visibility=args.visibility)
    except (FileNotFoundError, OSError) as err:
        print(f"mygrad gradescope: {err}", file=sys.stderr)
        return 2
    print(
        f"wrote {args.out}: setup.sh, run_autograder and {len(files)} files of the kit "
        f"(test visibility: {args.visibility})\n"
        "next: upload it as the autograder of a Gradescope programming assignment (see docs/gradescope.md)"
    )
    return 0


def cmd_grade_all(args) -> int:
    from pathlib import Path

    from . import catalogue
    from .batch import BAD_ARGS, Settings, grade_all

    def bad(message: str) -> int:
        print(f"mygrad grade-all: {message}", file=sys.stderr)
        return BAD_ARGS

    unknown = sorted(set(args.task or ()) - set(catalogue.load()))
    if unknown:
        return bad(f"unknown task {', '.join(unknown)} (known: {', '.join(catalogue.load())})")
    if not Path(args.submissions).is_dir():
        return bad(f"{args.submissions}: not a folder (give the folder holding one entry per student)")
    if args.jobs < 1:
        return bad("--jobs must be at least 1")
    if args.scheduler:
        try:
            import distributed  # noqa: F401
        except ImportError:
            return bad("--scheduler needs Dask: pip install -e '.[cluster]'")
    try:
        Path(args.out).mkdir(parents=True, exist_ok=True)
    except OSError as err:
        return bad(f"cannot create the output folder {args.out} ({err.strerror})")
    settings = Settings(
        tuple(sorted(set(args.task))) if args.task else None, args.isolation, args.budget, args.request_timeout
    )
    try:
        return grade_all(Path(args.submissions), Path(args.out), args.jobs, args.scheduler, settings, args.force)
    except OSError as err:  # e.g. the Dask scheduler cannot be reached
        return bad(f"{type(err).__name__}: {err}")


def cmd_nbgrader_init(args) -> int:
    from .nbgrader.course import init_course

    try:
        done = init_course(args.course_dir, force=args.force, course_id=args.course_id)
    except FileExistsError as err:
        print(f"mygrad nbgrader init: {err}", file=sys.stderr)
        return 2
    print("\n".join(done) + f"\nnext: cd {args.course_dir} && nbgrader generate_assignment mygrad")
    return 0


def cmd_nbgrader_autograde(args) -> int:
    from .nbgrader.parallel import autograde

    return autograde(
        args.course,
        args.assignment,
        jobs=args.jobs,
        request_timeout=args.request_timeout,
        budget=args.budget,
        force=args.force,
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mygrad", description="Instructor tools for the mygrad-kit exercises.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    b = sub.add_parser("build", help="regenerate exercises/ from solutions/ (the only hand-edited copy)")
    b.add_argument("--check", action="store_true", help="change nothing; fail if exercises/ is stale")
    b.set_defaults(run=cmd_build)
    v = sub.add_parser(
        "verify",
        help="prove the kit consistent: fresh build, solutions and reference pass, "
        "stubs fail task by task, no instructor imports in exercises/",
    )
    v.add_argument(
        "--task",
        action="append",
        metavar="ID",
        help="check only this task's fenced bodies one by one, the slow step (repeatable; the rest is checked whole)",
    )
    v.set_defaults(run=cmd_verify)
    r = sub.add_parser(
        "release",
        help="write the student repository (stubs, public checks, lessons; no answers)",
        description="Write what students get into OUT, a new or empty folder: exercises/ (stubs, "
        "public checks, self-check), the lessons, the student guide and contract, a "
        "student README, requirements.txt and .gitignore. Nothing of solutions/, "
        "mygrad_ref/, autograder/. Exit status 2 when OUT is not empty or the build "
        "is stale.",
    )
    r.add_argument("out", help="the folder to write (created; must be new or empty)")
    r.set_defaults(run=cmd_release)
    g = sub.add_parser(
        "grade",
        help="grade one submission with the hidden suites (student code sandboxed)",
        description="Grade a folder holding mygrad/ (or a .zip of one). Exit status 0 whenever "
        "grading completed, whatever the score; 2 when the grader could not run.",
    )
    g.add_argument("submission", nargs="?", help="a folder holding mygrad/, a .zip of one, or a notebook (.ipynb)")
    g.add_argument("--sample", metavar="NAME", help="grade a bundled sample submission instead (e.g. demo)")
    g.add_argument("--json", metavar="PATH", help="write the results in Gradescope's results.json format")
    g.add_argument("--task", action="append", metavar="ID", help="grade only this task (repeatable)")
    g.add_argument(
        "--isolation",
        choices=["bubblewrap", "rlimit"],
        help="force an isolation mode (default: bubblewrap when it works)",
    )
    g.add_argument("--html", metavar="PATH", help="write the report as a web page, each failed graph drawn")
    g.add_argument("--quiet", action="store_true", help="print no report (use with --json)")
    g.add_argument(
        "--visibility",
        choices=VISIBILITIES,
        default="visible",
        help="Gradescope visibility written into --json for the result and each test (default: visible)",
    )
    g.set_defaults(run=cmd_grade)
    gs = sub.add_parser(
        "gradescope",
        help="build the autograder zip to upload to Gradescope",
        description="Write OUT.zip: setup.sh (installs the kit on Gradescope's Ubuntu image), "
        "run_autograder (grades /autograder/submission into results.json, always) and "
        "the kit's source. Exit status 0 when written, 2 when it cannot be.",
    )
    gs.add_argument("out", metavar="OUT.zip", help="the bundle to write")
    gs.add_argument(
        "--visibility",
        choices=VISIBILITIES,
        default="visible",
        help="when students see each test's result and feedback: visible (at once), after_due_date, "
        "after_published (when you publish grades) or hidden (never) (default: visible)",
    )
    gs.set_defaults(run=cmd_gradescope)
    ga = sub.add_parser(
        "grade-all",
        help="grade a whole class in parallel: results, gradebook, class report",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Grade every entry of SUBMISSIONS (a folder per student holding mygrad/ at any "
        "depth, as in an LMS export, or a .zip or .ipynb per student; the student id is "
        "the entry's name without extension).",
        epilog="writes (in --out):\n"
        "  students/ID/results.json   Gradescope format\n"
        "  students/ID/feedback.html  the report, as a page\n"
        "  gradebook.csv              student, total, one column per task\n"
        "  class-report.html          plots and the submissions that need a look\n"
        "A re-run grades only what changed (or all of it after a change to the grader); "
        "Ctrl-C keeps what finished.\n"
        "exit status: 0 every submission graded; 1 some could not be graded (each has a "
        "results.json with 0 points and the reason; a re-run tries them again); 2 bad "
        "arguments or nothing to grade; 130 interrupted.",
    )
    ga.add_argument("submissions", metavar="SUBMISSIONS", help="the folder holding one entry per student")
    ga.add_argument("--out", default="grades", help="where the results go (default: grades/, created if missing)")
    ga.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1,
        help="grading processes (default: all cores)",
    )
    ga.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="grade on a Dask cluster, e.g. tcp://host:8786 (needs the "
        "cluster extra; every worker needs the kit and bubblewrap)",
    )
    ga.add_argument("--task", action="append", metavar="ID", help="grade only this task (repeatable)")
    ga.add_argument("--isolation", choices=["bubblewrap", "rlimit"], help="force an isolation mode")
    ga.add_argument("--budget", type=float, default=120.0, help="seconds of student code per submission (default 120)")
    ga.add_argument("--request-timeout", type=float, default=5.0, help="seconds per check (default 5)")
    ga.add_argument("--force", action="store_true", help="regrade everything, ignoring the cache")
    ga.set_defaults(run=cmd_grade_all)
    nb = sub.add_parser("nbgrader", help="the nbgrader course: init, parallel autograde")
    nbsub = nb.add_subparsers(dest="nbgrader_command", required=True, metavar="COMMAND")
    init = nbsub.add_parser("init", help="create an nbgrader course with the mygrad assignment")
    init.add_argument("course_dir", help="the folder to create (it becomes the nbgrader course root)")
    init.add_argument(
        "--course-id",
        default="mygrad",
        metavar="ID",
        help="nbgrader's course id (CourseDirectory.course_id; default: mygrad)",
    )
    init.add_argument(
        "--force",
        action="store_true",
        help="replace a config or source notebook that differs from what init writes (edited?), "
        "keeping the old one as FILE.bak; without it init refuses (exit status 2)",
    )
    init.set_defaults(run=cmd_nbgrader_init)
    auto = nbsub.add_parser(
        "autograde",
        help="grade every submitted notebook in parallel, into the gradebook",
        description="Grade submitted/*/ASSIGNMENT/*.ipynb with N processes, then record the "
        "grades with nbgrader's own `nbgrader autograde` (same results as a "
        "serial run; an interrupted run resumes where it stopped).",
    )
    auto.add_argument("assignment", help="the assignment name (mygrad)")
    auto.add_argument("--course", default=".", help="the course folder (default: the current folder)")
    auto.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 2, help="processes (default: CPU count)")
    auto.add_argument("--request-timeout", type=float, default=5.0, help="seconds per check (default 5)")
    auto.add_argument("--budget", type=float, default=120.0, help="seconds per notebook (default 120)")
    auto.add_argument("--force", action="store_true", help="regrade students nbgrader has autograded already")
    auto.set_defaults(run=cmd_nbgrader_autograde)
    return p


def interrupt(signum, frame):
    """SIGTERM ends a grade like Ctrl-C: the sandboxed worker's processes and temporary folders go with it."""
    raise KeyboardInterrupt


def run() -> None:
    """The `mygrad` command. `mygrad grade` leaves with os._exit: everything is written and flushed (its
    temporary folders are gone with their `with` blocks), and the interpreter's exit would only run one
    last full collection over the grade's garbage (~20% of a grade's CPU) just before the memory is handed
    back anyway. Young objects are collected rarely from the start (as grading does: grade.rare_collections):
    importing pytest and the grader makes ~100,000 objects that all stay, and the default threshold scans
    them ~60 times for nothing."""
    gc.set_threshold(200_000, 50, 100)
    code = main()
    if sys.argv[1:2] != ["grade"]:
        sys.exit(code)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    from .catalogue import KIT_ROOT

    if not (KIT_ROOT / "solutions" / "tasks.toml").is_file():
        print(
            f"mygrad: no kit at {KIT_ROOT} (solutions/tasks.toml is missing): mygrad-kit runs from a checkout; "
            "install it with `pip install -e .` from a clone of the repository",
            file=sys.stderr,
        )
        return 2
    signal.signal(signal.SIGTERM, interrupt)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print(f"mygrad {args.command}: interrupted (nothing half-written was kept)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    run()
