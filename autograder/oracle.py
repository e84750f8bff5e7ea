"""The grader's own numbers for the questions the worker asks: a small tanh network (computed on mygrad_ref),
the squared-error loss and a gradient-descent step (plain arithmetic), in this (trusted) process. train() is
tested on these, so that a mistake in the student's engine, mse_loss or sgd_step is not charged again in the
training rows."""

from __future__ import annotations

import math
import operator
from functools import lru_cache

import mygrad_ref.engine as ref

HIDDEN = 3
MAX_NUMBERS = 1000


class ProbeModel:
    """A one-hidden-layer tanh network: the model train() is checked on."""

    def __init__(self, V, numbers, nin, hidden=HIDDEN):
        it = iter(numbers)
        self.hidden = [([V(next(it)) for _ in range(nin)], V(next(it))) for _ in range(hidden)]
        self.out = ([V(next(it)) for _ in range(hidden)], V(next(it)))

    @staticmethod
    def size(nin, hidden=HIDDEN) -> int:
        return hidden * (nin + 1) + hidden + 1

    @staticmethod
    def neuron(ws, b, x):
        act = b
        for w, xi in zip(ws, x):
            act = act + w * xi
        return act.tanh()

    def __call__(self, x):
        return self.neuron(*self.out, [self.neuron(ws, b, x) for ws, b in self.hidden])

    def parameters(self):
        return [p for ws, b in self.hidden + [self.out] for p in ws + [b]]

    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0.0


def numbers(values) -> list[float] | None:
    if not isinstance(values, list) or len(values) > MAX_NUMBERS:
        return None
    out = []
    for v in values:
        if isinstance(v, bool) or not (isinstance(v, (int, float)) or v in ("nan", "inf", "-inf")):
            return None
        try:
            out.append(float(v))
        except OverflowError:  # an int no float holds (10**400): not a question about numbers
            return None
    return out


def finite(x: float):
    return x if math.isfinite(x) else str(x)


@lru_cache(maxsize=256)
def forward(params: tuple[float, ...], x: tuple[float, ...]) -> dict:
    """The probe model's output and coefficients, kept: the reference's train() and a right one ask the same
    questions, until their updates part in the last bits (the solutions': 12 of 32 asked again). Answers
    are only read, never changed."""
    model = ProbeModel(ref.Value, params, len(x))
    out = model(x)
    out.backward()
    return {"data": finite(out.data), "coefs": [finite(p.grad) for p in model.parameters()]}


OPERATIONS = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "truediv": operator.truediv,
    "pow": operator.pow,
    "neg": operator.neg,
}


def operation(question) -> dict | None:
    """One operation of a loss written inline, on mygrad_ref: its value and the local derivative for each of
    its Value arguments (`values` says which arguments are Values; the others are plain numbers)."""
    fn, args, flags = OPERATIONS.get(question.get("op")), numbers(question.get("args")), question.get("values")
    if fn is None or args is None or not isinstance(flags, list) or len(flags) != len(args):
        return None
    if not 1 <= len(args) <= 2 or not any(f is True for f in flags) or not all(isinstance(f, bool) for f in flags):
        return None
    if (fn is operator.neg) != (len(args) == 1) or fn is operator.pow and flags != [True, False]:
        return None
    leaves = [ref.Value(a) if f else a for a, f in zip(args, flags)]
    try:
        out = fn(*leaves)
        out.backward()
    except (ArithmeticError, ValueError):  # 0 ** -1, a complex power: not a question with an answer
        return None
    return {"data": finite(out.data), "coefs": [finite(v.grad) for v, f in zip(leaves, flags) if f]}


def answer(question) -> dict | None:
    """The answer to a worker's question, or None for a question the grader does not answer."""
    if not isinstance(question, dict):
        return None
    if question.get("ask") == "forward":
        params, x = numbers(question.get("params")), numbers(question.get("x"))
        if params is None or not x or len(params) != ProbeModel.size(len(x)):
            return None
        return forward(tuple(params), tuple(x))
    if question.get("ask") == "loss":
        preds, ys = numbers(question.get("preds")), numbers(question.get("ys"))
        if preds is None or ys is None or len(preds) != len(ys):
            return None
        diffs = [p - y for p, y in zip(preds, ys)]
        return {  # d * d, not d ** 2: a float's ** raises OverflowError where * gives inf
            "data": finite(sum(d * d for d in diffs)),
            "coefs": [finite(2 * d) for d in diffs],
        }
    if question.get("ask") == "op":
        return operation(question)
    if question.get("ask") == "sgd":
        data, grads, lr = numbers(question.get("data")), numbers(question.get("grads")), numbers([question.get("lr")])
        if data is None or grads is None or lr is None or len(data) != len(grads):
            return None
        return {"data": [finite(d - lr[0] * g) for d, g in zip(data, grads)]}
    return None
