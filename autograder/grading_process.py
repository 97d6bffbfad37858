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


def run_grading(submission: Path, record: Path, *options: str, timeout: float) -> subprocess.CompletedProcess:
    """Grade `submission` and write the record to `record`; subprocess.TimeoutExpired past `timeout`."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(AUTOGRADER_DIR), f"--submission={submission}",
         f"--record={record}", "-q", "-p", "no:cacheprovider", *_attached(options)],
        cwd=REPO_ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, check=False)
