"""PyTorch: a real input pipeline, code that runs on any device, and training in mini-batches.

The XOR table has four rows; real data has thousands, and arrives in batches.
A `DataLoader` cuts a dataset into batches and, with `shuffle=True`, visits the
rows in a new order every epoch. That order comes from a random generator: give
the loader a `torch.Generator` of its own, seeded, and the same seed gives the
same epochs whatever the rest of the program draws from torch's global generator.

A model does not know where it runs. `.to(device)` moves its parameters and its
*buffers* (tensors it holds that are not trained, such as a normalisation's mean
and standard deviation, registered with `register_buffer`) to a CPU, a GPU
("cuda") or Apple's "mps"; the data must go to the same device, batch by batch.

Fill in every TODO, then run `pytest autograder` to see your score.
Keep the names and signatures: the autograder calls these functions with its own
data, seeds, models and devices (the "meta" device included: tensors with a
shape and no data, which shows where every tensor lives without a GPU).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


def make_loader(X, Y, batch_size: int, seed: int, shuffle: bool = True) -> DataLoader:
    """A DataLoader over the rows of X and Y (arrays or tensors), yielding (x, y) float32 batches.

    With `shuffle`, the order comes from a torch.Generator seeded with `seed`: the same seed
    gives the same epochs, each epoch is a new order, and every row comes once per epoch.
    Keep the last, smaller batch. Without `shuffle`, the rows come in order.
    """
    ### BEGIN SOLUTION
    # TODO: a TensorDataset of float32 tensors, and a DataLoader with a seeded torch.Generator.
    dataset = TensorDataset(torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(Y, dtype=torch.float32))
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator)
    ### END SOLUTION


def pick_device() -> torch.device:
    """The best device here: "cuda" if a CUDA GPU is available, else "mps" (Apple) if available, else "cpu"."""
    ### BEGIN SOLUTION
    # TODO: ask torch.cuda and torch.backends.mps whether they are available.
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
    ### END SOLUTION


class Standardize(nn.Module):
    """(x - mean) / std, with mean and std held as buffers: they move with .to(device) and are
    saved in state_dict(), but they are not parameters (no optimizer changes them)."""

    def __init__(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        super().__init__()
        ### BEGIN SOLUTION
        # TODO: register mean and std as buffers (float32 tensors).
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32))
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION
        # TODO: standardize x.
        return (x - self.mean) / self.std
        ### END SOLUTION


def make_model(mean: torch.Tensor, std: torch.Tensor) -> nn.Sequential:
    """Standardize(mean, std), then the lesson's network: Linear(2, 4), ReLU, Linear(4, 1), Sigmoid."""
    ### BEGIN SOLUTION
    # TODO: an nn.Sequential of Standardize and the 2-4-1 network.
    return nn.Sequential(Standardize(mean, std), nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1), nn.Sigmoid())
    ### END SOLUTION


def train_minibatches(model: nn.Module, loader: DataLoader, epochs: int, lr: float,
                      device: torch.device) -> list[float]:
    """Train `model` on `device` with Adam(lr) and BCELoss, one step per batch, for `epochs` epochs.

    Move the model and every batch to `device`. Return each epoch's mean loss over the rows
    (each batch's loss times its number of rows, summed, divided by the number of rows), as floats.
    """
    ### BEGIN SOLUTION
    # TODO: move the model, make the optimizer once, then loop over epochs and batches.
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.BCELoss()
    losses = []
    for _ in range(epochs):
        total, rows = 0.0, 0
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            total += loss.detach() * x.size(0)  # VARIANT: a tensor sum, one .item() per epoch
            rows += x.size(0)
        losses.append((total / rows).item())
    return losses
    ### END SOLUTION


def predict(model: nn.Module, X, device: torch.device) -> np.ndarray:
    """0/1 predictions (1 where the probability is above one half), shaped (N, 1), as a NumPy array
    on the CPU. Predict in eval mode, without tracking gradients."""
    ### BEGIN SOLUTION
    # TODO: eval mode, no gradients, X to the device, threshold, back to the CPU as NumPy.
    model.eval()
    with torch.no_grad():
        probabilities = model(torch.as_tensor(X, dtype=torch.float32).to(device))
    return (probabilities > 0.5).float().cpu().numpy()
    ### END SOLUTION
