"""Probes for autodiff: the student's gradients on parameters, data, models and functions the grader chooses.

Runs inside the worker, next to student code, so it holds no expected value: each probe
returns what came back (types, shapes, values) and the checks compare it with the
reference's. Every probe draws its inputs from its own seed (context.probe_seed), and the
data is never the XOR table, so an answer written for XOR alone cannot pass.
"""
from __future__ import annotations

import numbers
from types import SimpleNamespace

import numpy as np
import torch
import torch.nn as nn

PARAM_SHAPES = {"W1": (2, 4), "b1": (4,), "W2": (4, 1), "b2": (1,)}
ROWS = 8  # rows of grader data: ReLU units are on for half of them, off for the other half


def setup() -> None:
    """One thread: tiny tensors run faster, and results do not depend on the core count."""
    torch.set_num_threads(1)


def reseed(seed: int) -> None:
    """The worker seeds random and numpy; torch is this module's to seed."""
    torch.manual_seed(seed)


# ---- what came back, as plain data ----

def array_facts(value) -> dict:
    """Type, dtype, shape and values of something that should be a numpy array."""
    if isinstance(value, torch.Tensor):
        return {"type": "Tensor", "dtype": str(value.dtype).replace("torch.", ""), "shape": list(value.shape)}
    if not isinstance(value, np.ndarray):
        return {"type": type(value).__name__}
    facts = {"type": "numpy.ndarray", "dtype": str(value.dtype), "shape": list(value.shape)}
    try:
        facts["values"] = [float(v) for v in np.asarray(value, dtype=np.float64).ravel()]
    except (TypeError, ValueError):
        pass
    return facts


def tensor_facts(value) -> dict:
    """Type, dtype, shape and values of something that should be a torch tensor."""
    if isinstance(value, np.ndarray):
        return {"type": "numpy.ndarray", "dtype": str(value.dtype), "shape": list(value.shape)}
    if not isinstance(value, torch.Tensor):
        return {"type": type(value).__name__}
    return {"type": "Tensor", "dtype": str(value.dtype).replace("torch.", ""), "shape": list(value.shape),
            "values": value.detach().double().flatten().tolist()}


def number_facts(value) -> dict:
    """What a function that should return a float returned: a number (or a 0-d array), or not."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, torch.Tensor) and value.ndim == 0:
        return {"type": "Tensor", "value": None}
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return {"type": type(value).__name__, "value": float(value)}
    facts = {"type": type(value).__name__, "value": None}
    if isinstance(value, (np.ndarray, torch.Tensor)):
        facts["shape"] = list(value.shape)
    return facts


def dict_facts(value, describe) -> dict:
    """A returned dict of arrays: its type, and the facts of each entry under its key."""
    if not isinstance(value, dict):
        return {"type": type(value).__name__}
    return {"type": "dict", "entries": {str(key): describe(item) for key, item in value.items()}}


# ---- the grader's inputs ----

def grader_params(rng: np.random.Generator, X: np.ndarray) -> dict[str, np.ndarray]:
    """Random weights; each hidden unit's bias splits the rows of X, half on and half off."""
    W1 = rng.normal(0.0, 1.0, PARAM_SHAPES["W1"])
    pre = X @ W1
    b1 = -np.median(pre, axis=0)  # an even number of rows: no row sits exactly at 0
    return {"W1": W1, "b1": b1, "W2": rng.normal(0.0, 1.0, PARAM_SHAPES["W2"]),
            "b2": rng.normal(0.0, 0.5, PARAM_SHAPES["b2"])}


