"""Checks for torch_pipeline. Each docstring is the name the student sees; points and hints are in course.toml."""
from __future__ import annotations

from autograder.checking import CheckFailed, GraderError, NotChecked, Observed, field_of, floats, head
from autograder.course.code import display_name

from ._epochs import epoch_fault, orders, reshuffle_fault


def check_loader_batches(observed: Observed):
    """make_loader() gives every row once per epoch, as float32 (x, y) batches, the last smaller batch kept"""
    student = observed.student("loader")
    rows, batch = field_of(student, "rows"), field_of(student, "batch_size")
    for epoch in field_of(student, "first") + field_of(student, "other"):
        fault = epoch_fault(epoch, rows, batch)
        if fault:
            raise CheckFailed(f"{observed.call('loader')}: {fault}")


def check_loader_seeded(observed: Observed):
    """Two loaders made with one seed give the same epochs, whatever else draws random numbers; another seed, another order"""
    student = observed.student("loader")
    call, seed = observed.call("loader"), field_of(student, "seed")
    first, second, other = (orders(field_of(student, key)) for key in ("first", "second", "other"))
    if first == second and first[0] == other[0]:
        raise CheckFailed(f"{call} and make_loader(..., seed={seed + 1}) give the same order: "
                          "the seed you are given must choose it")
    if first != second:
        differ = next(index for index, (a, b) in enumerate(zip(first, second)) if a != b) + 1
        raise CheckFailed(f"two loaders made by {call}, read in turns while the program drew other random "
                          f"numbers, differ from epoch {differ}: their order does not come from the seed alone "
                          f"(first rows {first[differ - 1][:6]} against {second[differ - 1][:6]})")
    if first[0] == other[0]:
        raise CheckFailed(f"{call} and make_loader(..., seed={seed + 1}) give the same order")


def check_loader_reshuffles(observed: Observed):
    """A shuffling loader visits the rows in a new order every epoch"""
    student = observed.student("loader")
    fault = reshuffle_fault(orders(field_of(student, "first")), observed.call("loader"))
    if fault:
        raise CheckFailed(fault)


def check_loader_in_order(observed: Observed):
    """Without shuffle, make_loader() gives the rows in order"""
    student = observed.student("loader_in_order")
    rows, batch = field_of(student, "rows"), field_of(student, "batch_size")
    for epoch in field_of(student, "epochs"):
        fault = epoch_fault(epoch, rows, batch)
        if fault:
            raise CheckFailed(f"{observed.call('loader_in_order')}: {fault}")
        if epoch["rows"] != list(range(rows)):
            raise CheckFailed(f"{observed.call('loader_in_order')} gives the rows in the order "
                              f"{epoch['rows'][:8]}…, expected 0, 1, 2, …")


def check_pick_device(observed: Observed):
    """pick_device() prefers CUDA, then MPS, then the CPU"""
    for picked in field_of(observed.student("pick_device"), "picked"):
        expected = "cuda" if picked["cuda"] else "mps" if picked["mps"] else "cpu"
        if picked.get("type") != "device":
            raise CheckFailed(f"pick_device() returned a {picked.get('type')}, expected a torch.device")
        if picked.get("device") != expected:
            said = f"CUDA {'is' if picked['cuda'] else 'is not'} available and MPS {'is' if picked['mps'] else 'is not'}"
            raise CheckFailed(f"where {said}, pick_device() gave {picked.get('device')!r}, expected {expected!r}")


def check_standardize_forward(observed: Observed):
    """Standardize(mean, std) computes (x - mean) / std"""
    student, reference = observed.student("standardize"), observed.reference("standardize")
    output = floats(field_of(student, "output"), "Standardize's output")
    if field_of(student, "shape") != reference["shape"] or not observed.close(output, reference["output"]):
        raise CheckFailed(f"{observed.call('standardize')} gives {head(output)} of shape {student['shape']} for the "
                          f"grader's inputs, expected {head(reference['output'])} of shape {reference['shape']}")


def check_standardize_buffers(observed: Observed):
    """Standardize keeps mean and std as buffers: in its state_dict, not among its parameters"""
    student = observed.student("standardize")
    call = observed.call("standardize")
    if field_of(student, "parameters"):
        raise CheckFailed(f"{call} has parameters {student['parameters']}: an optimizer would change the mean "
                          "and std; register them as buffers")
    state = field_of(student, "state")
    held = {name: floats(vals, name) for name, vals in state.items()}
    for what in ("mean", "std"):
        expected = field_of(student, what)
        if not any(observed.close(vals, expected) for vals in held.values()):
            raise CheckFailed(f"{call}: its state_dict() holds {sorted(held) or 'nothing'}, without the {what} "
                              f"{head(expected)}: a plain tensor attribute is not saved, nor moved by .to(device)")


