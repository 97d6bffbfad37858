"""Probes for tf_pipeline: a tf.data pipeline, a traced training step, training, and an export for serving.

Runs inside the worker, next to student code, so it holds no expected value: the
data, seeds, models, optimizers and paths are the grader's own. Rows carry their
own number in their first column, so an epoch's order can be read back; the
preprocessing function the grader hands over counts its calls. The exported model
is loaded by a process that holds none of the student's code, as a server would
load it: forked at setup, before the worker imports the student's module, with
TensorFlow already imported (a new Python would import it again, seconds of work).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

from ._epochs import epoch_facts, numbered_rows  # noqa: E402


def setup() -> None:
    """One thread each way: tiny tensors run faster, and results do not depend on the core count. Then the
    loader of exports is forked, before the student's module is imported."""
    global LOADER
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.config.threading.set_intra_op_parallelism_threads(1)
    keras.utils.disable_interactive_logging()
    LOADER = fork_loader()


def reseed(seed: int) -> None:
    """The worker seeds random and numpy; TensorFlow and Keras are this module's to seed."""
    keras.utils.set_random_seed(seed)


# ---- the grader's data and networks ----

def counting_preprocess(counter: list[int]):
    """A preprocess function for map() that counts the rows it is run on (in Python, through tf.py_function)
    and changes nothing: the grader learns how often the pipeline ran it."""
    def count(x):
        counter[0] += 1
        return x

    def preprocess(x, y):
        seen = tf.py_function(count, [x], tf.float32)
        seen.set_shape(x.shape)
        return seen, y
    return preprocess


def grader_model(seed: int) -> keras.Model:
    """The lesson's 2-4-1 network with starting weights drawn from `seed` alone."""
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(-1, 1, w.shape).astype("float32") for w in model.get_weights()])
    return model


