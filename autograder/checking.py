"""What a check needs: the student's and the reference's observations, and ways to compare them.

Checks run in the grading process and never import student code; they read
plain data through `Observed` and raise CheckFailed with a message for the student.
`grade_check` is the one place a check's outcome becomes a CheckResult, whether
pytest runs it (`pytest autograder`) or a test replays recorded observations.
"""
from __future__ import annotations

import math
from typing import Any, Callable

from autograder.console_text import rendered
from autograder.course.model import Check, Exercise
from autograder.course.code import display_name
from autograder.errors import AutograderError, GraderError
from autograder.run.observations import CheckFailed, ExerciseRun, NotGraded, field_of, floats, starved
from autograder.run.protocol import RUNNER_STOPS, GraderStop, WorkerKind  # RUNNER_STOPS: their message says it all
from autograder.results import CheckResult

__all__ = ["Observed", "CheckFailed", "NotChecked", "GraderError", "close", "describe_failure", "field_of",
           "floats", "values_of", "head", "grade_check", "failure_message", "PRINTED_SHOWN"]

# Characters of a failed check's printed output shown to the student (the end of it).
PRINTED_SHOWN = 600


class NotChecked(CheckFailed):
    """A check that could not look at what it checks: the function is not written yet, the file did not
    load, or a fault another check reports stands in the way. It loses its points, but its hint is about
    code the student has not reached, so the student reads why it could not run and no hint."""


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
    message = rendered(str(error.get("message") or "")).strip()
    kind = error.get("type", "Error")
    if kind in RUNNER_STOPS:
        return f"{call}: {message}"
    return f"{call} raised {kind}{_where(error)} in {module}" + (f": {message}" if message else "")


def close(actual: list[float], expected: list[float], rtol: float, atol: float) -> bool:
    """Same length and every value within the tolerances (NaN never matches)."""
    return len(actual) == len(expected) and all(
        math.isclose(a, e, rel_tol=rtol, abs_tol=atol) for a, e in zip(actual, expected))


class Observed:
    """One exercise's observations: the student's and the reference's, probe by probe.

    `params` and `grading` are the exercise's own tables of course.toml."""

    def __init__(self, exercise: Exercise, student: ExerciseRun, reference: Callable[[], ExerciseRun]) -> None:
        self._student = student
        self._reference_run = reference  # waited for only by checks that compare with the reference
        self.params = exercise.params
        self.grading = exercise.grading
        self.module = exercise.file
        self.read: list[str] = []  # the student's probes this check read, for their printed output
        self.compared: set[str] = set()  # the reference's probes it read (the release ships only those)

    def call(self, probe: str) -> str:
        """How the probe called the student's code, as the probe itself reported it (its value's "call")."""
        try:
            reported = self.reference(probe).get("call")
        except (AutograderError, NotGraded, AttributeError):
            reported = None
        if not isinstance(reported, str):
            student = self._student.outcomes.get(probe)
            reported = student.value.get("call") if student and student.ok and isinstance(student.value, dict) else None
        return reported if isinstance(reported, str) else f"the {probe} probe"

    def student(self, probe: str, call: str | None = None) -> Any:
        """The student's observations of `probe`, or CheckFailed saying why there are none."""
        run = self._student
        _raise_if_starved(run.import_error, self.module)
        if run.import_error is not None:
            raise NotChecked(_import_message(self.module, run.import_error))
        if probe not in self.read:
            self.read.append(probe)
        outcome = run.outcomes.get(probe)
        call = call or self.call(probe)
        if outcome is None:
            raise NotChecked(f"{call} was not run: the grader stopped before reaching it")
        if not outcome.ok:
            error = outcome.error or {}
            _raise_if_starved(error, call)
            raise (NotChecked if error.get("todo") else CheckFailed)(describe_failure(self.module, call, error))
        if not isinstance(outcome.value, dict):
            raise CheckFailed(f"{call}: the grader received no readable result")
        return outcome.value

    def reference(self, probe: str) -> Any:
        self.compared.add(probe)
        run = self._reference_run()
        _raise_if_starved(run.import_error, f"the reference {self.module}")
        if run.import_error is not None:
            raise GraderError(f"the reference {self.module} failed to load: {run.import_error}")
        outcome = run.outcomes.get(probe)
        if outcome is not None:
            _raise_if_starved(outcome.error, f"the reference's {probe} probe")
        if outcome is None or not outcome.ok:
            raise GraderError(f"the reference failed probe {probe!r}: {outcome.error if outcome else 'not run'}")
        return outcome.value

    def close(self, actual: list[float], expected: list[float]) -> bool:
        """Within the exercise's `rtol` and `atol` ([exercises.grading] in course.toml)."""
        return close(actual, expected, self.grading.rtol, self.grading.atol)

    def printed(self) -> str:
        """What the student's code printed in the probes this check read, trimmed to its end."""
        text = "".join(rendered(self._student.outcomes[p].printed) for p in self.read if p in self._student.outcomes)
        return text if len(text) <= PRINTED_SHOWN else "…" + text[-PRINTED_SHOWN:]


