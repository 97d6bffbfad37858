"""Probes for keras_xor: small seeded experiments on the submitted module.

Runs inside the worker, next to student code, so it holds no expected value.
Models given to train() and predict() are the probe's own, compiled eagerly
(a few epochs of a 17-parameter model cost less than tracing a graph).
"""
from __future__ import annotations

import os
from types import SimpleNamespace

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

from ._xor import XOR_X as XOR_ROWS, XOR_Y as XOR_TARGETS, widest_gap_threshold  # noqa: E402


def setup() -> None:
    """One thread: tiny tensors run faster, and results do not depend on the core count."""
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)


def reseed(seed: int) -> None:
    """The worker seeds random and numpy; Keras and TensorFlow are this module's to seed."""
    keras.utils.set_random_seed(seed)


XOR_X = np.array(XOR_ROWS, dtype=np.float32)
XOR_Y = np.array(XOR_TARGETS, dtype=np.float32)
WEIGHT_SHAPES = [(2, 4), (4,), (4, 1), (1,)]


def fixed_weights(seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1, 1, size=shape).astype(np.float32) for shape in WEIGHT_SHAPES]


def random_inputs(seed: int, rows: int) -> np.ndarray:
    """Inputs other than the four XOR rows, so a hard-coded answer cannot pass."""
    return np.random.default_rng(seed).uniform(-2, 2, size=(rows, 2)).astype(np.float32)


def random_targets(seed: int, rows: int) -> np.ndarray:
    return (np.random.default_rng(seed + 1).uniform(size=(rows, 1)) > 0.5).astype(np.float32)


def grader_model(seed: int, balance_on: np.ndarray | None = None) -> keras.Model:
    """The lesson's model, owned by the probe, with fixed weights.

    With `balance_on`, the output bias splits those rows at the widest gap between
    their middle logits, so constant predictions cannot pass and no output is 0.5.
    """
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="binary_crossentropy",
                  metrics=["accuracy"], run_eagerly=True)
    weights = fixed_weights(seed)
    if balance_on is not None:
        w1, b1, w2, b2 = weights
        logits = (np.maximum(balance_on @ w1 + b1, 0) @ w2 + b2).flatten().tolist()
        weights[3] = (b2 - widest_gap_threshold(logits)).astype(np.float32)
    model.set_weights(weights)
    return model


def array_facts(value) -> dict:
    """Type, dtype, shape and values of something that should be a numpy array."""
    facts = {"type": type(value).__module__.split(".")[0] + "." + type(value).__name__}
    if isinstance(value, np.ndarray):
        facts.update(dtype=str(value.dtype), shape=list(value.shape),
                     values=value.astype(np.float64).flatten().tolist()
                     if value.dtype.kind in "biuf" else None)
    return facts


def flat(weights: list[np.ndarray]) -> list[float]:
    return [float(v) for w in weights for v in np.asarray(w, dtype=np.float64).flatten()]


def _name(thing) -> str:
    """A readable name for a loss, metric or activation given as a string, function or object."""
    if thing is None or isinstance(thing, str):
        return str(thing)
    return getattr(thing, "__name__", None) or getattr(thing, "name", None) or type(thing).__name__


# ---- the probes ----

def probe_make_xor_data(student, context: SimpleNamespace) -> dict:
    X, Y = student.make_xor_data()
    return {"call": "make_xor_data()", "X": array_facts(X), "Y": array_facts(Y)}


def probe_build_model(student, context: SimpleNamespace) -> dict:
    model = student.build_model()
    facts = {"call": "build_model()", "is_model": isinstance(model, keras.Model), "type": type(model).__name__}
    if not facts["is_model"]:
        return facts
    facts["built"] = bool(model.built) and bool(model.weights)
    facts["weight_shapes"] = [list(w.shape) for w in model.weights] if model.weights else []
    if facts["built"]:
        facts["parameter_count"] = int(model.count_params())
        facts["input_shape"] = list(model.inputs[0].shape) if getattr(model, "inputs", None) else None
        facts["output_shape"] = list(model.outputs[0].shape) if getattr(model, "outputs", None) else None
    facts["layers"] = [{"type": type(layer).__name__, "units": getattr(layer, "units", None),
                        "activation": _name(getattr(layer, "activation", None))} for layer in model.layers]
    facts.update(_compile_facts(model))
    return facts


