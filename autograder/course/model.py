"""Load course.toml into frozen dataclasses: the one source of points, seeds, settings and limits.

A course is any folder with a course.toml; course.layout.CourseLayout says where each of
its files is. The engine reads the course only through `Course`; it names no exercise of its own.
The default course is the one you stand in: the nearest course.toml above the working folder,
else the one beside the engine's package (this repository's).

An unknown key or a bad value is a CourseError that names the key and the file,
so a typo in course.toml cannot silently change a grade.
"""
from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from autograder import ENGINE_DIR
from autograder.course.layout import CourseLayout
from autograder.errors import CourseError

__all__ = ["Assignment", "Course", "CourseError", "Exercise", "Check", "Curve", "Limits", "Settings", "Gradescope",
           "load_course", "default_course_file", "COURSE_FILE"]

COURSE_FILE = "course.toml"
# Where the engine's package sits: the course beside it is the default when none is above the working folder.
_BESIDE_THE_ENGINE = ENGINE_DIR.parent / COURSE_FILE


def _with_id(items: tuple, item_id: str, missing: str):
    """The item whose `id` is `item_id`; else CourseError `missing`, with the ids there are."""
    for item in items:
        if item.id == item_id:
            return item
    raise CourseError(f"{missing} (it has {', '.join(item.id for item in items)})")


def default_course_file(start: Path | None = None) -> Path:
    """The nearest course.toml in `start` (default: the working folder) or above it, else the one beside
    the engine's package. A course kept anywhere grades from its own folder with no --course."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / COURSE_FILE).is_file():
            return folder / COURSE_FILE
    return _BESIDE_THE_ENGINE


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


GRADESCOPE_VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")


@dataclass(frozen=True)
class Gradescope:
    """What students see on Gradescope: public checks, hidden checks, and the grader's console output."""
    visibility: str = "visible"
    hidden_visibility: str = "after_published"
    stdout_visibility: str = "hidden"
    workers_at_once: int = 1
    # This course's grading run as benchmarks/gradescope_memory.py measured it (0: not measured yet).
    measured_peak_mib: int = 0
    measured_seconds_at_half_cpu: float = 0.0

    def __post_init__(self) -> None:
        for name in ("visibility", "hidden_visibility", "stdout_visibility"):
            if getattr(self, name) not in GRADESCOPE_VISIBILITIES:
                raise CourseError(f"{name} = {getattr(self, name)!r} should be one of "
                                  f"{', '.join(GRADESCOPE_VISIBILITIES)}")


class Settings(Mapping[str, Any]):
    """An exercise's own table of settings, read as attributes: a missing one names its table."""

    def __init__(self, values: Mapping[str, Any], where: str) -> None:
        self._values = MappingProxyType(dict(values))
        self._where = where

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            raise CourseError(f"{self._where} has no {name!r}: add `{name} = ...` there") from None

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Settings({dict(self._values)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self) == dict(other)

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._values.items(), key=lambda item: item[0])))


@dataclass(frozen=True)
class Check:
    id: str
    points: float
    hint: str = ""
    # Hidden checks run only when the instructor grades: never in the student release.
    hidden: bool = False
    # Checks of the same exercise that must pass before this one pays: a property ("one loss per epoch",
    # "refuses a pickle") is worth points only once the same code has shown its work in a value check.
    requires: tuple[str, ...] = ()


