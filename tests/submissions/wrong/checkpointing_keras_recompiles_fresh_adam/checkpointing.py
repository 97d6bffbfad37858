"""Checkpoints: save a training run and resume it exactly, in PyTorch and Keras.

Training runs stop: a job reaches its time limit, a machine restarts, you want to
train a little longer. A checkpoint is what lets the run go on as if it had never
stopped. Resuming *exactly* needs more than the weights:
- the model's `state_dict()`: every parameter and buffer tensor by name (a
  BatchNorm layer's running mean and variance are buffers: not trained, still state);
- the optimizer's `state_dict()`: Adam keeps, for every parameter, a step count and
  two moving averages of its gradients (the moments), and its hyperparameters
  (lr, betas, ...). Start Adam afresh and its next steps are not the ones the
  uninterrupted run takes;
- the epoch, so the training loop knows where it stopped.

Loading a checkpoint unpickles it, and unpickling can run code: load only what is
data (tensors, numbers, strings, lists and dicts of them) with
`torch.load(path, weights_only=True)`.

Keras keeps all of it (architecture, weights, compile settings and the optimizer's
state) in one `.keras` file.

Fill in every TODO, then run `pytest autograder` to see your score.
Keep the names and signatures: the autograder calls these functions with its own
models, optimizers, paths and epoch numbers.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import keras


def save_checkpoint(path: str, model: nn.Module, optimizer: torch.optim.Optimizer, epoch: int) -> None:
    """Write one file at `path` with torch.save: the model's state_dict, the optimizer's
    state_dict and the epoch. Write nothing anywhere else."""
    ### BEGIN SOLUTION
    # TODO: torch.save a dict holding model.state_dict(), optimizer.state_dict() and epoch.
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch}, path)
    ### END SOLUTION


def load_checkpoint(path: str, model: nn.Module, optimizer: torch.optim.Optimizer) -> int:
    """Restore `model` and `optimizer` in place from the file save_checkpoint wrote at
    `path`, and return the epoch it holds.

    Load with torch.load(path, weights_only=True): a checkpoint is data, and a file
    that holds anything else must be refused, not run.
    """
    ### BEGIN SOLUTION
    # TODO: torch.load the file (weights_only=True), then load_state_dict into the model and the optimizer.
    checkpoint = torch.load(path, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint["epoch"]
    ### END SOLUTION


def save_keras(model: keras.Model, path: str) -> None:
    """Save the whole compiled `model` (architecture, weights, optimizer state) to the
    `.keras` file at `path`."""
    ### BEGIN SOLUTION
    # TODO: save the model in the native Keras format.
    model.save(path)
    ### END SOLUTION


def load_keras(path: str) -> keras.Model:
    """Return the model saved at `path`, compiled and with its optimizer's state,
    ready to continue training with fit()."""
    ### BEGIN SOLUTION
    # TODO: load the model back; keep what it was compiled with.
    model = keras.saving.load_model(path)
    # MISTAKE: a new optimizer, with the same settings but none of the saved state
    model.compile(optimizer=keras.optimizers.Adam.from_config(model.optimizer.get_config()), loss=model.loss)
    return model
    ### END SOLUTION
