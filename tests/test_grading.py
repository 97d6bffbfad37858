"""End to end: `pytest autograder` on the solutions, the stubs, and broken folders.

The engine's behaviour is proved on the tiny course (tests/tiny_course, a run takes a second);
that the XOR course's own solutions score full marks and its stubs zero needs its frameworks: slow.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from submission_tools import Graded, run_grader, split_into_two_assignments

from autograder.course.model import load_course

REPO = Path(__file__).resolve().parent.parent
COURSE = load_course()
TINY = load_course(Path(__file__).resolve().parent / "tiny_course" / "course.toml")
ON_TINY = ("--course", str(TINY.path))
# The tiny course's exercise that calls a function of the student's (the other one reads names).
FUNCTION = "lists"
# A hostile conftest.py: if pytest's reports decided the score, every check would count as passed.
PASS_EVERYTHING = ("import pytest\n\n\n@pytest.hookimpl(wrapper=True)\ndef pytest_runtest_makereport(item, call):\n"
                   "    report = yield\n    report.outcome = 'passed'\n    return report\n")


def _full(course) -> str:
    return f"{course.max_points:g} / {course.max_points:g}"


def _copy(folder: Path, target: Path, leave_out: str | None = None) -> Path:
    target.mkdir()
    for exercise in TINY.exercises:
        if exercise.file != leave_out:
            shutil.copy(folder / exercise.file, target / exercise.file)
    return target


def _with_function_body(tmp_path: Path, body: str) -> Path:
    """The tiny solutions, with `body` first in the function exercise's function."""
    submission = _copy(TINY.solutions_dir, tmp_path / "submission")
    module = submission / TINY.exercise(FUNCTION).file
    source = module.read_text()
    start = source.index("    ### BEGIN SOLUTION\n")
    module.write_text(source[:start] + "".join(f"    {line}\n" for line in body.splitlines()) + source[start:])
    return submission


@pytest.fixture(scope="module")
def solutions_run(tmp_path_factory, reference_cache) -> tuple[Graded, dict]:
    """One grading run of the tiny solutions, with its record: what several tests read."""
    folder = tmp_path_factory.mktemp("solutions-run")
    graded = run_grader(TINY.solutions_dir, folder / "results.json", *ON_TINY, "--record", str(folder / "record.json"),
                        "--reference-cache", str(reference_cache))
    return graded, json.loads((folder / "record.json").read_text())


@pytest.fixture(scope="module")
def stubs_run(tmp_path_factory, reference_cache) -> Graded:
    """The tiny stubs, shipped with a conftest.py that would report every check as passed."""
    folder = tmp_path_factory.mktemp("stubs-run")
    submission = _copy(TINY.exercises_dir, folder / "submission")
    (submission / "conftest.py").write_text(PASS_EVERYTHING)
    return run_grader(submission, folder / "results.json", *ON_TINY, "--reference-cache", str(reference_cache))


def test_solutions_score_full_marks(solutions_run):
    graded, _ = solutions_run
    assert graded.results["score"] == graded.results["max_score"] == TINY.max_points
    assert graded.returncode == 0
    assert _full(TINY) in graded.stdout


def test_stubs_score_zero_without_a_traceback(stubs_run):
    graded = stubs_run
    assert graded.results["score"] == 0
    assert graded.returncode == 1, "failures only: no internal error, no crash"
    assert "Traceback" not in graded.stdout
    assert all(test["score"] == 0 and test["output"] for test in graded.results["tests"])


def test_a_conftest_that_would_pass_every_check_changes_no_score(stubs_run):
    """Scores come from the checks' own results, never from pytest's reports, which a conftest.py can rewrite."""
    assert stubs_run.results["score"] == 0 and " 0 / " in stubs_run.stdout


