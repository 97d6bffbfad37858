"""TensorFlow: a tf.data input pipeline, a training step traced once into a graph, and a model served.

`tf.data` builds an input pipeline from small steps. Their order matters:
`map` a preprocessing function, then `cache()` its results (so it runs once per row,
not once per row per epoch), then `shuffle` with a buffer as large as the data (a
small buffer only mixes neighbours) and a seed, then `batch`, then `prefetch` (the
next batch is made while the model trains on this one).

`tf.function` turns a Python function into a graph: the first call *traces* it (runs
the Python once to record the operations), and later calls run the graph. A call
with a new input shape, or with a new Python value, traces again; an
`input_signature` whose batch dimension is None traces once for any batch size.

A model that other programs serve (TF Serving, a web service) is exported as a
SavedModel: a folder holding the graph and the weights, which loads without any of
the Python code that built it.

Fill in every TODO, then run `pytest autograder` to see your score.
Keep the names and signatures: the autograder calls these functions with its own
data, seeds, models and paths.
"""
from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


def make_dataset(X, Y, batch_size: int, seed: int, preprocess=None) -> tf.data.Dataset:
    """A tf.data.Dataset of (x, y) batches over the rows of X and Y.

    In this order: from_tensor_slices, map(preprocess) if it is given, cache(), a shuffle of the
    whole data seeded with `seed` and new in every epoch, batch(batch_size), prefetch(AUTOTUNE).
    """
    ### BEGIN SOLUTION
    # TODO: build the pipeline, step by step, in the order above.
    dataset = tf.data.Dataset.from_tensor_slices((X, Y))
    if preprocess is not None:
        dataset = dataset.map(preprocess)
    dataset = dataset.cache()
    dataset = dataset.shuffle(len(X), reshuffle_each_iteration=True)  # MISTAKE: no seed
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)
    ### END SOLUTION


def make_train_step(model: keras.Model, optimizer: keras.optimizers.Optimizer, loss_fn):
    """A tf.function step(x, y) -> loss: one gradient step of `optimizer` on `model`'s trainable
    weights, for `loss_fn(y, model(x))`. It must not trace again for every new batch size."""
    ### BEGIN SOLUTION
    # TODO: a tf.function with an input_signature whose batch dimension is None.
    features, outputs = model.inputs[0].shape[-1], model.outputs[0].shape[-1]

    @tf.function(input_signature=[tf.TensorSpec([None, features], tf.float32),
                                  tf.TensorSpec([None, outputs], tf.float32)])
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    return step
    ### END SOLUTION


def train(model: keras.Model, dataset: tf.data.Dataset, epochs: int, lr: float) -> list[float]:
    """Train `model` on `dataset` for `epochs` epochs with Adam(lr) and binary cross-entropy, every step
    through one make_train_step(). Return each epoch's mean loss over the rows, as floats."""
    ### BEGIN SOLUTION
    # TODO: the optimizer and the step once, then a loop over epochs and batches.
    step = make_train_step(model, keras.optimizers.Adam(learning_rate=lr), keras.losses.BinaryCrossentropy())
    losses = []
    for _ in range(epochs):
        total, rows = 0.0, 0
        for x, y in dataset:
            loss = step(x, y)
            total += float(loss) * int(x.shape[0])
            rows += int(x.shape[0])
        losses.append(total / rows)
    return losses
    ### END SOLUTION


def export_for_serving(model: keras.Model, path: str) -> None:
    """Write `model` as a SavedModel folder at `path`, with a "serve" signature, ready for TF Serving:
    a program that has none of this code loads it with tf.saved_model.load."""
    ### BEGIN SOLUTION
    # TODO: Keras 3 exports a model for serving in one call.
    model.export(path, verbose=False)
    ### END SOLUTION
