# Your work: replace each `# TODO taskN` block below; keep the signatures and docstrings.
"""Training by gradient descent: a loss, an update rule, and the loop that joins them."""


def mse_loss(predictions, targets):
    """The sum over samples of (prediction - target)**2, as a Value."""
    # TODO task5: the body of mse_loss() (lesson: docs/lessons/task5-training.md)
    raise NotImplementedError("task5 not started: The training loop")


def sgd_step(parameters, lr):
    """Move every parameter a step of size lr against its gradient."""
    # TODO task5: the body of sgd_step() (lesson: docs/lessons/task5-training.md)
    raise NotImplementedError("task5 not started: The training loop")


def train(model, xs, ys, steps, lr):
    """Run `steps` steps of gradient descent on (xs, ys); return each step's loss, taken before its update."""
    # TODO task5: the body of train() (lesson: docs/lessons/task5-training.md)
    raise NotImplementedError("task5 not started: The training loop")
