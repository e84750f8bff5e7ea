"""mygrad_ref: the trusted reference implementation of the mygrad contract, and the drawing helper."""

from .engine import Value, topological_sort
from .nn import MLP, Layer, Module, Neuron
from .train import mse_loss, sgd_step, train
from .warmup import backprop_by_hand, central_difference, forward_difference, partials_of_d

__all__ = [
    "Value",
    "topological_sort",
    "Module",
    "Neuron",
    "Layer",
    "MLP",
    "mse_loss",
    "sgd_step",
    "train",
    "forward_difference",
    "central_difference",
    "partials_of_d",
    "backprop_by_hand",
]
