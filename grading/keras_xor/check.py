"""Checks for keras_xor. Each docstring is the name the student sees; points and hints are in course.toml."""
from __future__ import annotations

import math

from autograder.checking import CheckFailed, NotChecked, Observed, field_of, floats, head, values_of

from ._xor import ARRAY, check_xor_table


def check_make_xor_data(observed: Observed):
    """make_xor_data() returns the XOR table as float32 numpy arrays"""
    check_xor_table(observed, ARRAY)


def _model_fault(student: dict) -> str | None:
    """Why build_model()'s result is no network to experiment on (not a keras Model, or not built), if so."""
    if not field_of(student, "is_model"):
        return f"build_model() returned a {student.get('type')}, not a keras Model"
    if not student.get("built"):
        return ("build_model() returned a model that is not built (it has no weights yet): "
                "start with keras.Input(shape=(2,))")
    return None


def _model(observed: Observed, *, built: bool = True) -> dict:
    """build_model()'s facts, for a check that needs a model (`built`: with its weights). The fault is
    check_build_model_architecture's to report: any other check says it could not run because of it,
    rather than read a second fault into the same mistake."""
    student = observed.student("build_model")
    fault = _model_fault(student)
    if fault and (built or not student.get("is_model")):
        raise NotChecked(f"could not run because {fault}")
    return student


def _forward(observed: Observed) -> dict:
    """The grader's experiment on build_model()'s network with its own weights, which needs a built 2-4-1 model."""
    _model(observed)
    forward = observed.student("build_model_forward")
    if "output" not in forward:
        raise NotChecked(f"could not run because build_model()'s weights have shapes {forward.get('weight_shapes')}, "
                         "not the 2-4-1 network's, so the grader cannot give it its own weights")
    return forward


def check_build_model_architecture(observed: Observed):
    """build_model() returns a built 2-4-1 network with 17 parameters"""
    student = observed.student("build_model")
    fault = _model_fault(student)
    if fault:
        raise CheckFailed(fault)
    reference = observed.reference("build_model")
    for key, label in (("input_shape", "input shape is"), ("output_shape", "output shape is"),
                       ("weight_shapes", "weight shapes are"), ("parameter_count", "parameter count is")):
        if student.get(key) != reference[key]:
            raise CheckFailed(f"build_model()'s {label} {student.get(key)}, expected {reference[key]}")
    expected = observed.reference("build_model_forward")["linear_output"]
    got = observed.student("build_model_forward").get("linear_output")
    if got is None or not observed.close(floats(got, "model(x)"), expected):
        raise CheckFailed("with the grader's weights and every activation taken out, build_model()'s layers gave "
                          f"{head(got) if got else 'nothing'}, expected {head(expected)}: two Dense layers, "
                          "the 4-unit one first")


def check_build_model_forward(observed: Observed):
    """build_model()'s hidden layer uses ReLU and its output sigmoid"""
    student = _forward(observed)
    reference = observed.reference("build_model_forward")
    values = values_of(student["output"], "model(x)", ARRAY)
    if not observed.close(values, reference["output"]["values"]):
        raise CheckFailed(f"with the grader's weights, model(x) gave {head(values)}, "
                          f"expected {head(reference['output']['values'])}")


def _compiled(observed: Observed, *, own_check: bool = True) -> dict:
    """build_model()'s facts once it is compiled. Not compiled is the compile check's fault to report; the
    optimizer check, which needs a compiled model, says it could not run."""
    student = _model(observed, built=False)
    if not student.get("compiled"):
        if own_check:
            raise CheckFailed("build_model() returned a model that is not compiled: call model.compile(...)")
        raise NotChecked("could not run because build_model() returned a model that is not compiled "
                         "(see the compile check)")
    return student


def _bce(outputs: list[float], targets: list[float]) -> float:
    """Keras' binary cross-entropy of probabilities, clipped as Keras clips them."""
    epsilon = 1e-7
    total = 0.0
    for p, y in zip(outputs, targets):
        p = min(max(p, epsilon), 1 - epsilon)
        total -= y * math.log(p) + (1 - y) * math.log(1 - p)
    return total / len(outputs)


