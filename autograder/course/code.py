"""The course's own check code: `grading/<exercise>/check.py`, read in the trusted process.

A check is a function `check_<id>(observed)` in the exercise's check module, one
for each `[exercises.checks.<id>]` table of course.toml; its docstring's first line
is the name the student sees. A course's check files are the modules of a package of
its own, so check modules share helpers with relative imports (`from ._xor import ...`
reads grading/_xor/check.py).
Check modules import no framework and never import student code.
"""
from __future__ import annotations

import hashlib
import importlib
import inspect
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import Callable

from autograder.course.model import Course, CourseError, Exercise
from autograder.course.layout import CourseLayout
from autograder.run.worker import FileModules

__all__ = ["CHECK_PREFIX", "check_functions", "display_name", "check_names"]

CHECK_PREFIX = "check_"


_PACKAGES_LOCK = threading.Lock()


def _package(grading_dir: Path) -> str:
    """A package for one course's check files; two courses in one process never share one. A check file
    added since (`new ID`) joins it; the modules already imported stay while the files are the same."""
    name = "course_checks_" + hashlib.sha256(str(grading_dir).encode()).hexdigest()[:12]
    with _PACKAGES_LOCK:
        FileModules(name, {module: str(path) for module, path in
                           CourseLayout(grading_dir.parent).check_files().items()}).install()
    return name


def check_module(course: Course, exercise: Exercise) -> ModuleType:
    path = course.layout.check(exercise.id)
    if not path.is_file():
        raise CourseError(f"{course.path}: exercise {exercise.id!r} has no check module {path}")
    return importlib.import_module(f"{_package(course.layout.grading_dir.resolve())}.{exercise.id}")


def check_functions(course: Course, exercise: Exercise) -> dict[str, Callable]:
    """check id -> function, in course.toml order; CourseError when the module and course.toml disagree."""
    module = check_module(course, exercise)
    found = {name[len(CHECK_PREFIX):]: value for name, value in vars(module).items()
             if name.startswith(CHECK_PREFIX) and inspect.isfunction(value) and value.__module__ == module.__name__}
    listed = [check.id for check in exercise.checks]
    missing, extra = sorted(set(listed) - set(found)), sorted(set(found) - set(listed))
    if missing or extra:
        raise CourseError(f"{course.path}: exercise {exercise.id!r} lists checks that do not match "
                          f"{course.layout.check(exercise.id)} (no function for {missing}; "
                          f"no [exercises.checks.*] table for {extra})")
    return {check_id: found[check_id] for check_id in listed}


def display_name(function: Callable) -> str:
    """The name the student sees: the first line of the check's docstring."""
    doc = inspect.getdoc(function)
    return doc.strip().splitlines()[0] if doc else function.__name__.removeprefix(CHECK_PREFIX)


def check_names(course: Course, exercise: Exercise) -> dict[str, str]:
    return {check_id: display_name(function) for check_id, function in check_functions(course, exercise).items()}
