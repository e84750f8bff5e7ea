"""Training (task 5): wrong losses, steps and training loops that learners write, to name the mistake in a number
or a loss curve.

The wrong loops run on the reference, on the same model and loss as the training check (numbers from the
grader, closures that apply them), in this process, so a wrong loop gives here exactly what it gives in the
student's worker.
"""

from __future__ import annotations

from ..compare import close
from ..reference import Reference
from ..worker import nets


def loss_variants(preds, targets) -> dict[str, float]:
    """What mse_loss gives when it is not the sum of squared errors, by what it is instead."""
    n = len(preds)
    return {
        "the mean, not the sum": sum((p - t) ** 2 for p, t in zip(preds, targets)) / n,
        "the errors summed without squaring": sum(p - t for p, t in zip(preds, targets)),
        "the sum of absolute errors": sum(abs(p - t) for p, t in zip(preds, targets)),
    }


def sgd_mistake(got, data, grad, lr) -> str | None:
    """The code of one parameter that sgd_step moved wrongly: along the gradient instead of against it."""
    return "lr-sign" if close(got, data + lr * grad) else None


def run(kind: str, numbers, xs, ys, steps, lr) -> tuple[list[float], list[float]]:
    """The losses and the final parameters of one wrong loop."""
    session = Reference().session
    model = nets.AskingModel(session, numbers)
    mse_loss = nets.asking_loss(session, model.Asked)
    losses, loss = [], None
    for _ in range(steps):
        if loss is None or kind != "train-forward-once":
            loss = mse_loss([model(x) for x in xs], ys)
        if kind == "loss-not-sum-of-squares":
            loss = loss * (1 / len(xs))  # the mean instead of the sum
        if kind == "train-step-order:step-first":
            for p in model.parameters():
                p.data -= lr * p.grad
            model.zero_grad()
            loss.backward()
        else:
            if "train-no-zero-grad" not in kind:
                model.zero_grad()
            loss.backward()
            if kind == "train-step-order:zero-after-backward":
                model.zero_grad()
            sign = -1 if "lr-sign" in kind else 1
            for p in model.parameters():
                p.data -= sign * lr * p.grad
        if kind == "loss-recorded-after-update":  # the loss again, from the updated parameters
            loss = mse_loss([model(x) for x in xs], ys)
        losses.append(loss.data)
    return losses, [p.data for p in model.parameters()]


KINDS = (
    "train-no-zero-grad",
    "lr-sign",
    "train-step-order:zero-after-backward",
    "train-step-order:step-first",
    "loss-not-sum-of-squares",
    "train-forward-once",
    "lr-sign+train-no-zero-grad",
    "loss-recorded-after-update",
)


def diagnose(losses, params, numbers, xs, ys, steps, lr, close) -> list[str]:
    """The codes of the wrong loop whose losses and final parameters these are (both: several give constant
    losses); a loop with two mistakes gets both."""
    got = [*losses, *params]
    for kind in KINDS:
        alt = [x for part in run(kind, numbers, xs, ys, steps, lr) for x in part]
        if len(alt) == len(got) and all(close(g, w) for g, w in zip(got, alt)):
            return [part.split(":")[0] for part in kind.split("+")]
    return []
