"""`python -m autograder new ID [--assignment A]`: scaffold a working exercise, so a new one starts from
code that grades.

It writes the exercise's solution (one solution region) and its home `grading/ID/`: a probe
module with one probe, a check module with one check, a lesson. course.toml gets an
`[[exercises]]` table, and the id joins assignment A's exercises (with one assignment, that
one; a course without [[assignments]] needs none), its comments kept. Right after it, `stubs` writes the
stub, the solutions score full marks, the stub scores zero and `recordings` records it;
the author then replaces the example with the real exercise.

Everything is checked before anything is written: an id that is taken (in course.toml
or by any file named after it) or that cannot be a module name is a CourseError, and
the course is left as it was.
"""
from __future__ import annotations

import importlib.util
import keyword
import sys
import tomllib
from pathlib import Path

import tomlkit

from autograder.course.model import Course
from autograder.errors import CourseError

__all__ = ["new_exercise", "exercise_files", "refusal"]

# Names a student's file must not take: pytest's hook file, loaded from any folder it is in.
_RESERVED = ("conftest",)

_SOLUTION = '''"""{title}: double every number of a list."""
from __future__ import annotations


def double(values: list[int]) -> list[int]:
    """Return a new list holding each of `values` times two, in the same order."""
    ### BEGIN SOLUTION
    # TODO: return a new list with every value times two.
    return [2 * value for value in values]
    ### END SOLUTION
'''

_PROBE = '''"""Probes for {id}: call the student's double() on the grader's own numbers and report plain data.

Every `probe_<name>(student, context)` here is a probe, run in a sandboxed worker on the
student's module and on the solution; `random` is seeded for each probe, and
`context.params` is this exercise's [exercises.params] table. See AUTHORING.md.
"""
from __future__ import annotations

import random


def probe_double(student, context) -> dict:
    values = [random.randint(-9, 9) for _ in range(5)]
    result = student.double(list(values))
    return {{"call": f"double({{values}})", "result": _as_numbers(result)}}


def _as_numbers(value) -> dict:
    """A list of numbers as its values; anything else only by its type name."""
    if isinstance(value, list) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        return {{"type": "list", "values": list(value)}}
    return {{"type": type(value).__name__}}
'''

_CHECK = '''"""Checks for {id}. Each docstring is the name the student sees; points and hints are in course.toml."""
from __future__ import annotations

from autograder.checking import CheckFailed, Observed, field_of


def check_double_values(observed: Observed):
    """double() doubles every value"""
    result = field_of(observed.student("double"), "result")
    expected = observed.reference("double")["result"]
    if result != expected:
        got = result["values"] if "values" in result else f"a {{field_of(result, 'type')}}"
        raise CheckFailed(f"{{observed.call('double')}} returned {{got}}, expected {{expected['values']}}")
'''

_LESSON = """Write `double(values)` in `{id}.py`: it returns a new list holding each value times two.
"""

_TABLE = '''
[[exercises]]
id = "{id}"
title = "{title}"

[exercises.checks.double_values]
points = 1
hint = "Multiply each value by two and collect the results in a new list."
'''


def exercise_files(course: Course, exercise_id: str) -> dict[str, Path]:
    """Every file named after an exercise, by role: what a new id must not find already there."""
    layout = course.layout
    return {
        "solution": layout.solutions_dir / f"{exercise_id}.py",
        "probe": layout.probe(exercise_id),
        "check": layout.check(exercise_id),
        "lesson": layout.lesson(exercise_id),
        "stub": layout.exercises_dir / f"{exercise_id}.py",
        "recording": layout.recording(exercise_id),
    }


