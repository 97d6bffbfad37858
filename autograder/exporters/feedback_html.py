"""feedback.html: feedback.md as a page a student opens, with their curves drawn over the reference's.

One self-contained file: styles inline, pictures inlined as base64 PNG, no
script, and a Content-Security-Policy that lets the page fetch nothing. Which
observations are curves is course data ([exercises.curves] in course.toml);
the curves come from the observations the grading run kept (the student's
workers and the reference's), so nothing is run again to draw them. Without
matplotlib the page is still written, says why it has no pictures, and gives
each curve's verdict in words.
"""
from __future__ import annotations

import base64
import html
import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from autograder.course.model import Course, Curve
from autograder.results import NOT_GRADED_NOTE, CheckResult, RunResult
from . import plots

__all__ = ["CurvePair", "curve_pairs", "curve_values", "parting_index", "feedback_html", "page", "image",
           "escape"]

CSS = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222;
       line-height: 1.45; background: white; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
h3 { font-size: 1rem; margin-bottom: 0.3rem; }
table { border-collapse: collapse; margin: 0.5rem 0; } td, th { border: 1px solid #ccc; padding: 0.2rem 0.6rem; }
th { background: #f3f3f3; text-align: left; } td.points { text-align: right; white-space: nowrap; }
.score { font-size: 1.2rem; font-weight: bold; } .note { background: #f6f6f6; padding: 0.5rem; }
.lost { border-left: 4px solid #999; padding-left: 0.8rem; margin: 1rem 0; }
.hint { font-style: italic; }
pre { background: #f6f6f6; padding: 0.5rem; overflow-x: auto; white-space: pre-wrap; }
figure { margin: 1rem 0; } img { max-width: 100%; height: auto; } figcaption { font-size: 0.95rem; }
"""
# Nothing outside the page: inline styles and data: images only.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def escape(text: Any) -> str:
    return html.escape(str(text), quote=True)


def page(title: str, body: list[str]) -> str:
    """A whole self-contained HTML document around `body`."""
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>", f"<style>{CSS}</style>", "</head>", "<body>", *body, "</body>",
        "</html>", ""])


def image(png: bytes, alt: str) -> str:
    return f'<img src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}" alt="{escape(alt)}">'


@dataclass(frozen=True)
class CurvePair:
    """One curve of one exercise: the student's values over the reference's, and where they part."""
    exercise: str
    curve: Curve
    student: list[float] | None
    reference: list[float] | None
    missing: str  # why the student has no curve ("" when there is one)
    parting: int | None  # first index beyond the grading tolerances (or where one curve ends), None if none
    rtol: float
    atol: float


def curve_values(outcomes: Mapping | None, curve: Curve) -> tuple[list[float] | None, str]:
    """The numbers at curve.probe/curve.path in a run's outcomes, or None and why there are none."""
    outcome = (outcomes or {}).get(curve.probe)
    if not isinstance(outcome, Mapping):
        return None, "this run did not observe it"
    if not outcome.get("ok"):
        error = outcome.get("error") or {}
        what = error.get("type", "an error") if isinstance(error, Mapping) else "an error"
        message = str(error.get("message") or "") if isinstance(error, Mapping) else ""
        return None, f"the code stopped with {what}" + (f": {message[:200]}" if message else "")
    value: Any = outcome.get("value")
    for key in curve.path:
        value = value.get(key) if isinstance(value, Mapping) else None
    if not isinstance(value, list) or not value or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        return None, "the code did not give a list of numbers there"
    return [float(v) for v in value], ""


def parting_index(student: Sequence[float], reference: Sequence[float], rtol: float, atol: float) -> int | None:
    """The first index where the curves differ beyond rtol/atol (the checks' own tolerance), or where the
    shorter one ends; None when they agree all along."""
    for index, (mine, theirs) in enumerate(zip(student, reference)):
        if not math.isclose(mine, theirs, rel_tol=rtol, abs_tol=atol):
            return index
    return None if len(student) == len(reference) else min(len(student), len(reference))


def _outcomes(observed: Any) -> Mapping | None:
    return observed.get("outcomes") if isinstance(observed, Mapping) else None


def curve_pairs(course: Course, observations: Mapping[str, Any], references: Mapping[str, Any]) -> list[CurvePair]:
    """Every curve of the course whose exercise this run observed: `observations` and `references` map an
    exercise to what its worker observed ({"import_error", "outcomes": {probe: {"ok", "value", ...}}}, as in
    record.json)."""
    pairs = []
    for exercise in (e for e in course.exercises if e.id in observations):
        observed = observations[exercise.id] if isinstance(observations[exercise.id], Mapping) else {}
        error = observed.get("import_error")
        rtol, atol = float(exercise.grading.get("rtol", 0.0)), float(exercise.grading.get("atol", 0.0))
        for curve in exercise.curves:
            student, missing = curve_values(_outcomes(observed), curve)
            if isinstance(error, Mapping):
                missing = f"{exercise.file} did not load ({error.get('type', 'Error')})"
            reference, _ = curve_values(_outcomes(references.get(exercise.id)), curve)
            parting = parting_index(student, reference, rtol, atol) if student and reference else None
            pairs.append(CurvePair(exercise.id, curve, student, reference, missing, parting, rtol, atol))
    return pairs


def _verdict(pair: CurvePair) -> str:
    """What the picture shows, in words: the page says it even without the picture."""
    x = pair.curve.x
    if pair.student is None:
        return f"No curve of yours to draw: {pair.missing}."
    if pair.reference is None:
        return "The reference curve is not available for this run: only yours is drawn."
    tolerance = f"(relative {pair.rtol:g}, absolute {pair.atol:g})"
    if pair.parting is None:
        return f"Your curve follows the reference at every {x}, within the grading tolerance {tolerance}."
    if pair.parting >= min(len(pair.student), len(pair.reference)):
        return (f"Your curve has {len(pair.student)} points and the reference {len(pair.reference)}; they agree "
                f"up to {x} {pair.parting} {tolerance}.")
    mine, theirs = pair.student[pair.parting], pair.reference[pair.parting]
    return (f"Your curve parts from the reference at {x} {pair.parting + 1}: yours {mine:.6g}, the reference "
            f"{theirs:.6g}, beyond the grading tolerance {tolerance}.")


def _curve_figure(pair: CurvePair, title: str, why_no_pictures: list[str]) -> list[str]:
    picture = ""
    if not why_no_pictures and (pair.student or pair.reference):
        try:
            png = plots.curve_png(pair.student, pair.reference, pair.parting, title, pair.curve.x, pair.curve.name)
            picture = image(png, f"{pair.curve.name}: yours over the reference")
        except plots.PlotsUnavailable as error:
            why_no_pictures.append(str(error))
    return ["<figure>", picture, f"<figcaption><strong>{escape(pair.curve.name)}</strong>: "
            f"{escape(_verdict(pair))}</figcaption>", "</figure>"]


def _lost(check: CheckResult) -> list[str]:
    lines = ['<div class="lost">', f"<h3>{escape(check.name)}</h3>", f"<p>{escape(check.message)}</p>"]
    if check.hint:
        lines.append(f'<p class="hint">Hint: {escape(check.hint)}</p>')
    if check.printed.strip():
        lines += ["<p>Your code printed:</p>", f"<pre>{escape(check.printed.rstrip())}</pre>"]
    return lines + ["</div>"]


def _table(result: RunResult, exercise: str) -> list[str]:
    rows = ["<table>", "<tr><th>check</th><th>points</th></tr>"]
    for check in result.for_exercise(exercise):
        mark = "✓" if check.passed else "✗" if check.graded else "…"
        points = f"{check.score:g} / {check.possible:g}" if check.graded else f"not graded / {check.possible:g}"
        rows.append(f'<tr><td>{mark} {escape(check.name)}</td><td class="points">{points}</td></tr>')
    return rows + ["</table>"]


def feedback_html(result: RunResult, pairs: Sequence[CurvePair] = (), refused: Sequence[str] = (),
                  ignored: Sequence[str] = ()) -> str:
    """The page of one grading run: what feedback.md says, and each curve drawn (see curve_pairs)."""
    why_no_pictures: list[str] = []
    sections = []
    for exercise, possible in result.exercise_possible.items():
        checks = result.for_exercise(exercise)
        if not checks:
            continue
        lines = [f"<h2>{escape(result.exercise_titles[exercise])} — {result.exercise_score(exercise):g} / "
                 f"{possible:g}</h2>", *_table(result, exercise)]
        for check in checks:
            if not check.passed:
                lines += _lost(check)
        for pair in (p for p in pairs if p.exercise == exercise):
            lines += _curve_figure(pair, f"{result.exercise_titles[exercise]}", why_no_pictures)
        sections += lines
    head = [f"<h1>{escape(result.course_title)}</h1>",
            f'<p class="score">Score: {result.score:g} / {result.possible:g}</p>',
            f"<p>Seed {result.seed} (the same code and seed always get the same score).</p>"]
    if not result.complete:
        head.append(f'<p class="note">{len(result.not_graded)} check(s) {escape(NOT_GRADED_NOTE)}. '
                    "They are marked … below.</p>")
    if why_no_pictures:
        head.append(f'<p class="note">This page has no pictures: {escape(why_no_pictures[0])}.</p>')
    if refused or ignored:
        head += ["<h2>Your files</h2>", "<ul>", *(f"<li>refused: {escape(reason)}</li>" for reason in refused)]
        if ignored:
            head.append(f"<li>ignored (only the exercise files are graded): {escape(', '.join(sorted(ignored)))}</li>")
        head.append("</ul>")
    return page(f"{result.course_title}: feedback", head + sections)
