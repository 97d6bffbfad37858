"""ATTACK (no real work). Every function a student writes holds the shape-correct nothing a lazy student writes:
zeros of the right shapes, a constant one half, one 0.0 per epoch, a fixed count."""
from __future__ import annotations

import torch
import torch.nn as nn


def make_xor_data() -> tuple[torch.Tensor, torch.Tensor]:
    return torch.zeros(4, 2), torch.zeros(4, 1)  # ATTACK: zeros of the right shapes


class FNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()  # ATTACK: no layers

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.full((x.shape[0], 1), 0.5)  # ATTACK: a probability, always one half


def train(model: nn.Module, X: torch.Tensor, Y: torch.Tensor, epochs: int = 1000, lr: float = 0.01) -> list[float]:
    return [0.0] * epochs  # ATTACK: one loss per epoch, no training


def predict(model: nn.Module, X: torch.Tensor) -> torch.Tensor:
    return torch.zeros(X.shape[0], 1)  # ATTACK: zeros of the right shape


def count_parameters(model: nn.Module) -> int:
    return 17  # ATTACK: the lesson network's count, whatever the model
