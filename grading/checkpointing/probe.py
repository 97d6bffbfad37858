"""Probes for checkpointing: save a training run, resume it, and look at what happened.

Runs inside the worker, next to student code, so it holds no expected value: the
models, optimizers, data, paths and epoch numbers are the grader's own, and each
probe reports what the student's functions did with them (the file they wrote,
the state a fresh model and optimizer hold after loading, the weights of a resumed
run beside those of an uninterrupted one). The checks compare with the reference.
"""
from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

from ._checkpointing import (entries, keras_data, keras_facts, keras_fit, keras_model, keras_file_facts,  # noqa: E402
                             keras_setup, plain_error)


def setup() -> None:
    """One thread: tiny tensors run faster, and results do not depend on the core count."""
    torch.set_num_threads(1)
    keras_setup()


def reseed(seed: int) -> None:
    """The worker seeds random and numpy; torch and Keras are this module's to seed."""
    import keras
    torch.manual_seed(seed)
    keras.utils.set_random_seed(seed)


# ---- the grader's PyTorch run ----

class GraderNet(nn.Module):
    """The grader's network: its BatchNorm layer gives the state_dict buffers (running statistics) beside
    the parameters, so a checkpoint of the parameters alone is not the whole model."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(3, 6)
        self.norm = nn.BatchNorm1d(6)
        self.out = nn.Linear(6, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(torch.tanh(self.norm(self.hidden(x))))


def grader_net(seed: int) -> GraderNet:
    """A GraderNet whose starting weights come from `seed` alone."""
    generator = torch.Generator().manual_seed(seed)
    net = GraderNet()
    with torch.no_grad():
        for parameter in net.parameters():
            parameter.copy_(torch.rand(parameter.shape, generator=generator) * 2 - 1)
    return net


def grader_data(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed + 1)
    return torch.rand(24, 3, generator=generator) * 4 - 2, torch.rand(24, 2, generator=generator) * 2 - 1


def adam(model: nn.Module, context: SimpleNamespace) -> torch.optim.Adam:
    return torch.optim.Adam(model.parameters(), lr=context.params["lr"])


def train(model: nn.Module, optimizer: torch.optim.Optimizer, X: torch.Tensor, Y: torch.Tensor, epochs: int) -> None:
    """A full-batch training loop, as a resumed script runs it: train mode, then one Adam step per epoch."""
    model.train()
    loss_fn = nn.MSELoss()
    for _ in range(epochs):
        optimizer.zero_grad()
        loss_fn(model(X), Y).backward()
        optimizer.step()


def model_state(model: nn.Module) -> dict:
    """The model's state_dict (parameters and buffers): names, sizes and one flat list of numbers."""
    state = model.state_dict()
    return {"names": list(state), "sizes": [t.numel() for t in state.values()],
            "values": [float(v) for t in state.values() for v in t.detach().double().flatten()]}


def optimizer_state(optimizer: torch.optim.Optimizer) -> dict:
    """Adam's state per parameter (step count, first and second moments) and its hyperparameters."""
    state = optimizer.state_dict()
    group = state["param_groups"][0]
    steps, moments = [], []
    for index in group["params"]:
        entry = state["state"].get(index, {})
        steps.append(float(entry["step"]) if "step" in entry else None)
        for name in ("exp_avg", "exp_avg_sq"):
            if name in entry:
                moments.extend(float(v) for v in entry[name].double().flatten())
    return {"steps": steps, "moments": moments, "lr": float(group["lr"]), "betas": [float(b) for b in group["betas"]]}


def same(a, b) -> bool:
    """Equal data: tensors element by element, dicts key by key, lists and tuples alike."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape == b.shape \
            and torch.equal(a.detach().double(), b.detach().double())
    if isinstance(a, dict) and isinstance(b, dict):
        return set(a) == set(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def _integer(value) -> int | None:
    """A whole number stored as an int or as a one-element integer tensor; None for anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.is_floating_point() \
            and value.dtype != torch.bool:
        return int(value)
    return None


