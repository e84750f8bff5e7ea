"""The form of every answer the sandboxed worker may send, checked before any check reads it.

An answer that is not exactly of its form (types, keys, lengths, string sizes) is a bad response for that
request, never a puzzle for a hidden test. Numbers arrive as floats, or as 'nan'/'inf'/'-inf' strings.
"""

from __future__ import annotations

import math

NUM, INT, BOOL, STR = "num", "int", "bool", "str"
NODE = "node"  # a node's number, or -1 for an object that is no node of the graph asked about
MAX_LIST, MAX_STR, MAX_ITEMS = 50_000, 600, 200_000


def List(form, most=MAX_LIST):  # noqa: N802 - reads like a type
    return ("list", form, most)


def Either(*forms):  # noqa: N802
    return ("either", *forms)


RUN = {"data": List(NUM), "grads": List(NUM), "children?": List(List(INT, 64))}
FORMS = {
    "graph": List(RUN, 16),
    "children": {"children": List(List(INT, 64)), "data": List(NUM)},
    "drive": List(NUM),
    "recorded": List(
        Either(
            {"logs": List(List(INT)), "grads": List(NUM), "seeded?": List(Either(NUM, None))},
            {"order": List(NODE), "again": List(NODE)},
        ),
        16,
    ),
    "warmup": Either(NUM, List(NUM, 3), {k: NUM for k in "abcdef"}),
    "module": {
        "count": INT,
        "all_values": BOOL,
        "in_order": BOOL,
        "distinct": BOOL,
        "same_objects": BOOL,
        "kind?": STR,
        "out?": List(NUM),
        "outputs?": List(INT),
        "params?": List(INT),
    },
    "zero_grad": {"count": INT, "grads": List(Either(NUM, STR)), "data": List(NUM), "same_objects": BOOL},
    "mse": {"loss": NUM, "root": INT, "preds": List(INT)},
    "sgd": List(NUM),
    "training": {"losses": List(NUM), "params": List(NUM)},
    "own_training": {"before": List(NUM), "after": List(NUM), "params?": List(NUM), "error?": STR},
    "predict": List(NUM),
}
ERROR = {"type": STR, "message": STR, "where": STR, "task": Either(STR, None), "import": BOOL}
NON_FINITE = ("nan", "inf", "-inf")


def conforms(value, form, budget: list[int]) -> bool:
    """Whether value has the form; budget[0] bounds the items looked at (the check itself stays linear)."""
    budget[0] -= 1
    if budget[0] < 0:
        return False
    if form is None:
        return value is None
    if form == NUM:
        return (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and (abs(value) < 2**53 if isinstance(value, int) else math.isfinite(value))
        ) or value in NON_FINITE
    if form in (INT, NODE):
        return isinstance(value, int) and not isinstance(value, bool) and (-1 if form == NODE else 0) <= value < 10**9
    if form == BOOL:
        return isinstance(value, bool)
    if form == STR:
        return isinstance(value, str) and len(value) <= MAX_STR
    if isinstance(form, dict):
        if not isinstance(value, dict):
            return False
        required = {k for k in form if not k.endswith("?")}
        allowed = {k.rstrip("?") for k in form}
        return required <= value.keys() <= allowed and all(
            conforms(value[k], form.get(k, form.get(k + "?")), budget) for k in value
        )
    kind, *rest = form
    if kind == "list":
        item, most = rest
        if not isinstance(value, list) or len(value) > most:
            return False
        if item == NUM:  # most of every answer: checked in one pass (same rule as above, without a call each)
            budget[0] -= len(value)
            return budget[0] >= 0 and all(
                (type(v) is float and math.isfinite(v))
                or (type(v) is int and abs(v) < 2**53)
                or (type(v) is str and v in NON_FINITE)
                for v in value
            )
        if item == INT:
            budget[0] -= len(value)
            return budget[0] >= 0 and all(type(v) is int and 0 <= v < 10**9 for v in value)
        return all(conforms(v, item, budget) for v in value)
    return any(conforms(value, f, budget) for f in rest)  # either


def valid(probe: str, answer) -> bool:
    return conforms(answer, FORMS[probe], [MAX_ITEMS])


def valid_error(error) -> bool:
    return conforms(error, ERROR, [MAX_ITEMS])
