"""Where a course keeps each of its files: the one owner of every path convention.

A course is any folder with a course.toml (nbgrader's CourseDirectory, PrairieLearn's
question folders):

    course.toml               the course: assignments, exercises, checks, points, limits
    exercises/<id>.py         the stub students fill in
    solutions/<id>.py         the reference solution
    grading/<id>/             everything the grader knows of exercise <id>:
        probe.py                experiments on the student's module, run in a sandboxed worker
        check.py                checks comparing what the probes observed, in the trusted process
        recording.json          the reference's observations at the course seed
        lesson.md, try.py       the lesson text and a cell to try the code (nbgrader notebooks)
    grading/_<name>/          what several exercises share: probe.py and check.py helpers, imported
                              relatively (`from ._xor import XOR_X`); _course/lesson.md introduces the course

Nothing outside this module spells these names.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["CourseLayout", "PROBE", "CHECK", "RECORDING", "LESSON", "TRY_IT", "INTRODUCTION_HOME"]

GRADING = "grading"
PROBE, CHECK, RECORDING, LESSON, TRY_IT = "probe.py", "check.py", "recording.json", "lesson.md", "try.py"
INTRODUCTION_HOME = "_course"


@dataclass(frozen=True)
class CourseLayout:
    root: Path

    @property
    def exercises_dir(self) -> Path:
        return self.root / "exercises"

    @property
    def solutions_dir(self) -> Path:
        return self.root / "solutions"

    @property
    def grading_dir(self) -> Path:
        return self.root / GRADING

    def home(self, name: str) -> Path:
        """The folder of exercise `name`, or of the shared helpers `_name`."""
        return self.grading_dir / name

    def probe(self, name: str) -> Path:
        return self.home(name) / PROBE

    def check(self, name: str) -> Path:
        return self.home(name) / CHECK

    def recording(self, name: str) -> Path:
        return self.home(name) / RECORDING

    def lesson(self, name: str) -> Path:
        return self.home(name) / LESSON

    def try_it(self, name: str) -> Path:
        return self.home(name) / TRY_IT

    @property
    def introduction(self) -> Path:
        return self.lesson(INTRODUCTION_HOME)

    def _modules(self, file: str) -> dict[str, Path]:
        if not self.grading_dir.is_dir():
            return {}
        return {home.name: (home / file).resolve() for home in sorted(self.grading_dir.iterdir())
                if (home / file).is_file()}

    def probe_files(self) -> dict[str, Path]:
        """Module name -> probe file of every home: the package a worker imports probes from."""
        return self._modules(PROBE)

    def check_files(self) -> dict[str, Path]:
        """Module name -> check file of every home: the package checks are imported from."""
        return self._modules(CHECK)

    def relative(self, path: Path) -> str:
        """`path` as the course names it (`grading/<id>/probe.py`): how releases and zips place it."""
        return Path(path).relative_to(self.root).as_posix()
