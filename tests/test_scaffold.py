"""`new_exercise` scaffolds an exercise that works with no other edit, or writes nothing at all.

Everything runs on a copy of the tiny course: stubs, grading and recordings take seconds.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from submission_tools import split_into_two_assignments

from autograder.course.model import Course, CourseError, load_course
from autograder.run.reference import recorded_reference
from autograder.run.runner import probe_request
from autograder.instructor.scaffold import exercise_files, new_exercise
from autograder.instructor.stubs import regions

REPO = Path(__file__).resolve().parent.parent
TINY_FILE = Path(__file__).resolve().parent / "tiny_course" / "course.toml"
NEW_ID = "squares"


@pytest.fixture
def course(tmp_path) -> Course:
    """A copy of the tiny course, to scaffold into."""
    copied = load_course(Path(shutil.copytree(TINY_FILE.parent, tmp_path / "course")) / "course.toml")
    assert NEW_ID not in [e.id for e in copied.exercises]
    return copied


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, timeout=120)


def _grade(course: Course, submission: Path, results: Path) -> dict:
    completed = _cli("pytest", "autograder", "--course", str(course.path), f"--submission={submission}",
                     "--results", str(results), "-p", "no:cacheprovider")
    assert results.is_file(), completed.stdout[-3000:] + completed.stderr[-3000:]
    return json.loads(results.read_text())


def _points_of(results: dict, exercise_id: str) -> tuple[float, float]:
    tests = [t for t in results["tests"] if t["tags"] == [exercise_id]]
    assert tests, f"no check of {exercise_id} was reported"
    return sum(t["score"] for t in tests), sum(t["max_score"] for t in tests)


def test_a_new_exercise_works_with_no_other_edit(course, tmp_path):
    before = course.path.read_text()
    written = new_exercise(course, NEW_ID)
    assert all(path.is_file() for path in written) and written[-1] == course.path
    files = exercise_files(course, NEW_ID)
    assert sorted(written[:-1]) == sorted(files[role] for role in ("solution", "probe", "check", "lesson"))
    assert files["probe"].parent == course.layout.grading_dir / NEW_ID, "the exercise's grading files share its home"
    assert course.path.read_text().startswith(before), "course.toml is appended to, its comments kept"

    scaffolded = load_course(course.path)
    exercise = scaffolded.exercises[-1]
    assert exercise.id == NEW_ID and exercise.title and exercise.max_points > 0
    assert all(check.hint for check in exercise.checks)
    solution_regions = regions((scaffolded.solutions_dir / exercise.file).read_text())
    assert len(solution_regions) == 1 and solution_regions[0].todo[0].startswith("# TODO:")

    stubs = _cli("autograder", "stubs", "--course", str(course.path))
    assert stubs.returncode == 0, stubs.stderr
    assert (scaffolded.exercises_dir / exercise.file).is_file()
    assert _cli("autograder", "stubs", "--check", "--course", str(course.path)).returncode == 0

    solutions = _grade(scaffolded, scaffolded.solutions_dir, tmp_path / "solutions.json")
    assert solutions["score"] == solutions["max_score"] == scaffolded.max_points
    assert _points_of(solutions, NEW_ID) == (exercise.max_points, exercise.max_points)

    stubbed = _grade(scaffolded, scaffolded.exercises_dir, tmp_path / "stubs.json")
    assert _points_of(stubbed, NEW_ID) == (0, exercise.max_points)
    assert all("TODO" in t["output"] for t in stubbed["tests"] if t["tags"] == [NEW_ID])

    recorded = _cli("autograder", "recordings", "--course", str(course.path))
    assert recorded.returncode == 0, recorded.stderr
    request = probe_request(scaffolded, NEW_ID, scaffolded.solutions_dir, scaffolded.seed, reference=True)
    assert recorded_reference(request, scaffolded.layout.recording(NEW_ID)) is not None


def _digest(folder: Path) -> str:
    """Every path and byte under `folder`: any write shows."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode() + b"\0")
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _refused(course: Course, exercise_id: str, assignment: str | None = None) -> str:
    before = _digest(course.root)
    with pytest.raises(CourseError) as raised:
        new_exercise(course, exercise_id, assignment)
    assert _digest(course.root) == before, "a refused id writes nothing"
    return str(raised.value)


