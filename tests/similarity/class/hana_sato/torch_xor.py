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
    X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], dtype=torch.float32)
    Y = torch.tensor([[0.0], [1.0], [1.0], [0.0]], dtype=torch.float32)
    return X, Y


class FNN(nn.Module):
    """2 inputs -> 4 ReLU hidden units -> 1 sigmoid output."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(2, 4)
        self.fc2 = nn.Linear(4, 1)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map a batch (N, 2) to probabilities (N, 1)."""
        out = self.relu(self.fc1(x))
        out = self.fc2(out)
        return torch.sigmoid(out)


def train(model: nn.Module, X: torch.Tensor, Y: torch.Tensor,
          epochs: int = 1000, lr: float = 0.01) -> list[float]:
    """Train `model` in place, full batch, with BCE loss and Adam.

    Use nn.BCELoss() and torch.optim.Adam(model.parameters(), lr=lr); take one
    optimizer step per epoch and clear the gradients every step.
    Returns the loss of every epoch as a list of floats (length == epochs).
    """
    criterion = nn.BCELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_list = []
    for epoch in range(epochs):
        optimizer.zero_grad()
        output = model(X)
        loss = criterion(output, Y)
        loss.backward()
        optimizer.step()
        loss_list.append(loss.item())
    return loss_list


def predict(model: nn.Module, X: torch.Tensor) -> torch.Tensor:
    """Return 0/1 float predictions shaped like model(X), without tracking gradients."""
    with torch.no_grad():
        output = model(X)
    predictions = (output > 0.5).float()
    return predictions


def count_parameters(model: nn.Module) -> int:
    """Return how many trainable scalars `model` has (any nn.Module, not only FNN).

    Conceptual question: what does model.parameters() return?
    """
    return sum(param.numel() for param in model.parameters() if param.requires_grad)
