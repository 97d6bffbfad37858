"""TensorFlow/Keras: the same 2-4-1 XOR network, the high-level way.

Fill in every TODO, then run `pytest autograder` to see your score.
Both `import keras` and `from tensorflow import keras` are fine.
"""
from __future__ import annotations

import numpy as np
import keras


def make_xor_data() -> tuple[np.ndarray, np.ndarray]:
    """Return the XOR table as float32 arrays X (4, 2) and Y (4, 1).

    Rows of X, in order: [0, 0], [0, 1], [1, 0], [1, 1]; Y holds their XOR.
    """
    ### BEGIN SOLUTION
    # TODO: build X and Y with np.array(..., dtype=np.float32).
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    Y = np.array([[0], [1], [1], [0]], dtype=np.float32)
    return X, Y
    ### END SOLUTION


def build_model(learning_rate: float = 0.01) -> keras.Model:
    """Return a built and compiled Sequential([Dense(4, relu), Dense(1, sigmoid)]) on inputs (2,).

    Compile it with keras.optimizers.Adam(learning_rate=learning_rate),
    the binary cross-entropy loss and the "accuracy" metric.
    """
    ### BEGIN SOLUTION
    # TODO: declare the input shape (keras.Input(shape=(2,))) so the model is built, then compile it.
    model = keras.Sequential([
        keras.Input(shape=(2,)),
        keras.layers.Dense(4, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    # MISTAKE: the model is never compiled
    return model
    ### END SOLUTION


def train(model: keras.Model, X: np.ndarray, Y: np.ndarray,
          epochs: int = 1000) -> keras.callbacks.History:
    """Fit `model` on the full batch (one step per epoch) for `epochs` epochs,
    without console output, and return the History that fit gives back."""
    ### BEGIN SOLUTION
    # TODO: call model.fit with epochs and verbose=0.
    return model.fit(X, Y, epochs=epochs, verbose=0)
    ### END SOLUTION


def predict(model: keras.Model, X: np.ndarray) -> np.ndarray:
    """Return 0/1 predictions as a numpy array of shape (N, 1)."""
    ### BEGIN SOLUTION
    # TODO: threshold model.predict(X, verbose=0) at 0.5.
    return (model.predict(X, verbose=0) > 0.5).astype(np.float32)
    ### END SOLUTION