def grader_data(rng: np.random.Generator, rows: int = ROWS) -> tuple[np.ndarray, np.ndarray]:
    """Rows of normal noise (not XOR) and 0/1 targets with both classes present."""
    X = rng.normal(0.0, 1.0, (rows, 2))
    Y = np.zeros((rows, 1))
    Y[rng.permutation(rows)[: rows // 2]] = 1.0
    return X, Y


def copy_params(params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {name: value.copy() for name, value in params.items()}


def unchanged(given: dict, params: dict[str, np.ndarray]) -> bool:
    """Whether the dict handed to the student still holds the original values (rounding aside)."""
    return all(isinstance(given.get(k), np.ndarray) and given[k].shape == v.shape
               and np.allclose(given[k], v, rtol=1e-12, atol=1e-12) for k, v in params.items())


### BEGIN REFERENCE ONLY
# Known mistakes, replayed by the probe's own code when it runs on the solutions, so that a
# check can name the mistake a student's numbers reproduce. The release has recordings instead.

def _backprop(params: dict, X: np.ndarray, Y: np.ndarray, mistake: str) -> dict:
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    z1 = X @ W1 + b1
    hidden = np.maximum(z1, 0.0)
    P = 1.0 / (1.0 + np.exp(-(hidden @ W2 + b2)))
    dz2 = (P - Y) if mistake == "sums over the rows instead of averaging" else (P - Y) / X.shape[0]
    if mistake == "multiplies by the sigmoid's derivative again":
        dz2 = dz2 * P * (1 - P)
    dz1 = dz2 @ W2.T
    if mistake != "skips the ReLU mask":
        dz1 = dz1 * (z1 > 0)
    grads = {"W1": X.T @ dz1, "b1": dz1.sum(axis=0), "W2": hidden.T @ dz2, "b2": dz2.sum(axis=0)}
    return {name: [float(v) for v in value.ravel()] for name, value in grads.items()}


BACKPROP_MISTAKES = ("skips the ReLU mask", "multiplies by the sigmoid's derivative again",
                     "sums over the rows instead of averaging")


def _differences(f, params: dict, eps: float, mistake: str) -> dict:
    result = {}
    for name, value in params.items():
        values = []
        for index in np.ndindex(value.shape):
            def at(step: float) -> float:
                moved = copy_params(params)
                moved[name][index] += step
                return f(moved)
            if mistake == "uses a one-sided (forward) difference":
                values.append((at(eps) - f(params)) / eps)
            elif mistake == "divides by eps instead of 2 * eps":
                values.append((at(eps) - at(-eps)) / eps)
            else:  # "ignores eps (always 1e-6)"
                values.append((at(1e-6) - at(-1e-6)) / 2e-6)
        result[name] = values
    return result


DIFFERENCE_MISTAKES = ("uses a one-sided (forward) difference", "divides by eps instead of 2 * eps",
                       "ignores eps (always 1e-6)")
### END REFERENCE ONLY


# ---- forward and bce_loss ----

def probe_forward(student, context: SimpleNamespace) -> dict:
    rng = np.random.default_rng(context.probe_seed)
    X, _ = grader_data(rng)
    params = grader_params(rng, X)
    result = student.forward(copy_params(params), X.copy())
    return {"call": f"forward(params, X) with the grader's params and X of shape {X.shape}",
            "rows": X.shape[0], "output": array_facts(result)}


def probe_bce_loss(student, context: SimpleNamespace) -> dict:
    rng = np.random.default_rng(context.probe_seed)
    rows = 6
    P = rng.uniform(0.05, 0.95, (rows, 1))
    _, Y = grader_data(rng, rows)
    result = student.bce_loss(P.copy(), Y.copy())
    return {"call": f"bce_loss(P, Y) with P and Y of shape {P.shape}, P = {np.round(P.ravel(), 3).tolist()}, "
                    f"Y = {Y.ravel().tolist()}",
            "result": number_facts(result)}


# ---- numpy_gradients ----

class AutogradWatch:
    """Counts calls to torch's autograd while it is active: numpy_gradients must derive by hand."""

    def __enter__(self) -> "AutogradWatch":
        self.calls = 0
        self.saved = (torch.Tensor.backward, torch.autograd.backward, torch.autograd.grad)

        def counted(function):
            def wrapper(*args, **kwargs):
                self.calls += 1
                return function(*args, **kwargs)
            return wrapper
        torch.Tensor.backward = counted(self.saved[0])
        torch.autograd.backward = counted(self.saved[1])
        torch.autograd.grad = counted(self.saved[2])
        return self

    def __exit__(self, *exc) -> None:
        torch.Tensor.backward, torch.autograd.backward, torch.autograd.grad = self.saved


def probe_numpy_gradients(student, context: SimpleNamespace) -> dict:
    rng = np.random.default_rng(context.probe_seed)
    X, Y = grader_data(rng)
    params = grader_params(rng, X)
    with AutogradWatch() as watch:
        result = student.numpy_gradients(copy_params(params), X.copy(), Y.copy())
    facts = {"call": f"numpy_gradients(params, X, Y) with the grader's params and X of shape {X.shape} "
                     "(every hidden unit is on for half of the rows)",
             "rows": X.shape[0], "shapes": {name: list(shape) for name, shape in PARAM_SHAPES.items()},
             "result": dict_facts(result, array_facts), "autograd_calls": watch.calls}
### BEGIN REFERENCE ONLY
    if context.reference:
        facts["mistakes"] = {m: _backprop(params, X, Y, m) for m in BACKPROP_MISTAKES}
### END REFERENCE ONLY
    return facts


# ---- autograd_gradients on the grader's own modules ----

class XorNet(nn.Module):
    """The lesson's network: fc1, ReLU, fc2, sigmoid."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(2, 4), nn.Linear(4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.fc2(torch.relu(self.fc1(x))))


class FrozenEncoderNet(nn.Module):
    """Another architecture, other names, and a first layer that is frozen (requires_grad=False)."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Linear(3, 6)
        self.hidden = nn.Linear(6, 5)
        self.head = nn.Linear(5, 1)
        self.encoder.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.head(torch.tanh(self.hidden(torch.relu(self.encoder(x))))))


def _modules() -> dict[str, tuple[str, int]]:
    """label -> (how the call names the model, its input features)."""
    return {
        "xor_net": ("the XOR net (fc1 = Linear(2, 4), fc2 = Linear(4, 1))", 2),
        "sequential": ("Sequential(Linear(3, 5), Tanh(), Linear(5, 4), ReLU(), Linear(4, 1), Sigmoid())", 3),
        "frozen": ("a net with encoder = Linear(3, 6) frozen (requires_grad=False), hidden = Linear(6, 5), "
                   "head = Linear(5, 1)", 3),
    }


def build_module(label: str, generator: torch.Generator) -> nn.Module:
    if label == "sequential":
        model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 1), nn.Sigmoid())
    elif label == "frozen":
        model = FrozenEncoderNet()
    else:
        model = XorNet()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.8)
    return model


