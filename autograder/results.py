"""Results are plain data; every output format is an exporter that reads them."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

__all__ = ["CheckResult", "RunResult"]


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

    def for_exercise(self, exercise: str) -> list[CheckResult]:
        return [c for c in self.checks if c.exercise == exercise]

    def exercise_score(self, exercise: str) -> float:
        return sum(c.score for c in self.for_exercise(exercise))

    @property
    def score(self) -> float:
        return sum(c.score for c in self.checks)

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
