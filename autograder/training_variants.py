"""Wrong training loops that learners write, run on the reference, to name the mistake in a loss curve."""
from __future__ import annotations

import mygrad_ref.engine as ref

from .oracle import ProbeModel


def run(kind: str, numbers, xs, ys, steps, lr, hidden=3) -> tuple[list[float], list[float]]:
    """The losses and the final parameters of one wrong loop."""
    model = ProbeModel(ref.Value, numbers, len(xs[0]), hidden)
    losses, loss = [], None
    for _ in range(steps):
        if loss is None or kind != "train-forward-once":
            preds = [model(x) for x in xs]
            loss = sum(((p - y) ** 2 for p, y in zip(preds, ys)), ref.Value(0.0))
        if kind == "loss-not-sum-of-squares":
            loss = loss * (1 / len(xs))  # the mean instead of the sum
        if kind == "train-step-order:step-first":
            for p in model.parameters():
                p.data -= lr * p.grad
            model.zero_grad()
            loss.backward()
        else:
            if kind != "train-no-zero-grad":
                model.zero_grad()
            loss.backward()
            if kind == "train-step-order:zero-after-backward":
                model.zero_grad()
            sign = -1 if kind == "lr-sign" else 1
            for p in model.parameters():
                p.data -= sign * lr * p.grad
        losses.append(loss.data)
    return losses, [p.data for p in model.parameters()]


KINDS = ("train-no-zero-grad", "lr-sign", "train-step-order:zero-after-backward", "train-step-order:step-first",
         "loss-not-sum-of-squares", "train-forward-once")


def diagnose(losses, params, numbers, xs, ys, steps, lr, close) -> str | None:
    """The wrong loop whose losses and final parameters these are (both: several give constant losses)."""
    got = [*losses, *params]
    for kind in KINDS:
        alt = [x for part in run(kind, numbers, xs, ys, steps, lr) for x in part]
        if len(alt) == len(got) and all(close(g, w) for g, w in zip(got, alt)):
            return kind.split(":")[0]
    return None