@dataclass(frozen=True)
class Curve:
    """[exercises.curves] name = { value = "probe/path", check = "...", x = "..." }: an observed series of
    numbers (a loss per epoch) that the HTML pages draw, the student's over the reference's."""
    name: str
    probe: str
    path: tuple[str, ...]  # keys inside the probe's value
    # The check whose loss means this curve went wrong: the class report overlays those submissions' curves.
    check: str = ""
    x: str = "epoch"  # what one step of the series is called


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    checks: tuple[Check, ...]
    # [exercises.params]: sent to this exercise's probes, and part of its recording's fingerprint.
    params: Settings = field(default_factory=lambda: Settings({}, "[exercises.params]"))
    # [exercises.grading]: read by this exercise's checks only (tolerances, margins, minimums, options).
    grading: Settings = field(default_factory=lambda: Settings({}, "[exercises.grading]"))
    # Probes whose reference observations are an answer key: never shipped in the student release.
    answer_key_probes: tuple[str, ...] = ()
    # [exercises.free_text]: column -> "probe/path/in/its/value" of answers an instructor grades by hand.
    free_text: Mapping[str, str] = field(default_factory=dict)
    # [exercises.curves]: observations drawn as curves in feedback.html and report.html.
    curves: tuple[Curve, ...] = ()
    # Whether the exercise's code has room for style, so that two submissions alike stand out (similarity).
    compare_code: bool = False
    # Modules a batch's fork server imports once for this exercise, beside its probe module's own imports:
    # those a first training step would import in every worker (fork_server.py).
    preload: tuple[str, ...] = ()

    @property
    def file(self) -> str:
        return f"{self.id}.py"

    @property
    def max_points(self) -> float:
        return sum(check.points for check in self.checks)

    def check(self, check_id: str) -> Check:
        return _with_id(self.checks, check_id, f"course.toml: exercise {self.id!r} has no check {check_id!r}")


@dataclass(frozen=True)
class Assignment:
    """[[assignments]]: exercises handed out, released and graded together (one release folder,
    one nbgrader assignment, one Gradescope zip, one submission zip)."""
    id: str
    title: str
    exercise_ids: tuple[str, ...]
    # This assignment's own grading run as benchmarks/gradescope_memory.py measured it (0: [gradescope]'s).
    measured_peak_mib: int = 0
    measured_seconds_at_half_cpu: float = 0.0


@dataclass(frozen=True)
class Course:
    id: str
    title: str
    seed: int
    limits: Limits
    exercises: tuple[Exercise, ...]
    path: Path
    gradescope: Gradescope = Gradescope()
    # Points of hidden checks this copy does not hold (set in the student release), shown after the score.
    hidden_points: float = 0.0
    # Environment variables every worker gets ("{home}" is its private home folder).
    environment: Mapping[str, str] = field(default_factory=dict)
    # Extra pip options for installing the dependencies where the grader is set up (Gradescope's setup.sh).
    pip_options: tuple[str, ...] = ()
    # [setup] requirements: what the course's probes and checks import (its frameworks), pinned; every install
    # of its grader (release, Gradescope, PrairieLearn, the image) adds them to the engine's own.
    requirements: tuple[str, ...] = ()
    # [course] show_hints: whether a lost point shows its check's hint to students (false: message only).
    show_hints: bool = True
    # [[assignments]]; a course file without them is one assignment named after the course.
    assignments: tuple[Assignment, ...] = ()

    def __post_init__(self) -> None:
        if not self.assignments:
            object.__setattr__(self, "assignments",
                               (Assignment(self.id, self.title, tuple(e.id for e in self.exercises)),))

    @property
    def root(self) -> Path:
        return self.path.resolve().parent

    @property
    def layout(self) -> CourseLayout:
        return CourseLayout(self.root)

    @property
    def exercises_dir(self) -> Path:
        return self.layout.exercises_dir

    @property
    def solutions_dir(self) -> Path:
        return self.layout.solutions_dir

    @property
    def max_points(self) -> float:
        return sum(exercise.max_points for exercise in self.exercises)

    @property
    def exercise_files(self) -> tuple[str, ...]:
        return tuple(exercise.file for exercise in self.exercises)

    def exercise(self, exercise_id: str) -> Exercise:
        return _with_id(self.exercises, exercise_id, f"{self.path}: no exercise {exercise_id!r}")

    def only(self, exercise_ids: Iterable[str]) -> "Course":
        """The same course with only these exercises (in course order); CourseError for an unknown id.
        Assignments keep the chosen exercises they hold; those left with none are dropped."""
        wanted = list(exercise_ids)
        for exercise_id in wanted:
            self.exercise(exercise_id)
        kept = tuple(dataclasses.replace(a, exercise_ids=tuple(e for e in a.exercise_ids if e in wanted))
                     for a in self.assignments)
        return dataclasses.replace(self, exercises=tuple(e for e in self.exercises if e.id in wanted),
                                   assignments=tuple(a for a in kept if a.exercise_ids))

    @property
    def assignment_ids(self) -> tuple[str, ...]:
        return tuple(a.id for a in self.assignments)

    def assignment(self, assignment_id: str) -> "Course":
        """The course cut to one assignment: its id and title become the course's, so every name
        made from them (release, nbgrader assignment, zips) is the assignment's."""
        for assignment in self.assignments:
            if assignment.id == assignment_id:
                measured = {name: getattr(assignment, name) for name in ("measured_peak_mib",
                                                                         "measured_seconds_at_half_cpu")
                            if getattr(assignment, name)}
                return dataclasses.replace(self.only(assignment.exercise_ids), id=assignment.id,
                                           title=assignment.title, assignments=(assignment,),
                                           gradescope=dataclasses.replace(self.gradescope, **measured))
        raise CourseError(f"{self.path}: no assignment {assignment_id!r} "
                          f"(it has {', '.join(self.assignment_ids)})")

    def one_assignment(self, assignment_id: str | None) -> "Course":
        """The assignment asked for; with none asked, the only one, or a CourseError naming the choices."""
        if assignment_id is not None:
            return self.assignment(assignment_id)
        if len(self.assignments) == 1:
            return self.assignment(self.assignments[0].id)
        raise CourseError(f"{self.path} holds {len(self.assignments)} assignments: choose one with --assignment "
                          f"({' or '.join(self.assignment_ids)})")


