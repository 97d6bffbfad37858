"""One family of errors: what the command line turns into `error: ...` and exit code 1.

Anything else that escapes is a bug in the grader and shows its traceback.
"""
from __future__ import annotations

__all__ = ["AutograderError", "CourseError", "GraderError"]


class AutograderError(Exception):
    """A problem the user can act on; its message says what to fix."""


class CourseError(AutograderError, ValueError):
    """course.toml or a course file is missing, malformed, or holds an unknown key or a bad value."""


class GraderError(AutograderError, RuntimeError):
    """The reference side failed: a problem for the instructor, never the student's fault."""