def _compile_facts(model: keras.Model) -> dict:
    optimizer = getattr(model, "optimizer", None)
    compiled = bool(getattr(model, "compiled", False)) and optimizer is not None
    facts = {"compiled": compiled}
    if not compiled:
        return facts
    facts["optimizer"] = type(optimizer).__name__
    try:
        facts["learning_rate"] = float(np.asarray(optimizer.learning_rate))
    except Exception:
        facts["learning_rate"] = None
    facts["loss"] = _name(getattr(model, "loss", None))
    return facts


def probe_build_model_lr(student, context: SimpleNamespace) -> dict:
    rate = round(float(np.random.default_rng(context.probe_seed).uniform(0.02, 0.09)), 3)
    model = student.build_model(learning_rate=rate)
    facts = _compile_facts(model) if isinstance(model, keras.Model) else {"compiled": False}
    return {"call": f"build_model(learning_rate={rate})", "asked": rate, **facts}


def _identity(inputs, *args, **kwargs):
    return inputs


def linear_skeleton(model: keras.Model, X: np.ndarray) -> list[float] | None:
    """The model's output with every activation taken out (activation layers pass their input on): what
    its layers and weights compute, whichever activations the student chose. None where that fails."""
    try:
        for layer in model.layers:
            if hasattr(layer, "activation"):
                layer.activation = keras.activations.linear
            elif not layer.weights and type(layer).__name__ != "InputLayer":
                layer.call = _identity
        return np.asarray(model(X, training=False), dtype=np.float64).flatten().tolist()
    except Exception:
        return None


def probe_build_model_forward(student, context: SimpleNamespace) -> dict:
    """The student's model with fixed weights: outputs, and the loss and metrics it was compiled with."""
    model = student.build_model()
    shapes = [tuple(w.shape) for w in model.get_weights()]
    if shapes != WEIGHT_SHAPES:
        return {"call": "build_model()", "weight_shapes": [list(s) for s in shapes]}
    model.set_weights(fixed_weights(context.seed + 1))
    X = np.concatenate([XOR_X, random_inputs(context.seed + 1, 8)])
    facts = {"call": "build_model()", "weight_shapes": [list(s) for s in shapes],
             "output": array_facts(np.asarray(model(X, training=False)))}
    if getattr(model, "compiled", False):
        Y = np.concatenate([XOR_Y, random_targets(context.seed + 1, 8)])
        evaluated = model.evaluate(X, Y, verbose=0, return_dict=True)
        facts["evaluated"] = {str(k): float(v) for k, v in evaluated.items()}
        facts["targets"] = Y.astype(np.float64).flatten().tolist()
    facts["linear_output"] = linear_skeleton(model, X)
    return facts


def _train_run(student, context: SimpleNamespace, *, seed_offset: int, epochs: int, xor: bool) -> dict:
    model = grader_model(context.seed + seed_offset)
    before = flat(model.get_weights())
    if xor:
        X, Y = XOR_X, XOR_Y
    else:
        X, Y = random_inputs(context.seed + seed_offset, 6), random_targets(context.seed + seed_offset, 6)
    history = student.train(model, X, Y, epochs=epochs)
    data = "X, Y" if xor else "X_random, Y_random"
    facts = {"call": f"train(model, {data}, epochs={epochs})", "epochs": epochs, "rows": len(X),
             "history_type": type(history).__name__,
             "is_history": isinstance(history, keras.callbacks.History),
             "weights_before": before, "weights": flat(model.get_weights())}
    record = getattr(history, "history", None)
    if isinstance(record, dict) and isinstance(record.get("loss"), list):
        facts["losses"] = [float(v) for v in record["loss"]]
    return facts


def probe_train_xor(student, context: SimpleNamespace) -> dict:
    return _train_run(student, context, seed_offset=11, epochs=3, xor=True)


def probe_train_other_data(student, context: SimpleNamespace) -> dict:
    return _train_run(student, context, seed_offset=12, epochs=4, xor=False)


def probe_predict(student, context: SimpleNamespace) -> dict:
    X = random_inputs(context.seed + 21, 7)
    return {"call": "predict(model, X)",
            "rows_7": array_facts(student.predict(grader_model(context.seed + 21, balance_on=X), X)),
            "rows_1": array_facts(student.predict(grader_model(context.seed + 21), X[:1]))}