def _numbers(value) -> list[float]:
    """Every number in the tensors of `value` (dicts in key order, lists in order): what the file holds,
    for the checks to compare with the reference's own file."""
    if isinstance(value, torch.Tensor):
        return [float(v) for v in value.detach().double().flatten()] if value.dtype.is_floating_point else []
    if isinstance(value, dict):
        return [v for key in sorted(value, key=str) for v in _numbers(value[key])]
    if isinstance(value, (list, tuple)):
        return [v for item in value for v in _numbers(item)]
    return []


def checkpoint_facts(path: Path, model: nn.Module, optimizer: torch.optim.Optimizer) -> dict:
    """What the file at `path` holds, read with torch.load(weights_only=True), found by content whatever
    the keys are named: a dict like the model's state_dict, one like the optimizer's, and whole numbers."""
    facts: dict = {"exists": path.exists(), "is_file": path.is_file()}
    if not facts["is_file"]:
        return facts
    try:
        loaded = torch.load(path, weights_only=True)
    except Exception as error:
        return {**facts, "loads": False, "load_error": plain_error(error)}
    facts.update(loads=True, type=type(loaded).__name__, model_at=None, optimizer_at=None, integers=[])
    model_sd, optimizer_sd = model.state_dict(), optimizer.state_dict()

    def visit(value, where: str, depth: int) -> None:
        if isinstance(value, dict) and {"state", "param_groups"} <= set(value):
            if facts["optimizer_at"] is None:
                facts.update(optimizer_at=where, optimizer_equal=same(value, optimizer_sd),
                             optimizer_values=_numbers(value.get("state")))
        elif isinstance(value, dict) and set(map(str, value)) & set(model_sd):
            if facts["model_at"] is None:
                found = {str(k): v for k, v in value.items()}
                facts.update(model_at=where, model_missing=[n for n in model_sd if n not in found],
                             model_equal=same(found, dict(model_sd)),
                             model_values=_numbers([found[n] for n in model_sd if n in found]))
        elif _integer(value) is not None:
            facts["integers"].append({"at": where, "value": _integer(value)})
        elif depth < 3 and isinstance(value, dict):
            for key, item in value.items():
                visit(item, f"{where}[{key!r}]", depth + 1)
        elif depth < 3 and isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                visit(item, f"{where}[{index}]", depth + 1)

    visit(loaded, "checkpoint", 0)
    return facts


def scratch_file(context: SimpleNamespace, probe: str, name: str) -> tuple[Path, str]:
    """A path in a folder of its own inside the worker's scratch folder, and how messages show it."""
    folder = Path.cwd() / f"{probe}-{context.probe_seed % 10_000}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    return path, str(path.relative_to(Path.cwd()))


def new_entries(before: set[str], path: Path) -> list[str]:
    """Files and folders that appeared in the scratch folder since `before`, other than `path`."""
    return sorted(entries(Path.cwd()) - before - {str(path.relative_to(Path.cwd()))})


### BEGIN REFERENCE ONLY
# Known mistakes, replayed by the probe's own code when it runs on the solutions:
# the release has recordings instead, so this section is left out of it.

def _replay_resume(context: SimpleNamespace, mistake: str) -> list[float]:
    k, m, seed = context.params["epochs_before"], context.params["epochs_after"], context.probe_seed
    X, Y = grader_data(seed)
    model = grader_net(seed)
    optimizer = adam(model, context)
    train(model, optimizer, X, Y, k)
    fresh = grader_net(seed + 1)
    fresh_optimizer = adam(fresh, context)
    if mistake != "the model's weights were not restored":
        state = model.state_dict()
        if mistake == "the parameters were restored but not the buffers (BatchNorm's running statistics)":
            state = {name: value for name, value in state.items() if name in dict(model.named_parameters())}
        fresh.load_state_dict(state, strict=False)
    if mistake != "Adam started afresh: its step counts and moments were not restored":
        fresh_optimizer.load_state_dict(optimizer.state_dict())
    train(fresh, fresh_optimizer, X, Y, m)
    return model_state(fresh)["values"]


RESUME_MISTAKES = ("Adam started afresh: its step counts and moments were not restored",
                   "the model's weights were not restored",
                   "the parameters were restored but not the buffers (BatchNorm's running statistics)")
### END REFERENCE ONLY


# ---- the PyTorch probes ----

