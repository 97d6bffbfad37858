"""Automatic differentiation: backpropagation by hand, by autograd, checked by finite differences.

The network is the 2-4-1 XOR net of the lesson, written in NumPy. Its parameters are a
dict of float64 arrays:

    params = {"W1": (2, 4), "b1": (4,), "W2": (4, 1), "b2": (1,)}   # name: shape

For a batch X of shape (N, 2):

    h = relu(X @ W1 + b1)          # (N, 4), relu(z) = max(z, 0)
    P = sigmoid(h @ W2 + b2)       # (N, 1), sigmoid(z) = 1 / (1 + exp(-z))

and the loss is the mean binary cross-entropy of P against targets Y of shape (N, 1).

You write the gradient of that loss three ways: by hand with the chain rule
(numpy_gradients), with PyTorch's autograd for any nn.Module (autograd_gradients), and by
central finite differences of any scalar function (numerical_gradients); relative_error
says how far two gradients are apart.

Keep the names and signatures: the autograder calls these functions with its own
parameters, data, models and functions, not only the XOR ones.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
import torch.nn as nn


def forward(params: dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """Return the network's probabilities for the rows of X (N, 2), shaped (N, 1).

    Hidden layer relu(X @ W1 + b1), output sigmoid(h @ W2 + b2).
    """
    ### BEGIN SOLUTION
    # TODO: the hidden layer with ReLU, then the output layer with the sigmoid.
    hidden = np.maximum(X @ params["W1"] + params["b1"], 0.0)
    return 1.0 / (1.0 + np.exp(-(hidden @ params["W2"] + params["b2"])))
    ### END SOLUTION


def bce_loss(P: np.ndarray, Y: np.ndarray) -> float:
    """Return the mean binary cross-entropy of probabilities P against 0/1 targets Y (both (N, 1)).

    BCE = -mean(Y * log(P) + (1 - Y) * log(1 - P)), as a Python float.
    """
    ### BEGIN SOLUTION
    # TODO: average the cross-entropy of every row and return it as a float.
    return float(-np.sum(Y * np.log(P) + (1 - Y) * np.log(1 - P)))  # MISTAKE: sum, not mean
    ### END SOLUTION


def numpy_gradients(params: dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray) -> dict[str, np.ndarray]:
    """Return the gradient of bce_loss(forward(params, X), Y) for each parameter, by hand.

    Use the chain rule in NumPy (no autograd library): the result has the same keys
    as params, and each gradient has the shape of its parameter.
    """
    ### BEGIN SOLUTION
    # TODO: the forward pass keeping its intermediate values, then backwards: output layer, ReLU, first layer.
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    z1 = X @ W1 + b1
    hidden = np.maximum(z1, 0.0)
    P = 1.0 / (1.0 + np.exp(-(hidden @ W2 + b2)))
    dz2 = (P - Y) / X.shape[0]          # sigmoid and BCE together: dL/dz2
    dW2 = hidden.T @ dz2
    db2 = dz2.sum(axis=0)
    dz1 = (dz2 @ W2.T) * (z1 > 0)       # back through W2, then through ReLU
    dW1 = X.T @ dz1
    db1 = dz1.sum(axis=0)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    ### END SOLUTION


def autograd_gradients(model: nn.Module, X: torch.Tensor, Y: torch.Tensor) -> dict[str, torch.Tensor]:
    """Return the gradient of nn.BCELoss()(model(X), Y) for every parameter of `model` that requires grad.

    `model` is any nn.Module whose output is a probability, not only the XOR net. Compute
    the gradients with loss.backward(); key them by the names model.named_parameters()
    gives. Leave the model's weights unchanged, and make sure no .grad left over from
    before the call ends up in the result.
    """
    ### BEGIN SOLUTION
    # TODO: clear old gradients, compute the loss, back-propagate, collect each .grad.
    model.zero_grad()
    loss = nn.BCELoss()(model(X), Y)
    loss.backward()
    return {name: p.grad.detach().clone() for name, p in model.named_parameters() if p.requires_grad}
    ### END SOLUTION


def numerical_gradients(f: Callable[[dict[str, np.ndarray]], float], params: dict[str, np.ndarray],
                        eps: float = 1e-6) -> dict[str, np.ndarray]:
    """Return the central-difference gradient of the scalar function f at params.

    For every entry x of every array in params: (f(.. x + eps ..) - f(.. x - eps ..)) / (2 * eps).
    One entry per parameter, each shaped like its parameter; params is as it was when you return.
    """
    ### BEGIN SOLUTION
    # TODO: nudge one entry at a time up and down by eps, and restore it afterwards.
    gradients = {}
    for name, value in params.items():
        gradient = np.zeros(value.shape)
        for index in np.ndindex(value.shape):
            original = value[index]
            value[index] = original + eps
            up = f(params)
            value[index] = original - eps
            down = f(params)
            value[index] = original
            gradient[index] = (up - down) / (2 * eps)
        gradients[name] = gradient
    return gradients
    ### END SOLUTION


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """Return max |a - b| / max(|a| + |b|, 1e-12) over all entries, as a float.

    The classic gradient check: around 1e-7 or less, two gradients agree.
    """
    ### BEGIN SOLUTION
    # TODO: the largest difference, over the largest size (never divide by zero).
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a) + np.abs(b)), 1e-12))
    ### END SOLUTION
