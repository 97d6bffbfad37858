"""The lists the similarity report compares, and each pair's distance above its list's baseline.

Shared by ranking.py (which builds the lists) and its parts: code.py and
text.py score the lists, report.py writes them.
"""
from __future__ import annotations

import importlib
import itertools
import statistics
from dataclasses import dataclass, field
from typing import Callable

from autograder.course.model import Course, CourseError, Exercise
from autograder.errors import AutograderError
from autograder.instructor.stubs import stale_stubs, stub_source

__all__ = ["Group", "Row", "rank", "need", "given_stub", "filled_in_exercises", "STANDS_OUT", "MIN_SPREAD",
           "MIN_COMPARED"]

# A pair stands out this many spreads above its list's median: the usual cut-off of the
# modified z-score (Iglewicz and Hoaglin), where a normal sample almost never reaches.
STANDS_OUT = 3.5
# The spread is never taken below this (scores run from 0 to 1), so that a class whose pairs
# are all alike does not turn a small difference into a large z-score.
MIN_SPREAD = 0.05
# Fewer submissions than this in a list give no baseline: its pairs are listed, never marked.
MIN_COMPARED = 3
# The median absolute deviation times this estimates the standard deviation of a normal sample.
MAD_TO_SD = 1.4826


def need(module: str):
    """Import an instructor-only package, or say how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise AutograderError(f"the similarity report needs {module.split('.')[0]}, an instructor's tool: "
                              f'pip install -e ".[instructor]"') from None


# (spans in the first text, spans in the second) that the two share, for showing the pair.
Marks = Callable[[str, str], tuple[list[tuple[int, int]], list[tuple[int, int]]]]


@dataclass
class Group:
    """One list of the report: one exercise's code, or one free-text answer, across the class."""
    kind: str  # "code" or "text"
    item: str  # what was compared: an exercise id, or "exercise: column"
    texts: dict[str, str] = field(default_factory=dict)  # submission -> what was compared
    scores: dict[tuple[str, str], float] = field(default_factory=dict)  # every pair of `texts`, 0 to 1
    left_out: dict[str, str] = field(default_factory=dict)  # submission -> why it was not compared
    marks: Marks | None = None

    def score_all(self, score: Callable[[str, str], float]) -> None:
        self.scores = {(a, b): score(a, b) for a, b in itertools.combinations(sorted(self.texts), 2)}


@dataclass(frozen=True)
class Row:
    """One pair of one list, with its list's baseline: a row of similarity.csv."""
    kind: str
    item: str
    first: str
    second: str
    score: float
    baseline: float | None  # the median of the list's pair scores (None: too few to have one)
    spread: float | None  # the list's robust spread, at least MIN_SPREAD
    above: float | None  # (score - baseline) / spread

    @property
    def stands_out(self) -> bool:
        return self.above is not None and self.above >= STANDS_OUT


def _rows(group: Group) -> list[Row]:
    scores = list(group.scores.values())
    if len(group.texts) < MIN_COMPARED or not scores:
        return [Row(group.kind, group.item, a, b, s, None, None, None) for (a, b), s in group.scores.items()]
    median = statistics.median(scores)
    spread = max(MAD_TO_SD * statistics.median(abs(s - median) for s in scores), MIN_SPREAD)
    return [Row(group.kind, group.item, a, b, s, median, spread, (s - median) / spread)
            for (a, b), s in group.scores.items()]


def rank(groups: list[Group]) -> list[Row]:
    """Every pair of every list, furthest above its baseline first (within a list: most similar first)."""
    rows = [row for group in groups for row in _rows(group)]
    return sorted(rows, key=lambda r: (r.above is None, -(r.above or 0.0), -r.score, r.item, r.first, r.second))


def given_stub(course: Course, exercise: Exercise) -> str:
    """The stub students were given: what `python -m autograder stubs` generates from the solution.

    Not exercises/ as it stands: an instructor who tried the course there, as the README tells
    students to, has filled it in, and every submission would then be "the stub's own text"."""
    solution = course.solutions_dir / exercise.file
    if solution.is_file():
        return stub_source(solution.read_text(encoding="utf-8"), str(solution))
    stub = course.exercises_dir / exercise.file
    if stub.is_file():  # a course without solutions/ has only its stubs to go by
        return stub.read_text(encoding="utf-8")
    raise CourseError(f"{solution}: the solution of {exercise.id!r} is missing; the similarity report "
                      f"generates the stub students were given from it")


def filled_in_exercises(course: Course, exercises: list[Exercise]) -> list[str]:
    """Files of exercises/ that differ from the stubs their solutions generate (filled in, or stale)."""
    generated = [e.id for e in exercises if (course.solutions_dir / e.file).is_file()]
    return [course.exercise(name).file for name in stale_stubs(course.solutions_dir, course.exercises_dir, generated)]
