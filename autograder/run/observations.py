"""What crosses back from a worker: plain data, re-checked for type on arrival.

An object that "equals everything" cannot cross a JSON boundary, and the
accessors here turn a missing or mistyped field into a CheckFailed rather
than a crash, so a forged observation fails instead of passing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from autograder.console_text import rendered
from autograder.run.protocol import GraderStop

__all__ = ["ProbeOutcome", "ExerciseRun", "CheckFailed", "NotGraded", "STARVED", "starved", "floats", "number",
           "field_of"]

# The error type of a probe (or an import) the machine kept from running: twice starved of the processor.
STARVED = GraderStop.STARVED.value


class CheckFailed(AssertionError):
    """A check did not pass: `message` is what the student reads."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotGraded(Exception):
    """A check the machine kept the grader from judging: neither passed nor failed. `message` says so."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def starved(error: dict | None) -> bool:
    """Whether a worker's error says the machine, not the code, stopped it (see worker_clock)."""
    return isinstance(error, dict) and error.get("type") == STARVED


@dataclass(frozen=True)
class ProbeOutcome:
    ok: bool
    value: Any = None
    error: dict | None = None
    printed: str = ""  # what the student's code printed during the probe (its end), shown when a check fails

    @classmethod
    def from_event(cls, event: dict) -> "ProbeOutcome":
        """A worker's event, its printed text and error message as a terminal showed them (console_text)."""
        printed = rendered(event["printed"]) if isinstance(event.get("printed"), str) else ""
        if event.get("event") == "done":
            return cls(ok=True, value=event.get("value"), printed=printed)
        error = event.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            error = {**error, "message": rendered(error["message"])}
        return cls(ok=False, error=error if isinstance(error, dict) else {"type": "Error", "message": ""},
                   printed=printed)


@dataclass
class ExerciseRun:
    """Everything one worker run observed about one exercise of one module."""
    exercise: str
    module_path: str
    import_error: dict | None = None
    outcomes: dict[str, ProbeOutcome] = field(default_factory=dict)
    # How its workers were isolated (sandbox.isolation_level, or the fork server); not part of the observations.
    isolation: str = ""

    def to_json(self) -> dict:
        return {"exercise": self.exercise, "import_error": self.import_error,
                "outcomes": {name: {"ok": o.ok, "value": o.value, "error": o.error, "printed": o.printed}
                             for name, o in self.outcomes.items()}}

    @classmethod
    def from_json(cls, data: dict, module_path: str = "") -> "ExerciseRun":
        run = cls(exercise=data["exercise"], module_path=module_path, import_error=data.get("import_error"))
        for name, outcome in data.get("outcomes", {}).items():
            run.outcomes[name] = ProbeOutcome(ok=outcome["ok"], value=outcome.get("value"),
                                              error=outcome.get("error"), printed=outcome.get("printed") or "")
        return run


def field_of(data: Any, *path: str | int) -> Any:
    """data[path[0]][path[1]]..., or CheckFailed if the observation lacks it."""
    for key in path:
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            raise CheckFailed(f"the grader could not read {'/'.join(map(str, path))} from your code's results") from None
    return data


def number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CheckFailed(f"{what} is not a number (got {type(value).__name__})")
    return float(value)


def floats(value: Any, what: str) -> list[float]:
    if not isinstance(value, list):
        raise CheckFailed(f"{what} is not a list of numbers (got {type(value).__name__})")
    return [number(item, what) for item in value]