def test_a_conftest_in_the_submission_folder_is_never_run_by_the_grader(tmp_path):
    """`--submission DIR` with a space makes pytest load DIR/conftest.py before it knows the option:
    the grader then refuses to grade, and with `--submission=DIR` the file is never loaded."""
    submission = _copy(TINY.solutions_dir, tmp_path / "submission")
    marker = tmp_path / "conftest-ran"
    (submission / "conftest.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    spaced = subprocess.run([sys.executable, "-m", "pytest", "autograder", "--submission", str(submission), *ON_TINY,
                             "-p", "no:cacheprovider"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert spaced.returncode == 4 and "not grading" in spaced.stderr and f"--submission={submission}" in spaced.stderr
    marker.unlink()
    joined = subprocess.run([sys.executable, "-m", "pytest", "autograder", f"--submission={submission}", *ON_TINY,
                             "-p", "no:cacheprovider"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert joined.returncode == 0 and not marker.exists()


def test_every_check_is_reported_with_its_exercise_tag(solutions_run):
    graded, _ = solutions_run
    expected = {f"{e.id}.{c.id}": (e.id, c.points) for e in TINY.exercises for c in e.checks}
    reported = {t["number"]: (t["tags"][0], t["max_score"]) for t in graded.results["tests"]}
    assert reported == expected
    for test in graded.results["tests"]:
        assert set(test) >= {"name", "score", "max_score", "output", "visibility", "tags"}


def test_missing_file_costs_only_its_exercise(grade, tmp_path):
    exercise = TINY.exercises[0]
    graded = grade(_copy(TINY.solutions_dir, tmp_path / "submission", leave_out=exercise.file), *ON_TINY)
    assert graded.results["score"] == TINY.max_points - exercise.max_points
    for check in exercise.checks:
        assert f"{exercise.file} is missing" in graded.output_of(f"{exercise.id}.{check.id}")


def test_deselected_exercises_start_no_worker(grade, tmp_path):
    """`-k` chooses checks before any worker starts: a deselected exercise costs no training time."""
    chosen, other = TINY.exercises[0], TINY.exercises[1]
    record = tmp_path / "record.json"
    graded = grade(TINY.solutions_dir, *ON_TINY, "-k", chosen.id, "--record", str(record))
    assert {t["tags"][0] for t in graded.results["tests"]} == {chosen.id}
    observed = json.loads(record.read_text())["observations"]
    assert chosen.id in observed and other.id not in observed


def test_score_table_sums_each_exercise(stubs_run):
    lines = [line for line in stubs_run.stdout.splitlines() if "/ " in line]
    for exercise in TINY.exercises:
        row = next(line for line in lines if f" {exercise.id} " in line)
        assert row.rstrip().endswith(f"0 / {exercise.max_points:g}")
    assert lines[-1].split()[0] == "Total" and lines[-1].rstrip().endswith(f"0 / {TINY.max_points:g}")


def test_seed_option_changes_the_experiments(grade, tmp_path, solutions_run):
    seed = TINY.seed + 1
    graded = grade(TINY.solutions_dir, *ON_TINY, "--seed", str(seed), "--record", str(tmp_path / "record.json"))
    assert graded.results["score"] == TINY.max_points
    assert f"--seed={seed}" in graded.stdout
    recorded = json.loads((tmp_path / "record.json").read_text())
    default, default_record = solutions_run
    assert f"--seed={TINY.seed}" in default.stdout
    assert (recorded["result"]["seed"], default_record["result"]["seed"]) == (seed, TINY.seed)
    assert recorded["observations"] != default_record["observations"], "another seed runs other experiments"


def test_a_negative_seed_is_refused():
    completed = subprocess.run([sys.executable, "-m", "pytest", "autograder", *ON_TINY, "--seed", "-5",
                                "-p", "no:cacheprovider"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert completed.returncode not in (0, 1)
    said = completed.stdout + completed.stderr
    assert "--seed" in said and "-5" in said and "Traceback" not in said


def test_a_failed_check_shows_what_the_code_printed(grade, tmp_path):
    submission = _with_function_body(tmp_path, "print('looking at', len(values), 'values')\nreturn list(values)")
    graded = grade(submission, *ON_TINY, "--record", str(tmp_path / "record.json"))
    assert graded.results["score"] < TINY.max_points
    assert "Your code printed:" in graded.stdout and "| looking at" in graded.stdout
    checks = json.loads((tmp_path / "record.json").read_text())["result"]["checks"]
    failed = [c for c in checks if not c["passed"]]
    assert failed and all("looking at" in c["printed"] for c in failed)
    assert all(c["printed"] == "" for c in checks if c["passed"])


def test_modules_that_shadow_what_the_grader_imports_are_never_loaded(grade, tmp_path):
    """Files named like what the grader, the worker and the probes import change nothing."""
    submission = _copy(TINY.solutions_dir, tmp_path / "submission")
    helpers = sorted({name for name in [*TINY.layout.probe_files(), *TINY.layout.check_files()] if name.startswith("_")})
    assert helpers, "the tiny course should have a shared helper module"
    shadows = ["pytest", "random", "json", "autograder", "course_probes", "probe", "check", *helpers]
    for name in shadows:
        (submission / f"{name}.py").write_text("raise SystemExit('a shadowing file was loaded')\n")
    graded = grade(submission, *ON_TINY)
    assert graded.results["score"] == TINY.max_points, graded.stdout[-2000:]


@pytest.mark.slow  # it waits out real time limits: tests/test_starved.py proves the notice's rules fast
def test_a_stuck_call_is_announced_instead_of_silence(grade, tmp_path):
    """Calls that hang take a limit each: the student is told why the grader waits (at half the limit)."""
    submission = _with_function_body(tmp_path, "while True:\n    pass")
    seconds = 1
    course = tmp_path / "course.toml"
    course.write_text(TINY.path.read_text().replace(f"probe_seconds = {TINY.limits.probe_seconds:g}",
                                                    f"probe_seconds = {seconds}"))
    shutil.copytree(TINY.layout.grading_dir, tmp_path / "grading", ignore=shutil.ignore_patterns("__pycache__"))
    graded = grade(submission, "--course", str(course), "--solutions", str(TINY.solutions_dir),
                   "--exercise", FUNCTION)
    assert (f"still grading {TINY.exercise(FUNCTION).file}: a call in it is slow or stuck; "
            f"each call is stopped after {seconds} s") in graded.stdout
    assert graded.results["score"] == 0


@pytest.mark.slow
def test_the_course_solutions_score_full_marks(grade):
    graded = grade(COURSE.solutions_dir)
    assert graded.results["score"] == graded.results["max_score"] == COURSE.max_points
    assert graded.returncode == 0
    assert _full(COURSE) in graded.stdout


@pytest.mark.slow
def test_the_course_stubs_score_zero_with_todo_messages(grade):
    graded = grade(COURSE.exercises_dir)
    assert graded.results["score"] == 0
    assert graded.returncode == 1, "failures only: no internal error, no crash"
    assert "Traceback" not in graded.stdout
    for test in graded.results["tests"]:
        assert test["score"] == 0
        assert "TODO" in test["output"] or "empty" in test["output"] or "words" in test["output"], test


# ---- a course of two assignments ----

@pytest.fixture(scope="module")
def two_assignments(tmp_path_factory) -> Path:
    """The tiny course as two assignments, one exercise each."""
    root = Path(shutil.copytree(TINY.root, tmp_path_factory.mktemp("two") / "course",
                                ignore=shutil.ignore_patterns("__pycache__")))
    return split_into_two_assignments(root / "course.toml")


def test_every_assignment_handed_in_is_graded_with_its_own_subtotal(grade, two_assignments):
    graded = grade(TINY.solutions_dir, "--course", str(two_assignments))
    assert graded.results["score"] == TINY.max_points
    assert "Assignment part_one" in graded.stdout and "Assignment part_two" in graded.stdout
    assert "skipped assignment" not in graded.stdout


def test_an_assignment_with_no_file_handed_in_is_skipped_and_named(grade, two_assignments, tmp_path):
    first, second = TINY.exercises
    submission = _copy(TINY.solutions_dir, tmp_path / "only-first", leave_out=second.file)
    graded = grade(submission, "--course", str(two_assignments))
    assert {test["number"].split(".")[0] for test in graded.results["tests"]} == {first.id}
    assert graded.results["score"] == first.max_points and graded.returncode == 0
    assert (f"autograder: skipped assignment part_two: none of its files ({second.file}) is in {submission}"
            in graded.stdout)
    assert "Skipped assignment part_two" in graded.stdout and "grade it with --assignment part_two" in graded.stdout
    assert "autograder: Part one" in graded.stdout  # one assignment graded: the run is that assignment's


def test_assignment_option_grades_that_one_even_with_its_files_missing(grade, two_assignments, tmp_path):
    first, second = TINY.exercises
    submission = _copy(TINY.solutions_dir, tmp_path / "only-first", leave_out=second.file)
    graded = grade(submission, "--course", str(two_assignments), "--assignment", "part_two")
    assert {test["number"].split(".")[0] for test in graded.results["tests"]} == {second.id}
    assert graded.results["score"] == 0 and "skipped" not in graded.stdout
    unknown = subprocess.run([sys.executable, "-m", "pytest", "autograder", f"--submission={submission}",
                              "--course", str(two_assignments), "--assignment", "part_three"],
                             cwd=REPO, capture_output=True, text=True, timeout=300)
    assert unknown.returncode == 4 and "no assignment 'part_three' (it has part_one, part_two)" in unknown.stderr
