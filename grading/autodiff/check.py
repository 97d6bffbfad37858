"""Checks for autodiff. Each docstring is the name the student sees; points and hints are in course.toml."""
from __future__ import annotations

from autograder.checking import CheckFailed, NotChecked, Observed, field_of, floats, head, values_of

ARRAY = ("numpy.ndarray", "a numpy array")
TENSOR = ("Tensor", "a torch.Tensor")
AUTOGRAD_PROBES = ("autograd_xor_net", "autograd_sequential", "autograd_frozen", "autograd_stale_grad")


def _number(facts: dict, what: str) -> float:
    """The float a function returned, or CheckFailed naming what came back instead."""
    if facts.get("value") is None:
        shape = f" of shape {tuple(facts['shape'])}" if facts.get("shape") is not None else ""
        raise CheckFailed(f"{what} returned a {facts.get('type')}{shape}, expected a float")
    return facts["value"]


def _entries(observed: Observed, probe: str) -> dict:
    """The dict a gradient function returned, key by key, or CheckFailed when it is not a dict."""
    result = field_of(observed.student(probe), "result")
    if result.get("type") != "dict":
        raise CheckFailed(f"{observed.call(probe)} returned a {result.get('type')}, expected a dict "
                          "with one gradient per parameter")
    return result["entries"]


def _same(observed: Observed, student: dict[str, list[float]], expected: dict[str, list[float]]) -> bool:
    return student.keys() == expected.keys() and all(observed.close(student[k], expected[k]) for k in expected)


def _known_mistake(observed: Observed, probe: str, student: dict[str, list[float]]) -> str | None:
    """The replayed mistake (recorded with the reference) that the student's numbers reproduce, if any."""
    for mistake, values in observed.reference(probe).get("mistakes", {}).items():
        if _same(observed, student, values):
            return mistake
    return None


def check_forward_probabilities(observed: Observed):
    """forward(params, X) returns relu-then-sigmoid probabilities shaped (N, 1)"""
    student = observed.student("forward")
    expected = observed.reference("forward")["output"]
    call = observed.call("forward")
    values = values_of(field_of(student, "output"), call, ARRAY, shape=expected["shape"])
    if not observed.close(values, expected["values"]):
        raise CheckFailed(f"{call} gave {head(values)}, expected {head(expected['values'])}")


def check_bce_loss_value(observed: Observed):
    """bce_loss(P, Y) returns the mean binary cross-entropy as a float"""
    call = observed.call("bce_loss")
    value = _number(field_of(observed.student("bce_loss"), "result"), call)
    expected = observed.reference("bce_loss")["result"]["value"]
    if not observed.close([value], [expected]):
        raise CheckFailed(f"{call} returned {value:.6g}, expected {expected:.6g}")


def check_numpy_gradients_shapes(observed: Observed):
    """numpy_gradients returns one gradient per parameter, shaped like its parameter"""
    call = observed.call("numpy_gradients")
    entries = _entries(observed, "numpy_gradients")
    shapes = observed.reference("numpy_gradients")["shapes"]
    for name, shape in shapes.items():
        if name not in entries:
            raise CheckFailed(f"{call} returned no gradient for {name!r}: the result needs the keys "
                              f"{', '.join(shapes)}, like params")
        facts = entries[name]
        if facts.get("type") != ARRAY[0]:
            raise CheckFailed(f"the gradient of {name} from {call} should be {ARRAY[1]}, got {facts.get('type')}")
        if facts.get("shape") != shape:
            raise CheckFailed(f"the gradient of {name} has shape {tuple(facts.get('shape'))}, expected {tuple(shape)}, "
                              f"the shape of params[{name!r}]")
    extra = [name for name in entries if name not in shapes]
    if extra:
        raise CheckFailed(f"{call} returned keys {', '.join(map(repr, extra))} that params does not have")
    _some_gradient_computed(observed)


