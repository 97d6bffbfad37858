"""grade(): in this process, the same results as `pytest autograder` in a child, check for check."""
from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.course.model import CourseError, load_course
from autograder import ENGINE_DIR
from autograder.grade import grade

TINY = load_course(Path(__file__).resolve().parent / "tiny_course" / "course.toml")


def _as_pytest_grades(folder: Path, tmp_path: Path, seed: int) -> list[dict]:
    record = tmp_path / "record.json"
    subprocess.run([sys.executable, "-m", "pytest", str(ENGINE_DIR), f"--submission={folder}", f"--record={record}",
                    f"--course={TINY.path}", f"--seed={seed}", "-q", "-p", "no:cacheprovider"],
                   cwd=TINY.root, capture_output=True, timeout=600, check=False)
    return json.loads(record.read_text())["result"]["checks"]


@pytest.mark.parametrize("folder", ["solutions", "exercises"])
def test_grade_gives_what_pytest_autograder_gives(folder: str, tmp_path: Path):
    submission = TINY.root / folder
    graded = grade(TINY, submission, seed=TINY.seed + 3)
    assert graded.finished and graded.result.seed == TINY.seed + 3
    assert [dataclasses.asdict(check) for check in graded.result.checks] == \
        _as_pytest_grades(submission, tmp_path, TINY.seed + 3)
    assert set(graded.observations) == {e.id for e in TINY.exercises}
    assert graded.result.score == (TINY.max_points if folder == "solutions" else 0)


def test_grade_grades_only_the_files_handed_in(tmp_path: Path):
    first = TINY.exercises[0]
    shutil.copy(TINY.solutions_dir / first.file, tmp_path / first.file)
    graded = grade(TINY, tmp_path)
    by_exercise = {check.exercise for check in graded.result.checks}
    assert by_exercise == {e.id for e in TINY.exercises}  # one assignment: every check says what is missing
    assert all(check.passed for check in graded.result.checks if check.exercise == first.id)
    assert not any(check.passed for check in graded.result.checks if check.exercise != first.id)


def test_grade_refuses_what_it_cannot_grade(tmp_path: Path):
    with pytest.raises(CourseError, match="no such folder"):
        grade(TINY, tmp_path / "missing")
    with pytest.raises(CourseError, match="a seed is 0 or more"):
        grade(TINY, TINY.solutions_dir, seed=-1)
    with pytest.raises(CourseError, match="course seed"):
        grade(TINY, TINY.solutions_dir, seed=TINY.seed + 1, solutions=tmp_path / "no-solutions")