def probe_torch_save(student, context: SimpleNamespace) -> dict:
    """save_checkpoint() after k epochs, then again to the same path after m more: what each file holds,
    and every other file that appeared meanwhile."""
    k, m = context.params["epochs_before"], context.params["epochs_after"]
    path, shown = scratch_file(context, "torch_save", f"run{context.probe_seed % 1000}.state")
    X, Y = grader_data(context.probe_seed)
    model = grader_net(context.probe_seed)
    optimizer = adam(model, context)
    before = entries(Path.cwd())
    saves = []
    for epochs, epoch in ((k, k), (m, k + m)):
        train(model, optimizer, X, Y, epochs)
        student.save_checkpoint(str(path), model, optimizer, epoch=epoch)
        saves.append({"call": f"save_checkpoint({shown!r}, model, optimizer, epoch={epoch})", "epoch": epoch,
                      **checkpoint_facts(path, model, optimizer)})
    return {"call": saves[0]["call"], "path": shown, "saves": saves, "new_files": new_entries(before, path)}


def probe_torch_resume(student, context: SimpleNamespace) -> dict:
    """k epochs, save_checkpoint(), load_checkpoint() into a fresh model and Adam, m more epochs;
    beside it the same k + m epochs without a break."""
    k, m, seed = context.params["epochs_before"], context.params["epochs_after"], context.probe_seed
    path, shown = scratch_file(context, "torch_resume", f"resume{seed % 1000}.state")
    X, Y = grader_data(seed)
    model = grader_net(seed)
    optimizer = adam(model, context)
    train(model, optimizer, X, Y, k)
    saved = {"model": model_state(model), "optimizer": optimizer_state(optimizer)}
    student.save_checkpoint(str(path), model, optimizer, epoch=k)
    fresh = grader_net(seed + 1)  # other starting weights, and BatchNorm statistics never updated
    fresh_optimizer = adam(fresh, context)
    returned = student.load_checkpoint(str(path), fresh, fresh_optimizer)
    loaded = {"model": model_state(fresh), "optimizer": optimizer_state(fresh_optimizer)}
    train(fresh, fresh_optimizer, X, Y, m)
    uninterrupted = grader_net(seed)
    uninterrupted_optimizer = adam(uninterrupted, context)
    train(uninterrupted, uninterrupted_optimizer, X, Y, k + m)
    facts = {"call": f"load_checkpoint(path, fresh_model, fresh_optimizer) on the file of "
                     f"save_checkpoint(path, model, optimizer, epoch={k})", "path": shown,
             "epochs_before": k, "epochs_after": m, "epoch_saved": k, "returned": _returned(returned),
             "saved": saved, "loaded": loaded, "resumed": model_state(fresh)["values"],
             "uninterrupted": model_state(uninterrupted)["values"]}
### BEGIN REFERENCE ONLY
    if context.reference:
        facts["mistakes"] = {mistake: _replay_resume(context, mistake) for mistake in RESUME_MISTAKES}
### END REFERENCE ONLY
    return facts


def _returned(value) -> dict:
    """What load_checkpoint() returned: its type, and its value when it is a whole number."""
    return {"type": type(value).__name__, "value": _integer(value)}


def probe_torch_epoch(student, context: SimpleNamespace) -> dict:
    """An epoch number the grader picks (not the k of the other probes), saved and loaded back."""
    epoch = 101 + context.probe_seed % 800
    path, shown = scratch_file(context, "torch_epoch", f"at{epoch}.state")
    X, Y = grader_data(context.probe_seed)
    model = grader_net(context.probe_seed)
    optimizer = adam(model, context)
    train(model, optimizer, X, Y, 2)
    student.save_checkpoint(str(path), model, optimizer, epoch=epoch)
    fresh = grader_net(context.probe_seed + 1)
    returned = student.load_checkpoint(str(path), fresh, adam(fresh, context))
    return {"call": f"load_checkpoint(path, fresh_model, fresh_optimizer) on the file of "
                    f"save_checkpoint(path, model, optimizer, epoch={epoch})", "path": shown,
            "epoch_saved": epoch, "returned": _returned(returned)}


# ---- a checkpoint that runs code when it is unpickled ----

UNPICKLED: list[str] = []


def _ran_while_unpickling(marker: str, value):
    """What pickle calls when the crafted file is loaded without weights_only: a visible side effect."""
    UNPICKLED.append(marker)
    Path(marker).write_text("this file was written by code that ran while a checkpoint was unpickled\n")
    return value


