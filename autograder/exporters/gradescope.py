"""Gradescope's results.json: score, max_score and one entry per check, tagged with its exercise."""
from __future__ import annotations

from ..results import CheckResult, RunResult

__all__ = ["gradescope_results"]


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