def weights_of(model: nn.Module) -> list[float]:
    return [float(v) for p in model.parameters() for v in p.detach().flatten()]


def _autograd_run(student, context: SimpleNamespace, label: str, stale: bool = False) -> dict:
    generator = torch.Generator().manual_seed(context.probe_seed)
    model = build_module(label, generator)
    description, features = _modules()[label]
    X = torch.randn(ROWS, features, generator=generator)
    Y = (torch.rand(ROWS, 1, generator=generator) > 0.5).float()
    stale_grads = {}
    if stale:  # what an earlier backward() would have left behind
        for name, parameter in model.named_parameters():
            parameter.grad = torch.randn(parameter.shape, generator=generator)
            stale_grads[name] = parameter.grad.double().flatten().tolist()
    before = weights_of(model)
    requires_grad = {name: bool(p.requires_grad) for name, p in model.named_parameters()}
    result = student.autograd_gradients(model, X, Y)
    facts = {"call": f"autograd_gradients(model, X, Y) with model = {description} and X of shape {tuple(X.shape)}"
                     + (", after a backward() whose .grad values were left on the parameters" if stale else ""),
             "result": dict_facts(result, tensor_facts),
             "requires_grad": requires_grad,
             "weights_before": before, "weights": weights_of(model)}
    if stale:
        facts["stale_grads"] = stale_grads
    return facts


def probe_autograd_xor_net(student, context: SimpleNamespace) -> dict:
    return _autograd_run(student, context, "xor_net")


