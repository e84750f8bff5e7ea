"""task5: mse_loss, sgd_step and train, checked against central differences of the loss."""
import random

import pytest
from gradcheck import expect
from mygrad.engine import Value
from mygrad.nn import MLP
from mygrad.train import mse_loss, sgd_step, train

pytestmark = pytest.mark.task5

XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
YS = [1.0, -1.0, -1.0, 1.0]


class Param:
    def __init__(self, data, grad):
        self.data, self.grad = data, grad


class TinyModel:
    """tanh(a·x0 + b·x1·x2), written here with Value arithmetic (a model of its own, not a Neuron), so these
    checks do not need your task4 code."""

    def __init__(self):
        self.a, self.b = Value(0.3), Value(-0.2)

    def __call__(self, x):
        return (self.a * x[0] + self.b * x[1] * x[2]).tanh()

    def parameters(self):
        return [self.a, self.b]

    def zero_grad(self):
        self.a.grad = self.b.grad = 0.0


def test_mse_loss_is_a_sum_of_squares():
    loss = mse_loss([Value(1.0), Value(-2.0)], [0.0, 1.0])
    assert isinstance(loss, Value), "mse_loss returns a Value, so you can call loss.backward()"
    expect(loss.data, 10.0, "mse_loss([1, -2], [0, 1]) (1 + 9)")


def test_sgd_step_moves_against_the_gradient():
    params = [Param(1.0, 0.5), Param(-2.0, -1.0)]
    sgd_step(params, 0.1)
    expect(params[0].data, 0.95, "sgd_step with data=1, grad=0.5, lr=0.1")
    expect(params[1].data, -1.9, "sgd_step with data=-2, grad=-1, lr=0.1")


def loss_at(model):
    return mse_loss([model(x) for x in XS], YS).data


def numeric_step(model, lr, h=1e-6):
    """One gradient-descent step with central-difference gradients, on plain floats."""
    grads = []
    for p in model.parameters():
        p.data += h
        up = loss_at(model)
        p.data -= 2 * h
        down = loss_at(model)
        p.data += h
        grads.append((up - down) / (2 * h))
    return [p.data - lr * g for p, g in zip(model.parameters(), grads)]


@pytest.mark.parametrize("steps", [1, 3])
def test_train_steps_match_central_differences(steps):
    model = TinyModel()
    expected_losses, want = [], None
    for _ in range(steps):  # what `steps` steps of gradient descent should do, computed numerically
        expected_losses.append(loss_at(model))
        want = numeric_step(model, 0.05)
        for p, x in zip(model.parameters(), want):
            p.data = x
    model = TinyModel()
    losses = train(model, XS, YS, steps, 0.05)
    assert len(losses) == steps, f"train(..., steps={steps}) should return {steps} losses, got {len(losses)}"
    for i, (got, exp) in enumerate(zip(losses, expected_losses)):
        expect(got, exp, f"loss recorded at step {i + 1}", rel=1e-4)
    for got, exp in zip([p.data for p in model.parameters()], want):
        expect(got, exp, f"a parameter after {steps} step(s) of train(lr=0.05)", rel=1e-4)


def test_train_fits_the_lesson_data():
    random.seed(1)
    model = MLP(3, [4, 4, 1])
    losses = train(model, XS, YS, 60, 0.05)
    assert losses[-1] < 0.1 * losses[0], (
        f"after 60 steps the loss fell from {losses[0]:.3f} only to {losses[-1]:.3f} (expected below a tenth)")


class OneWeight:
    """model(x) = w * x[0], written here: one step of train() on (x=1, y=1) from w=0 moves w by 2 * lr."""

    def __init__(self):
        self.w = Value(0.0)

    def __call__(self, x):
        return self.w * x[0]

    def parameters(self):
        return [self.w]

    def zero_grad(self):
        self.w.grad = 0.0


def test_train_uses_its_learning_rate():
    for lr in (0.1, 0.25):  # loss (w - 1)**2 at w=0: gradient -2, so w becomes 2 * lr
        model = OneWeight()
        train(model, [[1.0]], [1.0], 1, lr)
        expect(model.w.data, 2 * lr, f"w after one step of train(lr={lr}) on x=1, y=1 from w=0")