def check_model_forward(observed: Observed):
    """make_model() is Standardize, then the 2-4-1 ReLU/sigmoid network"""
    student, reference = observed.student("model"), observed.reference("model")
    shapes = field_of(student, "linear_shapes")
    if shapes != reference["linear_shapes"]:
        raise CheckFailed(f"make_model() has Linear layers {shapes} (in, out), expected {reference['linear_shapes']}")
    if field_of(student, "parameter_count") != reference["parameter_count"]:
        raise CheckFailed(f"make_model() has {student['parameter_count']} parameters, expected "
                          f"{reference['parameter_count']}: Standardize adds none")
    output = floats(field_of(student, "output"), "the model's output")
    if not observed.close(output, reference["output"]):
        raise CheckFailed(f"with the grader's weights in its Linear layers, make_model() gives {head(output)}, "
                          f"expected {head(reference['output'])}: standardize first, then Linear, ReLU, Linear, Sigmoid")


def check_model_runs_on_meta(observed: Observed):
    """make_model(...).to("meta") runs on a "meta" input: every tensor it uses moved with it"""
    meta = field_of(observed.student("model"), "meta")
    if not meta.get("ran"):
        raise CheckFailed(f"make_model(mean, std).to('meta') failed on a 'meta' input ({meta.get('error')}): "
                          "a tensor the model uses stayed behind on the CPU")
    if meta.get("device") != "meta" or meta.get("shape") != [5, 1]:
        raise CheckFailed(f"make_model(mean, std).to('meta') gave an output on {meta.get('device')!r} of shape "
                          f"{meta.get('shape')} for 5 rows, expected 'meta' and [5, 1]")


def _train_mistake(observed: Observed, reference: dict, key: str, found: list[float]) -> str:
    for replayed in (reference.get("mistakes") or {}).values():
        if observed.close(found, replayed[key]):
            return f": these are the {key} of a run where {replayed['what']}"
    return ""


def _losses(observed: Observed, student: dict, epochs: int) -> list[float]:
    if field_of(student, "returned") != "list" or student.get("losses") is None:
        raise CheckFailed(f"{observed.call('train')} returned a {student.get('returned')}, expected a list of floats")
    if student.get("loss_types") not in (["float"], []) or None in student["losses"]:
        raise CheckFailed(f"{observed.call('train')} returned a list of {', '.join(student.get('loss_types') or [])}: "
                          "turn each loss into a Python float (loss.item())")
    if len(student["losses"]) != epochs:
        raise CheckFailed(f"{observed.call('train')} returned {len(student['losses'])} losses, expected one per "
                          f"epoch ({epochs})")
    return student["losses"]


def check_train_updates(observed: Observed):
    """train_minibatches() takes one Adam step per batch: the grader's network ends with the reference's weights"""
    student, reference = observed.student("train"), observed.reference("train")
    found = floats(field_of(student, "weights"), "the trained weights")
    if not observed.close(found, reference["weights"]):
        raise CheckFailed(f"after {observed.call('train')}, the network's weights are {head(found)}, expected "
                          f"{head(reference['weights'])}" + _train_mistake(observed, reference, "weights", found))


def check_train_epoch_losses(observed: Observed):
    """train_minibatches() returns each epoch's mean loss over the rows"""
    student, reference = observed.student("train"), observed.reference("train")
    found = _losses(observed, student, len(reference["losses"]))
    if not observed.close(floats(field_of(student, "weights"), "the trained weights"), reference["weights"]):
        raise NotChecked(f"not checked: depends on \"{display_name(check_train_updates)}\", which must pass "
                         "first (other weights give other losses)")
    if not observed.close(found, reference["losses"]):
        raise CheckFailed(f"{observed.call('train')} returned the losses {head(found)}, expected "
                          f"{head(reference['losses'])}" + _train_mistake(observed, reference, "losses", found))
    if observed.close(reference["losses"], reference["mistakes"]["mean_of_batch_means"]["losses"]):
        raise GraderError("the grader's data gives the same mean over rows as over batches")


def check_predict_values(observed: Observed):
    """predict() gives 0/1 predictions shaped (N, 1), as a NumPy array"""
    student, reference = observed.student("predict"), observed.reference("predict")
    returned, expected = field_of(student, "returned"), reference["returned"]
    call = observed.call("predict")
    if returned.get("type") != "ndarray":
        raise CheckFailed(f"{call} returned a {returned.get('type')}, expected a NumPy array (.cpu().numpy())")
    if returned.get("shape") != expected["shape"]:
        raise CheckFailed(f"{call} returned the shape {returned.get('shape')}, expected {expected['shape']}")
    if returned.get("values") is None or not observed.close(floats(returned["values"], "the predictions"),
                                                            expected["values"]):
        raise CheckFailed(f"{call} returned {head(returned.get('values') or [])}, expected "
                          f"{head(expected['values'])}: 1 above one half, else 0, with dropout off")


def check_predict_eval_no_grad(observed: Observed):
    """predict() runs the network in eval mode, without recording gradients"""
    forward = field_of(observed.student("predict"), "forward")
    if not forward:
        raise CheckFailed(f"{observed.call('predict')} never ran the network it was given")
    if any(call.get("training") for call in forward):
        raise CheckFailed(f"{observed.call('predict')} ran the network in training mode: call model.eval() first, "
                          "or dropout keeps dropping units")
    if any(call.get("grad") or call.get("records") for call in forward):
        raise CheckFailed(f"{observed.call('predict')} ran the network with gradients recorded: "
                          "predict under torch.no_grad()")
