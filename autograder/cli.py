"""The `mygrad` command: a thin argparse layer over plain functions."""
from __future__ import annotations

import argparse
import sys


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
        print("exercises/ is up to date" if not problems else
              "exercises/ is stale: run `mygrad build` and commit the result")
        return 1 if problems else 0
    print("wrote exercises/ and docs/tasks.md from solutions/")
    return 0


def cmd_verify(args) -> int:
    from .verify import verify
    return 0 if verify() else 1


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mygrad", description="Instructor tools for the mygrad-kit exercises.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    b = sub.add_parser("build", help="regenerate exercises/ from solutions/ (the only hand-edited copy)")
    b.add_argument("--check", action="store_true", help="change nothing; fail if exercises/ is stale")
    b.set_defaults(run=cmd_build)
    v = sub.add_parser("verify", help="prove the kit consistent: fresh build, solutions and reference pass, "
                                      "stubs fail task by task, no instructor imports in exercises/")
    v.set_defaults(run=cmd_verify)
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
