"""grade(): one submission graded in this process, as `pytest autograder` grades it, without a pytest child.

Batch grading, Gradescope, PrairieLearn and the nbgrader cells call it (otter-grader's grading API); the pytest plugin
grades with the same pieces, one pytest item per check. Student code still runs only in the
sandboxed workers the session starts; this process compares what they observed. Every wait here
is bounded by the runner's own limits (a worker is killed past its import and probe limits).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from autograder.checking import Observed, grade_check
from autograder.course.model import Course, CourseError
from autograder.course.code import check_functions, display_name
from autograder.results import RunResult
from autograder.run.sandbox import isolation_level
from autograder.run.session import GradingSession

__all__ = ["Graded", "grade", "handed_in", "with_workers_at_once", "checked_seed"]


@dataclass
class Graded:
    """What one grading run of one submission found: its result and its workers' observations."""
    result: RunResult
    observations: dict = field(default_factory=dict)
    finished: bool = True  # False: the grader itself could not finish, and every check is lost


def handed_in(course: Course, submission: Path) -> tuple[Course, list[str]]:
    """The assignments with a file in the submission folder, and a line for each one left out.
    Where none has a file, every one is graded, so that each check can say which file is missing.
    One assignment left is graded as itself: its title is the run's."""
    present = [a for a in course.assignments if any((submission / f"{e}.py").exists() for e in a.exercise_ids)]
    skipped = [a for a in course.assignments if a not in present] if present else []
    if skipped:
        course = course.only([e for a in present for e in a.exercise_ids])
    if len(course.assignments) == 1:
        course = course.assignment(course.assignments[0].id)
    return course, [f"skipped assignment {a.id}: none of its files ({', '.join(f'{e}.py' for e in a.exercise_ids)}) "
                    f"is in {submission}" for a in skipped]


def with_workers_at_once(course: Course, workers: int | None) -> Course:
    """The course with [limits] workers_at_once replaced (None: as it is)."""
    if workers is None:
        return course
    if workers < 0:
        raise CourseError(f"--workers-at-once {workers}: give 0 (all at once) or more")
    return dataclasses.replace(course, limits=dataclasses.replace(course.limits, workers_at_once=workers))


def checked_seed(course: Course, seed: int | None, solutions: Path) -> int:
    """The run's seed (default: the course's); CourseError for one this copy of the grader cannot grade at."""
    seed = course.seed if seed is None else seed
    if seed < 0:
        raise CourseError(f"--seed {seed}: a seed is 0 or more")
    if seed != course.seed and not solutions.is_dir():
        raise CourseError(f"--seed {seed}: this copy of the grader holds the reference for the course seed "
                          f"({course.seed}) only; run without --seed")
    return seed


def grade(course: Course, submission: Path, seed: int | None = None, *, solutions: Path | None = None,
          reference_cache: Path | None = None, fork_server: str = "", workers_at_once: int | None = None) -> Graded:
    """Grade the exercise files in `submission` against `course` (the assignments it hands in) at `seed`."""
    submission = Path(submission)
    if not submission.is_dir():
        raise CourseError(f"{submission}: no such folder")
    course, _ = handed_in(with_workers_at_once(course, workers_at_once), submission)
    solutions = Path(solutions) if solutions is not None else course.solutions_dir
    seed = checked_seed(course, seed, solutions)
    result = RunResult.for_course(course, str(submission), seed, isolation_level(course.limits.isolation))
    checks = {exercise.id: check_functions(course, exercise) for exercise in course.exercises}
    session = GradingSession(course, submission.resolve(), solutions.resolve(), seed,
                             Path(reference_cache).resolve() if reference_cache else None, fork_server=fork_server)
    try:
        session.start([exercise.id for exercise in course.exercises])
        for exercise in course.exercises:
            def observe(exercise=exercise) -> Observed:
                return Observed(exercise, session.student(exercise.id), lambda: session.reference(exercise.id))
            for check_id, function in checks[exercise.id].items():
                result.checks.append(grade_check(exercise, exercise.check(check_id), function, display_name(function),
                                                 observe, show_hints=course.show_hints))
        result.isolation = session.isolation() or result.isolation
        return Graded(result, session.student_observations())
    finally:
        session.close()
