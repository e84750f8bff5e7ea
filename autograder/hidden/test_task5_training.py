"""Hidden checks for task5: mse_loss, sgd_step, train() step by step on the grader's model, and the student's
own stack (MLP, engine, train()) fitting data drawn for this grade."""

import random

from autograder import experiments
from autograder.checks import Mistake, close, fail, fmt, pairs, vary
from autograder.diagnoses import explain, training
from autograder.harness import group

XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
YS = [1.0, -1.0, -1.0, 1.0]


def seeded(n, seed):
    rng = random.Random(seed)
    return [round(rng.uniform(-1, 1), 3) for _ in range(n)]


@group("task5", "mse_loss: the sum of squared errors, built from the predictions", weight=1.5)
def test_mse_loss(student, reference, rng):
    for preds, targets in (([0.5, -1.2, 2.0], [1.0, -1.0, 0.0]), ([1.5, 0.25], [-0.5, 0.75])):
        preds = vary(rng, *preds)
        want = reference.run("mse", preds=preds, targets=targets)
        got = student.run("mse", preds=preds, targets=targets)
        n = len(preds)
        example = f"mse_loss(predictions={[fmt(p) for p in preds]}, targets={targets})"
        if not close(got["loss"], want["loss"]):
            kind = next((k for k, v in training.loss_variants(preds, targets).items() if close(got["loss"], v)), None)
            that = f" (that is {kind})" if kind else ""
            fail(f"{example} is {fmt(got['loss'])}, expected {fmt(want['loss'])}{that}", "loss-not-sum-of-squares")
        reached = experiments.reaches(student, got["root"], got["preds"])
        if not all(reached) or len(reached) != n:
            fail(
                f"{example}: the loss is not built from the prediction Values themselves (prediction "
                f"{reached.index(False) if False in reached else 0} is not in its graph), so backward() cannot "
                "reach the model",
                "parameters-not-in-graph",
            )


@group("task5", "sgd_step moves against the gradient", weight=1)
def test_sgd_step(student, reference, rng):
    data, grads = vary(rng, 1.0, -2.0, 0.5), [0.5, -1.0, 2.0]
    lr = 0.1
    got = student.run("sgd", data=data, grads=grads, lr=lr)
    want = reference.run("sgd", data=data, grads=grads, lr=lr)
    for i, (g, w) in enumerate(pairs(got, want, f"sgd_step with data={data}")):
        if not close(g, w):
            fail(
                f"sgd_step with data={data}, grads={grads}, lr={lr}: parameter {i} became {fmt(g)}, expected {fmt(w)}",
                training.sgd_mistake(g, data[i], grads[i], lr),
            )


@group("task5", "train(): the loss curve matches the reference step by step", weight=3)
def test_training_curve(student, reference, seed):
    check_training_curve(student, reference, seeded(16, seed), 5, 0.05)
    try:  # a second learning rate: the first one passed, so a mismatch here means lr itself is not used right
        check_training_curve(student, reference, seeded(16, seed + 1), 3, 0.1)
    except Mistake as err:
        raise Mistake(
            err.feedback + ("" if err.codes else explain("lr-ignored")), *(err.codes or ["lr-ignored"])
        ) from None


def check_training_curve(student, reference, numbers, steps, lr):
    call = dict(numbers=numbers, xs=XS, ys=YS, steps=steps, lr=lr)
    want, got = reference.run("training", **call), student.run("training", **call)
    losses = got["losses"]
    if len(losses) != steps:
        fail(f"train(model, xs, ys, steps={steps}, lr={lr}) returned {len(losses)} losses, expected {steps}")
    bad = [i for i, (g, w) in enumerate(zip(losses, want["losses"])) if not close(g, w, rel=1e-6)]
    if bad:
        codes = training.diagnose(losses, got["params"], numbers, XS, YS, steps, lr, lambda a, b: close(a, b, rel=1e-6))
        shown = ", ".join(fmt(x) for x in losses)
        raise Mistake(
            f"train() on the lecture's four samples with the grader's 3-3-1 tanh network (weights "
            f"{numbers}), {steps} steps at lr={lr}: losses {shown}; expected "
            f"{', '.join(fmt(x) for x in want['losses'])}. The first wrong loss is at step {bad[0] + 1}."
            + "".join(explain(c) for c in codes),
            *codes,
        )
    if all(close(g, w) for g, w in pairs(got["params"], numbers, "the parameters after train()")):
        fail(f"after train() the model's parameters are still the starting ones {numbers}", "train-model-unchanged")
    for i, (g, w) in enumerate(pairs(got["params"], want["params"], "the parameters after train()")):
        if not close(g, w, rel=1e-6):
            fail(
                f"after train() the model's parameter {i} is {fmt(g)}, expected {fmt(w)}: the last step's update "
                "is missing or wrong",
                "train-step-order",
            )


