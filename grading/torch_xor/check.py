"""Checks for torch_xor. Each docstring is the name the student sees; points and hints are in course.toml."""
from __future__ import annotations

from autograder.checking import CheckFailed, Observed, close, field_of, floats, head, values_of

from ._xor import TENSOR, check_xor_table


def check_make_xor_data(observed: Observed):
    """make_xor_data() returns the XOR table as float32 tensors"""
    check_xor_table(observed, TENSOR)


def check_fnn_layers(observed: Observed):
    """FNN() has fc1 = Linear(2, 4), fc2 = Linear(4, 1) and 17 parameters"""
    student = observed.student("fnn_layers")
    reference = observed.reference("fnn_layers")
    if not field_of(student, "is_module"):
        raise CheckFailed("FNN() is not an nn.Module: subclass nn.Module and call super().__init__()")
    for name, expected in reference["layers"].items():
        layer = field_of(student, "layers").get(name)
        if layer is None:
            raise CheckFailed(f"FNN() has no attribute {name}")
        if layer != expected:
            raise CheckFailed(f"FNN().{name} is {layer['type']}(in={layer['in_features']}, out={layer['out_features']}, "
                              f"bias={layer['bias']}), expected Linear(in={expected['in_features']}, "
                              f"out={expected['out_features']}, bias=True)")
    if student.get("parameter_count") != reference["parameter_count"]:
        raise CheckFailed(f"FNN() has {student.get('parameter_count')} parameters, expected "
                          f"{reference['parameter_count']}: fc1 and fc2 should be its only layers")
    outputs, expected = student.get("layer_outputs") or {}, reference["layer_outputs"]
    for name, values in expected.items():
        got = floats(field_of(outputs, name), f"FNN().{name}(x)") if outputs else None
        if got is None or not observed.close(got, values):
            raise CheckFailed(f"with the grader's weights loaded, FNN().{name}(x) gave "
                              f"{head(got) if got else 'nothing'}, expected {head(values)}: "
                              "each layer should be a plain nn.Linear")


def check_fnn_output_is_probability(observed: Observed):
    """FNN().forward maps (N, 2) to probabilities shaped (N, 1)"""
    student = observed.student("fnn_forward")
    rows = field_of(student, "rows")
    values = values_of(field_of(student, "output"), f"FNN()(x) for x of shape ({rows}, 2)", TENSOR,
                       shape=[rows, 1])
    outside = [v for v in values if not 0.0 < v < 1.0]  # the grader's small weights never saturate a sigmoid
    if outside:
        raise CheckFailed(f"FNN()(x) returned {outside[0]:.4g}: a sigmoid output lies strictly between 0 and 1")


def check_fnn_forward(observed: Observed):
    """FNN().forward applies ReLU on the hidden layer and sigmoid on the output"""
    student = observed.student("fnn_forward")
    expected = observed.reference("fnn_forward")["output"]["values"]
    values = values_of(field_of(student, "output"), "FNN()(x)", TENSOR)
    if not observed.close(values, expected):
        raise CheckFailed("with the grader's weights loaded into fc1 and fc2, FNN()(x) gave "
                          f"{head(values)}, expected {head(expected)}")


def check_count_parameters(observed: Observed):
    """count_parameters(model) counts the trainable scalars of any module"""
    student = field_of(observed.student("count_parameters"), "counts")
    reference = observed.reference("count_parameters")["counts"]
    for label, expected in reference.items():
        got = field_of(student, label)
        if got.get("value") is None:
            raise CheckFailed(f"count_parameters({label}) returned a {got.get('type')}, expected an int")
        if got.get("value") != expected["value"]:
            raise CheckFailed(f"count_parameters({label}) returned {got.get('value')}, expected {expected['value']}")


def _losses(observed: Observed, probe: str) -> tuple[dict, list[float]]:
    student = observed.student(probe)
    call = observed.call(probe)
    if field_of(student, "type") not in ("list", "tuple"):
        raise CheckFailed(f"{call} returned a {student['type']}, expected a list of losses")
    if "losses" not in student:
        raise CheckFailed(f"{call} returned a list that does not hold numbers")
    return student, floats(student["losses"], f"the losses from {call}")


def _trajectory(observed: Observed, probe: str) -> str | None:
    """'correct', the known mistake that the student's run reproduces, or None."""
    student, losses = _losses(observed, probe)
    weights = floats(field_of(student, "weights"), "the trained weights")
    reference = observed.reference(probe)
    candidates = {"correct": reference, **reference["mistakes"]}
    for label, run in candidates.items():
        if observed.close(losses, run["losses"]) and observed.close(weights, run["weights"]):
            return label
    return None


def check_train_returns_losses(observed: Observed):
    """train() returns one loss per epoch, as a list of numbers"""
    for probe in ("train_xor", "train_lr", "train_other_data"):
        student, losses = _losses(observed, probe)
        if len(losses) != student["epochs"]:
            raise CheckFailed(f"{observed.call(probe)} returned {len(losses)} losses, expected {student['epochs']}: "
                              "one per epoch")


