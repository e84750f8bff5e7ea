"""Reference training: the sum-of-squares loss, plain gradient descent, and the loop."""

from .engine import Value

__all__ = ["mse_loss", "sgd_step", "train"]


def mse_loss(predictions, targets):
    total = Value(0.0)
    for p, t in zip(predictions, targets):
        diff = p - t
        total = total + diff * diff
    return total


def sgd_step(parameters, lr):
    for p in parameters:
        p.data -= lr * p.grad


def train(model, xs, ys, steps, lr):
    losses = []
    for _ in range(steps):
        loss = mse_loss([model(x) for x in xs], ys)
        model.zero_grad()
        loss.backward()
        sgd_step(model.parameters(), lr)
        losses.append(float(loss.data))
    return losses
