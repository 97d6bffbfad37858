"""report.html: the class at a glance, beside report.md.

How the scores spread, each check's pass rate (worst first), the curves of the
submissions that lost the check a course ties to a curve ([exercises.curves]
`check`: for a loss curve, the check that it converges), and the submissions
that could not be graded, with why. One self-contained file, like feedback.html.
"""
from __future__ import annotations

import statistics
from typing import Mapping, Sequence

from autograder.course.model import Course
from autograder.results import RunResult
from . import plots
from autograder.exporters.feedback_html import CurvePair, escape, image, page

__all__ = ["report_html", "ungraded_reasons", "pass_rates"]


def ungraded_reasons(record: Mapping, course: Course) -> list[str]:
    """Why a submission's record (record.json) is not a full grade: the grader could not finish, checks the
    machine kept it from judging, refused files, exercise files that did not load."""
    reasons = []
    result = RunResult.from_json(record["result"])
    observations = record.get("observations") or {}
    if not observations and result.checks and not any(c.passed for c in result.checks):
        reasons.append(result.checks[0].message)  # the grader itself stopped: every check says why
    if result.not_graded:
        reasons.append(f"{len(result.not_graded)} check(s) not graded: the machine ran out of time (graded "
                       "again on the next run)")
    reasons += [f"refused {reason}" for reason in record.get("refused") or []]
    for exercise in course.exercises:
        error = (observations.get(exercise.id) or {}).get("import_error")
        if isinstance(error, Mapping):
            message = str(error.get("message") or "")
            reasons.append(f"{exercise.file} did not load: {error.get('type', 'Error')}"
                           + (f": {message[:160]}" if message else ""))
    return reasons


def pass_rates(results: Mapping[str, RunResult]) -> list[tuple[str, float, int]]:
    """(label, share of the submissions that passed, submissions judged) per check, worst first; a check
    the machine kept from judging counts for neither side."""
    passed: dict[tuple[str, str], int] = {}
    judged: dict[tuple[str, str], int] = {}
    labels: dict[tuple[str, str], str] = {}
    for result in results.values():
        for check in result.checks:
            key = (check.exercise, check.check)
            labels[key] = f"{check.exercise}: {check.name}"
            judged[key] = judged.get(key, 0) + check.graded
            passed[key] = passed.get(key, 0) + (check.graded and check.passed)
    order = list(labels)  # course order, as the checks ran: the tie-break
    rated = [(labels[k], passed[k] / judged[k], judged[k], order.index(k)) for k in order if judged[k]]
    return [(label, rate, count) for label, rate, count, _ in sorted(rated, key=lambda r: (r[1], r[3]))]


def _panels(course: Course, results: Mapping[str, RunResult],
            pairs: Mapping[str, Sequence[CurvePair]]) -> list[tuple[plots.Panel, list[tuple[str, str]]]]:
    """Per curve with a check: the curves of the submissions that lost that check, and their names."""
    panels = []
    for exercise in course.exercises:
        for curve in (c for c in exercise.curves if c.check):
            names, curves, reference = [], [], None  # names: (submission, why it has no curve or "")
            for name in sorted(results):
                lost = any(c.exercise == exercise.id and c.check == curve.check and c.graded and not c.passed
                           for c in results[name].checks)
                pair = next((p for p in pairs.get(name, ()) if p.exercise == exercise.id and p.curve == curve), None)
                if pair is not None and reference is None:
                    reference = pair.reference
                if lost:
                    student = pair.student if pair is not None else None
                    follows = student is not None and pair.reference is not None and pair.parting is None
                    why = ("it follows the reference: the check was lost elsewhere" if follows else "" if student
                           else pair.missing if pair is not None else "not observed")
                    names.append((name, why))
                    if student and not follows:  # a curve on the reference's would say nothing
                        curves.append(student)
            check_name = next((c.name for r in results.values() for c in r.checks
                               if c.exercise == exercise.id and c.check == curve.check), curve.check)
            short = check_name if len(check_name) <= 40 else check_name[:39] + "…"
            title = f"{exercise.id}: {curve.name}\n{len(names)} lost “{short}”"
            panels.append((plots.Panel(title, reference, curves, curve.x, curve.name), names))
    return panels


def _names(names: Sequence[tuple[str, str]]) -> str:
    """Who lost a curve's check; those with no curve to draw say why."""
    return escape(", ".join(f"{name} (not drawn: {why})" if why else name for name, why in names) or "none")


def report_html(course: Course, results: Mapping[str, RunResult], pairs: Mapping[str, Sequence[CurvePair]],
                ungraded: Mapping[str, Sequence[str]]) -> str:
    """The class page: `pairs` holds each submission's curves (feedback_html.curve_pairs), `ungraded` each
    submission's reasons for not being fully graded (ungraded_reasons)."""
    title = f"{course.title}: class report"
    body = [f"<h1>{escape(title)}</h1>"]
    if not results:
        return page(title, body + ["<p>No submissions were graded.</p>"])
    totals = [r.score for r in results.values()]
    possible = max(r.possible for r in results.values())
    body.append(f"<p>{len(totals)} submissions; mean {statistics.mean(totals):.1f}, median "
                f"{statistics.median(totals):g}, lowest {min(totals):g}, highest {max(totals):g} "
                f"(of {possible:g}).</p>")
    rates = pass_rates(results)
    panels = _panels(course, results, pairs)
    pictures: dict[str, str] = {}
    try:
        pictures["histogram"] = image(plots.histogram_png(totals, possible), "score histogram")
        pictures["rates"] = image(plots.pass_rates_png([(label, rate) for label, rate, _ in rates]),
                                  "pass rate of each check, worst first")
        if panels:
            pictures["panels"] = image(plots.panels_png([panel for panel, _ in panels]),
                                       "curves of the submissions that lost each curve's check")
    except plots.PlotsUnavailable as error:
        body.append(f'<p class="note">This page has no pictures: {escape(error)}.</p>')
    body += ["<h2>Score distribution</h2>", pictures.get("histogram", "")]
    body += ["<h2>Pass rate of each check, worst first</h2>", pictures.get("rates", ""),
             "<details open>" if "rates" not in pictures else "<details>", "<summary>as a table</summary>",
             "<table>", "<tr><th>check</th><th>passed by</th></tr>",
             *(f'<tr><td>{escape(label)}</td><td class="points">{round(rate * count)} of {count}</td></tr>'
               for label, rate, count in rates), "</table>", "</details>"]
    if panels:
        body += ["<h2>Curves of the submissions that lost a check</h2>",
                 "<p>One panel per curve of course.toml: the curves of every submission that lost the panel's "
                 "check, over the reference's.</p>", pictures.get("panels", ""), "<ul>"]
        body += [f"<li>{escape(panel.title.splitlines()[0])}: {_names(names)}</li>" for panel, names in panels]
        body.append("</ul>")
    body.append("<h2>Could not be graded</h2>")
    listed = {name: reasons for name, reasons in sorted(ungraded.items()) if reasons}
    if listed:
        body += ["<table>", "<tr><th>submission</th><th>why</th></tr>"]
        body += [f"<tr><td>{escape(name)}</td><td>{'<br>'.join(escape(r) for r in reasons)}</td></tr>"
                 for name, reasons in listed.items()]
        body.append("</table>")
    else:
        body.append("<p>Every submission was graded in full.</p>")
    return page(title, body)
