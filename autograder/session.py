"""Start every worker of a grading run at once and hand out their observations.

Student and reference workers of all exercises run side by side (the frameworks
are imported once per worker, not once per check); checks block only on the
exercise they need.
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from .course import Course
from .observations import ExerciseRun
from .reference import reference_run
from .runner import ProbeRequest, probe_request, run_probes

__all__ = ["GradingSession"]


class GradingSession:
    def __init__(self, course: Course, submission: Path, solutions: Path, seed: int,
                 reference_cache: Path | None = None) -> None:
        self.course = course
        self.reference_cache = reference_cache
        self.submission = submission
        self.solutions = solutions
        self.seed = seed
        self._executor = ThreadPoolExecutor(max_workers=course.limits.workers_at_once or 2 * len(course.exercises),
                                            thread_name_prefix="autograder-worker")
        self._student: dict[str, Future[ExerciseRun]] = {}
        self._reference: dict[str, Future[ExerciseRun]] = {}

    def reference_request(self, exercise: str) -> ProbeRequest:
        return probe_request(self.course, exercise, self.solutions, self.seed, reference=True)

    def start(self, exercises: list[str]) -> None:
        """Start every exercise's workers at once; the reference may come from its recording."""
        for exercise in exercises:
            if exercise not in self._reference:
                self._reference[exercise] = self._executor.submit(
                    reference_run, self.reference_request(exercise), self.course.recordings_dir, self.reference_cache)
                self._student[exercise] = self._executor.submit(
                    run_probes, probe_request(self.course, exercise, self.submission, self.seed))

    def student(self, exercise: str, on_wait: Callable[[], None] | None = None,
                patience: float = 15.0) -> ExerciseRun:
        """The submission's observations; `on_wait` is called once if they take over `patience` seconds."""
        self.start([exercise])
        future = self._student[exercise]
        if on_wait is not None:
            try:
                return future.result(timeout=patience)
            except TimeoutError:
                on_wait()
        return future.result()

    def reference(self, exercise: str) -> ExerciseRun:
        self.start([exercise])
        return self._reference[exercise].result()

    def student_observations(self) -> dict[str, dict]:
        """What the submission's workers observed, per exercise, for the record of a batch run."""
        return {exercise: future.result().to_json() for exercise, future in self._student.items()
                if future.done() and not future.cancelled() and future.exception() is None}

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