def check_build_model_compiled(observed: Observed):
    """build_model() compiles with binary cross-entropy and the accuracy metric"""
    student = _compiled(observed)
    forward = _forward(observed)
    evaluated = forward.get("evaluated")
    if not isinstance(evaluated, dict):
        raise CheckFailed("build_model()'s compiled model could not be evaluated on the grader's data")
    loss = field_of(evaluated, "loss")
    # Judged on the student's own network: its outputs' BCE, so a wrong activation is the forward check's alone.
    outputs = values_of(field_of(forward, "output"), "model(x)", ARRAY)
    expected_loss = _bce(outputs, floats(field_of(forward, "targets"), "the targets"))
    if not math.isclose(loss, expected_loss, rel_tol=1e-3, abs_tol=1e-5):
        raise CheckFailed(f"with the grader's weights, the compiled loss is {loss:.4f} (loss={student.get('loss')}), "
                          f"while the binary cross-entropy of your model's own outputs is {expected_loss:.4f}")
    accuracy = [v for k, v in evaluated.items() if k != "loss" and "acc" in k.lower()]
    if not accuracy:
        raise CheckFailed(f"the compiled model reports {sorted(evaluated)} but no accuracy: add metrics=['accuracy']")
    targets = field_of(forward, "targets")
    expected = sum((o > 0.5) == (t > 0.5) for o, t in zip(outputs, targets)) / len(targets)
    if not math.isclose(accuracy[0], expected, abs_tol=1e-6):
        raise CheckFailed(f"the compiled accuracy is {accuracy[0]:.3f}, while your model's outputs are right on "
                          f"{expected:.3f} of the rows (binary accuracy at 0.5)")


def check_build_model_optimizer(observed: Observed):
    """build_model(learning_rate) uses Adam at that learning rate"""
    _compiled(observed, own_check=False)
    for probe in ("build_model", "build_model_lr"):
        facts = observed.student(probe)
        call = observed.call(probe)
        rate = observed.reference(probe)["learning_rate"]
        if facts.get("optimizer") != "Adam":
            raise CheckFailed(f"{call} is compiled with {facts.get('optimizer')}, expected Adam")
        learning_rate = facts.get("learning_rate")
        if not isinstance(learning_rate, float) or not math.isclose(learning_rate, rate, rel_tol=1e-6):
            shown = f"{learning_rate:.6g}" if isinstance(learning_rate, float) else learning_rate
            raise CheckFailed(f"{call} uses Adam with learning rate {shown}, expected {rate:.6g}")


TRAIN_RUNS = ("train_xor", "train_other_data")


def check_train_history(observed: Observed):
    """train() returns fit's History, one entry per epoch, and prints nothing"""
    for probe in TRAIN_RUNS:
        student = observed.student(probe)
        call = observed.call(probe)
        if not field_of(student, "is_history"):
            raise CheckFailed(f"{call} returned a {student.get('history_type')}, expected the History from fit()")
        losses = floats(field_of(student, "losses"), "history.history['loss']")
        if len(losses) != student["epochs"]:
            raise CheckFailed(f"{call} trained {len(losses)} epochs, expected {student['epochs']}")
        if student.get("printed_chars"):
            raise CheckFailed(f"{call} printed {student['printed_chars']} characters: pass verbose=0 to fit")


def check_train_matches_reference(observed: Observed):
    """train() fits the model and data it is given, full batch"""
    for probe in TRAIN_RUNS:
        student = observed.student(probe)
        call = observed.call(probe)
        reference = observed.reference(probe)
        weights = floats(field_of(student, "weights"), "the trained weights")
        if observed.close(weights, floats(field_of(student, "weights_before"), "weights")):
            raise CheckFailed(f"{call} left the model's weights unchanged: fit the model passed in")
        if not observed.close(weights, reference["weights"]):
            rows = reference.get("rows")
            batch = f" ({rows} rows: one batch of all {rows} per epoch)" if rows else ""
            raise CheckFailed(f"from the grader's starting weights, {call} ended with other weights than "
                              f"fit(X, Y, epochs=...) on the full batch gives{batch}")


def check_predict_values(observed: Observed):
    """predict() returns model.predict(X) thresholded at 0.5"""
    student = field_of(observed.student("predict"), "rows_7")
    expected = observed.reference("predict")["rows_7"]["values"]
    call = f"{observed.call('predict')} on 7 random rows"
    values = values_of(student, call, ARRAY)
    if values != expected:
        raise CheckFailed(f"{call} gave {values}, expected {expected}")


def check_predict_shape_and_type(observed: Observed):
    """predict() returns a 0/1 numpy array shaped (N, 1) for any N"""
    student = observed.student("predict")
    call = observed.call("predict")
    for rows in (7, 1):
        values = values_of(field_of(student, f"rows_{rows}"), f"{call} on {rows} rows", ARRAY, shape=[rows, 1])
        if any(v not in (0.0, 1.0) for v in values):
            raise CheckFailed(f"{call} returned {head(values)}: predictions must be 0 or 1")