def check_numpy_gradients_values(observed: Observed):
    """numpy_gradients(params, X, Y) gives the gradient of the mean BCE, for every parameter"""
    call = observed.call("numpy_gradients")
    entries = _entries(observed, "numpy_gradients")
    reference = observed.reference("numpy_gradients")
    expected = {name: facts["values"] for name, facts in reference["result"]["entries"].items()}
    comparable = {name: floats(entries[name]["values"], f"the gradient of {name}") for name in expected
                  if name in entries and entries[name].get("shape") == reference["shapes"][name]
                  and entries[name].get("values") is not None}
    mistake = _known_mistake(observed, "numpy_gradients", comparable)
    if mistake:
        raise CheckFailed(f"{call}: your gradients match backpropagation that {mistake}")
    wrong = [name for name in comparable if not observed.close(comparable[name], expected[name])]
    if wrong and len(wrong) == len(expected):
        ratios = {round(s / e, 6) for name in wrong for s, e in zip(comparable[name], expected[name]) if abs(e) > 1e-6}
        if len(ratios) == 1:
            raise CheckFailed(f"{call}: every gradient is {ratios.pop():g} times the expected one")
    if wrong:
        name, others = wrong[0], wrong[1:]
        raise CheckFailed(f"{call}: the gradient of {name} is {head(comparable[name])}, expected {head(expected[name])}"
                          + (f" (the gradients of {', '.join(others)} are off too)" if others else ""))
    missing = [name for name in expected if name not in comparable]
    if missing:
        raise NotChecked(f"could not compare the gradients of {', '.join(missing)}: they are missing or wrongly "
                         "shaped (see the shapes check)")


def check_numpy_gradients_by_hand(observed: Observed):
    """numpy_gradients derives the gradients by hand, without autograd"""
    student = observed.student("numpy_gradients")
    if field_of(student, "autograd_calls"):
        raise CheckFailed(f"{observed.call('numpy_gradients')} called torch's autograd "
                          f"({student['autograd_calls']} backward or grad calls): this one is the chain rule in NumPy")
    _some_gradient_computed(observed)


def _some_gradient_computed(observed: Observed) -> None:
    """NotChecked unless at least one gradient numpy_gradients returned is the reference's (or a known
    mistake's): the form of a result pays only once some of the work in it is shown."""
    entries = _entries(observed, "numpy_gradients")
    reference = observed.reference("numpy_gradients")
    runs = [{n: f["values"] for n, f in reference["result"]["entries"].items()},
            *reference.get("mistakes", {}).values()]
    for name in reference["shapes"]:
        values = entries.get(name, {}).get("values")
        if isinstance(values, list) and any(name in run and observed.close(floats(values, name), run[name])
                                            for run in runs):
            return
    raise NotChecked(f"not checked: no gradient from {observed.call('numpy_gradients')} is the gradient of the mean "
                     "BCE at the grader's weights yet (see the values check)")


def _tensor_gradients(observed: Observed, probe: str) -> dict[str, list[float]]:
    """The student's gradients for the probe's model, after checking its keys, types and shapes."""
    call = observed.call(probe)
    entries = _entries(observed, probe)
    reference = observed.reference(probe)
    expected = reference["result"]["entries"]
    requires_grad = field_of(observed.student(probe), "requires_grad")
    for name in entries:
        if name not in expected:
            frozen = requires_grad.get(name) is False
            raise CheckFailed(f"{call} returned a gradient for {name!r}, "
                              + ("a frozen parameter (requires_grad=False): leave it out" if frozen
                                 else f"which is not a parameter name; the keys should be {', '.join(expected)}"))
    by_name = {}
    for name, facts in expected.items():
        if name not in entries:
            raise CheckFailed(f"{call} returned no gradient for {name!r}: expected one for each of "
                              f"{', '.join(expected)} (the names from model.named_parameters())")
        by_name[name] = values_of(entries[name], f"the gradient of {name} from {call}", TENSOR,
                                    shape=facts["shape"])
    return by_name


def _compare_autograd(observed: Observed, probe: str) -> None:
    call = observed.call(probe)
    gradients = _tensor_gradients(observed, probe)
    for name, facts in observed.reference(probe)["result"]["entries"].items():
        if not observed.close(gradients[name], facts["values"]):
            raise CheckFailed(f"{call}: the gradient of {name} is {head(gradients[name])}, expected "
                              f"{head(facts['values'])}")


def check_autograd_gradients_xor_net(observed: Observed):
    """autograd_gradients(model, X, Y) gives the BCE gradients of the XOR net"""
    _compare_autograd(observed, "autograd_xor_net")


def check_autograd_gradients_any_module(observed: Observed):
    """autograd_gradients works for any module, leaving frozen parameters out"""
    for probe in ("autograd_sequential", "autograd_frozen"):
        _compare_autograd(observed, probe)