@pytest.mark.parametrize("exercise_id, says", [
    ("class", "not a valid Python module name"),
    ("2nd_try", "not a valid Python module name"),
    ("has-dash", "not a valid Python module name"),
    ("has space", "not a valid Python module name"),
    ("", "not a valid Python module name"),
    ("_helpers", "shared helper modules"),
    ("json", "a module Python already has"),
    ("pytest", "a module Python already has"),
    ("conftest", "pytest's hook files"),
])
def test_an_id_that_cannot_be_a_module_is_refused_and_nothing_is_written(course, exercise_id, says):
    assert says in _refused(course, exercise_id)


def test_an_id_the_course_has_is_refused_and_nothing_is_written(course):
    for exercise in course.exercises:
        assert "already has an exercise" in _refused(course, exercise.id)


@pytest.mark.parametrize("role", list(exercise_files(load_course(TINY_FILE), NEW_ID)))
def test_an_id_taken_by_any_of_its_files_is_refused_and_nothing_is_written(course, role):
    taken = exercise_files(course, NEW_ID)[role]
    taken.parent.mkdir(parents=True, exist_ok=True)
    taken.write_text("# already here\n")
    message = _refused(course, NEW_ID)
    assert str(taken) in message and "Nothing was written" in message


def test_the_command_line_scaffolds_too(course):
    created = _cli("autograder", "new", NEW_ID, "--course", str(course.path))
    assert created.returncode == 0, created.stderr
    assert NEW_ID in [e.id for e in load_course(course.path).exercises]
    for path in exercise_files(course, NEW_ID).values():
        assert (str(path) in created.stdout) == path.is_file(), path
    again = _cli("autograder", "new", NEW_ID, "--course", str(course.path))
    assert again.returncode == 1 and "error:" in again.stderr and "Traceback" not in again.stderr


def _exercises_of(course_file: Path) -> dict[str, tuple[str, ...]]:
    return {a.id: a.exercise_ids for a in load_course(course_file).assignments}


def test_in_a_course_of_several_assignments_new_asks_which_one_the_exercise_joins(course):
    split_into_two_assignments(course.path)
    two = load_course(course.path)
    first, second = (e.id for e in two.exercises)
    assert _exercises_of(course.path) == {"part_one": (first,), "part_two": (second,)}

    asked = _refused(two, NEW_ID)
    assert "--assignment" in asked and "part_one" in asked and "part_two" in asked
    assert "no assignment 'part_three'" in _refused(two, NEW_ID, "part_three")
    refused = _cli("autograder", "new", NEW_ID, "--course", str(course.path))
    assert refused.returncode == 1 and "--assignment" in refused.stderr and "Traceback" not in refused.stderr
    assert NEW_ID not in [e.id for e in load_course(course.path).exercises]

    before = course.path.read_text()
    created = _cli("autograder", "new", NEW_ID, "--assignment", "part_one", "--course", str(course.path))
    assert created.returncode == 0, created.stderr
    assert _exercises_of(course.path) == {"part_one": (first, NEW_ID), "part_two": (second,)}
    assert NEW_ID in [e.id for e in load_course(course.path).exercises]
    assert [e.id for e in load_course(course.path).assignment("part_one").exercises] == [first, NEW_ID]
    assert all(path.is_file() for role, path in exercise_files(two, NEW_ID).items()
               if role in ("solution", "probe", "check", "lesson"))
    kept = [line for line in before.splitlines() if line.startswith("#")]
    assert kept and all(line in course.path.read_text().splitlines() for line in kept), "comments are kept"

    new_exercise(load_course(course.path), "cubes", "part_two")
    assert _exercises_of(course.path) == {"part_one": (first, NEW_ID), "part_two": (second, "cubes")}


def test_with_one_assignment_new_joins_it_without_being_told(course):
    with course.path.open("a", encoding="utf-8") as handle:
        handle.write('\n[[assignments]]\nid = "only"\ntitle = "Only"\n'
                     f'exercises = {[e.id for e in course.exercises]!r}\n'.replace("'", '"'))
    new_exercise(load_course(course.path), NEW_ID)
    assert _exercises_of(course.path) == {"only": (*(e.id for e in course.exercises), NEW_ID)}