def _raise_if_starved(error: dict | None, what: str) -> None:
    """NotGraded when the machine starved the worker that was to observe `what` (twice)."""
    if starved(error):
        raise NotGraded(f"{what} could not be graded: {error.get('message')}")


def _import_message(module: str, error: dict) -> str:
    kind = error.get("type", "Error")
    message = rendered(str(error.get("message") or ""))
    if kind == GraderStop.MISSING_FILE:
        return f"{message}: every check of this exercise needs it"
    if kind == WorkerKind.EMPTY_FILE:
        return f"{module} is empty (it defines nothing): start again from the stub you were given"
    if kind == "SyntaxError":
        return f"{module} has a syntax error{_where(error)}: {message}. Python cannot read the file until it is fixed"
    if kind in RUNNER_STOPS:
        return f"{module}: {message}"
    return f"{module} could not be imported: {kind}{_where(error)}" + (f": {message}" if message else "")


def values_of(facts: dict, what: str, kind: tuple[str, str], dtype: str | None = None,
              shape: list | None = None) -> list[float]:
    """Values of an array the student returned, after checking its type, dtype and shape.

    `kind` is (the type name the probe reported, how a message names that type)."""
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


def head(values: list[float], count: int = 4) -> str:
    """The first few values, for a message that stays on one line."""
    shown = ", ".join(f"{v:.4f}" for v in values[:count])
    return f"[{shown}{', …' if len(values) > count else ''}]"


def failure_message(error: BaseException) -> str:
    """What the student reads for a check that raised `error`."""
    if isinstance(error, CheckFailed):
        return error.message
    if isinstance(error, AutograderError):
        return f"the grader could not run this check ({error}); tell your instructor"
    return f"the check stopped on {type(error).__name__}: {error}"


def _gate(check: Check, function: Callable[[Observed], Any], observed: Observed) -> None:
    """NotChecked unless every check that `check` requires (course.toml) passes on the same observations.

    The required checks are the functions beside `function` in its check module; they are pure functions
    of the observations, so running them again here costs microseconds and depends on no order."""
    for required in check.requires:
        gate = function.__globals__[f"check_{required}"]
        try:
            gate(observed)
        except NotGraded:
            raise
        except Exception:
            raise NotChecked(f"not checked: depends on \"{display_name(gate)}\", which must pass first") from None


def grade_check(exercise: Exercise, check: Check, function: Callable[[Observed], Any], name: str,
                observe: Callable[[], Observed], show_hints: bool = True) -> CheckResult:
    """Gather the observations, run one check on them, and say how it went: passed, or why not
    (failed, or not graded at all when the machine starved the grader: see observations.NotGraded).

    The check's hint goes with a lost point when the course shows hints ([course] show_hints) and the
    check looked at the student's code (not NotChecked): every exporter shows the hint the result holds."""
    observed = None
    try:
        observed = observe()
        function(observed)
        _gate(check, function, observed)
    except (KeyboardInterrupt, SystemExit):
        raise
    except NotGraded as error:  # the machine's doing: neither passed nor failed, and no hint
        return CheckResult(exercise=exercise.id, check=check.id, name=name, possible=check.points, passed=False,
                           graded=False, message=error.message, hidden=check.hidden)
    except BaseException as error:  # pytest-timeout's Failed included: a stopped check is a lost check
        hint = check.hint if show_hints and not isinstance(error, NotChecked) else ""
        return CheckResult(exercise=exercise.id, check=check.id, name=name, possible=check.points, passed=False,
                           message=failure_message(error), hint=hint, hidden=check.hidden,
                           printed=observed.printed() if observed is not None else "")
    return CheckResult(exercise=exercise.id, check=check.id, name=name, possible=check.points, passed=True,
                       hidden=check.hidden)
