"""Batch grading: a mixed class gets the right gradebook, feedback and report; runs resume and keep manual points.

The engine's mechanics run on the tiny course (seconds); one slow class of the real
course proves that its frameworks grade the same way under batch isolation.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from autograder.run import reference
from autograder.instructor.batch import free_text_columns, grade_class, rebuild_gradebook
from autograder.course.model import load_course
from autograder.course.code import check_names

REPO_ROOT = Path(__file__).resolve().parent.parent
TINY = load_course(Path(__file__).resolve().parent / "tiny_course" / "course.toml")
# The tiny course's two kinds of exercise: one with code, one whose answer key is a recording.
CODE = next(e for e in TINY.exercises if not e.answer_key_probes)
KEYED = next(e for e in TINY.exercises if e.answer_key_probes)
HIDDEN_OF_KEYED = sum(c.points for c in KEYED.checks if c.hidden)
EXPECTED = {"alice": TINY.max_points, "bob": TINY.max_points, "carl": 0,
            "dora": KEYED.max_points - HIDDEN_OF_KEYED,  # code that exits at import, a wrong answer
            "eli": TINY.max_points - CODE.max_points}  # the code file is a link: refused
EXITS_AT_IMPORT = "import atexit, os, sys\natexit.register(lambda: os._exit(0))\nsys.exit(0)\n"
FORCE_PASS = ("import pytest\n@pytest.hookimpl(wrapper=True)\ndef pytest_runtest_makereport(item, call):\n"
              "    report = yield\n    report.outcome = 'passed'\n    return report\n")


def _wrong_answer(course) -> str:
    """The keyed exercise's solution with another of its offered letters as ANSWER."""
    exercise = next(e for e in course.exercises if e.answer_key_probes)
    recording = json.loads(course.layout.recording(exercise.id).read_text())
    right = recording["run"]["outcomes"][exercise.answer_key_probes[0]]["value"]["answer"]
    wrong = next(letter for letter in exercise.grading.options[0] if letter != right)
    solution = (course.solutions_dir / exercise.file).read_text()
    return re.sub(r'^ANSWER = .*$', f'ANSWER = "{wrong}"', solution, count=1, flags=re.M)


def _make_class(root: Path, names: tuple[str, ...] = tuple(EXPECTED)) -> Path:
    """The class of EXPECTED (or only the members named), as folders and zips in `root`."""
    _make_everyone(root)
    for entry in root.iterdir():
        if entry.name.removesuffix(".zip") not in names:
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    return root


def _make_everyone(root: Path) -> None:
    shutil.copytree(TINY.solutions_dir, root / "alice")
    with zipfile.ZipFile(root / "bob.zip", "w") as archive:
        for name in TINY.exercise_files:
            archive.write(TINY.solutions_dir / name, f"bob/{name}")
    shutil.copytree(TINY.exercises_dir, root / "carl")
    dora = shutil.copytree(TINY.solutions_dir, root / "dora")
    (dora / "conftest.py").write_text(FORCE_PASS)
    (dora / CODE.file).write_text(EXITS_AT_IMPORT)
    (dora / KEYED.file).write_text(_wrong_answer(TINY))
    eli = shutil.copytree(TINY.solutions_dir, root / "eli")
    (eli / CODE.file).unlink()
    os.symlink(TINY.solutions_dir / CODE.file, eli / CODE.file)


def _tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(str(path.relative_to(root)).encode())
        if path.is_file() and not path.is_symlink():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _grades(out: Path) -> dict[str, dict]:
    with (out / "grades.csv").open() as handle:
        return {row["submission"]: row for row in csv.DictReader(handle)}


def _totals(out: Path) -> dict[str, float]:
    return {name: float(row["total"]) for name, row in _grades(out).items()}


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    root = _make_class(tmp_path_factory.mktemp("class"))
    before = _tree_digest(root)
    out = tmp_path_factory.mktemp("out")
    grade_class(root, out, jobs=2, course_file=TINY.path)
    return root, out, before


def test_every_submission_gets_its_row_and_the_right_total(graded_class):
    _, out, _ = graded_class
    grades = _grades(out)
    assert _totals(out) == EXPECTED
    assert list(grades) == sorted(EXPECTED)
    assert list(next(iter(grades.values()))) == ["submission", "total", "max_total",
                                                 *(e.id for e in TINY.exercises), "manual_points"]
    assert grades["dora"][CODE.id] == "0" and float(grades["dora"][KEYED.id]) == EXPECTED["dora"]
    assert {float(row["max_total"]) for row in grades.values()} == {TINY.max_points}


def test_feedback_says_why_points_were_lost(graded_class):
    _, out, _ = graded_class
    for name in EXPECTED:
        assert (out / name / "results.json").is_file() and (out / name / "feedback.md").is_file()
    assert "is not written yet" in (out / "carl" / "feedback.md").read_text()
    assert "could not be imported: SystemExit" in (out / "dora" / "feedback.md").read_text()
    eli = (out / "eli" / "feedback.md").read_text()
    assert f"{CODE.file}: is a link" in eli and f"{CODE.file} is missing" in eli
    results = json.loads((out / "eli" / "results.json").read_text())
    assert any(CODE.file in reason for reason in results["extra_data"]["refused"])