def _only_known(table: dict, known: Iterable[str], where: str, what: str = "key") -> None:
    """CourseError naming the first key of `table` that is not `known`, and the ones that are: a typo in
    course.toml must never silently change a grade."""
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise CourseError(f"{where}: unknown {what} {unknown[0]!r} (known: {', '.join(sorted(known))})")


def _typed(cls: type, table: Any, where: str) -> Any:
    """Build dataclass `cls` from a TOML table, rejecting unknown keys and wrong types."""
    if not isinstance(table, dict):
        raise CourseError(f"{where} should be a table")
    known = {f.name: f for f in fields(cls)}
    _only_known(table, known, where)
    values = {key: typed_value(key, value, known[key].default, where) for key, value in table.items()}
    try:
        return cls(**values)
    except CourseError as error:  # a value the dataclass itself refused: name the file and table too
        raise CourseError(f"{where}: {error}") from None


def typed_value(key: str, value: Any, default: Any, where: str) -> Any:
    """`value` if it has the type of `default` (an int is a float too) and is not negative."""
    expected = type(default)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, expected) or isinstance(value, bool) != isinstance(default, bool):
        raise CourseError(f"{where}: {key} = {value!r} should be a {expected.__name__}")
    if isinstance(value, (int, float)) and value < 0:
        raise CourseError(f"{where}: {key} = {value!r} must not be negative")
    return value


@dataclass(frozen=True)
class _CheckFields:
    points: float = 0.0
    hint: str = ""
    hidden: bool = False


_EXERCISE_KEYS = ("id", "title", "checks", "params", "grading", "answer_key_probes", "free_text", "compare_code",
                  "curves", "preload")
_PLAIN = (bool, int, float, str)


def _settings(table: Any, where: str) -> Settings:
    if not isinstance(table, dict):
        raise CourseError(f"{where} should be a table")
    for key, value in table.items():
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(item, _PLAIN) for item in items):
            raise CourseError(f"{where}: {key} should be a number, a string, a bool or a list of them")
    return Settings(table, where)


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise CourseError(f"{what} should be a list of strings")
    return tuple(value)


def _string_table(table: Any, where: str) -> dict[str, str]:
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise CourseError(f"{where} should be a table of strings")
    return dict(table)


_CURVE_KEYS = ("value", "check", "x")


