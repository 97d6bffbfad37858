"""The table printed at the end of `pytest autograder`: points per exercise and the total."""
from __future__ import annotations

from autograder.results import NOT_GRADED_NOTE, RunResult

__all__ = ["score_table"]


def _points(value: float) -> str:
    return f"{value:g}"


def score_table(result: RunResult) -> list[str]:
    """An exercise none of whose checks ran (deselected with -k) shows as "not run" and is not totalled."""
    ran = {check.exercise for check in result.checks}
    rows = []
    for exercise, possible in result.exercise_possible.items():
        rows.append((result.exercise_titles[exercise], exercise,
                     _points(result.exercise_score(exercise)) if exercise in ran else "not run",
                     _points(possible) if exercise in ran else ""))
    exercise_rows = len(rows)
    graded = [a for a, members in result.assignments.items() if ran & set(members)]
    for assignment in graded if len(graded) > 1 else ():  # each assignment is handed in and graded apart
        members = [e for e in result.assignments[assignment] if e in ran]
        rows.append((f"Assignment {assignment}", "", _points(sum(map(result.exercise_score, members))),
                     _points(sum(result.exercise_possible[e] for e in members))))
    total = sum(possible for e, possible in result.exercise_possible.items() if e in ran)
    rows.append(("Total", "", _points(result.score), _points(total)))
    title_width = max(len(r[0]) for r in rows)
    id_width = max(len(r[1]) for r in rows)
    lines = [f"{'Exercise':<{title_width}}  {'id':<{id_width}}  points"]
    for index, (title, exercise_id, score, possible) in enumerate(rows):
        if index == exercise_rows:
            lines.append("-" * len(lines[0]))
        shown = f"{score:>5} / {possible}" if possible else score
        lines.append(f"{title:<{title_width}}  {exercise_id:<{id_width}}  {shown}")
    if not result.complete:
        lines.append(f"{len(result.not_graded)} check(s) {NOT_GRADED_NOTE}:")
        lines += [f"  - {check.exercise}: {check.name}" for check in result.not_graded]
    if result.hidden_elsewhere:
        lines.append(f"Your instructor's grader also runs hidden checks, worth {result.hidden_elsewhere:g} more points.")
    return lines
