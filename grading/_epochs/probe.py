"""The grader's numbered rows, and what passes over a loader or dataset gave (imported by the torch_pipeline
and tf_pipeline probes as `from ._epochs import ...`). NumPy only: a batch from either framework is read
as an array, so one helper reads a DataLoader and a tf.data.Dataset alike."""
from __future__ import annotations

import numpy as np


def numbered_rows(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """float32 X whose first column is the row's number and second a random value drawn from `seed`; Y a
    function of the number, so that a y that left its x shows."""
    numbers = np.arange(rows, dtype=np.float32)
    X = np.stack([numbers, np.random.default_rng(seed).random(rows, dtype=np.float32)], axis=1)
    return X, (numbers * 10 + 7).reshape(-1, 1)


def _plain(values) -> tuple[np.ndarray, str]:
    """A batch's tensor as a float64 array, and the name of its dtype as its framework gave it."""
    if hasattr(values, "detach"):  # a torch tensor, with or without grad, of any dtype
        return values.detach().cpu().double().numpy(), str(values.dtype).removeprefix("torch.")
    array = np.asarray(values)
    return array.astype(np.float64), str(array.dtype)


def epoch_facts(loader, epochs: int = 1) -> list[dict]:
    """What `epochs` passes over a loader gave: the row numbers in order, the batch sizes and dtypes, and
    whether every y is its own x's."""
    passes = []
    for _ in range(epochs):
        rows, sizes, dtypes, paired = [], [], set(), True
        for x, y in loader:
            (x, x_type), (y, y_type) = _plain(x), _plain(y)
            dtypes.add(f"{x_type}/{y_type}")
            numbers = [float(v) for v in x[:, 0]]
            rows += [int(v) for v in numbers]
            sizes.append(int(x.shape[0]))
            paired = paired and [float(v) for v in y.reshape(-1)] == [v * 10 + 7 for v in numbers]
        passes.append({"rows": rows, "sizes": sizes, "dtypes": sorted(dtypes), "paired": paired})
    return passes
