"""feedback.md: what one student reads — every check, its points, why a point was lost, and a hint."""
from __future__ import annotations

from ..results import RunResult

__all__ = ["feedback_markdown"]


def feedback_markdown(result: RunResult, refused: list[str] = (), ignored: list[str] = ()) -> str:
    lines = [f"# {result.course_title}", "",
             f"**Score: {result.score:g} / {result.possible:g}** (seed {result.seed})", ""]
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
            mark = "✓" if check.passed else "✗"
            lines.append(f"| {mark} {check.name} | {check.score:g} / {check.possible:g} |")
        lines.append("")
        for check in result.for_exercise(exercise):
            if not check.passed:
                lines += [f"**{check.name}**: {check.message}", ""]
                if check.hint:
                    lines += [f"> Hint: {check.hint}", ""]
    return "\n".join(lines).rstrip() + "\n"