def probe_autograd_sequential(student, context: SimpleNamespace) -> dict:
    return _autograd_run(student, context, "sequential")


def probe_autograd_frozen(student, context: SimpleNamespace) -> dict:
    return _autograd_run(student, context, "frozen")


def probe_autograd_stale_grad(student, context: SimpleNamespace) -> dict:
    return _autograd_run(student, context, "xor_net", stale=True)


# ---- numerical_gradients and relative_error ----

def wiggly(params: dict[str, np.ndarray]) -> float:
    """A smooth scalar function with large higher derivatives: the step's error shows."""
    a, b = params["a"], params["b"]
    return float(np.sum(np.exp(1.5 * a)) + np.sum(b ** 3) + np.sin(a.sum() * b.mean()))


def _difference_run(student, context: SimpleNamespace, eps: float | None) -> dict:
    rng = np.random.default_rng(context.probe_seed)
    params = {"a": rng.uniform(-1.0, 1.0, (2, 3)), "b": rng.uniform(0.5, 1.5, (4,))}
    given = copy_params(params)
    if eps is None:
        result = student.numerical_gradients(wiggly, given)
        call = "numerical_gradients(f, params)"
    else:
        result = student.numerical_gradients(wiggly, given, eps=eps)
        call = f"numerical_gradients(f, params, eps={eps})"
    facts = {"call": f"{call} for the grader's f(p) = sum(exp(1.5 * a)) + sum(b ** 3) + sin(sum(a) * mean(b)), "
                     "with a = p['a'] of shape (2, 3) and b = p['b'] of shape (4,)",
             "eps": eps, "result": dict_facts(result, array_facts),
             "params_kept": unchanged(given, params)}
### BEGIN REFERENCE ONLY
    if context.reference:
        facts["mistakes"] = {m: _differences(wiggly, params, 1e-6 if eps is None else eps, m)
                             for m in DIFFERENCE_MISTAKES}
### END REFERENCE ONLY
    return facts


def probe_numerical_default_eps(student, context: SimpleNamespace) -> dict:
    return _difference_run(student, context, None)


def probe_numerical_eps_small(student, context: SimpleNamespace) -> dict:
    """eps = 1e-3: a one-sided difference is off by about eps, a central one by about eps**2."""
    return _difference_run(student, context, 1e-3)


def probe_numerical_eps_coarse(student, context: SimpleNamespace) -> dict:
    """eps = 0.1: the central difference with that step differs visibly from the true derivative."""
    return _difference_run(student, context, 0.1)


def _error_cases(rng: np.random.Generator) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Pairs where the largest difference sits on the largest entry, so `max |a - b| / max(|a| + |b|)`
    and its entry-by-entry reading agree; a missing denominator or another statistic does not."""
    def close_pair(shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        size = int(np.prod(shape))
        a = rng.uniform(0.5, 1.0, size) * rng.choice([-1.0, 1.0], size)
        delta = rng.uniform(1e-4, 1e-3, size)
        big = rng.integers(size)
        # Its size and difference come from the seed too, so no answer can be known before the grader runs.
        a[big], delta[big] = rng.uniform(2.5, 4.0) * np.sign(a[big]), rng.uniform(1.5e-3, 5e-3)
        return a.reshape(shape), (a * (1 + delta)).reshape(shape)
    vector, matrix = close_pair((6,)), close_pair((2, 4))
    signs = rng.normal(0.0, 1.0, (5,))
    return {"two close gradients (6,)": vector,
            "two close gradients (2, 4)": matrix,
            "a gradient and its negative": (signs, -signs),
            "two zero gradients": (np.zeros((3,)), np.zeros((3,)))}


def probe_relative_error(student, context: SimpleNamespace) -> dict:
    rng = np.random.default_rng(context.probe_seed)
    results = {}
    for label, (a, b) in _error_cases(rng).items():
        results[label] = {"a": a.ravel().tolist(), "b": b.ravel().tolist(),
                          "result": number_facts(student.relative_error(a.copy(), b.copy()))}
    return {"call": "relative_error(a, b)", "cases": results}
