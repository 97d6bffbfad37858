"""Checks for tf_pipeline. Each docstring is the name the student sees; points and hints are in course.toml."""
from __future__ import annotations

from autograder.checking import CheckFailed, NotChecked, Observed, field_of, floats, head
from autograder.course.code import display_name

from ._epochs import epoch_fault, orders, reshuffle_fault


def check_dataset_epochs(observed: Observed):
    """make_dataset() gives every row once per epoch, as float32 (x, y) batches, the last smaller batch kept"""
    student = observed.student("dataset")
    rows, batch = field_of(student, "rows"), field_of(student, "batch_size")
    for key, call in (("first", observed.call("dataset")), ("plain", "make_dataset(X, Y, batch_size, seed)")):
        for epoch in field_of(student, key):
            fault = epoch_fault(epoch, rows, batch)
            if fault:
                raise CheckFailed(f"{call}: {fault}")


def check_dataset_caches_after_map(observed: Observed):
    """make_dataset() runs preprocess once per row, however many epochs follow (map, then cache)"""
    student = observed.student("dataset")
    calls, rows = field_of(student, "preprocess_calls"), field_of(student, "rows")
    epochs = len(field_of(student, "first"))
    if calls == rows:
        return
    if calls == rows * epochs:
        raise CheckFailed(f"over {epochs} epochs of {observed.call('dataset')}, preprocess ran {calls} times for "
                          f"{rows} rows: once per row per epoch. cache() after map() keeps its results")
    raise CheckFailed(f"over {epochs} epochs of {observed.call('dataset')}, preprocess ran {calls} times, "
                      f"expected once per row ({rows})")


def check_dataset_shuffles_fully(observed: Observed):
    """make_dataset() shuffles across the whole data, not within a small buffer"""
    student = observed.student("dataset")
    rows = field_of(student, "rows")
    passes = orders(field_of(student, "first")) + orders(field_of(student, "second"))
    reach = max(row - position for order in passes for position, row in enumerate(order))
    if reach < rows // 2:
        raise CheckFailed(f"in {len(passes)} epochs of {observed.call('dataset')}, no row came more than {reach} "
                          f"places before its own position among {rows}: the shuffle buffer holds only a few rows")


def check_dataset_reshuffles(observed: Observed):
    """make_dataset() gives every epoch an order of its own"""
    fault = reshuffle_fault(orders(field_of(observed.student("dataset"), "first")), observed.call("dataset"))
    if fault:
        raise CheckFailed(fault)


def check_dataset_seeded(observed: Observed):
    """Two datasets made with one seed give the same epochs; another seed, another order"""
    student = observed.student("dataset")
    call, seed = observed.call("dataset"), field_of(student, "seed")
    first, second, other = (orders(field_of(student, key)) for key in ("first", "second", "other"))
    if first != second:
        raise CheckFailed(f"two datasets made by {call} give other orders (first rows {first[0][:6]} against "
                          f"{second[0][:6]}): pass the seed to shuffle()")
    if first[0] == other[0]:
        raise CheckFailed(f"{call} and make_dataset(..., seed={seed + 1}, ...) give the same order: "
                          "the seed you are given must choose it")


def check_train_step_is_function(observed: Observed):
    """make_train_step() returns a tf.function"""
    student = observed.student("train_step")
    if not field_of(student, "is_function"):
        raise CheckFailed(f"{observed.call('train_step')} returned a {student.get('type')}, not a tf.function: "
                          "each step then runs eagerly, op by op")


def check_train_step_one_update(observed: Observed):
    """step(x, y) takes one step of the optimizer it was given and returns the loss"""
    student, reference = observed.student("train_step"), observed.reference("train_step")
    call = observed.call("train_step")
    loss = floats(field_of(student, "losses"), "the losses")
    after = floats(field_of(student, "first_weights"), "the weights")
    if not observed.close(after, reference["first_weights"]):
        raise CheckFailed(f"after one step(x, y) of {call} on 4 rows, the weights are {head(after)}, expected "
                          f"{head(reference['first_weights'])}: one step of the optimizer given, on the loss's gradients")
    if not observed.close(loss, reference["losses"]):
        raise CheckFailed(f"step(x, y) of {call} returned the losses {head(loss)}, expected {head(reference['losses'])}")