def _curves(table: Any, where: str, checks: list[Check], grading: Settings) -> tuple[Curve, ...]:
    """[exercises.curves]: each a "probe/path" string or a table of _CURVE_KEYS, its check one of the
    exercise's; where the student's curve parts from the reference is judged with the grading rtol/atol."""
    if not isinstance(table, dict):
        raise CourseError(f"{where} should be a table")
    curves = []
    for name, entry in table.items():
        entry = {"value": entry} if isinstance(entry, str) else entry
        if not isinstance(entry, dict):
            raise CourseError(f"{where}: {name} should be \"probe/path\" or a table of "
                              f"{', '.join(_CURVE_KEYS)}")
        _only_known(entry, _CURVE_KEYS, f"{where}: {name}")
        if not all(isinstance(value, str) for value in entry.values()):
            raise CourseError(f"{where}: {name}: every value should be a string")
        probe, *path = str(entry.get("value", "")).split("/")
        if not probe or not path or not all(path):
            raise CourseError(f"{where}: {name}: value = {entry.get('value')!r} should be \"probe/key\" "
                              "(a probe's name, then the keys to the list of numbers in its value)")
        check = entry.get("check", "")
        if check and check not in {c.id for c in checks}:
            raise CourseError(f"{where}: {name}: check = {check!r} is not a check of this exercise "
                              f"(it has {', '.join(c.id for c in checks)})")
        curves.append(Curve(name=name, probe=probe, path=tuple(path), check=check, x=entry.get("x", "epoch")))
    for tolerance in ("rtol", "atol") if curves else ():
        value = grading.get(tolerance)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise CourseError(f"{where}: curves need {tolerance} in [exercises.grading]: where a student's "
                              "curve parts from the reference is judged with the grading tolerances")
    return tuple(curves)


def _check_gates(checks: list[Check], where: str) -> None:
    """`requires` names other checks of the exercise, one level deep (a gate has no gate of its own), and a
    check students see never waits for a hidden one, which their copy does not hold."""
    by_id = {check.id: check for check in checks}
    for check in checks:
        for required in check.requires:
            gate = by_id.get(required)
            if gate is None or gate is check:
                raise CourseError(f"{where} [exercises.checks.{check.id}]: requires {required!r}, which is not "
                                  f"another check of this exercise (it has {', '.join(by_id)})")
            if gate.requires:
                raise CourseError(f"{where} [exercises.checks.{check.id}]: requires {required!r}, which requires "
                                  "checks of its own: require the value checks themselves")
            if gate.hidden and not check.hidden:
                raise CourseError(f"{where} [exercises.checks.{check.id}]: requires the hidden check {required!r}, "
                                  "which the student release does not hold")


def _exercise(table: dict[str, Any], where: str) -> Exercise:
    _only_known(table, _EXERCISE_KEYS, where)
    if not isinstance(table.get("id"), str) or not table["id"].isidentifier():
        raise CourseError(f"{where}: every [[exercises]] needs an id that is a Python identifier")
    where = f"{where} [exercises] id={table['id']!r}"
    checks = []
    for check_id, check_table in table.get("checks", {}).items():
        if not isinstance(check_table, dict) or "points" not in check_table:
            raise CourseError(f"{where}: [exercises.checks.{check_id}] needs points")
        check_where = f"{where} [exercises.checks.{check_id}]"
        fields_only = {key: value for key, value in check_table.items() if key != "requires"}
        requires = _strings(check_table.get("requires", []), f"{check_where} requires")
        checks.append(Check(id=check_id, requires=requires, **vars(_typed(_CheckFields, fields_only, check_where))))
    if not checks:
        raise CourseError(f"{where}: no [exercises.checks.*] tables")
    _check_gates(checks, where)
    compare_code = table.get("compare_code", False)
    if not isinstance(compare_code, bool):
        raise CourseError(f"{where}: compare_code = {compare_code!r} should be true or false")
    grading = _settings(table.get("grading", {}), f"{where} [exercises.grading]")
    return Exercise(
        id=table["id"], title=str(table.get("title", table["id"])), checks=tuple(checks),
        params=_settings(table.get("params", {}), f"{where} [exercises.params]"),
        grading=grading,
        answer_key_probes=_strings(table.get("answer_key_probes", []), f"{where} answer_key_probes"),
        free_text=_string_table(table.get("free_text", {}), f"{where} [exercises.free_text]"),
        compare_code=compare_code,
        preload=_strings(table.get("preload", []), f"{where} preload"),
        curves=_curves(table.get("curves", {}), f"{where} [exercises.curves]", checks, grading))


_TABLES = ("course", "limits", "gradescope", "environment", "setup", "exercises", "assignments")


