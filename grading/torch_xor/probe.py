"""Probes for torch_xor: small seeded experiments on the submitted module.

Runs inside the worker, next to student code, so it holds no expected value:
each probe returns plain observations (numbers, shapes, flags) and the checks
compare them with the reference's. Models, weights and data are the probe's
own, so one broken function costs only its own checks.
"""
from __future__ import annotations

import numbers
from types import SimpleNamespace

import torch
import torch.nn as nn

from ._xor import XOR_X, XOR_Y, widest_gap_threshold


def setup() -> None:
    """One thread: tiny tensors run faster, and results do not depend on the core count."""
    torch.set_num_threads(1)


def reseed(seed: int) -> None:
    """The worker seeds random and numpy; torch is this module's to seed."""
    torch.manual_seed(seed)


class ProbeNet(nn.Module):
    """The lesson's network, owned by the probe, for checks of train() and predict()."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(2, 4), nn.Linear(4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.fc2(torch.relu(self.fc1(x))))


class GradModeRecorder(nn.Module):
    """Wraps a model and remembers whether autograd was on at each call."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner
        self.grad_enabled: list[bool] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.grad_enabled.append(torch.is_grad_enabled())
        return self.inner(x)


WEIGHT_NAMES = ("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias")


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def start_weights(seed: int) -> dict[str, torch.Tensor]:
    """Starting weights drawn like nn.Linear's default init, from a seed alone."""
    g = _generator(seed)
    bound1, bound2 = 1 / 2 ** 0.5, 1 / 4 ** 0.5
    return {
        "fc1.weight": (torch.rand(4, 2, generator=g) * 2 - 1) * bound1,
        "fc1.bias": (torch.rand(4, generator=g) * 2 - 1) * bound1,
        "fc2.weight": (torch.rand(1, 4, generator=g) * 2 - 1) * bound2,
        "fc2.bias": (torch.rand(1, generator=g) * 2 - 1) * bound2,
    }


def load_weights(model: nn.Module, weights: dict[str, torch.Tensor]) -> None:
    """Copy weights into model.fc1/fc2 by attribute, whatever order they were created in."""
    with torch.no_grad():
        for name, value in weights.items():
            layer_name, tensor_name = name.split(".")
            getattr(getattr(model, layer_name), tensor_name).copy_(value)


def flat_weights(model: nn.Module) -> list[float]:
    return [float(v) for name in WEIGHT_NAMES
            for v in getattr(getattr(model, name.split(".")[0]), name.split(".")[1]).detach().flatten()]


def grader_net(seed: int) -> ProbeNet:
    net = ProbeNet()
    load_weights(net, start_weights(seed))
    return net


def random_inputs(seed: int, rows: int) -> torch.Tensor:
    """Inputs other than the four XOR rows, so a hard-coded answer cannot pass."""
    return torch.rand(rows, 2, generator=_generator(seed)) * 4 - 2


def random_targets(seed: int, rows: int) -> torch.Tensor:
    return (torch.rand(rows, 1, generator=_generator(seed)) > 0.5).float()


def tensor_facts(value) -> dict:
    """Type, dtype, shape and values of something that should be a tensor."""
    if not isinstance(value, torch.Tensor):
        return {"type": type(value).__name__}
    return {"type": "Tensor", "dtype": str(value.dtype).replace("torch.", ""),
            "shape": list(value.shape), "values": value.detach().double().flatten().tolist(),
            "requires_grad": bool(value.requires_grad), "has_grad_fn": value.grad_fn is not None}


def losses_facts(losses) -> dict:
    """What train() returned: its container and the numbers in it, if they are numbers."""
    facts = {"type": type(losses).__name__}
    try:
        numbers = [float(item) for item in losses]
    except Exception:
        return facts
    facts["losses"] = numbers
    return facts


### BEGIN REFERENCE ONLY
# Known mistakes, replayed by the probe's own code when it runs on the solutions:
# the release has recordings instead, so this section is left out of it.

