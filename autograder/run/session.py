"""Start every worker of a grading run at once and hand out their observations.

Student and reference workers of all exercises run side by side (the frameworks
are imported once per worker, not once per check); checks block only on the
exercise they need. While a check waits, the student is told once if a call of
the submission runs past half its limit (runner.SlowCall), never merely because
the whole run is long: a slow machine is not a slow submission.
"""
from __future__ import annotations

import dataclasses
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Callable

from autograder.course.model import Course
from autograder.run.observations import ExerciseRun
from autograder.run.reference import reference_run
from autograder.run.runner import ProbeRequest, SlowCall, probe_request, run_probes

__all__ = ["GradingSession"]


class GradingSession:
    def __init__(self, course: Course, submission: Path, solutions: Path, seed: int,
                 reference_cache: Path | None = None, fork_server: str = "") -> None:
        self.course = course
        self.fork_server = fork_server
        self.reference_cache = reference_cache
        self.submission = submission
        self.solutions = solutions
        self.seed = seed
        self._executor = ThreadPoolExecutor(max_workers=course.limits.workers_at_once or 2 * len(course.exercises),
                                            thread_name_prefix="autograder-worker")
        self._student: dict[str, Future[ExerciseRun]] = {}
        self._reference: dict[str, Future[ExerciseRun]] = {}
        self._slow: dict[str, SlowCall] = {}

    def reference_request(self, exercise: str) -> ProbeRequest:
        return self._request(exercise, self.solutions, reference=True)

    def _request(self, exercise: str, folder: Path, reference: bool = False) -> ProbeRequest:
        request = probe_request(self.course, exercise, folder, self.seed, reference=reference)
        return dataclasses.replace(request, fork_server=self.fork_server)

    def start(self, exercises: list[str]) -> None:
        """Start every exercise's workers at once; the reference may come from its recording."""
        for exercise in exercises:
            if exercise not in self._reference:
                self._reference[exercise] = self._executor.submit(
                    reference_run, self.reference_request(exercise), self.course.layout.recording(exercise),
                    self.reference_cache)
                self._slow[exercise] = SlowCall()
                self._student[exercise] = self._executor.submit(
                    run_probes, self._request(exercise, self.submission),
                    self._slow[exercise])

    def student(self, exercise: str, on_slow: Callable[[str], None] | None = None) -> ExerciseRun:
        """The submission's observations. While waiting for them, `on_slow(kind)` is called once if a call
        runs past half its limit: kind "working" (slow or stuck code) or "starved" (a busy machine)."""
        self.start([exercise])
        future, slow = self._student[exercise], self._slow[exercise]
        while on_slow is not None and not wait([future], timeout=0.2).done:
            if slow.kind is not None:
                on_slow(slow.kind)
                break
        return future.result()

    def reference(self, exercise: str) -> ExerciseRun:
        self.start([exercise])
        return self._reference[exercise].result()

    def student_observations(self) -> dict[str, dict]:
        """What the submission's workers observed, per exercise, for the record of a batch run."""
        return {exercise: future.result().to_json() for exercise, future in self._student.items()
                if future.done() and not future.cancelled() and future.exception() is None}

    def isolation(self) -> str:
        """How the submission's workers were isolated ("fork-server", "bwrap", "basic", joined by "+" when
        they differ), or "" before any ran."""
        used = {part for future in self._student.values()
                if future.done() and not future.cancelled() and future.exception() is None
                for part in future.result().isolation.split("+") if part}
        return "+".join(sorted(used))

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
