"""Which pairs of submissions are more alike than the class's own baseline: pairs worth reading.

The report compares, for every pair of submissions, the code of each exercise that
course.toml marks `compare_code = true` (code.py: copydetect's winnowing) and
each free-text answer of `[exercises.free_text]` (text.py: word shingles and
their Jaccard index). Short exercises are written alike by honest students, so an absolute
score says little: each list (one exercise's code, or one question) is judged against its
own baseline, the median of all its pair scores, in units of their spread (a robust
z-score). A pair "stands out" when it lies far above the rest of its class. That points
at pairs to read side by side; it proves nothing, and the report says so.
"""
from __future__ import annotations

import sys
from pathlib import Path

from autograder.course.model import Course, Exercise
from autograder.similarity.lists import (MIN_COMPARED, MIN_SPREAD, STANDS_OUT, Group, Row, filled_in_exercises, given_stub,
                               need, rank)

__all__ = ["Group", "Row", "similarity_groups", "rank", "write_similarity", "need", "given_stub",
           "filled_in_exercises", "STANDS_OUT", "MIN_SPREAD", "MIN_COMPARED"]

def _warn_of_filled_in(course: Course, exercises: list[Exercise]) -> None:
    for file in filled_in_exercises(course, exercises):
        print(f"warning: exercises/{file} differs from the stub solutions/{file} generates; the similarity "
              f"report compares with the generated stub (`python -m autograder stubs` rewrites exercises/)",
              file=sys.stderr)


def similarity_groups(course: Course, submissions: Path, graded: Path | None = None) -> list[Group]:
    """The lists to compare, scored: code of each exercise with room for style, then each free-text answer.

    `graded`: an OUT folder of `grade`, whose records give the free-text answers grading saw."""
    from autograder.instructor.intake import collect
    _warn_of_filled_in(course, [e for e in course.exercises if e.compare_code or e.free_text])
    from autograder.similarity.code import code_group
    from autograder.similarity.text import text_groups
    everyone = collect(Path(submissions), course.exercise_files)
    groups = [code_group(course, exercise, everyone) for exercise in course.exercises if exercise.compare_code]
    for exercise in course.exercises:
        if exercise.free_text:
            groups += text_groups(course, exercise, everyone, graded)
    return groups


def write_similarity(course: Course, submissions: Path, out: Path, graded: Path | None = None) -> list[Row]:
    """OUT/similarity.csv and OUT/similarity.html; returns the rows, furthest above baseline first."""
    from autograder.similarity.report import write_report
    groups = similarity_groups(course, submissions, graded)
    rows = rank(groups)
    write_report(Path(out), course.title, groups, rows)
    return rows