def check_train_step_traces_once(observed: Observed):
    """step(x, y) does not trace again for every new batch size"""
    student = observed.student("train_step")
    first, last = field_of(student, "traces_after_first"), field_of(student, "traces")
    if not student.get("is_function") or not isinstance(first, int) or not isinstance(last, int):
        raise NotChecked(f"not checked: depends on \"{display_name(check_train_step_is_function)}\", which "
                         "must pass first (only a tf.function is traced)")
    if last - first > 1:
        raise CheckFailed(f"step(x, y) traced {last - first} more times over batches of 4, 3 and 7 rows: a new graph "
                          "for every batch size; give it an input_signature with None as the batch dimension")


def check_train_losses(observed: Observed):
    """train() trains with Adam(lr) and binary cross-entropy, and returns each epoch's mean loss over the rows"""
    student, reference = observed.student("train"), observed.reference("train")
    call = observed.call("train")
    if field_of(student, "returned") != "list" or student.get("losses") is None:
        raise CheckFailed(f"{call} returned a {student.get('returned')} of "
                          f"{', '.join(student.get('loss_types') or [])}, expected a list of floats")
    losses = student["losses"]
    if len(losses) != len(reference["losses"]):
        raise CheckFailed(f"{call} returned {len(losses)} losses, expected one per epoch ({len(reference['losses'])})")
    if not observed.close(losses, reference["losses"]):
        trained = observed.close(floats(field_of(student, "weights"), "the weights"), reference["weights"])
        why = (": the weights are right, so the losses are averaged otherwise (the mean over rows weighs "
               "the smaller last batch less)") if trained else ""
        raise CheckFailed(f"{call} returned the losses {head(losses)}, expected {head(reference['losses'])}{why}")
    if not observed.close(floats(field_of(student, "weights"), "the weights"), reference["weights"]):
        raise CheckFailed(f"after {call}, the network's weights differ from the reference's")


def check_train_uses_one_step(observed: Observed):
    """train() takes every step through one make_train_step()"""
    student = observed.student("train")
    made, traces = field_of(student, "steps_made"), field_of(student, "traces")
    call = observed.call("train")
    if made == 0:
        raise CheckFailed(f"{call} never called make_train_step(): every step should go through it")
    if made > 1:
        raise CheckFailed(f"{call} called make_train_step() {made} times: each new step is a new tf.function, "
                          "traced anew; make it once, before the loops")


def check_export_loads_elsewhere(observed: Observed):
    """export_for_serving() writes a SavedModel that a program without your code loads"""
    student = observed.student("export")
    call = observed.call("export")
    if not field_of(student, "exists"):
        raise CheckFailed(f"after {call}, there is nothing at path")
    if not student.get("is_dir") or "saved_model.pb" not in (student.get("files") or []):
        raise CheckFailed(f"after {call}, path holds {student.get('files') or 'one file'}: a SavedModel is a folder "
                          "with saved_model.pb and variables/")
    elsewhere = field_of(student, "elsewhere")
    if "load_error" in elsewhere:
        raise CheckFailed(f"a process without your code could not load what {call} wrote: "
                          f"{elsewhere['load_error']}")


def check_export_serves_probabilities(observed: Observed):
    """The exported SavedModel's serving signature gives the model's probabilities"""
    student, reference = observed.student("export"), observed.reference("export")
    elsewhere = student.get("elsewhere")
    if not isinstance(elsewhere, dict) or "load_error" in elsewhere:
        raise NotChecked(f"not checked: depends on \"{display_name(check_export_loads_elsewhere)}\", which "
                         "must pass first")
    signatures = elsewhere.get("signatures") or []
    if "serve" not in signatures and "serving_default" not in signatures:
        raise CheckFailed(f"the SavedModel has the signatures {signatures or 'none'}: a server calls \"serve\" "
                          "(or \"serving_default\"), which model.export(path) writes")
    if "call_error" in elsewhere:
        raise CheckFailed(f"calling its serving signature on 6 rows failed: {elsewhere['call_error']}")
    outputs = floats(field_of(elsewhere, "outputs"), "the served outputs")
    expected = reference["probabilities"]
    if not observed.close(outputs, expected):
        raise CheckFailed(f"its serving signature gives {head(outputs)} for the grader's 6 rows, expected the "
                          f"model's probabilities {head(expected)}")
