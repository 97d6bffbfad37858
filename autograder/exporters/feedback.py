"""feedback.md: what one student reads — every check, its points, why a point was lost, and a hint.

A failed check also shows what the student's own code printed while it was
probed (already trimmed to its end): often the quickest clue to what went wrong.
"""
from __future__ import annotations

import re

from autograder.results import NOT_GRADED_NOTE, CheckResult, RunResult

__all__ = ["feedback_markdown"]


def _printed_block(check: CheckResult) -> list[str]:
    """The printed output as a fenced block, fenced longer than any backtick run it holds."""
    if not check.printed.strip():
        return []
    longest = max((len(run) for run in re.findall(r"`+", check.printed)), default=0)
    fence = "`" * max(3, longest + 1)
    return ["Your code printed:", "", f"{fence}text", check.printed.rstrip("\n"), fence, ""]


def feedback_markdown(result: RunResult, refused: list[str] = (), ignored: list[str] = ()) -> str:
    lines = [f"# {result.course_title}", "",
             f"**Score: {result.score:g} / {result.possible:g}** (seed {result.seed})", ""]
    if not result.complete:
        lines += [f"**{len(result.not_graded)} check(s) {NOT_GRADED_NOTE}.** They are marked … below.", ""]
    if refused or ignored:
        lines += ["## Your files", ""]
        lines += [f"- refused: {reason}" for reason in refused]
        if ignored:
            lines.append(f"- ignored (only the exercise files are graded): {', '.join(sorted(ignored))}")
        lines.append("")
    for exercise, possible in result.exercise_possible.items():
        lines += [f"## {result.exercise_titles[exercise]} — {result.exercise_score(exercise):g} / {possible:g}", "",
                  "| check | points |", "| --- | --- |"]
        for check in result.for_exercise(exercise):
            mark = "✓" if check.passed else "✗" if check.graded else "…"
            points = f"{check.score:g} / {check.possible:g}" if check.graded else f"not graded / {check.possible:g}"
            lines.append(f"| {mark} {check.name} | {points} |")
        lines.append("")
        for check in result.for_exercise(exercise):
            if not check.passed:
                lines += [f"**{check.name}**: {check.message}", ""]
                if check.hint:
                    lines += [f"> Hint: {check.hint}", ""]
                lines += _printed_block(check)
    return "\n".join(lines).rstrip() + "\n"