def test_a_feedback_page_draws_the_reference_however_slow_its_run(tmp_path, monkeypatch):
    """eli's code is refused, so eli's checks never wait for the reference of that exercise. At a seed the
    course has no recording for, the reference runs live; eli's page once drew its curve only if that run
    happened to end before the page was written (a loaded machine made two gradings of one class differ)."""
    record = reference.record_reference

    def slow_record(request, path):
        if request.exercise == CODE.id:  # the other exercise's reference, which eli's checks wait for, is quick
            time.sleep(2)
        return record(request, path)

    monkeypatch.setattr(reference, "record_reference", slow_record)
    out = tmp_path / "out"
    grade_class(_make_class(tmp_path / "class", ("eli",)), out, jobs=2, seed=5, course_file=TINY.path)
    assert 'alt="running total: yours over the reference"' in (out / "eli" / "feedback.html").read_text()


def test_hostile_files_change_nothing_outside_out(graded_class):
    root, _, before = graded_class
    assert _tree_digest(root) == before


def test_class_report_counts_failures_per_check(graded_class):
    _, out, _ = graded_class
    report = (out / "report.md").read_text()
    assert f"{len(EXPECTED)} submissions" in report
    hidden = next(c for c in KEYED.checks if c.hidden)  # lost by carl (stubs) and dora (wrong answer)
    name = check_names(TINY, KEYED)[hidden.id]
    assert f"| {KEYED.id}: {name} | 2 of {len(EXPECTED)} |" in report


