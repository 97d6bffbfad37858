"""Build submissions from the corpus and grade them with the real `pytest autograder`."""
from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from autograder.course.model import load_course

# The repository's own course, wherever the tests run from (load_course() alone reads the nearest course.toml).
COURSE = load_course(Path(__file__).resolve().parent.parent / "course.toml")
REPO = COURSE.root
SOLUTIONS = COURSE.solutions_dir
EXERCISES = COURSE.exercises_dir
CORPUS = Path(__file__).resolve().parent / "submissions"
EXERCISE_FILES = COURSE.exercise_files
CORPUS_KINDS = ("wrong", "right", "hostile")


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
        [sys.executable, "-m", "pytest", "autograder", f"--submission={submission}",
         "--results", str(results), "-p", "no:cacheprovider", *extra],
        cwd=REPO, capture_output=True, text=True, timeout=900)
    assert results.is_file(), f"no results.json written:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
    return Graded(json.loads(results.read_text()), completed.stdout, completed.returncode)


def deleted_files(case: Path) -> list[str]:
    """The file names a case's DELETE file lists, one per line: files the submission lacks."""
    delete = case / "DELETE"
    return delete.read_text(encoding="utf-8").split() if delete.is_file() else []


def case_files(case: Path) -> dict[str, Path]:
    """The files a case ships (its `*.py`), by name."""
    return {path.name: path for path in sorted(case.iterdir()) if path.suffix == ".py"}


def submission_files(case: Path) -> dict[str, bytes]:
    """What the case's submission holds: the solutions, overlaid with its files, minus those it deletes."""
    files = {name: (SOLUTIONS / name).read_bytes() for name in EXERCISE_FILES}
    files.update({name: path.read_bytes() for name, path in case_files(case).items()})
    for name in deleted_files(case):
        files.pop(name, None)
    return files


def build_submission(case: Path, target: Path) -> Path:
    """The solutions, overlaid with a corpus case's files, minus those its DELETE file names."""
    target.mkdir(parents=True, exist_ok=True)
    for name, data in submission_files(case).items():
        (target / name).write_bytes(data)
    return target


def corpus_cases(kind: str) -> list[Path]:
    return sorted(p for p in (CORPUS / kind).iterdir() if p.is_dir()) if (CORPUS / kind).is_dir() else []


def case_name(case: Path) -> str:
    """`kind/case`, as the corpus names a case in messages and recordings."""
    return f"{case.parent.name}/{case.name}"


def expectation(case: Path) -> dict:
    return tomllib.loads((case / "expect.toml").read_text(encoding="utf-8"))


def split_into_two_assignments(course_file: Path) -> Path:
    """Append [[assignments]] part_one and part_two, one exercise each, to a two-exercise course file."""
    first, second = (table["id"] for table in tomllib.loads(course_file.read_text(encoding="utf-8"))["exercises"])
    with course_file.open("a", encoding="utf-8") as handle:
        handle.write(f'\n[[assignments]]\nid = "part_one"\ntitle = "Part one"\nexercises = ["{first}"]\n'
                     f'\n[[assignments]]\nid = "part_two"\ntitle = "Part two"\nexercises = ["{second}"]\n')
    return course_file
