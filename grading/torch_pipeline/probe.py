"""Probes for torch_pipeline: loaders, devices, buffers, mini-batch training and prediction.

Runs inside the worker, next to student code, so it holds no expected value: the
data, seeds, models, starting weights and devices are the grader's own (drawn from
the probe's seed), and each probe reports what the student's functions did with
them. Rows carry their own number in their first column, so an epoch's order can
be read back from the batches whatever the loader is made of. The checks compare
with the reference and with the properties the contract states.
"""
from __future__ import annotations

from types import SimpleNamespace
from unittest import mock

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

from ._epochs import epoch_facts, numbered_rows


def setup() -> None:
    """One thread: tiny tensors run faster, and results do not depend on the core count."""
    torch.set_num_threads(1)


def reseed(seed: int) -> None:
    """The worker seeds random and numpy; torch is this module's to seed."""
    torch.manual_seed(seed)


# ---- the grader's data and networks ----

def tensor_rows(rows: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The grader's numbered rows (_epochs.numbered_rows) as float32 tensors."""
    X, Y = numbered_rows(rows, seed)
    return torch.from_numpy(X), torch.from_numpy(Y)


def grader_net(seed: int, dropout: bool = False) -> nn.Sequential:
    """The lesson's 2-4-1 network with starting weights drawn from `seed` alone (a dropout layer between,
    where the probe needs to see whether the network was put in eval mode)."""
    generator = torch.Generator().manual_seed(seed)
    layers = [nn.Linear(2, 4), nn.ReLU(), *([nn.Dropout(0.5)] if dropout else []), nn.Linear(4, 1), nn.Sigmoid()]
    net = nn.Sequential(*layers)
    with torch.no_grad():
        for parameter in net.parameters():
            parameter.copy_(torch.rand(parameter.shape, generator=generator) * 2 - 1)
    return net


def blobs(rows: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Points around (3, -2) with a spread of 2 and 0.5, labelled by an XOR of their signs around the centre:
    data that needs standardizing, and that a 2-4-1 network can learn."""
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(rows, 2, generator=generator) * torch.tensor([2.0, 0.5]) + torch.tensor([3.0, -2.0])
    Y = (((X[:, 0] > 3.0) ^ (X[:, 1] > -2.0)).float()).unsqueeze(1)
    return X, Y


def values(tensor: torch.Tensor) -> list[float]:
    return [float(v) for v in tensor.detach().double().flatten()]


def weights(net: nn.Module) -> list[float]:
    return [v for parameter in net.parameters() for v in values(parameter)]


def array_facts(value) -> dict:
    """A returned array: its type, dtype, shape, and its values when it holds numbers."""
    facts = {"type": type(value).__name__, "dtype": str(getattr(value, "dtype", "")),
             "shape": list(getattr(value, "shape", ())) or None, "values": None}
    try:
        facts["values"] = [float(v) for v in value.reshape(-1)]
    except Exception:
        pass
    return facts


# ---- loaders ----

def probe_loader(student, context: SimpleNamespace) -> dict:
    """Three loaders: two with one seed, one with another. The grader draws from torch's global random
    numbers between making them and using them, and reads their epochs interleaved: a loader whose order
    comes from its own seeded generator is not moved by either."""
    seed = 1 + context.probe_seed % 100_000
    rows, batch = 23, 5
    X, Y = tensor_rows(rows, context.probe_seed)
    first = student.make_loader(X, Y, batch, seed)
    second = student.make_loader(X, Y, batch, seed)
    other = student.make_loader(X, Y, batch, seed + 1)
    torch.manual_seed(context.probe_seed + 17)
    torch.rand(5)
    epochs = {"first": [], "second": []}
    for _ in range(3):
        epochs["first"] += epoch_facts(first)
        torch.rand(3)
        epochs["second"] += epoch_facts(second)
    return {"call": f"make_loader(X, Y, batch_size={batch}, seed={seed})", "rows": rows, "batch_size": batch,
            "seed": seed, "first": epochs["first"], "second": epochs["second"], "other": epoch_facts(other)}


def probe_loader_in_order(student, context: SimpleNamespace) -> dict:
    rows, batch, seed = 17, 4, 1 + context.probe_seed % 100_000
    X, Y = tensor_rows(rows, context.probe_seed)
    loader = student.make_loader(X, Y, batch, seed, shuffle=False)
    return {"call": f"make_loader(X, Y, batch_size={batch}, seed={seed}, shuffle=False)", "rows": rows,
            "batch_size": batch, "epochs": epoch_facts(loader, 2)}


# ---- devices ----

AVAILABILITY = ((True, True), (True, False), (False, True), (False, False))


def probe_pick_device(student, context: SimpleNamespace) -> dict:
    """pick_device() where the grader says which of CUDA and MPS is available (torch.accelerator too)."""
    picked = []
    for cuda, mps in AVAILABILITY:
        accelerator = torch.device("cuda") if cuda else torch.device("mps") if mps else None
        with mock.patch("torch.cuda.is_available", return_value=cuda), \
                mock.patch("torch.backends.mps.is_available", return_value=mps), \
                mock.patch("torch.accelerator.is_available", return_value=accelerator is not None), \
                mock.patch("torch.accelerator.current_accelerator", return_value=accelerator):
            device = student.pick_device()
        picked.append({"cuda": cuda, "mps": mps, "type": type(device).__name__,
                       "device": str(getattr(device, "type", device))})
    return {"call": "pick_device()", "picked": picked}


def _stats(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(2, generator=generator) * 6 - 3, torch.rand(2, generator=generator) * 2 + 0.5


def probe_standardize(student, context: SimpleNamespace) -> dict:
    """Standardize(mean, std) on the grader's statistics and inputs: its output, its state and parameters."""
    mean, std = _stats(context.probe_seed)
    module = student.Standardize(mean.clone(), std.clone())
    x = torch.randn(6, 2, generator=torch.Generator().manual_seed(context.probe_seed + 1)) * 3
    out = module(x)
    state = module.state_dict()
    return {"call": f"Standardize(mean={[round(v, 4) for v in values(mean)]}, std={[round(v, 4) for v in values(std)]})",
            "output": values(out), "shape": list(out.shape),
            "parameters": [name for name, _ in module.named_parameters()],
            "buffers": [name for name, _ in module.named_buffers()],
            "state": {name: values(tensor) for name, tensor in state.items()},
            "mean": values(mean), "std": values(std)}


def probe_model(student, context: SimpleNamespace) -> dict:
    """make_model(mean, std) with the grader's weights copied into its two Linear layers: its outputs, its
    parameters, and whether, moved to the "meta" device, it runs on a "meta" input."""
    mean, std = _stats(context.probe_seed)
    model = student.make_model(mean.clone(), std.clone())
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    facts: dict = {"call": "make_model(mean, std)", "type": type(model).__name__,
                   "linear_shapes": [[m.in_features, m.out_features] for m in linears],
                   "parameter_count": sum(p.numel() for p in model.parameters()),
                   "state_names": list(model.state_dict())}
    reference = grader_net(context.probe_seed)
    if [s for s in facts["linear_shapes"]] == [[2, 4], [4, 1]]:
        with torch.no_grad():
            for mine, theirs in zip(linears, [m for m in reference if isinstance(m, nn.Linear)]):
                mine.weight.copy_(theirs.weight)
                mine.bias.copy_(theirs.bias)
    x = torch.randn(7, 2, generator=torch.Generator().manual_seed(context.probe_seed + 2)) * 2 + mean
    model.eval()
    with torch.no_grad():
        facts["output"] = values(model(x))
    try:
        model.to("meta")
        out = model(torch.zeros(5, 2, device="meta"))
        facts["meta"] = {"ran": True, "device": str(out.device.type), "shape": list(out.shape)}
    except Exception as error:
        facts["meta"] = {"ran": False, "error": f"{type(error).__name__}: {str(error)[:300]}"}
    return facts


# ---- training and prediction ----

def grader_loader(context: SimpleNamespace) -> DataLoader:
    """The grader's own loader (its own shuffling, seeded): training is judged apart from make_loader()."""
    params = context.params
    X, Y = blobs(params["train_rows"], context.probe_seed)
    X = (X - X.mean(dim=0)) / X.std(dim=0)
    return DataLoader(TensorDataset(X, Y), batch_size=params["train_batch_size"], shuffle=True,
                      generator=torch.Generator().manual_seed(context.probe_seed))


def probe_train(student, context: SimpleNamespace) -> dict:
    """train_minibatches() on the grader's network (its starting weights), loader, epochs and learning rate."""
    params = context.params
    net = grader_net(context.probe_seed)
    losses = student.train_minibatches(net, grader_loader(context), params["train_epochs"], params["train_lr"],
                                       torch.device("cpu"))
    facts = {"call": (f"train_minibatches(model, loader, epochs={params['train_epochs']}, "
                      f"lr={params['train_lr']}, device=torch.device('cpu'))"),
             "returned": type(losses).__name__,
             "losses": [float(v) if isinstance(v, (int, float)) else None for v in losses]
             if isinstance(losses, list) else None,
             "loss_types": sorted({type(v).__name__ for v in losses}) if isinstance(losses, list) else [],
             "weights": weights(net)}
### BEGIN REFERENCE ONLY
    if context.reference:
        facts["mistakes"] = {key: {"what": what, **_replay_train(context, key)} for key, what in TRAIN_MISTAKES.items()}
### END REFERENCE ONLY
    return facts


def probe_predict(student, context: SimpleNamespace) -> dict:
    """predict() on a network with a dropout layer, left in training mode with gradients on: what it
    returns, and how the network was run (its mode, and whether autograd recorded)."""
    net = grader_net(context.probe_seed, dropout=True)
    net.train()
    seen = []
    net.register_forward_hook(lambda module, args, out: seen.append(
        {"training": module.training, "grad": torch.is_grad_enabled(), "records": out.requires_grad}))
    X = torch.randn(9, 2, generator=torch.Generator().manual_seed(context.probe_seed + 3)) * 1.5
    returned = student.predict(net, X, torch.device("cpu"))
    return {"call": "predict(model, X, torch.device('cpu')) with X of 9 rows", "returned": array_facts(returned),
            "forward": seen}


### BEGIN REFERENCE ONLY
# Known mistakes, replayed by the probe's own code when it runs on the solutions:
# the release has recordings instead, so this section is left out of it.

def _replay_train(context: SimpleNamespace, mistake: str) -> dict:
    """The losses and weights of a training run that makes `mistake` (a key of TRAIN_MISTAKES)."""
    params = context.params
    net, loader = grader_net(context.probe_seed), grader_loader(context)
    make = (lambda: torch.optim.SGD(net.parameters(), lr=params["train_lr"])) if mistake == "sgd" \
        else (lambda: torch.optim.Adam(net.parameters(), lr=params["train_lr"]))
    optimizer = make()
    loss_fn = nn.BCELoss()
    losses = []
    for _ in range(params["train_epochs"]):
        total, rows, means = 0.0, 0, []
        for x, y in loader:
            if mistake == "adam_per_batch":
                optimizer = make()
            if mistake != "no_zero_grad":
                optimizer.zero_grad()
            loss = loss_fn(net(x), y)
            loss.backward()
            optimizer.step()
            total, rows = total + loss.item() * len(x), rows + len(x)
            means.append(loss.item())
        losses.append(sum(means) / len(means) if mistake == "mean_of_batch_means" else total / rows)
    return {"losses": losses, "weights": weights(net)}


TRAIN_MISTAKES = {
    "no_zero_grad": "the gradients were never cleared (no zero_grad()), so each step adds up every earlier one",
    "adam_per_batch": "a new Adam was made for every batch, so it forgets its moments at each step",
    "mean_of_batch_means": ("each epoch's loss is the mean of the batch means, which weighs the smaller last batch "
                            "like a full one"),
    "sgd": "the optimizer is SGD, not Adam",
}
### END REFERENCE ONLY
