"""Helpers of the checkpointing probes: the grader's Keras run, what a .keras file holds,
and the files of the scratch folder. Imported as `from ._checkpointing import ...`."""
from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402


def keras_setup() -> None:
    """One thread for TensorFlow, as for torch."""
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)


def plain_error(error: BaseException) -> dict:
    """An exception as plain data: its type and the first line of its message, shortened, without
    terminal colour codes."""
    lines = re.sub(r"\x1b\[[0-9;]*m", "", str(error)).strip().splitlines()
    return {"type": type(error).__name__, "message": lines[0][:200] if lines else ""}


def entries(root: Path) -> set[str]:
    """Every file and folder under `root`, as paths relative to it."""
    found = set()
    for folder, folders, files in os.walk(root):
        for name in folders + files:
            found.add(os.path.relpath(os.path.join(folder, name), root))
    return found


def keras_model(seed: int, lr: float) -> keras.Model:
    """The grader's Keras model, compiled with Adam, with starting weights from `seed` alone.

    run_eagerly: a few steps of a tiny model cost less than tracing a graph; it is part of the
    compile settings a .keras file keeps, so a model loaded back runs eagerly too."""
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(5, activation="tanh"),
                              keras.layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr), loss="mse", run_eagerly=True)
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(-1, 1, size=w.shape).astype(np.float32) for w in model.get_weights()])
    return model


def keras_data(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed + 1)
    return (rng.uniform(-2, 2, size=(16, 3)).astype(np.float32),
            rng.uniform(-1, 1, size=(16, 2)).astype(np.float32))


def keras_fit(model: keras.Model, X: np.ndarray, Y: np.ndarray, epochs: int) -> None:
    """Full batch, rows in order: one deterministic Adam step per epoch."""
    model.fit(X, Y, epochs=epochs, batch_size=len(X), shuffle=False, verbose=0)


def _flat(arrays) -> list[float]:
    return [float(v) for a in arrays for v in np.asarray(a, dtype=np.float64).flatten()]


def keras_facts(model) -> dict:
    """A model's weights, whether it is compiled, and its optimizer's state: the step count and the
    moments (every optimizer variable but the step count and the learning rate)."""
    if not isinstance(model, keras.Model):
        return {"type": type(model).__name__, "is_model": False}
    facts = {"type": type(model).__name__, "is_model": True, "weights": _flat(model.get_weights())}
    optimizer = getattr(model, "optimizer", None)
    facts["compiled"] = bool(getattr(model, "compiled", False)) and optimizer is not None
    if optimizer is None:
        return facts
    facts["optimizer"] = type(optimizer).__name__
    facts["iterations"] = int(np.asarray(optimizer.iterations))
    try:
        facts["learning_rate"] = float(np.asarray(optimizer.learning_rate))
    except Exception:
        facts["learning_rate"] = None
    facts["moments"] = _flat(np.asarray(v) for v in optimizer.variables
                             if v.name not in ("iteration", "iterations", "learning_rate"))
    return facts


def keras_file_facts(path: Path) -> dict:
    """The file at `path`: a .keras archive or not, and what Keras itself loads from it."""
    facts: dict = {"exists": path.exists(), "is_file": path.is_file()}
    if not facts["is_file"]:
        return facts
    facts["is_zip"] = zipfile.is_zipfile(path)
    if facts["is_zip"]:
        with zipfile.ZipFile(path) as archive:
            facts["members"] = sorted(archive.namelist())
    try:
        facts["loaded"] = keras_facts(keras.saving.load_model(path))
    except Exception as error:
        facts["load_error"] = plain_error(error)
    return facts