def test_answers_collect_free_text_and_keep_manual_points(graded_class):
    root, out, _ = graded_class
    with (out / "answers.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    columns = list(free_text_columns(TINY))
    assert columns and list(rows[0]) == ["submission", *columns, "manual_points"]
    assert [r["submission"] for r in rows] == sorted(EXPECTED)
    alice = rows[0]
    assert all(len(alice[column].split()) >= 2 for column in columns)  # the solution's own answers
    assert all(rows[2][column] == "" for column in columns)  # carl: the stub's empty answers
    lines = (out / "answers.csv").read_text().splitlines()
    lines[1] = lines[1].rsplit(",", 1)[0] + ",4"  # the instructor gives alice 4 manual points
    (out / "answers.csv").write_text("\n".join(lines) + "\n")
    rebuild_gradebook(out, TINY)
    assert float(_grades(out)["alice"]["total"]) == TINY.max_points + 4
    grade_class(root, out, jobs=2, course_file=TINY.path)  # nothing changed: nothing regraded, manual points kept
    assert _grades(out)["alice"]["manual_points"] == "4"


def test_rerun_grades_only_what_changed(graded_class):
    root, out, _ = graded_class
    stamps = {name: (out / name / "record.json").stat().st_mtime_ns for name in EXPECTED}
    shutil.copy(TINY.solutions_dir / KEYED.file, root / "carl" / KEYED.file)
    try:
        grade_class(root, out, jobs=2, course_file=TINY.path)
        changed = {name for name in EXPECTED if (out / name / "record.json").stat().st_mtime_ns != stamps[name]}
        assert changed == {"carl"}
        assert float(_grades(out)["carl"][KEYED.id]) == KEYED.max_points
    finally:
        shutil.copy(TINY.exercises_dir / KEYED.file, root / "carl" / KEYED.file)


def test_killed_run_resumes_with_identical_grades(tmp_path):
    members = ("alice", "dora")
    root = _make_class(tmp_path / "class", members)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "autograder", "grade", str(root), "--out", str(out), "--jobs", "1",
               "--course", str(TINY.path)]
    process = subprocess.Popen(command, cwd=REPO_ROOT, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(out.glob("*/record.json")) and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    finished = len(list(out.glob("*/record.json")))
    assert 1 <= finished < len(members)
    subprocess.run(command, cwd=REPO_ROOT, check=True, stdout=subprocess.DEVNULL)
    assert _totals(out) == {name: EXPECTED[name] for name in members}
    assert not list(out.rglob(".*.json.*")), "no half-written file is left behind"


@pytest.mark.slow
@pytest.mark.parametrize("assignment", load_course().assignment_ids)
def test_a_real_class_with_a_hostile_member(tmp_path, assignment):
    """Each assignment of the real course under batch isolation: the solutions get full marks; a member whose
    first exercise exits at import, beside a conftest.py that would pass everything, loses that exercise only."""
    course = load_course().assignment(assignment)
    first = course.exercises[0]
    shutil.copytree(course.solutions_dir, tmp_path / "class" / "alice", ignore=shutil.ignore_patterns("__pycache__"))
    dora = shutil.copytree(course.solutions_dir, tmp_path / "class" / "dora",
                           ignore=shutil.ignore_patterns("__pycache__"))
    (dora / "conftest.py").write_text(FORCE_PASS)
    (dora / first.file).write_text(EXITS_AT_IMPORT)
    before = _tree_digest(tmp_path / "class")
    out = tmp_path / "out"
    grade_class(tmp_path / "class", out, jobs=2, assignment=assignment)
    assert _totals(out) == {"alice": course.max_points, "dora": course.max_points - first.max_points}
    assert "could not be imported: SystemExit" in (out / "dora" / "feedback.md").read_text()
    assert _tree_digest(tmp_path / "class") == before
    with (out / "answers.csv").open() as handle:
        alice = next(csv.DictReader(handle))
    assert all(alice[column].strip() for column in free_text_columns(course))


def test_grade_prints_a_summary_and_the_paths_not_the_report(graded_class, capsys):
    """On the class the fixture graded (graded again only where a test above changed it)."""
    from autograder.__main__ import main
    root, out, _ = graded_class
    assert main(["grade", str(root), "--out", str(out), "--course", str(TINY.path)]) == 0
    printed = capsys.readouterr().out
    mean = sum(EXPECTED.values()) / len(EXPECTED)
    assert printed.splitlines()[0] == (f"{len(EXPECTED)} submissions graded, mean score {mean:.4g} of "
                                       f"{TINY.max_points:.4g}, 0 incomplete")
    for name in ("grades.csv", "report.html", "report.md"):
        assert str(out / name) in printed
    assert "| " not in printed and len(printed.splitlines()) <= 4  # no table of report.md


@pytest.mark.parametrize("where", ["grading", "exporting"])
def test_a_grader_failure_on_one_submission_is_its_regrade_me_record_not_the_class_s(where, tmp_path, monkeypatch):
    """As CPython 3.11's thread-unsafe ast.parse once did in the thread pool (gh-106905): whatever the grader
    raises for one submission costs that submission a "could not be graded" record, graded again next run."""
    from autograder.instructor import batch
    root = _make_class(tmp_path / "class", ("alice", "carl"))
    step = {"grading": "grade_submission", "exporting": "feedback_markdown"}[where]
    real = getattr(batch, step)

    def fails_for_carl(*args, **kwargs):
        if any(getattr(arg, "name", getattr(arg, "submission", None)) == "carl" for arg in args):
            raise SystemError("AST constructor recursion depth mismatch (before=42, after=37)")
        return real(*args, **kwargs)
    monkeypatch.setattr(batch, step, fails_for_carl)
    results = grade_class(root, tmp_path / "out", jobs=2, course_file=TINY.path, fork_servers=False)
    assert results["alice"].score == TINY.max_points and results["carl"].score == 0
    record = json.loads((tmp_path / "out" / "carl" / "record.json").read_text())
    assert record["fingerprint"] == "incomplete"
    assert all("SystemError: AST constructor recursion depth mismatch" in c["message"]
               for c in record["result"]["checks"])
    assert _totals(tmp_path / "out") == {"alice": TINY.max_points, "carl": 0}
    monkeypatch.setattr(batch, step, real)
    grade_class(root, tmp_path / "out", jobs=2, course_file=TINY.path, fork_servers=False)
    assert _totals(tmp_path / "out") == {"alice": TINY.max_points, "carl": EXPECTED["carl"]}
    assert json.loads((tmp_path / "out" / "carl" / "record.json").read_text())["fingerprint"] != "incomplete"


@pytest.mark.slow  # a real batch, interrupted while a submission sleeps at import
def test_ctrl_c_says_one_line_keeps_what_was_graded_and_writes_no_half_graded_record(tmp_path):
    root = _make_class(tmp_path / "class", ("alice",))
    sleeper = shutil.copytree(TINY.solutions_dir, root / "zed", ignore=shutil.ignore_patterns("__pycache__"))
    future = "from __future__ import annotations\n"
    (sleeper / CODE.file).write_text((sleeper / CODE.file).read_text().replace(
        future, future + "import time\ntime.sleep(20)\n", 1))  # well within the import limit, long past the Ctrl-C
    out = tmp_path / "out"
    command = [sys.executable, "-m", "autograder", "grade", str(root), "--out", str(out), "--jobs", "1",
               "--course", str(TINY.path)]
    # Ctrl-C's default, as a terminal's foreground job has it: a suite started in the background (`pytest &`)
    # runs with SIGINT ignored, and its children would inherit that and never see the interrupt.
    process = subprocess.Popen(command, cwd=REPO_ROOT, start_new_session=True, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not (out / "alice" / "record.json").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.5)  # zed's grading has started and its worker sleeps
    os.killpg(process.pid, signal.SIGINT)  # as Ctrl-C in a terminal: the whole foreground group
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr + stdout
    assert stderr.splitlines()[-1] == "interrupted: run the same command to resume" and "Traceback" not in stderr
    assert (out / "alice" / "record.json").exists() and not (out / "zed" / "record.json").exists()
