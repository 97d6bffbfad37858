"""`python -m autograder submit`: pack exactly the exercise files into a zip to upload.

A quick local check runs first, so a student learns about a syntax error or a
missing file now rather than from a zero later. Only the
course's exercise files go in, as regular files at the top of the zip.
"""
from __future__ import annotations

import ast
import re
import zipfile
from pathlib import Path

from .course import Course
from .errors import AutograderError

__all__ = ["SubmitError", "quick_check", "pack_submission", "submission_name", "MAX_FILE_BYTES"]

MAX_FILE_BYTES = 512 * 1024  # per exercise file; intake refuses anything larger too


class SubmitError(AutograderError):
    """The files are not ready to hand in; the message says what to fix."""


def submission_name(course: Course) -> str:
    """`<course words>-submission.zip`, from the course title before any colon."""
    words = re.findall(r"[a-z0-9]+", course.title.split(":")[0].lower())
    return "-".join(words[:4] or ["course"]) + "-submission.zip"


def quick_check(course: Course, exercises: Path) -> list[str]:
    """Problems that would cost points for certain, one line each; warnings are prefixed "note:"."""
    problems: list[str] = []
    for exercise in course.exercises:
        path = exercises / f"{exercise.id}.py"
        if path.is_symlink() or not path.is_file():
            problems.append(f"{path}: missing (or not a regular file)")
            continue
        if path.stat().st_size > MAX_FILE_BYTES:
            problems.append(f"{path}: larger than {MAX_FILE_BYTES // 1024} KiB")
            continue
        source = path.read_text(encoding="utf-8", errors="replace")
        try:
            ast.parse(source, filename=str(path))
        except SyntaxError as error:
            problems.append(f"{path}:{error.lineno}: syntax error: {error.msg}")
            continue
        todos = source.count("raise NotImplementedError")
        if todos:
            problems.append(f"note: {path} still has {todos} unfinished TODO(s)")
    return problems


def pack_submission(course: Course, exercises: Path, out: Path) -> Path:
    """Write the zip of the exercise files to `out`; SubmitError if a file is not fit to hand in."""
    errors = [p for p in quick_check(course, exercises) if not p.startswith("note:")]
    if errors:
        stale = f"\n{out.name} from an earlier submit is still there: it does not hold these files" if out.exists() else ""
        raise SubmitError("not packed:\n  " + "\n  ".join(errors) + stale)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for exercise in course.exercises:
            archive.write(exercises / f"{exercise.id}.py", arcname=f"{exercise.id}.py")
    partial.replace(out)
    return out
