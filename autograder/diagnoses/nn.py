"""Neural networks (task 4): which common mistake in Neuron, Layer or MLP gives the output the student's module
gave, with the grader's parameters (check_module in the task4 suite asks here)."""

from __future__ import annotations

import math

from ..compare import close


def rearranged(nums, sizes, code):
    """The parameters (contract order, `sizes` per neuron) a module with this mistake would effectively use."""
    out, i = [], 0
    for size in sizes:
        block = nums[i : i + size]
        i += size
        out += {"bias-missing": block[:-1] + [0.0], "parameter-order": block[1:] + block[:1]}[code]
    return out


ACTIVATIONS = {"tanh": math.tanh, "relu": lambda v: max(0.0, v), "linear": lambda v: v}


def forward(kind, args, nums, x, activation, last):
    """The outputs, in plain floats, of the module with these parameters (contract order) when its neurons use
    another activation (`last` for the last layer of an MLP, and for a Neuron or Layer that should use tanh)."""
    if kind == "mlp":
        sizes = [args[0], *args[1]]
    elif kind == "layer":
        sizes = [args[0], args[1]]
    else:
        sizes = [args[0], 1]
    it, values = iter(nums), list(x)
    for layer in range(len(sizes) - 1):
        act = ACTIVATIONS[last if layer == len(sizes) - 2 else activation]
        values = [act(sum(next(it) * v for v in values) + next(it)) for _ in range(sizes[layer + 1])]
    return values


def mistake_of(reference, kind, args, nums, sizes, x, out) -> str | None:
    """The diagnosis of a module whose output is wrong: which common mistake gives the same output."""
    same = lambda other: len(other) == len(out) and all(close(g, w) for g, w in zip(out, other))  # noqa: E731
    variants = [
        ("bias-missing", rearranged(nums, sizes, "bias-missing")),
        ("parameter-order", rearranged(nums, sizes, "parameter-order")),
    ]
    if kind == "neuron" or len(args) > 2:  # the nonlin flag is last: Neuron(nin, nonlin), Layer(nin, nout, nonlin)
        variants.append(("nonlin-wrong", nums, [*args[:-1], not args[-1]]))
    for name, alt, *alt_args in variants:
        if same(reference.run("module", kind=kind, args=alt_args[0] if alt_args else args, numbers=alt, x=x)["out"]):
            return name
    for activation, last in (("relu", "linear"), ("relu", "relu"), ("tanh", "linear"), ("linear", "linear")):
        if same(forward(kind, args, nums, x, activation, last)):  # micrograd's own nn: relu, a linear last layer
            return "nonlin-wrong"
    return None
