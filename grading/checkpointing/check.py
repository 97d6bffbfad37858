"""Checks for checkpointing. Each docstring is the name the student sees; points and hints are in course.toml."""
from __future__ import annotations

from autograder.checking import CheckFailed, GraderError, NotChecked, Observed, field_of, floats, head

from ._checkpointing import differing_names, listed, shown


def _file_fault(save: dict, path: str, new_files: list) -> str | None:
    """What is wrong with the file one save_checkpoint() call left at `path`, or None."""
    epoch = field_of(save, "epoch")
    if not save.get("exists"):
        elsewhere = f" (it wrote {listed(new_files)} instead)" if new_files else ""
        return f"there is no file at {path!r}{elsewhere}: save to the path you are given, as it is"
    if not save.get("is_file"):
        return f"{path!r} is a folder: a checkpoint is one file"
    if not save.get("loads"):
        error = save.get("load_error") or {}
        return (f"torch.load({path!r}, weights_only=True) cannot read the file ({error.get('type')}: "
                f"{error.get('message')}): keep to tensors, numbers and plain dicts, lists and tuples of them")
    if save.get("model_at") is None:
        return "the file holds no dict of the model's tensors by name (the model's state_dict())"
    if save.get("model_missing"):
        return (f"the model's state in {save['model_at']} lacks {listed(save['model_missing'])}: "
                "a state_dict holds the buffers as well as the parameters")
    if not save.get("model_equal"):
        return f"{save['model_at']} does not hold the model's tensors as they were when save_checkpoint() ran"
    if save.get("optimizer_at") is None:
        return ("the file holds no optimizer state (a dict with 'state' and 'param_groups', "
                "as the optimizer's state_dict() gives)")
    if not save.get("optimizer_equal"):
        return f"{save['optimizer_at']} does not hold the optimizer's state as it was when save_checkpoint() ran"
    integers = save.get("integers") or []
    if not any(found.get("value") == epoch for found in integers):
        seen = ", ".join(f"{found['at']} = {found['value']}" for found in integers) or "none"
        return f"the file holds no whole number equal to the epoch {epoch} (whole numbers found: {seen})"
    return None


def check_save_checkpoint_contents(observed: Observed):
    """save_checkpoint() writes one file holding the model's and the optimizer's state_dict and the epoch"""
    student = observed.student("torch_save")
    path = field_of(student, "path")
    expected = observed.reference("torch_save")["saves"]
    for index, save in enumerate(field_of(student, "saves")):
        again = " (saving again to the same path)" if index else ""
        fault = _file_fault(save, path, student.get("new_files") or []) or _values_fault(observed, save,
                                                                                         expected[index])
        if fault:
            raise CheckFailed(f"after {field_of(save, 'call')}{again}, {fault}")


def _values_fault(observed: Observed, save: dict, expected: dict) -> str | None:
    """Whether the numbers in the file are those the reference's file holds after the same training."""
    for key, what in (("model_values", "the model's tensors"), ("optimizer_values", "the optimizer's state")):
        if not observed.close(floats(field_of(save, key), what), expected[key]):
            return f"the file does not hold {what} as they were when save_checkpoint() ran"
    return None


def check_load_checkpoint_epoch(observed: Observed):
    """load_checkpoint() returns the epoch the checkpoint was saved with"""
    for probe in ("torch_resume", "torch_epoch"):
        returned = field_of(observed.student(probe), "returned")
        expected = observed.reference(probe)["returned"]["value"]
        if returned.get("value") is None:
            raise CheckFailed(f"{observed.call(probe)} returned a {returned.get('type')}, "
                              f"expected the epoch as a whole number ({expected})")
        if returned["value"] != expected:
            raise CheckFailed(f"{observed.call(probe)} returned {returned['value']}, expected {expected}: "
                              "the epoch given to save_checkpoint()")


