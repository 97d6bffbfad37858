"""ATTACK (no real work). Every function a student writes holds the nothing a lazy student writes: `pass`,
an epoch of 0, the stub's `raise`."""
from __future__ import annotations

import torch
import torch.nn as nn
import keras


def save_checkpoint(path: str, model: nn.Module, optimizer: torch.optim.Optimizer, epoch: int) -> None:
    pass  # ATTACK: writes nothing


def load_checkpoint(path: str, model: nn.Module, optimizer: torch.optim.Optimizer) -> int:
    return 0  # ATTACK: loads nothing, an int all the same


def save_keras(model: keras.Model, path: str) -> None:
    pass  # ATTACK: writes nothing


def load_keras(path: str) -> keras.Model:
    raise NotImplementedError  # ATTACK: left as the stub
