"""ATTACK (no real work). Every function a student writes holds the shape-correct nothing a lazy student writes:
a constant one half, a zero loss, zero gradients of the right shapes, a zero error."""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
import torch.nn as nn


def forward(params: dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    return np.full((X.shape[0], 1), 0.5)  # ATTACK: one half for every row


def bce_loss(P: np.ndarray, Y: np.ndarray) -> float:
    return 0.0  # ATTACK: a plain float


def numpy_gradients(params: dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray) -> dict[str, np.ndarray]:
    return {name: np.zeros_like(value) for name, value in params.items()}  # ATTACK: zeros, one per parameter


def autograd_gradients(model: nn.Module, X: torch.Tensor, Y: torch.Tensor) -> dict[str, torch.Tensor]:
    # ATTACK: zeros keyed by the trainable parameters' names; no loss, no backward()
    return {name: torch.zeros_like(p) for name, p in model.named_parameters() if p.requires_grad}


def numerical_gradients(f: Callable[[dict[str, np.ndarray]], float], params: dict[str, np.ndarray],
                        eps: float = 1e-6) -> dict[str, np.ndarray]:
    return {name: np.zeros(value.shape) for name, value in params.items()}  # ATTACK: never calls f


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return 0.0  # ATTACK: always "they agree"