def check_load_restores_in_place(observed: Observed):
    """load_checkpoint() restores the model and the optimizer it is given, in place"""
    student = observed.student("torch_resume")
    reference = observed.reference("torch_resume")
    call = observed.call("torch_resume")
    model, expected_model = field_of(student, "loaded", "model"), reference["loaded"]["model"]
    if not observed.close(floats(field_of(model, "values"), "the restored model"), expected_model["values"]):
        names = differing_names(observed, model, expected_model)
        raise CheckFailed(f"after {call}, the fresh model's {listed(names)} are not those saved: "
                          "load the saved state into the model passed in")
    optimizer, expected = field_of(student, "loaded", "optimizer"), reference["loaded"]["optimizer"]
    steps = field_of(optimizer, "steps")
    if all(step is None for step in steps):
        raise CheckFailed(f"after {call}, the fresh Adam holds no state (no step counts, no moments): "
                          "load the saved state into the optimizer passed in")
    if steps != expected["steps"]:
        raise CheckFailed(f"after {call}, the fresh Adam's step counts are {steps}, expected {expected['steps']}")
    if not observed.close(floats(field_of(optimizer, "moments"), "Adam's moments"), expected["moments"]):
        raise CheckFailed(f"after {call}, the fresh Adam's moments (exp_avg, exp_avg_sq) are not those saved")
    if optimizer.get("lr") != expected["lr"] or optimizer.get("betas") != expected["betas"]:
        raise CheckFailed(f"after {call}, the fresh Adam has lr={shown(optimizer.get('lr'))} and "
                          f"betas={optimizer.get('betas')}, expected lr={shown(expected['lr'])} and betas={expected['betas']}")


def check_torch_resume_exact(observed: Observed):
    """k epochs, a checkpoint, a fresh model and Adam, m more epochs: the same weights as k + m epochs in one go"""
    student = observed.student("torch_resume")
    reference = observed.reference("torch_resume")
    expected = reference["resumed"]
    if not observed.close(expected, reference["uninterrupted"]):
        raise GraderError("the reference's resumed run differs from its uninterrupted run: "
                          "the probe is not deterministic")
    resumed = floats(field_of(student, "resumed"), "the resumed weights")
    if observed.close(resumed, expected):
        return
    k, m = reference["epochs_before"], reference["epochs_after"]
    story = (f"{k} epochs, then save_checkpoint(), load_checkpoint() into a fresh model and Adam, "
             f"and {m} more epochs")
    for mistake, weights in reference["mistakes"].items():
        if observed.close(resumed, weights):
            raise CheckFailed(f"{story} give the weights of a resumed run where {mistake}")
    names = differing_names(observed, {**field_of(student, "loaded", "model"), "values": resumed},
                            {**reference["loaded"]["model"], "values": expected})
    raise CheckFailed(f"{story} end with {listed(names)} unlike {k + m} epochs without a break "
                      f"(the state_dict's values: {head(resumed)}, expected {head(expected)})")


def check_load_refuses_pickles(observed: Observed):
    """load_checkpoint() refuses a file whose unpickling would run code (weights_only=True)"""
    student = observed.student("torch_unsafe_file")
    reference = observed.reference("torch_unsafe_file")
    if not reference.get("file_runs_code_when_trusted") or reference.get("code_ran"):
        raise GraderError("the crafted checkpoint does not tell a weights-only load from a plain pickle load")
    call = observed.call("torch_unsafe_file")
    layout = student.get("layout", "a checkpoint")
    if field_of(student, "code_ran"):
        raise CheckFailed(f"{call} ran code pickled in the file (in {layout}, a pickled object that writes a "
                          "file when it is unpickled): a checkpoint from elsewhere could run anything")
    if student.get("raised") is None:
        raise CheckFailed(f"{call} returned {student.get('returned', {}).get('type')} for a file that holds "
                          "more than tensors and plain data: refuse it by letting torch.load's error reach the caller")


