"""The Gradescope zip: built, unzipped the way Gradescope lays it out, and run on uploads students make."""
from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from submission_tools import EXERCISE_FILES, EXERCISES, REPO, SOLUTIONS

from autograder.course import load_course
from autograder.gradescope_package import build_gradescope_zip

COURSE = load_course()
HIDDEN = {f"{e.id}.{c.id}" for e in COURSE.exercises for c in e.checks if c.hidden}
PINS = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]


@dataclass
class Run:
    results: dict
    stdout: str

    def lost(self) -> set[str]:
        return {t["number"] for t in self.results["tests"] if t["score"] < t["max_score"]}


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    return build_gradescope_zip(COURSE, tmp_path_factory.mktemp("zip") / "autograder.zip")


@pytest.fixture
def gradescope(tmp_path: Path, archive: Path) -> Path:
    """A folder laid out as Gradescope's /autograder: source/ (the unzipped zip), submission/, results/."""
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(tmp_path / "source")
    (tmp_path / "submission").mkdir()
    (tmp_path / "results").mkdir()
    return tmp_path


def run_autograder(root: Path, **environment: str) -> Run:
    """`bash run_autograder` in `root` instead of /autograder, with this interpreter instead of the zip's venv."""
    environment = {"GRADESCOPE_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable, **environment}
    completed = subprocess.run(["bash", str(root / "source" / "run_autograder")], capture_output=True, text=True,
                               env=dict(os.environ, **environment), timeout=600)
    results = root / "results" / "results.json"
    assert results.is_file(), f"no results.json:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
    return Run(json.loads(results.read_text()), completed.stdout)


def test_the_zip_holds_the_grader_and_no_solutions(archive: Path):
    with zipfile.ZipFile(archive) as opened:
        entries = {info.filename: info for info in opened.infolist()}
        course_toml = opened.read("course.toml")
    for name in ("setup.sh", "run_autograder"):
        assert entries[name].external_attr >> 16 & 0o111 == 0o111, f"{name} is not executable in the zip"
    assert course_toml == COURSE.path.read_bytes()
    assert {"pyproject.toml", "README.txt", "autograder/conftest.py", "autograder/reference/concepts.json",
            "autograder/checks/concepts.py", "autograder/probes/torch_xor.py"} <= set(entries)
    assert not [n for n in entries if n.startswith(("solutions/", "exercises/", "tests/")) or "__pycache__" in n]
    assert not [n for n in entries if Path(n).name in EXERCISE_FILES and not n.startswith("autograder/")]


def test_setup_sh_is_valid_bash_and_pins_exactly_pyprojects_dependencies(gradescope: Path):
    setup = gradescope / "source" / "setup.sh"
    for script in (setup, gradescope / "source" / "run_autograder"):
        checked = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
    installs = [shlex.split(line) for line in setup.read_text().splitlines() if "pip install --extra-index" in line]
    assert len(installs) == 1
    words = installs[0]
    assert words[words.index("--extra-index-url") + 1] == "https://download.pytorch.org/whl/cpu"
    assert words[words.index("--extra-index-url") + 2:] == PINS
    assert "--index-url" not in setup.read_text()


def test_the_solutions_score_full_marks_and_hidden_checks_wait(gradescope: Path):
    for name in EXERCISE_FILES:
        shutil.copy(SOLUTIONS / name, gradescope / "submission" / name)
    run = run_autograder(gradescope)
    results = run.results
    assert results["score"] == results["max_score"] == COURSE.max_points == 100
    assert results["stdout_visibility"] == COURSE.gradescope.stdout_visibility
    assert HIDDEN and COURSE.gradescope.hidden_visibility == "after_published"
    for test in results["tests"]:
        expected = "after_published" if test["number"] in HIDDEN else "visible"
        assert test["visibility"] == expected, test["number"]
    assert {t["number"] for t in results["tests"] if t["visibility"] == "after_published"} == HIDDEN


def test_the_stubs_score_zero_and_hidden_messages_stay_out_of_what_students_always_see(gradescope: Path):
    for name in EXERCISE_FILES:
        shutil.copy(EXERCISES / name, gradescope / "submission" / name)
    run = run_autograder(gradescope)
    assert run.results["score"] == 0 and run.results["max_score"] == 100
    for test in run.results["tests"]:
        if test["number"] in HIDDEN:
            assert test["output"] not in run.results["output"] and test["output"] not in run.stdout


def test_a_zip_of_one_folder_missing_a_file_loses_only_that_exercise(gradescope: Path):
    folder = gradescope / "submission" / "my homework"
    folder.mkdir()
    for name in ("torch_xor.py", "keras_xor.py"):
        shutil.copy(SOLUTIONS / name, folder / name)
    (gradescope / "submission" / "notes.txt").write_text("not graded")
    run = run_autograder(gradescope)
    assert run.results["score"] == 100 - COURSE.exercise("concepts").max_points
    assert run.lost() == {f"concepts.{c.id}" for c in COURSE.exercise("concepts").checks}
    assert "Missing: concepts.py" in run.results["output"] and "my homework" in run.results["output"]


def test_an_empty_upload_still_gets_a_results_json_that_says_why(gradescope: Path):
    run = run_autograder(gradescope)
    assert run.results["score"] == 0
    assert "No exercise file found in your upload" in run.results["output"]


def test_a_grader_that_crashes_or_cannot_start_still_leaves_a_results_json(gradescope: Path):
    for name in EXERCISE_FILES:
        shutil.copy(SOLUTIONS / name, gradescope / "submission" / name)
    (gradescope / "source" / "course.toml").write_text("[course]\nbogus = 1\n")
    crashed = run_autograder(gradescope)
    assert crashed.results["score"] == 0 and "failed before it could score" in crashed.results["output"]
    missing = run_autograder(gradescope, AUTOGRADER_PYTHON=str(gradescope / "no-such-python"))
    assert missing.results["score"] == 0 and "stopped (exit status 127" in missing.results["output"]


def test_an_upload_that_outlasts_the_deadline_still_gets_a_results_json(gradescope: Path):
    for name in EXERCISE_FILES:
        shutil.copy(SOLUTIONS / name, gradescope / "submission" / name)
    late = run_autograder(gradescope, AUTOGRADER_DEADLINE="2")
    assert late.results["score"] == 0 and "did not finish within 2 seconds" in late.results["output"]
