"""`pytest autograder` in a child process, as a student runs it: the one way other tools grade.

Batch grading, Gradescope and nbgrader's test cells all grade a private folder
this way and read the record it writes; none of them runs student code itself.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .course import REPO_ROOT

__all__ = ["AUTOGRADER_DIR", "run_grading"]

AUTOGRADER_DIR = Path(__file__).resolve().parent


def run_grading(submission: Path, record: Path, *options: str, timeout: float) -> subprocess.CompletedProcess:
    """Grade `submission` and write the record to `record`; subprocess.TimeoutExpired past `timeout`."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(AUTOGRADER_DIR), "--submission", str(submission),
         "--record", str(record), "-q", "-p", "no:cacheprovider", *options],
        cwd=REPO_ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, check=False)