def check_writes_only_path(observed: Observed):
    """save_checkpoint() and save_keras() write nothing but the file at path"""
    not_written = []
    for probe in ("torch_save", "keras_save"):
        try:
            student = observed.student(probe)
        except NotChecked as reason:  # a save function not written yet costs its own checks, not this one
            not_written.append(reason)
            continue
        new_files = field_of(student, "new_files")
        saved = student.get("file", {}).get("exists", True) if probe == "keras_save" else True
        if new_files and saved:  # nothing at path: the save check names where it wrote instead
            raise CheckFailed(f"{observed.call(probe)} also wrote {listed(new_files)} in the scratch folder: "
                              "the only file to write is the one at path")
    if len(not_written) == 2:
        raise not_written[0]


def check_keras_save_file(observed: Observed):
    """save_keras() writes a .keras archive at path that Keras loads with the weights and the optimizer's state"""
    student = observed.student("keras_save")
    expected = observed.reference("keras_save")["file"]["loaded"]
    call = observed.call("keras_save")
    file = field_of(student, "file")
    if not file.get("exists"):
        new_files = student.get("new_files") or []
        elsewhere = f" (it wrote {listed(new_files)} instead)" if new_files else ""
        raise CheckFailed(f"after {call}, there is no file at that path{elsewhere}")
    if not file.get("is_file") or not file.get("is_zip"):
        raise CheckFailed(f"after {call}, the path holds no .keras archive (one zip file with the model's "
                          f"config and weights), found {listed(file.get('members') or []) or 'something else'}")
    if "loaded" not in file:
        error = file.get("load_error") or {}
        raise CheckFailed(f"Keras cannot load the file {call} wrote ({error.get('type')}: {error.get('message')})")
    loaded = file["loaded"]
    if not observed.close(floats(field_of(loaded, "weights"), "the weights"), expected["weights"]):
        raise CheckFailed(f"the model Keras loads from the file {call} wrote does not have the model's weights")
    if not loaded.get("compiled"):
        raise CheckFailed(f"the model Keras loads from the file {call} wrote is not compiled")
    if loaded.get("iterations") != expected["iterations"] or not observed.close(
            floats(field_of(loaded, "moments"), "the optimizer's moments"), expected["moments"]):
        raise CheckFailed(f"the optimizer Keras loads from the file {call} wrote is at step "
                          f"{loaded.get('iterations')} with other moments, expected step {expected['iterations']}")


def check_keras_resume_exact(observed: Observed):
    """load_keras() gives back a compiled model that resumes training exactly where it stopped"""
    student = observed.student("keras_resume")
    reference = observed.reference("keras_resume")
    call = observed.call("keras_resume")
    expected = reference["resumed"]
    if not observed.close(expected, reference["uninterrupted"]):
        raise GraderError("the reference's resumed Keras run differs from its uninterrupted run")
    loaded, saved = field_of(student, "loaded"), reference["loaded"]
    if not loaded.get("is_model"):
        raise CheckFailed(f"{call} returned a {loaded.get('type')}, expected a keras.Model")
    if not loaded.get("compiled"):
        raise CheckFailed(f"{call} returned a model that is not compiled: fit() cannot train it")
    if not observed.close(floats(field_of(loaded, "weights"), "the loaded weights"), saved["weights"]):
        raise CheckFailed(f"{call} returned a model without the saved weights")
    if loaded.get("optimizer") != saved["optimizer"] or loaded.get("learning_rate") != saved["learning_rate"]:
        raise CheckFailed(f"{call} returned a model compiled with {loaded.get('optimizer')}"
                          f"(learning_rate={shown(loaded.get('learning_rate'))}), expected the saved "
                          f"{saved['optimizer']}(learning_rate={shown(saved['learning_rate'])})")
    if loaded.get("iterations") != saved["iterations"]:
        raise CheckFailed(f"{call} returned a model whose optimizer is at step {loaded.get('iterations')}, "
                          f"expected {saved['iterations']}: Adam starts afresh, without its moments")
    resumed = floats(field_of(student, "resumed"), "the resumed weights")
    if not observed.close(resumed, expected):
        k, m = reference["epochs_before"], reference["epochs_after"]
        raise CheckFailed(f"fit() for {k} epochs, save_keras(), load_keras() and fit() for {m} more epochs "
                          f"gave the weights {head(resumed)}, "
                          f"expected {head(expected)} (those of {k + m} epochs without a break)")
