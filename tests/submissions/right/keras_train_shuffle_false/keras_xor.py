"""TensorFlow/Keras: the same 2-4-1 XOR network, the high-level way.

Reference solution. Every name here is part of the student contract.
"""
from __future__ import annotations

import numpy as np
import keras


def make_xor_data() -> tuple[np.ndarray, np.ndarray]:
    """Return the XOR table as float32 arrays X (4, 2) and Y (4, 1)."""
    ### BEGIN SOLUTION
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    Y = np.array([[0], [1], [1], [0]], dtype=np.float32)
    return X, Y
    ### END SOLUTION


def build_model(learning_rate: float = 0.01) -> keras.Model:
    """Return a built and compiled Sequential([Dense(4, relu), Dense(1, sigmoid)]) on inputs (2,).

    Compiled with Adam at `learning_rate`, binary cross-entropy and the accuracy metric.
    """
    ### BEGIN SOLUTION
    model = keras.Sequential([
        keras.Input(shape=(2,)),
        keras.layers.Dense(4, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model
    ### END SOLUTION


def train(model: keras.Model, X: np.ndarray, Y: np.ndarray,
          epochs: int = 1000) -> keras.callbacks.History:
    """Fit `model` on the full batch for `epochs` epochs without console output."""
    ### BEGIN SOLUTION
    return model.fit(X, Y, epochs=epochs, verbose=0, shuffle=False)  # VARIANT: no shuffling
    ### END SOLUTION


def predict(model: keras.Model, X: np.ndarray) -> np.ndarray:
    """Return 0/1 predictions of shape (N, 1)."""
    ### BEGIN SOLUTION
    return (model.predict(X, verbose=0) > 0.5).astype(np.float32)
    ### END SOLUTION
