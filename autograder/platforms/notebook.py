"""`check(exercise, check_id)`: one nbgrader test cell, graded by the real grader.

The student's code reaches the grader only as the file its `%%writefile` cell
wrote; grade() grades a private copy of that one file in the kernel, and student
code runs only in the grader's sandboxed workers, never in the notebook's kernel.
Each version of a file is graded once per kernel, however many test cells ask
(a check left "not graded" by a starved machine is graded again when asked again).

The course is the one the notebook was exported from: its nbgrader_config.py
names the course file in AUTOGRADER_COURSE, which the kernels nbgrader starts
inherit; without it, the course.toml at the repository root.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from autograder.course.model import Course, load_course
from autograder.errors import AutograderError
from autograder.grade import grade
from autograder.official_seed import SEED_VARIABLE, replayed_or_drawn

__all__ = ["COURSE_VARIABLE", "check", "notebook_course"]

COURSE_VARIABLE = "AUTOGRADER_COURSE"

# The seed of this kernel's official grading (nbgrader's autograde), once drawn.
_official_seed: int | None = None
# (course file, exercise, sha256 of its file) -> {check id: the record's entry}, or why the grader could not say
_graded: dict[tuple[Path, str, str], dict[str, dict] | AssertionError] = {}


def notebook_course() -> Course:
    """The course named by AUTOGRADER_COURSE, or the repository's own."""
    return load_course(os.environ.get(COURSE_VARIABLE) or None)


def check(exercise: str, check_id: str, folder: str | Path = ".") -> None:
    """Print one line if the check passed; raise AssertionError with its message and hint if not."""
    course = notebook_course()
    points = course.exercise(exercise).check(check_id).points
    path = Path(folder) / f"{exercise}.py"
    if not path.is_file():
        raise AssertionError(f"{path} does not exist yet: run the cell that starts with "
                             f"`%%writefile {exercise}.py`, then this one again")
    entry = _results(course, exercise, path, check_id).get(check_id)
    if entry is None:
        raise AssertionError(f"the grader did not report {exercise}/{check_id}; tell your instructor")
    if entry["passed"]:
        print(f"passed ({points:g} points): {entry['name']}")
        return
    message = f"{entry['name']}: {entry['message']}"
    if entry.get("hint"):
        message += f"\nHint: {entry['hint']}"
    raise AssertionError(message)


def _results(course: Course, exercise: str, path: Path, check_id: str) -> dict[str, dict]:
    """The grader's verdict on every check of `exercise`, graded once per version of the file.

    A run that failed is remembered too: the next test cells report it instead of waiting again.
    A check the machine kept the grader from judging ("not graded") is no verdict: asked for again,
    the file is graded again, or a slow moment would stick for the kernel's life.
    """
    key = (course.path.resolve(), exercise, hashlib.sha256(path.read_bytes()).hexdigest())
    if key not in _graded or _not_graded(_graded[key], check_id):
        try:
            _graded[key] = {entry["check"]: entry for entry in _grade(course, exercise, path)
                            if entry.get("exercise") == exercise}
        except AssertionError as error:
            _graded[key] = error
    if isinstance(_graded[key], AssertionError):
        raise AssertionError(str(_graded[key])) from None
    return _graded[key]


def _not_graded(results: dict[str, dict] | AssertionError, check_id: str) -> bool:
    """Whether a remembered run left `check_id` not graded (results.CheckResult.graded is False)."""
    return isinstance(results, dict) and results.get(check_id, {}).get("graded") is False


def _seed() -> int | None:
    """nbgrader's autograde is an official grade: it runs at a seed drawn once per notebook (AUTOGRADER_SEED
    replays one), printed so that the graded notebook records it. A student's run, and nbgrader's validate,
    use the course's public seed (None)."""
    global _official_seed
    if os.environ.get("NBGRADER_EXECUTION") != "autograde":
        return None
    if _official_seed is None:
        _official_seed = replayed_or_drawn()
        print(f"official grading at seed {_official_seed} ({SEED_VARIABLE}={_official_seed} replays it)")
    return _official_seed


def _grade(course: Course, exercise: str, path: Path) -> list[dict]:
    """Grade a private copy of the one file, in this process (grade()); return its checks as plain data.
    Every wait is bounded by the course's limits, as in `pytest autograder`."""
    with tempfile.TemporaryDirectory(prefix="autograder-notebook-") as scratch:
        submission = Path(scratch) / "submission"
        submission.mkdir()
        shutil.copyfile(path, submission / f"{exercise}.py")
        try:
            graded = grade(course.only([exercise]), submission, _seed())
        except Exception as error:  # a fault of the grader's, never a traceback in the student's cell
            what = str(error) if isinstance(error, AutograderError) else f"{type(error).__name__}: {error}"
            raise AssertionError(f"the grader could not grade {exercise}.py; tell your instructor\n{what}") from None
        return graded.result.to_json()["checks"]