def refusal(course: Course, exercise_id: str) -> str | None:
    """Why `exercise_id` cannot be a new exercise of `course`, or None when it can."""
    if not exercise_id.isidentifier() or keyword.iskeyword(exercise_id):
        return (f"{exercise_id!r} is not a valid Python module name: use letters, digits and underscores, "
                "not starting with a digit, and not a Python keyword")
    if exercise_id in _ids_in(course.path):
        return f"{course.path} already has an exercise {exercise_id!r}"
    if exercise_id.startswith("_"):
        return f"{exercise_id!r} starts with '_', which marks the shared helper modules of probes and checks"
    if exercise_id in _RESERVED:
        return f"{exercise_id!r} is the name of pytest's hook files, which graders and pytest load on their own"
    if exercise_id in sys.stdlib_module_names or importlib.util.find_spec(exercise_id):
        return (f"{exercise_id!r} is the name of a module Python already has: a student's {exercise_id}.py "
                "would hide it; choose another id")
    taken = [str(path) for path in exercise_files(course, exercise_id).values() if path.exists()]
    if taken:
        return f"exercise id {exercise_id!r} is taken: {', '.join(taken)} already exists"
    return None


def _ids_in(course_file: Path) -> list[str]:
    """The exercise ids course.toml holds now (it may have changed since it was loaded)."""
    try:
        data = tomllib.loads(course_file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise CourseError(f"{course_file}: cannot read it: {error}") from None
    return [table.get("id") for table in data.get("exercises", [])]


def _chosen_assignment(course: Course, assignment: str | None) -> str | None:
    """The [[assignments]] id the new exercise joins: `assignment`, or the course's only one; None for a course
    without [[assignments]] tables."""
    listed = course.assignment_ids if tomllib.loads(course.path.read_text(encoding="utf-8")).get("assignments") else ()
    if assignment is not None and assignment not in listed:
        raise CourseError(f"{course.path}: no assignment {assignment!r}" +
                          (f" (it has {', '.join(listed)})" if listed else " (it has no [[assignments]])"))
    if assignment is None and len(listed) > 1:
        raise CourseError(f"{course.path} has {len(listed)} assignments: say which one the exercise joins with "
                          f"--assignment ({', '.join(listed)})")
    return assignment or (listed[0] if listed else None)


def _course_text(course: Course, exercise_id: str, title: str, assignment: str | None) -> str:
    """course.toml with the new table and the id in its assignment; CourseError if it would not read back."""
    document = tomlkit.parse(course.path.read_text(encoding="utf-8"))
    if assignment is not None:
        table = next(t for t in document["assignments"] if t["id"] == assignment)
        table["exercises"].append(exercise_id)
    text = tomlkit.dumps(document)
    appended = text + ("" if text.endswith("\n") or not text else "\n") + _TABLE.format(id=exercise_id, title=title)
    try:
        ids = [table.get("id") for table in tomllib.loads(appended).get("exercises", [])]
    except tomllib.TOMLDecodeError as error:
        raise CourseError(f"{course.path}: appending the new exercise would not be valid TOML: {error}") from None
    if ids[-1:] != [exercise_id]:
        raise CourseError(f"{course.path}: the new [[exercises]] table would not be read as the last exercise")
    return appended


def new_exercise(course: Course, exercise_id: str, assignment: str | None = None) -> list[Path]:
    """Scaffold exercise `exercise_id` in `course` (in `assignment`); returns the files written, course.toml last."""
    problem = refusal(course, exercise_id)
    if problem:
        raise CourseError(f"cannot create exercise {exercise_id!r}: {problem}. Nothing was written")
    title = exercise_id.replace("_", " ").capitalize()
    course_text = _course_text(course, exercise_id, title, _chosen_assignment(course, assignment))
    files = exercise_files(course, exercise_id)
    contents = {files["solution"]: _SOLUTION.format(title=title), files["probe"]: _PROBE.format(id=exercise_id),
                files["check"]: _CHECK.format(id=exercise_id), files["lesson"]: _LESSON.format(id=exercise_id)}
    written: list[Path] = []
    try:
        for path, text in contents.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "x", encoding="utf-8") as handle:  # "x": never overwrite a file that appeared since
                handle.write(text)
            written.append(path)
        course.path.write_text(course_text, encoding="utf-8")
    except OSError as error:
        for path in written:
            path.unlink(missing_ok=True)
        raise CourseError(f"cannot create exercise {exercise_id!r}: {error}. Nothing was kept") from None
    return [*written, course.path]
