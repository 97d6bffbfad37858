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

from autograder.course.model import Course
from autograder.errors import AutograderError

__all__ = ["SubmitError", "quick_check", "unanswered", "pack_submission", "submission_name", "MAX_FILE_BYTES"]

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
            tree = ast.parse(source, filename=str(path))
        except SyntaxError as error:
            problems.append(f"{path}:{error.lineno}: syntax error: {error.msg}")
            continue
        todos = source.count("raise NotImplementedError")
        if todos:
            problems.append(f"note: {path} still has {todos} unfinished TODO(s)")
        empty = unanswered(tree)
        if empty:
            problems.append(f"note: {path}: {', '.join(empty)} {'is' if len(empty) == 1 else 'are'} still empty: "
                            f"answer {'it' if len(empty) == 1 else 'them'} before you hand in")
    return problems


def unanswered(module: ast.Module) -> list[str]:
    """Module-level constants (NAME in capitals) still set to an empty value: "", set(), [], {} and the like.

    An answer is given as such a constant, and a stub hands it out empty; there is no NotImplementedError
    to count, so an unanswered question would otherwise go in without a word. Lowercase names are left
    alone: an empty list there is more often the code's own state than a question."""
    empty: dict[str, bool] = {}  # the last assignment wins, as when the module runs
    for node in module.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name) and target.id.isupper():
                empty[target.id] = _is_empty(value)
    return [name for name, is_empty in empty.items() if is_empty]


_EMPTY_CALLS = {"set", "frozenset", "list", "dict", "tuple", "str"}


def _is_empty(value: ast.expr | None) -> bool:
    """Whether `value` is written as an empty string or container: "", "  ", set(), [], {}, ()."""
    if isinstance(value, ast.Constant):
        return isinstance(value.value, str) and not value.value.strip()
    if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
        return not value.elts
    if isinstance(value, ast.Dict):
        return not value.keys
    return (isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in _EMPTY_CALLS
            and not value.args and not value.keywords)


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
