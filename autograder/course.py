"""Load course.toml into frozen dataclasses: the one source of points, seeds and limits.

An unknown key or a bad value is a CourseError that names the key and the file,
so a typo in course.toml cannot silently change a grade.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

__all__ = ["Course", "CourseError", "Exercise", "Check", "Limits", "Thresholds", "Gradescope",
           "load_course", "REPO_ROOT", "DEFAULT_COURSE_FILE"]

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_COURSE_FILE = REPO_ROOT / "course.toml"


class CourseError(ValueError):
    """course.toml is missing, malformed, or holds an unknown key or a bad value."""


@dataclass(frozen=True)
class Limits:
    import_seconds: float = 90.0
    probe_seconds: float = 20.0
    check_seconds: float = 600.0
    memory_mib: int = 6144
    output_bytes: int = 2_000_000
    processes: int = 512
    scratch_mib: int = 64
    isolation: str = "auto"
    workers_at_once: int = 0

    def __post_init__(self) -> None:
        if self.isolation not in ("auto", "basic"):
            raise CourseError(f"isolation = {self.isolation!r} should be 'auto' or 'basic'")


@dataclass(frozen=True)
class Thresholds:
    rtol: float = 1e-4
    atol: float = 1e-5
    convergence_starts: int = 6
    convergence_epochs: int = 1000
    convergence_lr: float = 0.01
    convergence_margin: float = 0.2
    convergence_misses_allowed: int = 1
    why_min_words: int = 5


GRADESCOPE_VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")


@dataclass(frozen=True)
class Gradescope:
    """What students see on Gradescope: public checks, hidden checks, and the grader's console output."""
    visibility: str = "visible"
    hidden_visibility: str = "after_published"
    stdout_visibility: str = "hidden"
    workers_at_once: int = 1

    def __post_init__(self) -> None:
        for name in ("visibility", "hidden_visibility", "stdout_visibility"):
            if getattr(self, name) not in GRADESCOPE_VISIBILITIES:
                raise CourseError(f"{name} = {getattr(self, name)!r} should be one of "
                                  f"{', '.join(GRADESCOPE_VISIBILITIES)}")


@dataclass(frozen=True)
class Check:
    id: str
    points: float
    hint: str = ""
    # Hidden checks run only when the instructor grades: never in the student release.
    hidden: bool = False


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    checks: tuple[Check, ...]

    @property
    def max_points(self) -> float:
        return sum(check.points for check in self.checks)

    def check(self, check_id: str) -> Check:
        for check in self.checks:
            if check.id == check_id:
                return check
        raise CourseError(f"course.toml: exercise {self.id!r} has no check {check_id!r}; "
                          f"add [exercises.checks.{check_id}] with its points")


@dataclass(frozen=True)
class Course:
    title: str
    seed: int
    limits: Limits
    thresholds: Thresholds
    exercises: tuple[Exercise, ...]
    path: Path
    gradescope: Gradescope = Gradescope()
    # Points of hidden checks this copy does not hold (set in the student release), shown after the score.
    hidden_points: float = 0.0

    @property
    def max_points(self) -> float:
        return sum(exercise.max_points for exercise in self.exercises)

    def exercise(self, exercise_id: str) -> Exercise:
        for exercise in self.exercises:
            if exercise.id == exercise_id:
                return exercise
        raise CourseError(f"{self.path}: no exercise {exercise_id!r}")


def _typed(cls: type, table: dict[str, Any], where: str) -> Any:
    """Build dataclass `cls` from a TOML table, rejecting unknown keys and wrong types."""
    known = {f.name: f for f in fields(cls)}
    values = {}
    for key, value in table.items():
        if key not in known:
            raise CourseError(f"{where}: unknown key {key!r} (known: {', '.join(sorted(known))})")
        default = known[key].default
        expected = type(default) if default is not None and not isinstance(default, str) else str
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or isinstance(value, bool) != isinstance(default, bool):
            raise CourseError(f"{where}: {key} = {value!r} should be a {expected.__name__}")
        if isinstance(value, (int, float)) and value < 0:
            raise CourseError(f"{where}: {key} = {value!r} must not be negative")
        values[key] = value
    try:
        return cls(**values)
    except CourseError as error:  # a value the dataclass itself refused: name the file and table too
        raise CourseError(f"{where}: {error}") from None


def _exercise(table: dict[str, Any], where: str) -> Exercise:
    unknown = set(table) - {"id", "title", "checks"}
    if unknown:
        raise CourseError(f"{where}: unknown key {sorted(unknown)[0]!r} (known: checks, id, title)")
    if not isinstance(table.get("id"), str) or not table["id"].isidentifier():
        raise CourseError(f"{where}: every [[exercises]] needs an id that is a Python identifier")
    where = f"{where} [exercises] id={table['id']!r}"
    checks = []
    for check_id, check_table in table.get("checks", {}).items():
        if not isinstance(check_table, dict) or "points" not in check_table:
            raise CourseError(f"{where}: [exercises.checks.{check_id}] needs points")
        check_where = f"{where} [exercises.checks.{check_id}]"
        checks.append(Check(id=check_id, **vars(_typed(_CheckFields, check_table, check_where))))
    if not checks:
        raise CourseError(f"{where}: no [exercises.checks.*] tables")
    return Exercise(id=table["id"], title=str(table.get("title", table["id"])), checks=tuple(checks))


@dataclass(frozen=True)
class _CheckFields:
    points: float = 0.0
    hint: str = ""
    hidden: bool = False


def load_course(path: Path | str = DEFAULT_COURSE_FILE) -> Course:
    """Read and validate a course file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CourseError(f"{path}: course file not found") from None
    except tomllib.TOMLDecodeError as error:
        raise CourseError(f"{path}: not valid TOML: {error}") from None
    unknown = set(data) - {"course", "limits", "thresholds", "gradescope", "exercises"}
    if unknown:
        raise CourseError(f"{path}: unknown table {sorted(unknown)[0]!r}")
    head = data.get("course", {})
    known = {"title", "seed", "hidden_points"}
    if set(head) - known:
        raise CourseError(f"{path} [course]: unknown key {sorted(set(head) - known)[0]!r}")
    seed = head.get("seed", 0)
    hidden_points = head.get("hidden_points", 0)
    if not isinstance(hidden_points, (int, float)) or isinstance(hidden_points, bool) or hidden_points < 0:
        raise CourseError(f"{path} [course]: hidden_points = {hidden_points!r} should be a number of points")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise CourseError(f"{path} [course]: seed = {seed!r} should be an int")
    exercises = tuple(_exercise(t, str(path)) for t in data.get("exercises", []))
    if not exercises:
        raise CourseError(f"{path}: no [[exercises]]")
    ids = [e.id for e in exercises]
    if len(set(ids)) != len(ids):
        raise CourseError(f"{path}: exercise ids must be unique, got {ids}")
    return Course(
        title=str(head.get("title", "Course")),
        seed=seed,
        limits=_typed(Limits, data.get("limits", {}), f"{path} [limits]"),
        thresholds=_typed(Thresholds, data.get("thresholds", {}), f"{path} [thresholds]"),
        exercises=exercises,
        path=path,
        gradescope=_typed(Gradescope, data.get("gradescope", {}), f"{path} [gradescope]"),
        hidden_points=float(hidden_points),
    )
