"""Results are plain data; every output format is an exporter that reads them."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autograder.course.model import Course

__all__ = ["CheckResult", "RunResult", "NOT_GRADED_NOTE"]

# What a student reads about checks the machine kept the grader from judging (CheckResult.graded False).
NOT_GRADED_NOTE = ("not graded: the grader ran out of time on this machine, not a verdict on your code; "
                   "grade again when the machine is less busy")


@dataclass(frozen=True)
class CheckResult:
    exercise: str
    check: str
    name: str
    possible: float
    passed: bool
    message: str = ""
    hint: str = ""
    hidden: bool = False  # run only when the instructor grades (course.toml `hidden = true`)
    printed: str = ""  # what the student's code printed in the probes a failed check read (trimmed)
    # False: the machine kept the grader from judging (it ran out of time there): neither passed nor failed,
    # and the run is incomplete. It scores nothing yet, and is never counted as a failure.
    graded: bool = True

    @property
    def score(self) -> float:
        return self.possible if self.passed else 0.0


@dataclass
class RunResult:
    """One grading run of one submission."""
    course_title: str
    submission: str
    seed: int
    exercise_titles: dict[str, str]
    exercise_possible: dict[str, float]
    isolation: str = "basic"
    checks: list[CheckResult] = field(default_factory=list)
    hidden_elsewhere: float = 0.0  # points of hidden checks only the instructor's grader runs
    # assignment id -> its exercise ids, in course order: the score table totals each one apart.
    assignments: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def for_course(cls, course: "Course", submission: str, seed: int, isolation: str = "basic") -> "RunResult":
        """An empty result for `course`: its title, exercises and points, before any check runs."""
        return cls(course_title=course.title, submission=submission, seed=seed,
                   exercise_titles={e.id: e.title for e in course.exercises},
                   exercise_possible={e.id: e.max_points for e in course.exercises},
                   isolation=isolation, hidden_elsewhere=course.hidden_points,
                   assignments={a.id: list(a.exercise_ids) for a in course.assignments})

    def for_exercise(self, exercise: str) -> list[CheckResult]:
        return [c for c in self.checks if c.exercise == exercise]

    def exercise_score(self, exercise: str) -> float:
        return sum(c.score for c in self.for_exercise(exercise))

    def assignment_of(self, exercise: str) -> str | None:
        return next((a for a, members in self.assignments.items() if exercise in members), None)

    @property
    def score(self) -> float:
        return sum(c.score for c in self.checks)

    @property
    def not_graded(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.graded]

    @property
    def complete(self) -> bool:
        """Every check that ran was judged: a batch grades an incomplete run again next time."""
        return not self.not_graded

    @property
    def possible(self) -> float:
        return sum(self.exercise_possible.values())

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "RunResult":
        fields_ = dict(data)
        fields_["checks"] = [CheckResult(**check) for check in data.get("checks", [])]
        return cls(**fields_)
