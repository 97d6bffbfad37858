"""What a check needs: the student's and the reference's observations, and ways to compare them.

Checks run in the grading process and never import student code; they read
plain data through `Observed` and raise CheckFailed with a message for the student.
"""
from __future__ import annotations

import math
from typing import Any, Callable

from .course import Thresholds
from .observations import CheckFailed, ExerciseRun, field_of, floats

__all__ = ["Observed", "CheckFailed", "GraderError", "close", "describe_failure", "field_of", "floats",
           "values_of", "check_xor_table", "head", "TENSOR", "ARRAY"]

# How each framework's returned arrays are named in observations and in messages.
TENSOR = ("Tensor", "a torch.Tensor")
ARRAY = ("numpy.ndarray", "a numpy array")


class GraderError(RuntimeError):
    """The reference side failed: a problem for the instructor, never the student's fault."""


def _where(error: dict) -> str:
    where = error.get("where")
    if not isinstance(where, dict):
        return ""
    code = f" (`{where.get('code')}`)" if where.get("code") else ""
    return f" at line {where.get('line')}{code}"


def describe_failure(module: str, call: str, error: dict) -> str:
    """One or two lines a student can act on, never a traceback."""
    if error.get("todo"):
        todo = error.get("todo_text")
        function = (error.get("where") or {}).get("function") or ""
        subject = (f"{call} is not written yet" if call.startswith(function.split(".")[-1] + "(")
                   else f"{call} needs {function}(), which is not written yet")
        return (f"{subject}: it raises NotImplementedError{_where(error)} in {module}."
                + (f" Your {todo}" if todo else " Fill in its TODO."))
    message = str(error.get("message") or "").strip()
    kind = error.get("type", "Error")
    if kind == "WorkerStopped":
        return f"{call}: {message}"
    return f"{call} raised {kind}{_where(error)} in {module}" + (f": {message}" if message else "")


def close(actual: list[float], expected: list[float], thresholds: Thresholds) -> bool:
    """Same length and every value within the course's tolerances (NaN never matches)."""
    return len(actual) == len(expected) and all(
        math.isclose(a, e, rel_tol=thresholds.rtol, abs_tol=thresholds.atol) for a, e in zip(actual, expected))


class Observed:
    """One exercise's observations: the student's and the reference's, probe by probe."""

    def __init__(self, student: ExerciseRun, reference: Callable[[], ExerciseRun], thresholds: Thresholds) -> None:
        self._student = student
        self._reference_run = reference  # waited for only by checks that compare with the reference
        self.thresholds = thresholds
        self.module = f"{student.exercise}.py"

    def student(self, probe: str, call: str) -> Any:
        """The student's observations of `probe`, or CheckFailed saying why there are none."""
        run = self._student
        if run.import_error is not None:
            raise CheckFailed(_import_message(self.module, run.import_error))
        outcome = run.outcomes.get(probe)
        if outcome is None:
            raise CheckFailed(f"{call} was not run: the grader stopped before reaching it")
        if not outcome.ok:
            raise CheckFailed(describe_failure(self.module, call, outcome.error or {}))
        if not isinstance(outcome.value, dict):
            raise CheckFailed(f"{call}: the grader received no readable result")
        return outcome.value

    def reference(self, probe: str) -> Any:
        run = self._reference_run()
        if run.import_error is not None:
            raise GraderError(f"the reference {self.module} failed to load: {run.import_error}")
        outcome = run.outcomes.get(probe)
        if outcome is None or not outcome.ok:
            raise GraderError(f"the reference failed probe {probe!r}: {outcome.error if outcome else 'not run'}")
        return outcome.value

    def close(self, actual: list[float], expected: list[float]) -> bool:
        return close(actual, expected, self.thresholds)


def _import_message(module: str, error: dict) -> str:
    kind = error.get("type", "Error")
    message = str(error.get("message") or "")
    if kind == "FileNotFoundError":
        return f"{message}: every check of this exercise needs it"
    if kind == "SyntaxError":
        return f"{module} has a syntax error{_where(error)}: {message}. Python cannot read the file until it is fixed"
    if kind == "WorkerStopped":
        return f"{module}: {message}"
    return f"{module} could not be imported: {kind}{_where(error)}" + (f": {message}" if message else "")


def values_of(facts: dict, what: str, kind: tuple[str, str], dtype: str | None = None,
              shape: list | None = None) -> list[float]:
    """Values of a tensor or array the student returned, after checking its type, dtype and shape."""
    type_name, described = kind
    if field_of(facts, "type") != type_name:
        raise CheckFailed(f"{what} should be {described}, got {facts['type']}")
    if dtype and facts.get("dtype") != dtype:
        raise CheckFailed(f"{what} has dtype {facts.get('dtype')}, expected {dtype}")
    if shape is not None and facts.get("shape") != shape:
        raise CheckFailed(f"{what} has shape {tuple(facts.get('shape') or ())}, expected {tuple(shape)}")
    if facts.get("values") is None:
        raise CheckFailed(f"{what} does not hold numbers (dtype {facts.get('dtype')})")
    return floats(facts["values"], what)


def check_xor_table(observed: Observed, kind: tuple[str, str]) -> None:
    """make_xor_data() gives X and Y with the reference's dtype, shape and values, row by row."""
    student = observed.student("make_xor_data", "make_xor_data()")
    reference = observed.reference("make_xor_data")
    for name in ("X", "Y"):
        expected = reference[name]
        values = values_of(field_of(student, name), f"make_xor_data()'s {name}", kind,
                           expected["dtype"], expected["shape"])
        if values != expected["values"]:
            raise CheckFailed(f"make_xor_data()'s {name} holds {values}, expected {expected['values']} (row by row)")


def head(values: list[float], count: int = 4) -> str:
    """The first few values, for a message that stays on one line."""
    shown = ", ".join(f"{v:.4f}" for v in values[:count])
    return f"[{shown}{', …' if len(values) > count else ''}]"