def _assignments(tables: Any, exercises: tuple[Exercise, ...], where: str) -> tuple[Assignment, ...]:
    """[[assignments]] id, title, exercises: every exercise in exactly one, ids unique and not an exercise's."""
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise CourseError(f"{where}: assignments should be [[assignments]] tables")
    known_exercises = [e.id for e in exercises]
    assignments, placed = [], {}
    for table in tables:
        _only_known(table, ("id", "title", "exercises", "measured_peak_mib", "measured_seconds_at_half_cpu"),
                    f"{where} [[assignments]]")
        assignment_id = table.get("id")
        if not isinstance(assignment_id, str) or not assignment_id.isidentifier():
            raise CourseError(f"{where}: every [[assignments]] needs an id that is a Python identifier")
        members = _strings(table.get("exercises"), f"{where} [[assignments]] id={assignment_id!r}: exercises")
        if not members:
            raise CourseError(f"{where} [[assignments]] id={assignment_id!r}: exercises is empty")
        for exercise_id in members:
            if exercise_id not in known_exercises:
                raise CourseError(f"{where} [[assignments]] id={assignment_id!r}: no exercise {exercise_id!r}")
            if exercise_id in placed:
                raise CourseError(f"{where}: exercise {exercise_id!r} is in two assignments "
                                  f"({placed[exercise_id]} and {assignment_id})")
            placed[exercise_id] = assignment_id
        measured = {name: typed_value(name, table[name], getattr(Assignment, name), f"{where} [[assignments]]")
                    for name in ("measured_peak_mib", "measured_seconds_at_half_cpu") if name in table}
        assignments.append(Assignment(assignment_id, str(table.get("title", assignment_id)),
                                      tuple(e for e in known_exercises if e in members), **measured))
    ids = [a.id for a in assignments]
    if len(set(ids)) != len(ids):
        raise CourseError(f"{where}: assignment ids must be unique, got {ids}")
    if assignments and set(placed) != set(known_exercises):
        left = [e for e in known_exercises if e not in placed]
        raise CourseError(f"{where}: exercise {left[0]!r} is in no [[assignments]]: add it to one")
    return tuple(assignments)


def load_course(path: Path | str | None = None) -> Course:
    """Read and validate a course file (default: the course you stand in, `default_course_file`)."""
    path = Path(path) if path is not None else default_course_file()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CourseError(f"{path}: course file not found") from None
    except tomllib.TOMLDecodeError as error:
        raise CourseError(f"{path}: not valid TOML: {error}") from None
    _only_known(data, _TABLES, str(path), "table")
    head = data.get("course", {})
    _only_known(head, ("id", "title", "seed", "hidden_points", "show_hints"), f"{path} [course]")
    seed = head.get("seed", 0)
    hidden_points = head.get("hidden_points", 0)
    if not isinstance(hidden_points, (int, float)) or isinstance(hidden_points, bool) or hidden_points < 0:
        raise CourseError(f"{path} [course]: hidden_points = {hidden_points!r} should be a number of points")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise CourseError(f"{path} [course]: seed = {seed!r} should be an int, 0 or more")
    show_hints = head.get("show_hints", True)
    if not isinstance(show_hints, bool):
        raise CourseError(f"{path} [course]: show_hints = {show_hints!r} should be true or false")
    course_id = head.get("id", "course")
    if not isinstance(course_id, str) or not course_id.isidentifier():
        raise CourseError(f"{path} [course]: id = {course_id!r} should be a Python identifier")
    setup = data.get("setup", {})
    _only_known(setup, ("pip_options", "requirements"), f"{path} [setup]")
    exercises = tuple(_exercise(t, str(path)) for t in data.get("exercises", []))
    if not exercises:
        raise CourseError(f"{path}: no [[exercises]]")
    ids = [e.id for e in exercises]
    if len(set(ids)) != len(ids):
        raise CourseError(f"{path}: exercise ids must be unique, got {ids}")
    return Course(
        id=course_id,
        title=str(head.get("title", "Course")),
        seed=seed,
        limits=_typed(Limits, data.get("limits", {}), f"{path} [limits]"),
        exercises=exercises,
        path=path,
        gradescope=_typed(Gradescope, data.get("gradescope", {}), f"{path} [gradescope]"),
        hidden_points=float(hidden_points),
        environment=_string_table(data.get("environment", {}), f"{path} [environment]"),
        pip_options=_strings(setup.get("pip_options", []), f"{path} [setup] pip_options"),
        requirements=_strings(setup.get("requirements", []), f"{path} [setup] requirements"),
        show_hints=show_hints,
        assignments=_assignments(data.get("assignments", []), exercises, str(path)),
    )
