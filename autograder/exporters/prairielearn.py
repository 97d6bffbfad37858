"""PrairieLearn's results.json: a score in [0, 1], one entry per check, the loss curves as pictures.

PrairieLearn's `<pl-external-grader-results>` shows `message` and `output` above
the tests, each test's `name`, `description`, `points` / `max_points`, `message`
and `output`, and `images` ({label, url} with a data URL). PrairieLearn rejects
a results.json over 1 MiB, so `within_size` cuts the longest texts (saying so
in them), then the pictures, until the serialised file fits.

PrairieLearn shows everything in results.json at once: it has no "after the
grades are published". A check is listed when Gradescope would show it now
([gradescope] visibility, hidden_visibility in course.toml); the others still
count in the score, and nothing else says how they went.
"""
from __future__ import annotations

import base64
import json
from typing import Sequence

from autograder.course.model import Gradescope
from autograder.results import NOT_GRADED_NOTE, CheckResult, RunResult
from . import plots
from autograder.exporters.feedback_html import CurvePair

__all__ = ["prairielearn_results", "not_gradable", "listed", "curve_images", "within_size", "serialised",
           "SIZE_LIMIT", "TRUNCATED"]

# PrairieLearn's grader host refuses a results.json over 1024 * 1024 bytes; a round million leaves room.
SIZE_LIMIT = 1_000_000
TRUNCATED = "[… {count} more characters not shown: PrairieLearn takes at most 1 MB of results]"
PICTURES_DROPPED = "The loss-curve pictures were left out: with them the results were over PrairieLearn's 1 MB."


def listed(check: CheckResult, settings: Gradescope) -> bool:
    """Whether students see this check's entry now: on Gradescope its visibility would be "visible"."""
    return (settings.hidden_visibility if check.hidden else settings.visibility) == "visible"


def _message(check: CheckResult) -> str:
    if not check.graded:
        return f"This check was {NOT_GRADED_NOTE}."
    if check.passed:
        return "Passed."
    return check.message + (f"\nHint: {check.hint}" if check.hint else "")


def _test(check: CheckResult, result: RunResult) -> dict:
    return {"name": check.name, "description": f"{result.exercise_titles.get(check.exercise, check.exercise)} "
                                               f"({check.exercise}.{check.check})",
            "points": check.score, "max_points": check.possible, "message": _message(check),
            "output": f"Your code printed:\n{check.printed.rstrip()}" if check.printed.strip() else ""}


def _summary(result: RunResult, shown: list[CheckResult]) -> str:
    """The headline: the whole score, and how much of it the listed checks hold when some are not listed."""
    lines = [f"{result.course_title}: {result.score:g} / {result.possible:g} points (seed {result.seed})."]
    if len(shown) < len(result.checks):
        possible = sum(c.possible for c in result.checks) - sum(c.possible for c in shown)
        lines.append(f"{len(result.checks) - len(shown)} check(s) worth {possible:g} points are graded and count "
                     "in the score, but are not listed here.")
    if not result.complete:
        lines.append(f"This run is incomplete: {len(result.not_graded)} check(s) {NOT_GRADED_NOTE} "
                     "(submit again, or ask for a regrade).")
    return "\n".join(lines)


def prairielearn_results(result: RunResult, settings: Gradescope = Gradescope(), notes: Sequence[str] = (),
                         images: Sequence[dict] = ()) -> dict:
    """results.json for a graded run; `notes` (what the upload held) go in `output`, `images` as they are."""
    shown = [check for check in result.checks if listed(check, settings)]
    return {
        "gradable": True,
        "score": result.score / result.possible if result.possible else 0.0,
        "message": _summary(result, shown),
        "output": "\n".join(notes),
        "images": list(images),
        "tests": [_test(check, result) for check in shown],
        # Not shown by <pl-external-grader-results>: for the instructor, who replays a grade at its seed.
        "autograder": {"seed": result.seed, "isolation": result.isolation, "complete": result.complete},
    }


def not_gradable(reason: str, consequence: str) -> dict:
    """A submission PrairieLearn does not count: no points given or taken, no attempt used. The reason is also
    a format error, which PrairieLearn shows as one."""
    return {"gradable": False, "message": f"{reason}\n{consequence}", "format_errors": [reason], "output": "",
            "tests": []}


def curve_images(pairs: Sequence[CurvePair], titles: dict[str, str], unlisted: set[str] = frozenset()
                 ) -> tuple[list[dict], str]:
    """Each curve drawn, yours over the reference's, as {label, url}; and why there are none, if none could be
    drawn. A curve whose check is `unlisted` ("exercise.check") is not drawn: it would tell how that went."""
    images = []
    for pair in pairs:
        if f"{pair.exercise}.{pair.curve.check}" in unlisted or not (pair.student or pair.reference):
            continue
        title = titles.get(pair.exercise, pair.exercise)
        try:
            png = plots.curve_png(pair.student, pair.reference, pair.parting, title, pair.curve.x, pair.curve.name)
        except plots.PlotsUnavailable as error:
            return [], f"The loss curves are not drawn: {error}."
        images.append({"label": f"{title}: {pair.curve.name} (yours over the reference)",
                       "url": "data:image/png;base64," + base64.b64encode(png).decode("ascii")})
    return images, ""


def serialised(results: dict) -> bytes:
    """results.json's bytes, as they are written and as PrairieLearn measures them: ASCII, so that whatever a
    submission printed (a lone surrogate included) is written and measured alike."""
    return (json.dumps(results, indent=1) + "\n").encode("ascii")


def _cut(text: str, keep: int) -> str:
    if len(text) <= keep:
        return text
    return text[:keep] + "\n" + TRUNCATED.format(count=len(text) - keep)


def _with_texts_cut(results: dict, keep: int) -> dict:
    cut = dict(results)
    for key in ("message", "output"):
        if isinstance(cut.get(key), str):
            cut[key] = _cut(cut[key], keep)
    cut["tests"] = [{**test, **{key: _cut(test[key], keep) for key in ("message", "output")
                                if isinstance(test.get(key), str)}} for test in results.get("tests", [])]
    return cut


def within_size(results: dict, limit: int = SIZE_LIMIT) -> dict:
    """`results` as they are when their serialised size is within `limit` bytes; else with their long texts cut,
    ever shorter, and the pictures left out before the texts go below a few lines, each cut saying so."""
    if len(serialised(results)) <= limit:
        return results
    for keep, pictures in ((20_000, True), (4_000, True), (1_000, True), (1_000, False), (200, False),
                           (40, False)):
        fitted = _with_texts_cut(results, keep)
        if not pictures and fitted.get("images"):
            fitted["images"] = []
            fitted["message"] = f"{fitted.get('message', '')}\n{PICTURES_DROPPED}".lstrip("\n")
        if len(serialised(fitted)) <= limit:
            return fitted
    # Past that, only the score and each check's points: always small, whatever the submission did.
    return {"gradable": results.get("gradable", True), "score": results.get("score", 0.0),
            "autograder": results.get("autograder", {}),
            "message": "The results were too large for PrairieLearn: only the points of each check are shown.",
            "tests": [{"name": _cut(test.get("name", ""), 200), "points": test.get("points", 0),
                       "max_points": test.get("max_points", 0)} for test in results.get("tests", [])]}