def check_train_matches_reference(observed: Observed):
    """train() minimises BCE with Adam, clearing gradients every step"""
    verdict = _trajectory(observed, "train_xor")
    if verdict == "correct":
        return
    student, losses = _losses(observed, "train_xor")
    expected = observed.reference("train_xor")["losses"]
    if verdict:
        raise CheckFailed(f"from the grader's starting weights, your losses match a training loop that {verdict}")
    raise CheckFailed(f"from the grader's starting weights, {observed.call('train_xor')} gave losses {head(losses)}, "
                      f"expected {head(expected)}")


def probe_lr(observed: Observed, probe: str) -> float:
    """The learning rate the probe passed to train()."""
    return observed.reference(probe)["lr"]


def check_train_honours_lr(observed: Observed):
    """train() uses the learning rate it is given"""
    student = observed.student("train_lr_zero")
    if not observed.close(floats(field_of(student, "weights"), "weights"),
                          floats(field_of(student, "weights_before"), "weights")):
        raise CheckFailed(f"{observed.call('train_lr_zero')} changed the weights: with lr=0 Adam must not move them")
    at_default, at_other = _trajectory(observed, "train_xor"), _trajectory(observed, "train_lr")
    if at_other == "ignores lr (always 0.01)":
        raise CheckFailed(f"{observed.call('train_lr')} trained as if lr were {probe_lr(observed, 'train_xor')}")
    if at_other != "correct" and (at_other is None or at_other != at_default):
        raise CheckFailed(f"{observed.call('train_lr')} did not train like Adam with lr={probe_lr(observed, 'train_lr')}")


def check_train_uses_its_arguments(observed: Observed):
    """train() trains the model and the data it is given"""
    student, _ = _losses(observed, "train_other_data")
    if observed.close(floats(field_of(student, "weights"), "weights"),
                      floats(field_of(student, "weights_before"), "weights")):
        raise CheckFailed(f"{observed.call('train_other_data')} left the model's weights unchanged: "
                          "train the model passed in")
    verdict, at_xor = _trajectory(observed, "train_other_data"), _trajectory(observed, "train_xor")
    if verdict != "correct" and (verdict is None or verdict != at_xor):
        raise CheckFailed(f"{observed.call('train_other_data')} did not fit the X and Y it was given")


def check_predict_values(observed: Observed):
    """predict() returns (model(X) > 0.5) as floats, shaped like model(X)"""
    student = observed.student("predict")
    reference = observed.reference("predict")
    expected = reference["result"]
    call = f"{observed.call('predict')} on {reference['rows']} random rows"
    values = values_of(field_of(student, "result"), call, TENSOR, expected["dtype"], reference["model_output_shape"])
    if values != expected["values"]:
        raise CheckFailed(f"{call} gave {values}, expected {expected['values']}")


def check_predict_without_gradients(observed: Observed):
    """predict() runs the model without tracking gradients"""
    student = observed.student("predict")
    call = observed.call("predict")
    calls = field_of(student, "grad_enabled_in_calls")
    if not calls:
        raise CheckFailed(f"{call} never called the model it was given")
    if any(calls):
        raise CheckFailed(f"{call} called the model with autograd on: it built a graph it never uses")
    result = field_of(student, "result")
    if result.get("requires_grad") or result.get("has_grad_fn"):
        raise CheckFailed(f"{call} returned a tensor that is part of an autograd graph")


def _learned(output: list[float], targets: list[float], margin: float = 0.0) -> bool:
    """Every output on the right side of one half, by `margin` at least."""
    return len(output) == len(targets) and all(abs(o - t) < 0.5 - margin for o, t in zip(output, targets))


def check_converges(observed: Observed):
    """FNN and train() together learn XOR from the grader's starting weights"""
    student = field_of(observed.student("converges"), "starts")
    reference = observed.reference("converges")
    targets, tolerance = reference["targets"], observed.grading.convergence_atol
    missed = []
    for index, expected in enumerate(reference["starts"]):
        output = floats(field_of(student, index, "output"), "the trained outputs")
        elsewhere = floats(field_of(student, index, "elsewhere"), "the trained outputs")
        if not (close(output, expected["output"], 0.0, tolerance)
                and close(elsewhere, expected["elsewhere"], 0.0, tolerance)):
            missed.append(index)
    if len(missed) <= observed.grading.convergence_misses_allowed:
        return
    learned = [i + 1 for i in missed if _learned(reference["starts"][i]["output"], targets,
                                                 observed.grading.convergence_margin)]
    first = missed[0]
    output = floats(field_of(student, first, "output"), "the trained outputs")
    story = (f"after {reference['epochs']} epochs from the grader's starting weights, your trained FNN differs from "
             f"the reference's at starts {[i + 1 for i in missed]} of {len(reference['starts'])}")
    if learned and not _learned(output, targets):
        raise CheckFailed(f"{story}: from start {learned[0]} the reference learns XOR and yours does not "
                          f"(outputs {head(output)} on the XOR rows, targets {targets})")
    raise CheckFailed(f"{story} (start {first + 1}: outputs {head(output)} on the XOR rows, the reference's "
                      f"{head(reference['starts'][first]['output'])}), on the XOR rows or on other inputs")

