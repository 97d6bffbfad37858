"""Gradescope's results.json: score, max_score and one entry per check, tagged with its exercise."""
from __future__ import annotations

from ..course import Gradescope
from ..results import CheckResult, RunResult

__all__ = ["gradescope_results"]


def _output(check: CheckResult) -> str:
    if check.passed:
        return "Passed."
    return check.message + (f"\nHint: {check.hint}" if check.hint else "")


def _summary(result: RunResult, settings: Gradescope) -> str:
    """The top-level output, which students always see: it must not give away how hidden checks went."""
    shown = [c for c in result.checks if not c.hidden or settings.hidden_visibility == "visible"]
    if len(shown) == len(result.checks):
        return f"{result.course_title}: {result.score:g} / {result.possible:g} (seed {result.seed})"
    score, possible = sum(c.score for c in shown), sum(c.possible for c in shown)
    return (f"{result.course_title}: {score:g} / {possible:g} on the checks shown now (seed {result.seed}); "
            "hidden checks are graded too and shown later")


def gradescope_results(result: RunResult, settings: Gradescope = Gradescope()) -> dict:
    """Hidden checks get `settings.hidden_visibility`, so students never see them before it allows."""
    return {
        "score": result.score,
        "max_score": result.possible,
        "visibility": settings.visibility,
        "stdout_visibility": settings.stdout_visibility,
        "output": _summary(result, settings),
        "extra_data": {"seed": result.seed, "isolation": result.isolation, "submission": result.submission},
        "tests": [{"name": check.name, "number": f"{check.exercise}.{check.check}",
                   "score": check.score, "max_score": check.possible,
                   "status": "passed" if check.passed else "failed",
                   "output": _output(check), "tags": [check.exercise],
                   "visibility": settings.hidden_visibility if check.hidden else settings.visibility}
                  for check in result.checks],
    }

