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
    # whole truth table, last column is the answer
    table = torch.tensor([[0, 0, 0],
                          [0, 1, 1],
                          [1, 0, 1],
                          [1, 1, 0]], dtype=torch.float32)
    return table[:, :2].clone(), table[:, 2:].clone()


class FNN(nn.Module):
    """2 inputs -> 4 ReLU hidden units -> 1 sigmoid output."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(in_features=2, out_features=4)
        self.fc2 = nn.Linear(in_features=4, out_features=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map a batch (N, 2) to probabilities (N, 1)."""
        x = torch.relu(self.fc1(x))
        x = torch.sigmoid(self.fc2(x))
        return x


def train(model: nn.Module, X: torch.Tensor, Y: torch.Tensor,
          epochs: int = 1000, lr: float = 0.01) -> list[float]:
    """Train `model` in place, full batch, with BCE loss and Adam.

    Use nn.BCELoss() and torch.optim.Adam(model.parameters(), lr=lr); take one
    optimizer step per epoch and clear the gradients every step.
    Returns the loss of every epoch as a list of floats (length == epochs).
    """
    loss_func = nn.BCELoss()
    optim = torch.optim.Adam(params=model.parameters(), lr=lr)
    losses: list[float] = []
    for epoch in range(1, epochs + 1):
        prediction = model(X)
        loss = loss_func(prediction, Y)
        optim.zero_grad()   # forget last step's gradients
        loss.backward()
        optim.step()
        losses += [loss.item()]
    return losses


def predict(model: nn.Module, X: torch.Tensor) -> torch.Tensor:
    """Return 0/1 float predictions shaped like model(X), without tracking gradients."""
    with torch.no_grad():
        p = model(X)
        return (p > 0.5).type(torch.float32)


def count_parameters(model: nn.Module) -> int:
    """Return how many trainable scalars `model` has (any nn.Module, not only FNN).

    Conceptual question: what does model.parameters() return?
    """
    n = 0
    for w in model.parameters():
        n += w.numel() if w.requires_grad else 0
    return n