def check_autograd_leaves_weights(observed: Observed):
    """autograd_gradients leaves the model's weights unchanged"""
    ran = 0
    for probe in AUTOGRAD_PROBES:
        try:
            student = observed.student(probe)
        except CheckFailed:  # that model's own check says why; the other models still count
            continue
        ran += 1
        weights, before = field_of(student, "weights"), field_of(student, "weights_before")
        if weights != before:
            moved = sum(1 for w, b in zip(weights, before) if w != b)
            raise CheckFailed(f"{observed.call(probe)} changed {moved} of the model's {len(before)} weights: "
                              "computing gradients must not update the model")
    if not ran:
        observed.student(AUTOGRAD_PROBES[0])  # says why none could run


def check_autograd_fresh_gradients(observed: Observed):
    """autograd_gradients ignores .grad values left over from before the call"""
    probe = "autograd_stale_grad"
    call = observed.call(probe)
    gradients = _tensor_gradients(observed, probe)
    stale = field_of(observed.student(probe), "stale_grads")
    for name, facts in observed.reference(probe)["result"]["entries"].items():
        expected = facts["values"]
        if observed.close(gradients[name], expected):
            continue
        if observed.close(gradients[name], [s + e for s, e in zip(stale[name], expected)]):
            raise CheckFailed(f"{call}: the gradient of {name} is the leftover .grad plus the new gradient, "
                              f"{head(gradients[name])} instead of {head(expected)}")
        raise CheckFailed(f"{call}: the gradient of {name} is {head(gradients[name])}, expected {head(expected)}")


def _difference_values(observed: Observed, probe: str) -> dict[str, list[float]]:
    call = observed.call(probe)
    entries = _entries(observed, probe)
    expected = observed.reference(probe)["result"]["entries"]
    if set(entries) != set(expected):
        raise CheckFailed(f"{call} returned keys {', '.join(map(repr, entries))}, expected "
                          f"{', '.join(map(repr, expected))}: one entry per parameter")
    return {name: values_of(entries[name], f"the entry {name!r} from {call}", ARRAY, shape=facts["shape"])
            for name, facts in expected.items()}


def _compare_differences(observed: Observed, probe: str) -> None:
    call = observed.call(probe)
    values = _difference_values(observed, probe)
    reference = observed.reference(probe)
    if _same(observed, values, {n: f["values"] for n, f in reference["result"]["entries"].items()}):
        return
    mistake = _known_mistake(observed, probe, values)
    kept = "" if observed.student(probe).get("params_kept", True) else " (and params was left changed)"
    if mistake:
        raise CheckFailed(f"{call}: your numbers match a version that {mistake}{kept}")
    for name, facts in reference["result"]["entries"].items():
        if not observed.close(values[name], facts["values"]):
            raise CheckFailed(f"{call}: the entry {name!r} is {head(values[name])}, expected the central difference "
                              f"{head(facts['values'])}{kept}")


def check_numerical_gradients_central(observed: Observed):
    """numerical_gradients(f, params, eps) takes central differences"""
    for probe in ("numerical_default_eps", "numerical_eps_small"):
        _compare_differences(observed, probe)


IGNORES_EPS = "ignores eps (always 1e-6)"


def check_numerical_gradients_honours_eps(observed: Observed):
    """numerical_gradients uses the eps it is given"""
    probe = "numerical_eps_coarse"
    values = _difference_values(observed, probe)
    reference = observed.reference(probe)
    if _same(observed, values, {n: f["values"] for n, f in reference["result"]["entries"].items()}):
        return
    mistake = _known_mistake(observed, probe, values)
    if mistake == IGNORES_EPS:
        raise CheckFailed(f"{observed.call(probe)}: your numbers are the differences of a step far smaller than "
                          f"eps={reference['eps']:g} (any step below about 1e-3 gives them, a hard-coded 1e-4 or 1e-6 "
                          "alike): use the eps argument")
    if mistake:  # a difference of another form, taken with the eps given: the central-difference check says so
        return
    _compare_differences(observed, probe)


def check_relative_error_value(observed: Observed):
    """relative_error(a, b) returns max |a - b| / max(|a| + |b|, 1e-12)"""
    student = field_of(observed.student("relative_error"), "cases")
    for label, case in observed.reference("relative_error")["cases"].items():
        what = f"relative_error(a, b) for {label}, a = {head(case['a'], 3)}, b = {head(case['b'], 3)}"
        value = _number(field_of(student, label, "result"), what)
        expected = case["result"]["value"]
        if not observed.close([value], [expected]):
            raise CheckFailed(f"{what} returned {value:.6g}, expected {expected:.6g}")
