"""PyTorch: a 2-4-1 network that learns XOR.

Fill in every TODO, then run `pytest autograder` to see your score.
Keep the names and signatures: the autograder calls these functions with its
own models, data and arguments.
"""
from __future__ import annotations

import torch
import torch.nn as nn


def make_xor_data() -> tuple[torch.Tensor, torch.Tensor]:
    """Return the XOR table as float32 tensors X (4, 2) and Y (4, 1).

    Rows of X, in order: [0, 0], [0, 1], [1, 0], [1, 1]; Y holds their XOR.
    """
    # TODO: build X and Y with torch.tensor(..., dtype=torch.float32).
    x = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=torch.float32)
    y = torch.tensor([[0], [1], [1], [0]], dtype=torch.float32)
    return x, y


class FNN(nn.Module):
    """2 inputs -> 4 ReLU hidden units -> 1 sigmoid output."""

    def __init__(self) -> None:
        super().__init__()
        # TODO: create self.fc1 = nn.Linear(2, 4) and self.fc2 = nn.Linear(4, 1).
        self.fc1 = nn.Linear(2, 4)
        self.fc2 = nn.Linear(4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map a batch (N, 2) to probabilities (N, 1)."""
        # TODO: apply fc1, then ReLU, then fc2, then sigmoid.
        hidden = torch.relu(self.fc1(x))
        return torch.sigmoid(self.fc2(hidden))


def train(model: nn.Module, X: torch.Tensor, Y: torch.Tensor,
          epochs: int = 1000, lr: float = 0.01) -> list[float]:
    """Train `model` in place, full batch, with BCE loss and Adam.

    Use nn.BCELoss() and torch.optim.Adam(model.parameters(), lr=lr); take one
    optimizer step per epoch and clear the gradients every step.
    Returns the loss of every epoch as a list of floats (length == epochs).
    """
    # TODO: write the training loop (forward, loss, zero_grad, backward, step).
    bce = nn.BCELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    all_losses = []
    for e in range(epochs):
        loss = bce(model(X), Y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        all_losses.append(loss.item())
    return all_losses


def predict(model: nn.Module, X: torch.Tensor) -> torch.Tensor:
    """Return 0/1 float predictions shaped like model(X), without tracking gradients."""
    # TODO: inside torch.no_grad(), threshold model(X) at 0.5 and return floats.
    with torch.no_grad():
        return (model(X) > 0.5).float()


def count_parameters(model: nn.Module) -> int:
    """Return how many trainable scalars `model` has (any nn.Module, not only FNN).

    Conceptual question: what does model.parameters() return?
    """
    # TODO: add up the sizes of the parameters that require gradients.
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
