"""What a failed request means, in words a student can act on: a stub not started, a missing operator or
method, a plain number where a Value belongs, a crash, a timeout. One home for these texts: the hidden
checks and the harness both use it."""

from __future__ import annotations

import re

from ..student import ProbeFailure
from . import DIAGNOSES, explain

OPERATORS = {'+': 'add', '-': 'sub', '*': 'mul', '/': 'truediv', '**': 'pow'}
UNSUPPORTED = re.compile(r"unsupported operand type\(s\) for (\*\*|[-+*/])(?: or pow\(\))?: '(\w+)' and '(\w+)'")
RETURNED = re.compile(r"`(.+?)` returned (\w+), not a Value")
UNARY = re.compile(r"bad operand type for unary -: '(\w+)'")
NO_ATTRIBUTE = re.compile(r"'(\w+)' object has no attribute '(\w+)'")
CONTRACT_NAMES = {
    "data",
    "grad",
    "_prev",
    "_op",
    "_backward",
    "backward",
    "tanh",
    "exp",
    "log",
    "relu",
    "w",
    "b",
    "neurons",
    "layers",
    "parameters",
    "zero_grad",
    "topological_sort",
    "mse_loss",
    "sgd_step",
    "train",
    "Value",
    "Neuron",
    "Layer",
    "MLP",
    "Module",
}
KEYWORD = re.compile(r"(\w+)\(\) got an unexpected keyword argument '(\w+)'")


def missing_operation(err: ProbeFailure) -> tuple[str, str] | None:
    """(text, code) when the error says an operator, method or argument is missing rather than wrong."""
    if m := RETURNED.search(err.message):
        expr, kind = m.groups()
        return (
            f"`{expr}` returned {'None' if kind == 'NoneType' else 'a ' + kind}, not a Value: does the "
            "operation end with `return out` (at the method's own indentation, not inside `_backward`)?",
            "returns-none" if kind == "NoneType" else "missing-method",
        )
    if m := UNSUPPORTED.search(err.message):
        symbol, left, right = m.groups()
        if left in ('int', 'float'):
            return (
                f"`{right}` has no `__r{OPERATORS[symbol]}__`: `2 {symbol} a` needs it (a plain number on the "
                "left of a Value)",
                "missing-reflected-op",
            )
        return f"`{left}` has no `__{OPERATORS[symbol]}__`: `a {symbol} b` needs it", "missing-method"
    if m := UNARY.search(err.message):
        return f"`{m.group(1)}` has no `__neg__`: `-a` (and so `a - b`) needs it", "missing-method"
    if (m := NO_ATTRIBUTE.search(err.message)) and err.error_type == "AttributeError":
        owner, name = m.groups()
        if owner in ('int', 'float', 'NoneType'):
            return None
        asked = " (the contract, docs/contract.md, asks for it)" if name in CONTRACT_NAMES else ""
        return f"`{owner}` has no attribute `{name}`{asked}", "missing-method"
    if m := KEYWORD.search(err.message):
        return (
            f"`{m.group(1)}` does not take `{m.group(2)}=`: the contract (docs/contract.md) gives its signature",
            "missing-method",
        )
    return None


def failure_text(err: ProbeFailure, task: str) -> tuple[str, list[str]]:
    where = re.search(r"\(at ([^)]*)\)$", err.message)
    at = f" ({where.group(1)})" if where else ""
    if err.kind == "not-implemented":
        if err.task == task:
            return f"{task} is not started (or not finished): a stub{at} still raises NotImplementedError.", [
                "not-implemented"
            ]
        return (
            f"This check needs {err.task}, which is not finished yet: a stub{at} still raises "
            f"NotImplementedError. Fix {err.task} first.",
            ["needs-earlier-task"],
        )
    if err.kind == "import-error":
        return f"A file of your mygrad package could not be imported: {err.message}", ["import-error"]
    if err.kind == "exception":
        if err.error_type == "RecursionError":
            return (
                f"Your code raised {err.message}\n  Endless or very deep recursion: an operator that calls "
                "itself (e.g. `__radd__` returning `other + self`), or a recursive walk on a deep graph (use "
                "an explicit stack)."
            ), ["recursion-limit"]
        constant = NO_ATTRIBUTE.search(err.message)
        if err.error_type == "AttributeError" and constant and constant.group(1) in ("int", "float"):
            return (
                f"A plain number reached code that expects a Value: {err.message}" + explain("constant-not-wrapped")
            ), ["constant-not-wrapped"]
        if err.error_type == "AttributeError" and constant and constant.group(1) == "NoneType":
            return (
                f"An operation gave None where a Value belongs: {err.message}. Does every operation end "
                "with `return out`?" + explain("returns-none")
            ), ["returns-none"]
        missing = missing_operation(err)
        if missing:
            return f"{missing[0]} ({err.message}).", [missing[1]]
        said = "Your code raised" if where else "What your code returned could not be used:"
        return f"{said} {err.message}", ["exception"]
    if err.kind == "timeout" and err.message.startswith("not run: "):  # cut off after an earlier timeout
        return f"Not run: {err.message.removeprefix('not run: ')} (an endless loop or a very slow step?).", ["timeout"]
    said = {
        "timeout": "Your code did not answer in time and was stopped (an endless loop or a very slow step?).",
        "crashed": "The process running your code crashed",
        "exited": "Your code ended the process",
        "out-of-memory": "Your code ran out of memory",
        "bad-response": "The answer from your code's process was not valid",
    }.get(err.kind, "")
    return f"{said} ({err.message})" if said else err.message, [err.kind if err.kind in DIAGNOSES else "crashed"]
