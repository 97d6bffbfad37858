"""Batch grading: a mixed class gets the right gradebook, feedback and report; runs resume and keep manual points."""
from __future__ import annotations

import csv
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from submission_tools import EXERCISE_FILES, EXERCISES, REPO, SOLUTIONS

from autograder.batch import grade_class, rebuild_gradebook
from autograder.course import load_course

COURSE = load_course()
EXPECTED = {"alice": 100, "bob": 100, "carl": 0, "dora": 47, "eli": 50}  # dora: Q1 wrong (3 points)


def _make_class(root: Path) -> Path:
    shutil.copytree(SOLUTIONS, root / "alice")
    with zipfile.ZipFile(root / "bob.zip", "w") as archive:
        for name in EXERCISE_FILES:
            archive.write(SOLUTIONS / name, f"bob/{name}")
    shutil.copytree(EXERCISES, root / "carl")
    dora = shutil.copytree(SOLUTIONS, root / "dora")
    (dora / "conftest.py").write_text("import pytest\n@pytest.hookimpl(wrapper=True)\n"
                                      "def pytest_runtest_makereport(item, call):\n"
                                      "    report = yield\n    report.outcome = 'passed'\n    return report\n")
    (dora / "torch_xor.py").write_text("import atexit, os, sys\natexit.register(lambda: os._exit(0))\nsys.exit(0)\n")
    concepts = (dora / "concepts.py").read_text().replace('Q1_ANSWER = {"a", "b", "d"}', 'Q1_ANSWER = {"c"}')
    (dora / "concepts.py").write_text(concepts)
    eli = shutil.copytree(SOLUTIONS, root / "eli")
    (eli / "torch_xor.py").unlink()
    os.symlink(SOLUTIONS / "torch_xor.py", eli / "torch_xor.py")
    return root


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


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    root = _make_class(tmp_path_factory.mktemp("class"))
    before = _tree_digest(root)
    out = tmp_path_factory.mktemp("out")
    grade_class(root, out, jobs=2)
    return root, out, before


def test_every_submission_gets_its_row_and_the_right_total(graded_class):
    _, out, _ = graded_class
    grades = _grades(out)
    assert {name: float(row["total"]) for name, row in grades.items()} == EXPECTED
    assert list(grades) == sorted(EXPECTED)
    assert list(next(iter(grades.values()))) == ["submission", "total", "max_total", "torch_xor", "keras_xor",
                                                 "concepts", "manual_points"]
    assert grades["dora"]["torch_xor"] == "0" and grades["dora"]["keras_xor"] == "32"


def test_feedback_says_why_points_were_lost(graded_class):
    _, out, _ = graded_class
    for name in EXPECTED:
        assert (out / name / "results.json").is_file() and (out / name / "feedback.md").is_file()
    assert "is not written yet" in (out / "carl" / "feedback.md").read_text()
    assert "could not be imported: SystemExit" in (out / "dora" / "feedback.md").read_text()
    eli = (out / "eli" / "feedback.md").read_text()
    assert "torch_xor.py: is a link" in eli and "torch_xor.py is missing" in eli


def test_hostile_files_change_nothing_outside_out(graded_class):
    root, _, before = graded_class
    assert _tree_digest(root) == before


def test_class_report_counts_failures_per_check(graded_class):
    _, out, _ = graded_class
    report = (out / "report.md").read_text()
    assert "5 submissions" in report
    assert "| concepts: Q1: why dynamic graphs help research | 2 of 5 |" in report


def test_answers_collect_free_text_and_keep_manual_points(graded_class):
    root, out, _ = graded_class
    with (out / "answers.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["submission"] for r in rows] == sorted(EXPECTED)
    assert rows[0]["q1_why"].startswith("An eager graph")
    lines = (out / "answers.csv").read_text().splitlines()
    lines[1] = lines[1].rsplit(",", 1)[0] + ",4"  # the instructor gives alice 4 manual points
    (out / "answers.csv").write_text("\n".join(lines) + "\n")
    rebuild_gradebook(out, COURSE)
    assert _grades(out)["alice"]["total"] == "104"
    grade_class(root, out, jobs=2)  # nothing changed: nothing regraded, manual points kept
    assert _grades(out)["alice"]["manual_points"] == "4"


def test_rerun_grades_only_what_changed(graded_class, tmp_path):
    root, out, _ = graded_class
    stamps = {name: (out / name / "record.json").stat().st_mtime_ns for name in EXPECTED}
    (root / "carl" / "concepts.py").write_text((SOLUTIONS / "concepts.py").read_text())
    try:
        grade_class(root, out, jobs=2)
        changed = {name for name in EXPECTED if (out / name / "record.json").stat().st_mtime_ns != stamps[name]}
        assert changed == {"carl"}
        assert _grades(out)["carl"]["concepts"] == "18"
    finally:
        shutil.copy(EXERCISES / "concepts.py", root / "carl" / "concepts.py")


def test_killed_run_resumes_with_identical_grades(tmp_path):
    root = _make_class(tmp_path / "class")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "autograder", "grade", str(root), "--out", str(out), "--jobs", "1"]
    process = subprocess.Popen(command, cwd=REPO, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not list(out.glob("*/record.json")) and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    finished = len(list(out.glob("*/record.json")))
    assert 1 <= finished < len(EXPECTED)
    subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    assert {name: float(row["total"]) for name, row in _grades(out).items()} == EXPECTED
    assert not list(out.rglob(".*.json.*")), "no half-written file is left behind"
