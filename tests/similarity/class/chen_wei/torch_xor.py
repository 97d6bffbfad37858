"""PyTorch: a 2-4-1 network that learns XOR.

Fill in every TODO, then run `pytest autograder` to see your score.
Keep the names and signatures: the autograder calls these functions with its
own models, data and arguments.
"""
from __future__ import annotations

import itertools

import torch
import torch.nn as nn


def make_xor_data() -> tuple[torch.Tensor, torch.Tensor]:
    """Return the XOR table as float32 tensors X (4, 2) and Y (4, 1).

    Rows of X, in order: [0, 0], [0, 1], [1, 0], [1, 1]; Y holds their XOR.
    """
    # product() yields the pairs in counting order; ^ is Python's own xor
    rows = list(itertools.product([0, 1], repeat=2))
    targets = [[a ^ b] for a, b in rows]
    return torch.tensor(rows, dtype=torch.float32), torch.tensor(targets, dtype=torch.float32)


class FNN(nn.Module):
    """2 inputs -> 4 ReLU hidden units -> 1 sigmoid output."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(2, 4)
        self.fc2 = nn.Linear(4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map a batch (N, 2) to probabilities (N, 1)."""
        z1 = self.fc1(x)
        a1 = z1.clamp(min=0.0)  # ReLU is max(0, z)
        z2 = self.fc2(a1)
        return z2.sigmoid()


def train(model: nn.Module, X: torch.Tensor, Y: torch.Tensor,
          epochs: int = 1000, lr: float = 0.01) -> list[float]:
    """Train `model` in place, full batch, with BCE loss and Adam.

    Use nn.BCELoss() and torch.optim.Adam(model.parameters(), lr=lr); take one
    optimizer step per epoch and clear the gradients every step.
    Returns the loss of every epoch as a list of floats (length == epochs).
    """
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    bce = nn.BCELoss()
    per_epoch: list[float] = []
    epoch = 0
    while epoch < epochs:
        optimiser.zero_grad(set_to_none=True)
        batch_loss = bce(model(X), Y)
        batch_loss.backward()
        optimiser.step()
        per_epoch.append(batch_loss.detach().item())
        epoch += 1
    return per_epoch


def predict(model: nn.Module, X: torch.Tensor) -> torch.Tensor:
    """Return 0/1 float predictions shaped like model(X), without tracking gradients."""
    model.eval()
    with torch.no_grad():
        probabilities = model(X)
    labels = probabilities.gt(0.5).to(torch.float32)
    return labels


def count_parameters(model: nn.Module) -> int:
    """Return how many trainable scalars `model` has (any nn.Module, not only FNN).

    Conceptual question: what does model.parameters() return?
    """
    trainable = filter(lambda t: t.requires_grad, model.parameters())
    return int(sum(map(torch.Tensor.numel, trainable)))
