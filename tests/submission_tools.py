"""Build submissions from the corpus and grade them with the real `pytest autograder`."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
EXERCISES = REPO / "exercises"
CORPUS = Path(__file__).resolve().parent / "submissions"
EXERCISE_FILES = ("torch_xor.py", "keras_xor.py", "concepts.py")


@dataclass
class Graded:
    results: dict
    stdout: str
    returncode: int

    @property
    def failed(self) -> set[str]:
        return {t["number"] for t in self.results["tests"] if t["score"] < t["max_score"]}

    def output_of(self, number: str) -> str:
        return next(t["output"] for t in self.results["tests"] if t["number"] == number)


def run_grader(submission: Path, results: Path, *extra: str) -> Graded:
    """`pytest autograder --submission DIR --results FILE`, exactly as a student or instructor runs it."""
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "autograder", "--submission", str(submission),
         "--results", str(results), "-p", "no:cacheprovider", *extra],
        cwd=REPO, capture_output=True, text=True, timeout=900)
    assert results.is_file(), f"no results.json written:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
    return Graded(json.loads(results.read_text()), completed.stdout, completed.returncode)


def build_submission(case: Path, target: Path) -> Path:
    """The solutions, overlaid with a corpus case's files, minus those its DELETE file names."""
    target.mkdir(parents=True, exist_ok=True)
    for name in EXERCISE_FILES:
        shutil.copy(SOLUTIONS / name, target / name)
    for path in case.iterdir():
        if path.suffix == ".py":
            shutil.copy(path, target / path.name)
    delete = case / "DELETE"
    if delete.is_file():
        for name in delete.read_text().split():
            (target / name).unlink()
    return target


def corpus_cases(kind: str) -> list[Path]:
    return sorted(p for p in (CORPUS / kind).iterdir() if p.is_dir()) if (CORPUS / kind).is_dir() else []


def expectation(case: Path) -> dict:
    return tomllib.loads((case / "expect.toml").read_text(encoding="utf-8"))
