"""ATTACK (no real work). Every function a student writes holds the shape-correct nothing a lazy student writes:
zeros of the right shapes, an empty model, a History of zeros."""
from __future__ import annotations

import numpy as np
import keras


def make_xor_data() -> tuple[np.ndarray, np.ndarray]:
    return np.zeros((4, 2), np.float32), np.zeros((4, 1), np.float32)  # ATTACK: zeros of the right shapes


def build_model(learning_rate: float = 0.01) -> keras.Model:
    return keras.Sequential()  # ATTACK: an empty model, not built, not compiled


def train(model: keras.Model, X: np.ndarray, Y: np.ndarray, epochs: int = 1000) -> keras.callbacks.History:
    history = keras.callbacks.History()  # ATTACK: a History with one 0.0 loss per epoch, no fit
    history.history = {"loss": [0.0] * epochs, "accuracy": [1.0] * epochs}
    history.epoch = list(range(epochs))
    return history


def predict(model: keras.Model, X: np.ndarray) -> np.ndarray:
    return np.zeros((len(X), 1), np.float32)  # ATTACK: zeros of the right shape
