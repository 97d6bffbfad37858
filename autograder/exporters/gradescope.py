"""Gradescope's results.json: score, max_score and one entry per check, tagged with its exercise."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from ..results import CheckResult, RunResult

__all__ = ["gradescope_results", "write_json_atomically"]


def _output(check: CheckResult) -> str:
    if check.passed:
        return "Passed."
    return check.message + (f"\nHint: {check.hint}" if check.hint else "")


def gradescope_results(result: RunResult, visibility: str = "visible") -> dict:
    return {
        "score": result.score,
        "max_score": result.possible,
        "visibility": visibility,
        "stdout_visibility": "hidden",
        "output": f"{result.course_title}: {result.score:g} / {result.possible:g} (seed {result.seed})",
        "extra_data": {"seed": result.seed, "isolation": result.isolation, "submission": result.submission},
        "tests": [{"name": check.name, "number": f"{check.exercise}.{check.check}",
                   "score": check.score, "max_score": check.possible,
                   "status": "passed" if check.passed else "failed",
                   "output": _output(check), "visibility": visibility, "tags": [check.exercise]}
                  for check in result.checks],
    }


def write_json_atomically(data: dict, path: Path) -> None:
    """Write to a temporary file beside `path`, then rename: a reader never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.chmod(temporary, 0o644)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2)
            out.write("\n")
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
