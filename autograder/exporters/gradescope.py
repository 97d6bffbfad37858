"""Gradescope's results.json: score, max_score and one entry per check, tagged with its exercise.

A failed check whose code printed something is sent as HTML (`output_format`),
so that what it printed stays a block of its own below the message and hint;
every other output stays plain text, Gradescope's default for a check.
"""
from __future__ import annotations

import html

from autograder.course.model import Gradescope
from autograder.results import NOT_GRADED_NOTE, CheckResult, RunResult

__all__ = ["gradescope_results"]


def _output(check: CheckResult) -> dict:
    if check.passed:
        return {"output": "Passed."}
    if not check.printed.strip():
        return {"output": check.message + (f"\nHint: {check.hint}" if check.hint else "")}
    parts = [f"<p>{html.escape(check.message, quote=False)}</p>"]
    if check.hint:
        parts.append(f"<p>Hint: {html.escape(check.hint, quote=False)}</p>")
    parts += ["<p>Your code printed:</p>", f"<pre>{html.escape(check.printed.rstrip(), quote=False)}</pre>"]
    return {"output": "\n".join(parts), "output_format": "html"}


def _summary(result: RunResult, settings: Gradescope) -> str:
    """The top-level output, which students always see: it must not give away how hidden checks went."""
    shown = [c for c in result.checks if not c.hidden or settings.hidden_visibility == "visible"]
    incomplete = "" if result.complete else (f"\nThis run is incomplete: {len(result.not_graded)} check(s) "
                                             f"{NOT_GRADED_NOTE} (resubmit, or ask for a regrade).")
    if len(shown) == len(result.checks):
        return f"{result.course_title}: {result.score:g} / {result.possible:g} (seed {result.seed})" + incomplete
    score, possible = sum(c.score for c in shown), sum(c.possible for c in shown)
    return (f"{result.course_title}: {score:g} / {possible:g} on the checks shown now (seed {result.seed}); "
            "hidden checks are graded too and shown later" + incomplete)


def _status(check: CheckResult) -> dict:
    """Passed or failed; a check that was not graded is neither, so it gets no status."""
    return {"status": "passed" if check.passed else "failed"} if check.graded else {}


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
                   **_status(check),
                   **_output(check), "tags": [check.exercise],
                   "visibility": settings.hidden_visibility if check.hidden else settings.visibility}
                  for check in result.checks],
    }

