"""notebook.check: one nbgrader test cell, graded by the real grader once per version of the file."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from autograder.platforms import notebook
from autograder.course.model import load_course

COURSE = load_course()
EXERCISE = COURSE.exercises[0]
FIRST, SECOND = (check.id for check in EXERCISE.checks[:2])


@pytest.fixture
def runs(monkeypatch, tmp_path):
    """The grading runs check() asks for, each answered from the list `runs.answers` (one list of checks a run)."""
    class Runs:
        answers: list[list[dict]] = []
        count = 0
    monkeypatch.setattr(notebook, "_graded", {})
    monkeypatch.setenv(notebook.COURSE_VARIABLE, str(COURSE.path))

    def grade(course, exercise, path):
        Runs.count += 1
        return Runs.answers.pop(0)
    monkeypatch.setattr(notebook, "_grade", grade)
    (tmp_path / EXERCISE.file).write_text("# the student's file\n")
    return Runs


def _entry(check_id: str, passed: bool, graded: bool = True) -> dict:
    """A check of the record, as results.CheckResult writes it."""
    message = "" if passed else "wrong" if graded else "the grader ran out of time on this machine"
    return {"exercise": EXERCISE.id, "check": check_id, "name": f"{check_id} works", "passed": passed,
            "graded": graded, "message": message}


def test_a_not_graded_check_is_graded_again_on_the_next_call(runs, tmp_path, capsys):
    runs.answers = [[_entry(FIRST, False, graded=False), _entry(SECOND, True)],
                    [_entry(FIRST, True), _entry(SECOND, True)]]
    with pytest.raises(AssertionError, match="ran out of time"):
        notebook.check(EXERCISE.id, FIRST, tmp_path)
    notebook.check(EXERCISE.id, SECOND, tmp_path)  # judged in that run: no need to grade again
    assert runs.count == 1
    notebook.check(EXERCISE.id, FIRST, tmp_path)  # asked again: graded again, and passes this time
    assert runs.count == 2 and "passed" in capsys.readouterr().out
    notebook.check(EXERCISE.id, FIRST, tmp_path)  # a verdict now: remembered
    assert runs.count == 2


def test_a_verdict_is_remembered_for_the_same_file(runs, tmp_path):
    runs.answers = [[_entry(FIRST, False), _entry(SECOND, True)]]
    for _ in range(2):
        with pytest.raises(AssertionError, match="wrong"):
            notebook.check(EXERCISE.id, FIRST, tmp_path)
    assert runs.count == 1


def test_autograde_grades_at_a_seed_drawn_once_per_notebook_and_prints_it(monkeypatch, capsys):
    monkeypatch.setattr(notebook, "_official_seed", None)
    monkeypatch.delenv("AUTOGRADER_SEED", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert notebook._seed() is None  # a student's own run: the course's public seed
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    first = notebook._seed()
    assert first != COURSE.seed
    assert notebook._seed() == first  # one seed for every cell of the notebook
    assert f"official grading at seed {first}" in capsys.readouterr().out
    monkeypatch.setattr(notebook, "_official_seed", None)
    monkeypatch.setenv("AUTOGRADER_SEED", "4242")
    assert notebook._seed() == 4242  # a replay


def test_a_cell_grades_the_file_its_writefile_cell_wrote_in_the_kernel_s_process(monkeypatch, tmp_path, capsys):
    """No mock: the tiny course's solution passes its first check, its stub fails it with the check's message."""
    tiny = load_course(Path(__file__).resolve().parent / "tiny_course" / "course.toml")
    exercise = tiny.exercises[0]
    check_id = exercise.checks[0].id
    monkeypatch.setattr(notebook, "_graded", {})
    monkeypatch.setenv(notebook.COURSE_VARIABLE, str(tiny.path))
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    shutil.copy(tiny.solutions_dir / exercise.file, tmp_path / exercise.file)
    notebook.check(exercise.id, check_id, tmp_path)
    assert capsys.readouterr().out.startswith(f"passed ({exercise.checks[0].points:g} points)")
    shutil.copy(tiny.exercises_dir / exercise.file, tmp_path / exercise.file)
    with pytest.raises(AssertionError) as failed:
        notebook.check(exercise.id, check_id, tmp_path)
    assert "Traceback" not in str(failed.value) and str(failed.value).strip()
    assert not list(tmp_path.glob("*.json"))  # nothing left beside the student's file


def test_a_fault_of_the_grader_is_one_line_for_the_student_not_a_traceback(monkeypatch, tmp_path):
    """As when grading ran in a child process: whatever stops the grader, the cell says so and whom to tell."""
    def broken(*args, **kwargs):
        raise RuntimeError("the grader broke")
    monkeypatch.setattr(notebook, "_graded", {})
    monkeypatch.setattr(notebook, "grade", broken)
    monkeypatch.setenv(notebook.COURSE_VARIABLE, str(COURSE.path))
    (tmp_path / EXERCISE.file).write_text("# the student's file\n")
    with pytest.raises(AssertionError, match="could not grade .*; tell your instructor\nRuntimeError: the grader broke"):
        notebook.check(EXERCISE.id, FIRST, tmp_path)
