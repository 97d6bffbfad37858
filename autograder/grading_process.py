"""`pytest autograder` in a child process, as a student runs it: the one way other tools grade.

Batch grading, Gradescope and nbgrader's test cells all grade a private folder
this way and read the record it writes; none of them runs student code itself.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .course import Course

__all__ = ["AUTOGRADER_DIR", "run_grading"]

AUTOGRADER_DIR = Path(__file__).resolve().parent


def _attached(options: tuple[str, ...]) -> list[str]:
    """`--name value` as `--name=value`: pytest reads options before it knows the plugin's, and would
    take a lone value that names a folder or file as a test path and load a conftest.py beside it."""
    joined: list[str] = []
    for option in options:
        if joined and joined[-1].startswith("--") and "=" not in joined[-1] and not option.startswith("-"):
            joined[-1] += f"={option}"
        else:
            joined.append(option)
    return joined


def run_grading(course: Course, submission: Path, record: Path, *options: str,
                timeout: float) -> subprocess.CompletedProcess:
    """Grade `submission` against `course` and write the record to `record`; subprocess.TimeoutExpired past
    `timeout`. The child stands in the course's folder: relative paths in it mean what they mean there."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(AUTOGRADER_DIR), f"--submission={submission}",
         f"--record={record}", f"--course={course.path.resolve()}", "-q", "-p", "no:cacheprovider",
         *_attached(options)],
        cwd=course.root, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, check=False)
