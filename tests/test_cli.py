"""`python -m autograder`: every verb on the tiny course; bad values and domain errors say `error: ...`, never a traceback."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from submission_tools import split_into_two_assignments

import autograder.__main__ as cli
from autograder.course.model import Course, load_course
from autograder.verdict import RECORD_NAME

REPO_ROOT = Path(__file__).resolve().parent.parent
TINY = load_course(Path(__file__).resolve().parent / "tiny_course" / "course.toml")


@pytest.fixture
def tiny_copy(tmp_path: Path) -> Path:
    """A private copy of the tiny course, for verbs that write into it."""
    shutil.copytree(TINY.root, tmp_path / "course", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path / "course" / "course.toml"


@pytest.mark.parametrize("option, value", [("--jobs", "0"), ("--jobs", "-1"), ("--jobs", "two"),
                                           ("--seed", "-5"), ("--workers-at-once", "-1")])
def test_a_bad_command_line_value_is_a_usage_error(option, value, tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main(["grade", str(tmp_path), "--out", str(tmp_path / "out"), option, value])
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert f"error: argument {option}" in error and "Traceback" not in error
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("argv, message", [
    (["stubs", "--check", "--course", "no-such-course.toml"], "course file not found"),
    (["grade", "no-such-class", "--out", "graded", "--course", "COURSE"], "no such folder of submissions"),
    (["new", "1st", "--course", "COURSE"], "not a valid Python module name"),
])
def test_a_problem_the_user_can_fix_is_error_and_exit_1(argv, message, tiny_copy, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    before = sorted((p, p.read_bytes()) for p in tiny_copy.parent.rglob("*") if p.is_file())
    assert cli.main([str(tiny_copy) if word == "COURSE" else word for word in argv]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: ") and message in error
    assert sorted((p, p.read_bytes()) for p in tiny_copy.parent.rglob("*") if p.is_file()) == before
    assert not (tmp_path / "graded").exists()


def test_only_the_grader_family_of_errors_is_caught(monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("a bug in the grader")
    monkeypatch.setattr(cli, "load_course", broken)
    with pytest.raises(KeyError):
        cli.main(["stubs", "--check"])


def test_the_command_line_runs_as_a_module_and_reports_errors_plainly(tmp_path):
    command = [sys.executable, "-m", "autograder", "grade", str(tmp_path), "--out", str(tmp_path / "o")]
    bad_value = subprocess.run([*command, "--jobs", "0"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert bad_value.returncode == 2 and "error: argument --jobs" in bad_value.stderr
    no_course = subprocess.run([*command, "--course", str(tmp_path / "none.toml")], cwd=REPO_ROOT,
                               capture_output=True, text=True)
    assert no_course.returncode == 1 and no_course.stderr.startswith("error: ")
    assert "Traceback" not in bad_value.stderr + no_course.stderr


def test_every_verb_takes_the_course_option(capsys):
    for verb in ("check", "submit", "verdict", "recordings", "stubs", "new", "grade", "gradebook", "release", "nbgrader",
                 "gradescope", "prairielearn"):
        with pytest.raises(SystemExit):
            cli.main([verb, "--help"])
        assert "--course" in capsys.readouterr().out, verb


def test_stubs_and_recordings_use_the_course_folders(tiny_copy, capsys):
    course = load_course(tiny_copy)
    assert cli.main(["stubs", "--check", "--course", str(tiny_copy)]) == 0
    (course.exercises_dir / course.exercise_files[0]).write_text("stale\n")
    assert cli.main(["stubs", "--check", "--course", str(tiny_copy)]) == 1
    assert cli.main(["stubs", "--course", str(tiny_copy)]) == 0
    assert (course.exercises_dir / course.exercise_files[0]).read_text() != "stale\n"
    recordings = [course.layout.recording(e.id) for e in course.exercises]
    for recording in recordings:
        recording.unlink()
    assert cli.main(["recordings", "--course", str(tiny_copy)]) == 0
    assert sorted(course.layout.grading_dir.rglob("recording.json")) == sorted(recordings)
    out = capsys.readouterr().out
    assert all(str(recording) in out for recording in recordings)


def test_recordings_refuses_to_record_a_failing_reference_and_says_so(tiny_copy, capsys):
    course = load_course(tiny_copy)
    solution = course.solutions_dir / course.exercise_files[0]
    solution.write_text("raise SystemExit('broken')\n")
    assert cli.main(["recordings", "--course", str(tiny_copy)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: ") and "not recording it" in error and "Traceback" not in error


def test_new_prints_every_path_it_wrote(tiny_copy, capsys):
    assert cli.main(["new", "sums", "--course", str(tiny_copy)]) == 0
    written = [Path(line.removeprefix("wrote ")) for line in capsys.readouterr().out.splitlines()]
    assert written and all(path.is_file() for path in written)
    assert "sums" in [e.id for e in load_course(tiny_copy).exercises]


def test_with_no_course_option_a_verb_works_on_the_course_it_stands_in(tiny_copy, monkeypatch, capsys):
    """--course defaults to the nearest course.toml above the working folder; verdict's --record to the record
    beside that course file."""
    monkeypatch.chdir(tiny_copy.parent / "grading")
    assert cli.main(["new", "sums"]) == 0
    assert "sums" in [e.id for e in load_course(tiny_copy).exercises]
    assert "sums" not in [e.id for e in load_course(TINY.path).exercises]
    capsys.readouterr()
    exercise, check = TINY.exercises[0].id, TINY.exercises[0].checks[0].id
    record = {"result": {"checks": [{"exercise": exercise, "check": check, "passed": True, "name": "the name"}]}}
    (tiny_copy.parent / RECORD_NAME).write_text(json.dumps(record))
    assert cli.main(["verdict", f"{exercise}.{check}"]) == 0
    assert capsys.readouterr().out == f"{exercise}.{check}: passed (the name)\n"
    (tiny_copy.parent / RECORD_NAME).unlink()
    assert cli.main(["verdict", f"{exercise}.{check}"]) == 1
    assert str(tiny_copy.parent / RECORD_NAME) in capsys.readouterr().out


def test_submit_release_gradescope_and_gradebook_write_where_they_are_told(tiny_copy, tmp_path, capsys):
    course = load_course(tiny_copy)
    hand_in = tmp_path / "hand-in.zip"
    assert cli.main(["submit", "--course", str(tiny_copy), "--exercises", str(course.solutions_dir),
                     "--out", str(hand_in)]) == 0
    with zipfile.ZipFile(hand_in) as archive:
        assert sorted(archive.namelist()) == sorted(course.exercise_files)
    assert cli.main(["release", str(tmp_path / "release"), "--course", str(tiny_copy)]) == 0
    assert (tmp_path / "release" / "course.toml").is_file()
    assert cli.main(["release", str(tmp_path / "release"), "--course", str(tiny_copy)]) == 1  # not empty now
    assert cli.main(["gradescope", str(tmp_path / "autograder.zip"), "--course", str(tiny_copy)]) == 0
    assert zipfile.is_zipfile(tmp_path / "autograder.zip")
    (tmp_path / "graded").mkdir()
    assert cli.main(["gradebook", str(tmp_path / "graded"), "--course", str(tiny_copy)]) == 0
    assert (tmp_path / "graded" / "grades.csv").read_text().startswith("submission,total,max_total")
    assert "error: " in capsys.readouterr().err  # the second release, and only it


def _two_assignments(course_file: Path) -> Course:
    return load_course(split_into_two_assignments(course_file))


@pytest.mark.parametrize("verb", [["submit"], ["release", "OUT"], ["gradescope", "OUT/a.zip"], ["grade", "IN", "--out", "OUT"]])
def test_a_verb_of_one_assignment_asks_which_when_the_course_has_several(verb, tiny_copy, tmp_path, capsys):
    _two_assignments(tiny_copy)
    (tmp_path / "IN").mkdir()
    command = [str(tmp_path / word) if word in ("IN", "OUT", "OUT/a.zip") else word for word in verb]
    assert cli.main([*command, "--course", str(tiny_copy)]) == 1
    error = capsys.readouterr().err
    assert error == (f"error: {tiny_copy} holds 2 assignments: choose one with --assignment "
                     "(part_one or part_two)\n")
    assert not (tmp_path / "OUT").exists()


def test_each_assignment_has_its_own_release_zip_and_submission(tiny_copy, tmp_path):
    course = _two_assignments(tiny_copy)
    first, second = course.exercises
    assert cli.main(["release", str(tmp_path / "one"), "--assignment", "part_one", "--course", str(tiny_copy)]) == 0
    assert sorted(p.name for p in (tmp_path / "one" / "exercises").iterdir()) == [first.file]
    released = load_course(tmp_path / "one" / "course.toml")
    assert (released.id, released.title, released.assignment_ids) == ("part_one", "Part one", ("part_one",))
    assert (tmp_path / "one" / "grading" / first.id).is_dir()
    assert not (tmp_path / "one" / "grading" / second.id).exists()
    assert not list((tmp_path / "one").rglob(f"{second.id}.*"))
    assert cli.main(["gradescope", str(tmp_path / "two.zip"), "--assignment", "part_two",
                     "--course", str(tiny_copy)]) == 0
    with zipfile.ZipFile(tmp_path / "two.zip") as archive:
        names = archive.namelist()
        assert any(n.startswith(f"grading/{second.id}/") for n in names)
        assert not [n for n in names if not n.startswith("autograder/")  # the engine's own modules may share a name
                    and (Path(n).name.startswith(f"{first.id}.") or n.startswith(f"grading/{first.id}/"))]
    assert cli.main(["submit", "--assignment", "part_two", "--course", str(tiny_copy), "--exercises",
                     str(course.solutions_dir), "--out", str(tmp_path / "hand-in.zip")]) == 0
    with zipfile.ZipFile(tmp_path / "hand-in.zip") as archive:
        assert archive.namelist() == [second.file]
    assert cli.main(["nbgrader", str(tmp_path / "nb"), "--course", str(tiny_copy)]) == 0
    assert sorted(p.name for p in (tmp_path / "nb" / "source").iterdir()) == ["part_one", "part_two"]


def test_check_grades_from_another_folder_passing_pytest_options_on(tmp_path):
    """`pytest autograder` finds its plugin only beside autograder/ ("unrecognized arguments: --exercise"
    elsewhere); `python -m autograder check` runs it from any folder, paths relative to that folder."""
    mine = shutil.copytree(TINY.solutions_dir, tmp_path / "mine", ignore=shutil.ignore_patterns("__pycache__"))
    exercise = TINY.exercises[0]
    command = [sys.executable, "-m", "autograder", "check", "--course", str(TINY.path), "--exercise", exercise.id,
               "--submission=.", "--results=results.json", "-q"]
    completed = subprocess.run(command, cwd=mine, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    tests = json.loads((mine / "results.json").read_text())["tests"]
    assert [t["number"] for t in tests] == [f"{exercise.id}.{c.id}" for c in exercise.checks]
    assert all(t["status"] == "passed" for t in tests)
    assert "score" in completed.stdout and not (mine / ".pytest_cache").exists()


def test_only_check_passes_unknown_options_on(capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main(["submit", "--bogus", "x"])
    assert stopped.value.code == 2 and "unrecognized arguments: --bogus x" in capsys.readouterr().err


def test_the_zip_submit_writes_in_the_repository_is_ignored_by_git():
    """`python -m autograder submit` in the instructor's repository writes its zip at the top: git must not offer it."""
    from autograder.submit import submission_name
    whole = load_course()
    if not (whole.root / ".git").exists():
        pytest.skip("not a git checkout")
    for course in map(whole.assignment, whole.assignment_ids):
        checked = subprocess.run(["git", "check-ignore", "-q", submission_name(course)], cwd=course.root)
        assert checked.returncode == 0, f"{submission_name(course)} is not in .gitignore"


def test_gradebook_on_a_folder_with_nothing_graded_says_to_grade_first(tiny_copy, tmp_path, capsys):
    """With several assignments, no record says which one an empty folder is of; `gradebook` has no
    --assignment to choose with, so the way out is to grade."""
    _two_assignments(tiny_copy)
    (tmp_path / "graded").mkdir()
    assert cli.main(["gradebook", str(tmp_path / "graded"), "--course", str(tiny_copy)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: nothing graded here") and "run `grade` first" in error
    assert "--assignment" not in error
    assert not (tmp_path / "graded" / "grades.csv").exists()


@pytest.mark.parametrize("verb", ["grade", "gradebook"])
def test_every_argument_of_the_grading_verbs_says_what_it_is(verb):
    """`--help` explains each argument, positional ones and --out included."""
    verbs = next(action for action in cli.build_parser()._actions if action.choices and verb in action.choices)
    parser = verbs.choices[verb]
    assert [action.dest for action in parser._actions if not action.help] == []