def blobs(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Standardized points labelled by an XOR of their signs: data a 2-4-1 network can learn."""
    X = np.random.default_rng(seed).normal(size=(rows, 2)).astype("float32")
    return X, ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype("float32").reshape(-1, 1)


def weights(model: keras.Model) -> list[float]:
    return [float(v) for w in model.get_weights() for v in np.asarray(w, dtype="float64").ravel()]


def plain_error(error: BaseException) -> str:
    return f"{type(error).__name__}: {str(error).strip()[:300]}"


# ---- tf.data ----

def probe_dataset(student, context: SimpleNamespace) -> dict:
    """Three epochs of make_dataset() with the grader's counting preprocess; a second dataset with the same
    seed, one with another seed, and one without preprocess."""
    seed = 1 + context.probe_seed % 100_000
    rows, batch = 21, 4
    X, Y = numbered_rows(rows, context.probe_seed)
    counter = [0]
    first = student.make_dataset(X, Y, batch, seed, counting_preprocess(counter))
    facts = {"call": f"make_dataset(X, Y, batch_size={batch}, seed={seed}, preprocess=f)", "rows": rows,
             "batch_size": batch, "seed": seed, "first": epoch_facts(first, 3)}
    facts["preprocess_calls"] = counter[0]
    facts["second"] = epoch_facts(student.make_dataset(X, Y, batch, seed, counting_preprocess([0])), 3)
    facts["other"] = epoch_facts(student.make_dataset(X, Y, batch, seed + 1, counting_preprocess([0])), 1)
    facts["plain"] = epoch_facts(student.make_dataset(X, Y, batch, seed), 1)
    return facts


# ---- graphs ----

def batches(seed: int, sizes: tuple[int, ...]) -> list[tuple[tf.Tensor, tf.Tensor]]:
    X, Y = blobs(sum(sizes), seed)
    out, start = [], 0
    for size in sizes:
        out.append((tf.constant(X[start:start + size]), tf.constant(Y[start:start + size])))
        start += size
    return out


def probe_train_step(student, context: SimpleNamespace) -> dict:
    """make_train_step() with the grader's network, optimizer (SGD, so one step is easy to follow) and loss:
    one step on 4 rows, then steps on 4, 3 and 7 rows, counting the traces between."""
    model = grader_model(context.probe_seed)
    optimizer = keras.optimizers.SGD(learning_rate=0.1)
    step = student.make_train_step(model, optimizer, keras.losses.BinaryCrossentropy())
    counts = getattr(step, "experimental_get_tracing_count", None)
    facts = {"call": "make_train_step(model, SGD(learning_rate=0.1), BinaryCrossentropy())",
             "type": type(step).__name__, "is_function": callable(counts)}
    data = batches(context.probe_seed, (4, 4, 3, 7))
    losses = [float(step(*data[0]))]
    facts["first_weights"] = weights(model)
    facts["traces_after_first"] = counts() if callable(counts) else None
    losses += [float(step(x, y)) for x, y in data[1:]]
    facts.update(losses=losses, traces=counts() if callable(counts) else None, weights=weights(model))
    return facts


def grader_dataset(context: SimpleNamespace) -> tf.data.Dataset:
    """The grader's own dataset (no shuffle): training is judged apart from make_dataset()."""
    X, Y = blobs(context.params["train_rows"], context.probe_seed)
    return tf.data.Dataset.from_tensor_slices((X, Y)).batch(context.params["train_batch_size"])


def probe_train(student, context: SimpleNamespace) -> dict:
    """train() on the grader's network and dataset, watching the steps it makes through make_train_step()."""
    params = context.params
    made = []
    original = student.make_train_step

    def watched(*args, **kwargs):
        step = original(*args, **kwargs)
        made.append(step)
        return step

    student.make_train_step = watched
    try:
        model = grader_model(context.probe_seed)
        losses = student.train(model, grader_dataset(context), params["train_epochs"], params["train_lr"])
    finally:
        student.make_train_step = original
    counts = [getattr(step, "experimental_get_tracing_count", None) for step in made]
    return {"call": f"train(model, dataset, epochs={params['train_epochs']}, lr={params['train_lr']})",
            "returned": type(losses).__name__,
            "losses": [float(v) for v in losses] if isinstance(losses, list) and all(
                isinstance(v, (int, float)) for v in losses) else None,
            "loss_types": sorted({type(v).__name__ for v in losses}) if isinstance(losses, list) else [],
            "steps_made": len(made), "traces": [c() if callable(c) else None for c in counts],
            "weights": weights(model)}


# ---- serving ----

LOADER = None  # (requests, answers): the pipes to the loader forked at setup


def fork_loader():
    """A process that holds none of the student's code (it is forked before their module is imported) and
    loads, for each request, a SavedModel with tf.saved_model.load; it ends with the worker (its requests
    pipe closes)."""
    requests_read, requests_write = os.pipe()
    answers_read, answers_write = os.pipe()
    if os.fork() == 0:
        try:
            os.close(requests_write)
            os.close(answers_read)
            with os.fdopen(requests_read) as requests, os.fdopen(answers_write, "w") as answers:
                for line in requests:
                    path, inputs = json.loads(line)
                    answers.write(json.dumps(load_elsewhere(path, inputs)) + "\n")
                    answers.flush()
        finally:
            os._exit(0)
    os.close(requests_read)
    os.close(answers_write)
    return os.fdopen(requests_write, "w"), os.fdopen(answers_read)


def load_elsewhere(path: str, inputs: list) -> dict:
    """What loading the SavedModel at `path` gives: its signatures, and what the one a server calls gives."""
    facts: dict = {}
    try:
        loaded = tf.saved_model.load(path)
    except Exception as error:
        return {"load_error": plain_error(error)}
    facts["signatures"] = sorted(loaded.signatures)
    name = "serve" if "serve" in loaded.signatures else "serving_default"
    if name in loaded.signatures:
        try:
            out = loaded.signatures[name](tf.constant(np.asarray(inputs, dtype="float32")))
            facts["outputs"] = [float(v) for v in np.asarray(next(iter(out.values()))).ravel()]
        except Exception as error:
            facts["call_error"] = plain_error(error)
    return facts


def _loaded_elsewhere(path: Path, inputs: np.ndarray) -> dict:
    """The loader's answer for the export at `path`."""
    try:
        requests, answers = LOADER
        requests.write(json.dumps([str(path.resolve()), inputs.tolist()]) + "\n")
        requests.flush()
        answer = answers.readline()
        return json.loads(answer)
    except (TypeError, OSError, ValueError):
        return {"load_error": "the grader's loading process did not answer"}


def probe_export(student, context: SimpleNamespace) -> dict:
    """export_for_serving() of the grader's network, loaded back on the grader's inputs by the loader, which
    holds none of the student's code."""
    model = grader_model(context.probe_seed)
    folder = Path.cwd() / f"export-{context.probe_seed % 10_000}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "served"
    student.export_for_serving(model, str(path))
    inputs = np.random.default_rng(context.probe_seed).normal(size=(6, 2)).astype("float32") * 2
    facts = {"call": "export_for_serving(model, path)", "exists": path.exists(), "is_dir": path.is_dir(),
             "files": sorted(p.name for p in path.iterdir()) if path.is_dir() else [],
             "probabilities": [float(v) for v in np.asarray(model(inputs)).ravel()]}
    if path.exists() and not context.reference:  # the checks compare with the reference's model itself
        facts["elsewhere"] = _loaded_elsewhere(path, inputs)
    return facts