def _replay(weights: dict, X, Y, epochs: int, lr: float, mistake: str | None) -> dict:
    model = ProbeNet()
    load_weights(model, weights)
    loss_fn = nn.MSELoss() if mistake == "uses MSELoss instead of BCELoss" else nn.BCELoss()
    make_optimizer = (torch.optim.SGD if mistake == "uses SGD instead of Adam" else torch.optim.Adam)
    if mistake == "ignores lr (always 0.01)":
        lr = 0.01
    optimizer = make_optimizer(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        if mistake == "creates the optimizer inside the loop":
            optimizer = make_optimizer(model.parameters(), lr=lr)
        loss = loss_fn(model(X), Y)
        if mistake != "never clears the gradients":
            optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return {"losses": losses, "weights": flat_weights(model)}


MISTAKES = ("never clears the gradients", "uses SGD instead of Adam", "uses MSELoss instead of BCELoss",
            "ignores lr (always 0.01)", "creates the optimizer inside the loop")
### END REFERENCE ONLY


def _train_run(student, context: SimpleNamespace, *, seed_offset: int, epochs: int, lr: float, xor: bool) -> dict:
    """train() on the grader's own model from fixed weights; the call is reported as the student reads it."""
    weights = start_weights(context.seed + seed_offset)
    model = ProbeNet()
    load_weights(model, weights)
    if xor:
        X, Y = torch.tensor(XOR_X), torch.tensor(XOR_Y)
    else:
        X, Y = random_inputs(context.seed + seed_offset, 6), random_targets(context.seed + seed_offset, 6)
    before = flat_weights(model)
    returned = student.train(model, X, Y, epochs=epochs, lr=lr)
    facts = losses_facts(returned)
    data = "X, Y" if xor else "X_random, Y_random"
    facts.update(call=f"train(model, {data}, epochs={epochs}, lr={lr})", epochs=epochs, lr=lr,
                 weights_before=before, weights=flat_weights(model))
### BEGIN REFERENCE ONLY
    if context.reference:
        facts["mistakes"] = {m: _replay(weights, X, Y, epochs, lr, m) for m in MISTAKES}
### END REFERENCE ONLY
    return facts


# ---- the probes ----

def probe_make_xor_data(student, context: SimpleNamespace) -> dict:
    X, Y = student.make_xor_data()
    return {"call": "make_xor_data()", "X": tensor_facts(X), "Y": tensor_facts(Y)}


def probe_fnn_layers(student, context: SimpleNamespace) -> dict:
    model = student.FNN()
    facts = {"call": "FNN()", "is_module": isinstance(model, nn.Module), "layers": {}}
    for name in ("fc1", "fc2"):
        layer = getattr(model, name, None)
        facts["layers"][name] = ({"type": type(layer).__name__,
                                  "in_features": getattr(layer, "in_features", None),
                                  "out_features": getattr(layer, "out_features", None),
                                  "bias": getattr(layer, "bias", None) is not None}
                                 if layer is not None else None)
    facts["parameter_count"] = sum(p.numel() for p in model.parameters()) if facts["is_module"] else None
    facts["layer_outputs"] = _layer_outputs(model, context.probe_seed)
    return facts


def _layer_outputs(model: nn.Module, seed: int) -> dict | None:
    """Each layer on its own, with the grader's weights, on the grader's inputs: what fc1 and fc2 compute,
    whatever the network does between them. None where the layers cannot take the weights."""
    try:
        load_weights(model, start_weights(seed))
        with torch.no_grad():
            return {"fc1": model.fc1(random_inputs(seed, 5)).double().flatten().tolist(),
                    "fc2": model.fc2(torch.rand(5, 4, generator=_generator(seed + 1))).double().flatten().tolist()}
    except Exception:
        return None


def probe_fnn_forward(student, context: SimpleNamespace) -> dict:
    model = student.FNN()
    load_weights(model, start_weights(context.seed))
    X = torch.cat([torch.tensor(XOR_X), random_inputs(context.seed, 8)])
    return {"call": "FNN().forward(x)", "rows": X.shape[0], "output": tensor_facts(model(X))}


def _counting_cases(seed: int) -> dict[str, nn.Module]:
    """Modules whose trainable-scalar counts tell a right count_parameters from common wrong ones; their
    sizes come from the seed, so no count can be known before the grader runs."""
    a, b, c, d, e, f, g = (int(n) for n in torch.randint(2, 12, (7,), generator=_generator(seed)))
    frozen = nn.Sequential(nn.Linear(a, b), nn.ReLU(), nn.Linear(b, 2))
    for p in frozen[0].parameters():
        p.requires_grad_(False)
    shared = nn.Linear(c, c)
    return {
        "lesson network": ProbeNet(),
        f"{a}-{b}-{c}-{d} MLP": nn.Sequential(nn.Linear(a, b), nn.ReLU(), nn.Linear(b, c), nn.ReLU(), nn.Linear(c, d)),
        f"{a}-{b}-2 network with a frozen first layer": frozen,
        f"network using one Linear({c}, {c}) twice": nn.Sequential(shared, nn.ReLU(), shared),
        f"network with BatchNorm1d({e}) buffers": nn.Sequential(nn.Linear(2, e), nn.BatchNorm1d(e), nn.Linear(e, 1)),
        f"Linear({f}, {g}) without bias": nn.Linear(f, g, bias=False),
    }


def probe_count_parameters(student, context: SimpleNamespace) -> dict:
    counts = {}
    for label, module in _counting_cases(context.probe_seed).items():
        result = student.count_parameters(module)
        integral = isinstance(result, numbers.Integral) and not isinstance(result, bool)  # int or a numpy integer
        counts[label] = {"type": type(result).__name__, "value": int(result) if integral else None}
    return {"call": "count_parameters(model)", "counts": counts}


def probe_train_xor(student, context: SimpleNamespace) -> dict:
    return _train_run(student, context, seed_offset=11, epochs=8, lr=0.01, xor=True)


def probe_train_lr(student, context: SimpleNamespace) -> dict:
    return _train_run(student, context, seed_offset=12, epochs=5, lr=0.05, xor=True)


def probe_train_lr_zero(student, context: SimpleNamespace) -> dict:
    return _train_run(student, context, seed_offset=13, epochs=3, lr=0.0, xor=True)


def probe_train_other_data(student, context: SimpleNamespace) -> dict:
    return _train_run(student, context, seed_offset=14, epochs=6, lr=0.02, xor=False)


def balanced_net(seed: int, X: torch.Tensor) -> ProbeNet:
    """A grader net whose output bias splits the rows of X at the widest gap between their logits."""
    net = grader_net(seed)
    with torch.no_grad():
        logits = net.fc2(torch.relu(net.fc1(X))).flatten().tolist()
        net.fc2.bias -= widest_gap_threshold(logits)
    return net


def probe_predict(student, context: SimpleNamespace) -> dict:
    X = random_inputs(context.seed + 21, 9)
    recorder = GradModeRecorder(balanced_net(context.seed + 21, X))
    result = student.predict(recorder, X)
    with torch.no_grad():
        model_shape = list(recorder.inner(X).shape)
    return {"call": "predict(model, X)", "rows": X.shape[0], "result": tensor_facts(result),
            "model_output_shape": model_shape,
            "grad_enabled_in_calls": recorder.grad_enabled}


def probe_converges(student, context: SimpleNamespace) -> dict:
    """The student's FNN and train() together, from the grader's starts, as many epochs as the lesson: the
    trained network's outputs on the XOR rows, and on other inputs, which only the trained weights decide."""
    starts = []
    X, Y = torch.tensor(XOR_X), torch.tensor(XOR_Y)
    losses = None  # the first start's, as train() returned them: the picture of XOR being learned
    for index in range(context.params["convergence_starts"]):
        model = student.FNN()
        load_weights(model, start_weights(context.seed + 100 + index))
        returned = student.train(model, X, Y, epochs=context.params["convergence_epochs"],
                                 lr=context.params["convergence_lr"])
        if losses is None:
            losses = losses_facts(returned).get("losses", [])
        with torch.no_grad():
            output = model(X).double().flatten().tolist()
            elsewhere = model(random_inputs(context.seed + 100 + index, 8)).double().flatten().tolist()
        starts.append({"output": output, "elsewhere": elsewhere})
    return {"call": "train(FNN(), X, Y)", "epochs": context.params["convergence_epochs"], "starts": starts,
            "losses": losses,
            "targets": [row[0] for row in XOR_Y]}

