"""End to end: `pytest autograder` on the solutions, the stubs, and broken folders."""
from __future__ import annotations

import shutil
from pathlib import Path

from submission_tools import CORPUS, EXERCISE_FILES, EXERCISES, SOLUTIONS, build_submission

from autograder.course import load_course

COURSE = load_course()


def test_solutions_score_full_marks(grade):
    graded = grade(SOLUTIONS)
    assert graded.results["score"] == graded.results["max_score"] == COURSE.max_points
    assert graded.returncode == 0
    assert "100 / 100" in graded.stdout


def test_stubs_score_zero_with_todo_messages(grade):
    graded = grade(EXERCISES)
    assert graded.results["score"] == 0
    assert graded.returncode == 1, "failures only: no internal error, no crash"
    assert "Traceback" not in graded.stdout
    for test in graded.results["tests"]:
        assert test["score"] == 0
        assert "TODO" in test["output"] or "empty" in test["output"] or "words" in test["output"], test


def test_every_check_is_reported_with_its_exercise_tag(grade):
    graded = grade(SOLUTIONS)
    expected = {f"{e.id}.{c.id}": (e.id, c.points) for e in COURSE.exercises for c in e.checks}
    reported = {t["number"]: (t["tags"][0], t["max_score"]) for t in graded.results["tests"]}
    assert reported == expected
    for test in graded.results["tests"]:
        assert set(test) >= {"name", "score", "max_score", "output", "visibility", "tags"}


def test_missing_file_costs_only_its_exercise(grade, tmp_path):
    submission = tmp_path / "submission"
    submission.mkdir()
    for name in EXERCISE_FILES:
        if name != "keras_xor.py":
            shutil.copy(SOLUTIONS / name, submission / name)
    graded = grade(submission)
    keras_points = COURSE.exercise("keras_xor").max_points
    assert graded.results["score"] == COURSE.max_points - keras_points
    assert "keras_xor.py is missing" in graded.output_of("keras_xor.make_xor_data")


def test_score_table_sums_each_exercise(grade):
    graded = grade(EXERCISES)
    lines = [line for line in graded.stdout.splitlines() if "/ " in line]
    for exercise in COURSE.exercises:
        row = next(line for line in lines if f" {exercise.id} " in line)
        assert row.rstrip().endswith(f"0 / {exercise.max_points:g}")
    assert lines[-1].split()[0] == "Total"


def test_seed_option_changes_the_experiments(grade):
    graded = grade(SOLUTIONS, "--seed", "7")
    assert graded.results["score"] == COURSE.max_points
    assert "--seed=7" in graded.stdout


def test_shadowing_files_and_hooks_in_the_submission_folder_are_never_loaded(grade, tmp_path):
    """torch.py, numpy.py, keras.py and a conftest.py beside the student's files change nothing."""
    case = CORPUS / "hostile" / "shadows_libraries_and_ships_conftest"
    submission = build_submission(case, tmp_path / "submission")
    assert (submission / "conftest.py").is_file() and (submission / "torch.py").is_file()
    assert grade(submission).results["score"] == COURSE.max_points


def test_a_stuck_call_is_announced_instead_of_silence(grade, tmp_path):
    """Five train() probes that hang take minutes at the course's limit: the student is told why it waits."""
    submission = tmp_path / "submission"
    submission.mkdir()
    source = (SOLUTIONS / "torch_xor.py").read_text()
    (submission / "torch_xor.py").write_text(
        source.replace("    loss_fn = nn.BCELoss()\n", "    while True:\n        pass\n    loss_fn = nn.BCELoss()\n"))
    course = tmp_path / "course.toml"
    course.write_text(COURSE.path.read_text().replace("probe_seconds = 20", "probe_seconds = 4"))
    graded = grade(submission, "--course", str(course), "--exercise", "torch_xor")
    assert "still grading torch_xor.py: a call in it is slow or stuck; each call is stopped after 4 s" in graded.stdout
    assert "train_matches_reference" in " ".join(t["number"] for t in graded.results["tests"] if t["score"] == 0)
