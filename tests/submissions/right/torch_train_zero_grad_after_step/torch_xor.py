"""PyTorch: a 2-4-1 network that learns XOR.

Reference solution. Every name here is part of the student contract: the
autograder calls these functions with its own models, data and arguments.
"""
from __future__ import annotations

import torch
import torch.nn as nn


def make_xor_data() -> tuple[torch.Tensor, torch.Tensor]:
    """Return the XOR table as float32 tensors X (4, 2) and Y (4, 1)."""
    ### BEGIN SOLUTION
    X = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=torch.float32)
    Y = torch.tensor([[0], [1], [1], [0]], dtype=torch.float32)
    return X, Y
    ### END SOLUTION


class FNN(nn.Module):
    """2 inputs -> 4 ReLU hidden units -> 1 sigmoid output."""

    def __init__(self) -> None:
        super().__init__()
        ### BEGIN SOLUTION
        self.fc1 = nn.Linear(2, 4)
        self.fc2 = nn.Linear(4, 1)
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map a batch (N, 2) to probabilities (N, 1)."""
        ### BEGIN SOLUTION
        hidden = torch.relu(self.fc1(x))
        return torch.sigmoid(self.fc2(hidden))
        ### END SOLUTION


def train(model: nn.Module, X: torch.Tensor, Y: torch.Tensor,
          epochs: int = 1000, lr: float = 0.01) -> list[float]:
    """Train `model` in place, full batch, with BCE loss and Adam.

    One optimizer step per epoch; returns the loss of every epoch.
    """
    ### BEGIN SOLUTION
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        loss = loss_fn(model(X), Y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()  # VARIANT: cleared after the step, ready for the next epoch
        losses.append(loss.item())
    return losses
    ### END SOLUTION


def predict(model: nn.Module, X: torch.Tensor) -> torch.Tensor:
    """Return 0/1 float predictions shaped like model(X), without tracking gradients."""
    ### BEGIN SOLUTION
    with torch.no_grad():
        return (model(X) > 0.5).float()
    ### END SOLUTION


def count_parameters(model: nn.Module) -> int:
    """Return how many trainable scalars `model` has.

    `model.parameters()` yields every learnable tensor (each nn.Parameter once);
    only those with requires_grad=True are trained.
    """
    ### BEGIN SOLUTION
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
    ### END SOLUTION
