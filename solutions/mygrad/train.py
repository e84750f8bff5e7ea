"""Training by gradient descent: a loss, an update rule, and the loop that joins them."""


def mse_loss(predictions, targets):
    """The sum over samples of (prediction - target)**2, as a Value."""
    ### BEGIN SOLUTION task5
    return sum((p - t) ** 2 for p, t in zip(predictions, targets))
    ### END SOLUTION


def sgd_step(parameters, lr):
    """Move every parameter a step of size lr against its gradient."""
    ### BEGIN SOLUTION task5
    for p in parameters:
        p.data -= lr * p.grad
    ### END SOLUTION


def train(model, xs, ys, steps, lr):
    """Run `steps` steps of gradient descent on (xs, ys); return each step's loss, taken before its update."""
    ### BEGIN SOLUTION task5
    losses = []
    for _ in range(steps):
        loss = mse_loss([model(x) for x in xs], ys)
        model.zero_grad()
        loss.backward()
        sgd_step(model.parameters(), lr)
        losses.append(loss.data)
    return losses
    ### END SOLUTION
