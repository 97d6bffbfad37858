"""The course's own check code: `checks/<exercise>.py`, read in the trusted process.

A check is a function `check_<id>(observed)` in the exercise's check module, one
for each `[exercises.checks.<id>]` table of course.toml; its docstring's first line
is the name the student sees. The check folder is loaded as a package of its own,
so check modules share helpers with relative imports (`from ._helpers import ...`).
Check modules import no framework and never import student code.
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.machinery
import importlib.util
import inspect
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Callable

from .course import Course, CourseError, Exercise

__all__ = ["CHECK_PREFIX", "check_functions", "display_name", "check_names"]

CHECK_PREFIX = "check_"


@cache
def _package(checks_dir: Path) -> str:
    """A package for one course's check folder; two courses in one process never share one."""
    name = "course_checks_" + hashlib.sha256(str(checks_dir).encode()).hexdigest()[:12]
    if name not in sys.modules:
        spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
        spec.submodule_search_locations = [str(checks_dir)]
        sys.modules[name] = importlib.util.module_from_spec(spec)
    return name


def check_module(course: Course, exercise: Exercise) -> ModuleType:
    path = course.checks_dir / exercise.file
    if not path.is_file():
        raise CourseError(f"{course.path}: exercise {exercise.id!r} has no check module {path}")
    return importlib.import_module(f"{_package(course.checks_dir.resolve())}.{exercise.id}")


def check_functions(course: Course, exercise: Exercise) -> dict[str, Callable]:
    """check id -> function, in course.toml order; CourseError when the module and course.toml disagree."""
    module = check_module(course, exercise)
    found = {name[len(CHECK_PREFIX):]: value for name, value in vars(module).items()
             if name.startswith(CHECK_PREFIX) and inspect.isfunction(value) and value.__module__ == module.__name__}
    listed = [check.id for check in exercise.checks]
    missing, extra = sorted(set(listed) - set(found)), sorted(set(found) - set(listed))
    if missing or extra:
        raise CourseError(f"{course.path}: exercise {exercise.id!r} lists checks that do not match "
                          f"{course.checks_dir / exercise.file} (no function for {missing}; "
                          f"no [exercises.checks.*] table for {extra})")
    return {check_id: found[check_id] for check_id in listed}


def display_name(function: Callable) -> str:
    """The name the student sees: the first line of the check's docstring."""
    doc = inspect.getdoc(function)
    return doc.strip().splitlines()[0] if doc else function.__name__.removeprefix(CHECK_PREFIX)


def check_names(course: Course, exercise: Exercise) -> dict[str, str]:
    return {check_id: display_name(function) for check_id, function in check_functions(course, exercise).items()}