class RunsCodeWhenUnpickled:
    """Pickles as a call of _ran_while_unpickling(marker, value): unpickled, it is `value`, after the side effect."""

    def __init__(self, marker: str, value) -> None:
        self.marker, self.value = marker, value

    def __reduce__(self):
        return _ran_while_unpickling, (self.marker, self.value)


def probe_torch_unsafe_file(student, context: SimpleNamespace) -> dict:
    """load_checkpoint() on a file shaped like the student's own checkpoint, except that unpickling it
    runs code: weights_only=True refuses it; a plain pickle load runs the code, then works."""
    seed = context.probe_seed
    model, fresh = grader_net(seed), grader_net(seed + 1)
    optimizer = adam(model, context)
    train(model, optimizer, *grader_data(seed), 1)
    own, _ = scratch_file(context, "torch_unsafe", "own.state")
    try:  # the student's own layout, so that only the pickled code can make their loader fail
        student.save_checkpoint(str(own), model, optimizer, epoch=3)
        checkpoint, layout = torch.load(own, weights_only=True), "the layout your save_checkpoint() writes"
    except Exception:
        checkpoint, layout = ({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3},
                              "a layout of the grader's ({'model', 'optimizer', 'epoch'})")
    path, shown = scratch_file(context, "torch_unsafe", f"crafted{seed % 1000}.state")
    marker, _ = scratch_file(context, "torch_unsafe", "code-ran.txt")
    torch.save(RunsCodeWhenUnpickled(str(marker), checkpoint), path)
    torch.load(path, weights_only=False)  # the grader's own proof that the file runs code when trusted
    proof = bool(UNPICKLED) and marker.exists()
    UNPICKLED.clear()
    marker.unlink(missing_ok=True)
    facts = {"call": f"load_checkpoint({shown!r}, model, optimizer)", "layout": layout,
             "file_runs_code_when_trusted": proof}
    try:
        returned = student.load_checkpoint(str(path), fresh, adam(fresh, context))
    except NotImplementedError:
        raise
    except Exception as error:
        facts["raised"] = plain_error(error)
    else:
        facts.update(raised=None, returned=_returned(returned))
    facts["code_ran"] = bool(UNPICKLED) or marker.exists()
    return facts


# ---- the Keras probes ----

def probe_keras_save(student, context: SimpleNamespace) -> dict:
    """save_keras() after k epochs of fit: the file at path, and what Keras itself loads from it."""
    k = context.params["keras_epochs_before"]
    path, shown = scratch_file(context, "keras_save", f"model{context.probe_seed % 1000}.keras")
    X, Y = keras_data(context.probe_seed)
    model = keras_model(context.probe_seed, context.params["lr"])
    keras_fit(model, X, Y, k)
    before = entries(Path.cwd())
    student.save_keras(model, str(path))
    return {"call": f"save_keras(model, {shown!r})", "epochs": k, "saved": keras_facts(model),
            "file": keras_file_facts(path), "new_files": new_entries(before, path)}


def probe_keras_resume(student, context: SimpleNamespace) -> dict:
    """k epochs of fit, save_keras(), load_keras(), m more epochs; beside it k + m epochs without a break."""
    k, m, seed = context.params["keras_epochs_before"], context.params["keras_epochs_after"], context.probe_seed
    path, shown = scratch_file(context, "keras_resume", f"run{seed % 1000}.keras")
    X, Y = keras_data(seed)
    model = keras_model(seed, context.params["lr"])
    keras_fit(model, X, Y, k)
    student.save_keras(model, str(path))
    loaded = student.load_keras(str(path))
    facts = {"call": "load_keras(path) on the file of save_keras(model, path)", "path": shown, "epochs_before": k,
             "epochs_after": m, "saved": keras_facts(model), "loaded": keras_facts(loaded)}
    if facts["loaded"].get("compiled"):
        keras_fit(loaded, X, Y, m)
        facts["resumed"] = keras_facts(loaded)["weights"]
    uninterrupted = keras_model(seed, context.params["lr"])
    keras_fit(uninterrupted, X, Y, k + m)
    facts["uninterrupted"] = keras_facts(uninterrupted)["weights"]
    return facts