# What any MLP's forward and backward pass calls: + and * (w·x + b), whatever else a student's net uses
EVERY_NET = frozenset(f"`{op}` {phase}" for op in ("add", "mul") for phase in ("forward", "backward"))


def drawn_problem(rng):
    """Four samples of a small tanh teacher, drawn for this grade: nothing can be fitted in advance."""
    teacher = [rng.uniform(-1, 1) for _ in range(4)]
    xs = [[round(rng.uniform(-2, 2), 2) for _ in range(3)] for _ in range(4)]
    import math

    ys = [round(math.tanh(sum(w * x for w, x in zip(teacher, xi)) + teacher[3]) * 0.9, 3) for xi in xs]
    return xs, ys


SLACK = 0.02  # the fit's target: 1.5 times the reference's loss on the same data, plus this


def same(got, want) -> bool:
    return len(got) == len(want) and all(close(a, b) for a, b in zip(got, want))


def reference_predictions(reference, params, xs) -> list:
    """The reference MLP(3, [4, 4, 1]) set to params, on xs ([] when it cannot be: the numbers are
    the submission's)."""
    try:
        return reference.run("predict", nin=3, nouts=[4, 4, 1], numbers=params, xs=xs)
    except (ArithmeticError, ValueError):
        return []


def squared_error(preds, ys):
    return sum((p - y) ** 2 for p, y in zip(preds, ys))


@group(
    "task5",
    "your own MLP, engine and train() fit a small problem",
    weight=1.5,
    needs=("task1", "task2", "task3", "task4"),
    needs_earned=True,
)
def test_convergence(student, reference, rng):
    xs, ys = drawn_problem(rng)
    numbers, steps, lr = [round(rng.uniform(-1, 1), 3) for _ in range(41)], 40, 0.05
    call = dict(nin=3, nouts=[4, 4, 1], numbers=numbers, xs=xs, ys=ys, steps=steps, lr=lr)
    got = student.run("own_training", slow=True, touches=EVERY_NET, **call)  # first: most failures end here
    if got.get("error"):
        fail(
            f"MLP(3, [4, 4, 1]).parameters() does not return {len(numbers)} parameters, so this check could not "
            "set its starting weights",
            "parameter-count",
        )
    after = [p for p, _ in pairs(got["after"], ys, "your model's predictions after training")]
    before = [p for p, _ in pairs(got["before"], ys, "your model's predictions")]
    if not all(close(p, p) for p in before + after):
        fail(
            f"training MLP(3, [4, 4, 1]) for {steps} steps: its predictions are NaN or infinite "
            f"({[fmt(p) for p in before + after][:8]})",
            "non-finite",
        )
    # The trained parameters must give the predictions reported (a forger's "after" need not). The grader's
    # own MLP set to them shows it here (no second worker to start); only when it disagrees (a model built
    # unlike the reference's, e.g. parameters in another order) does the student's MLP repeat them, in a fresh
    # worker.
    params = got.get("params", [])
    if not same(reference_predictions(reference, params, xs), after):
        again = student.run("predict", fresh=True, nin=3, nouts=[4, 4, 1], numbers=params, xs=xs)
        if not same(again, after):
            fail(
                "your model's predictions after training could not be reproduced from its trained parameters "
                "(MLP(3, [4, 4, 1]) set to them through parameters(), in a fresh process): "
                f"{[fmt(p) for p in again][:4]} against {[fmt(p) for p in after][:4]}",
                "bad-response",
            )
    start, final = squared_error(before, ys), squared_error(after, ys)  # from your own model's predictions
    if final < SLACK:  # below every target: the reference's own 40 steps (here, in the grader) would change nothing
        return
    ref = reference.run("own_training", **call)
    target = squared_error(ref["after"], ys) * 1.5 + SLACK  # calibrated on the reference, for these data
    if not final < target:
        fail(
            f"MLP(3, [4, 4, 1]) trained by your train() for {steps} steps at lr={lr} on four samples drawn for "
            f"this grade: its own predictions give a loss of {fmt(final)} (from {fmt(start)} before training); a "
            f"correct kit gets below {fmt(target)}"
        )
