"""The engine stands apart: a course copied anywhere grades, releases and zips from its own folder.

The tiny course is copied to a temporary folder outside this repository, with no file of it
inside the engine's package. Every command runs in the copy's folder with no --course: the
course you stand in is the one graded, and what a release or a zip pins is that course's own.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

import autograder
from autograder.course.model import default_course_file, load_course

TINY = Path(__file__).resolve().parent / "tiny_course"
ENGINE = Path(autograder.__file__).resolve().parent
FRAMEWORKS = ("torch", "tensorflow", "keras")


@pytest.fixture(scope="module")
def copied(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("elsewhere") / "course"
    shutil.copytree(TINY, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _run(folder: Path, *command: str, engine: bool = True) -> subprocess.CompletedProcess:
    """A command as an instructor types it, standing in `folder`, with the engine importable as installed
    (`engine=False`: as a student's release runs, with only the folder's own copy of it)."""
    environment = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    if engine:
        environment["PYTHONPATH"] = str(ENGINE.parent)
    return subprocess.run([sys.executable, *command], cwd=folder, capture_output=True, text=True, timeout=600,
                          env=environment, stdin=subprocess.DEVNULL)


def _record(folder: Path, submission: str, record: Path) -> dict:
    run = _run(folder, "-m", "pytest", str(ENGINE), f"--submission={submission}", f"--record={record}",
               "-q", "-p", "no:cacheprovider", "-p", "no:randomly")
    assert record.is_file(), run.stdout[-3000:] + run.stderr[-3000:]
    return json.loads(record.read_text())["result"]


def test_the_copy_holds_its_own_files_and_none_of_the_engines(copied: Path):
    files = [p for p in copied.rglob("*") if p.is_file()]
    assert files and not any(p.resolve().is_relative_to(ENGINE) for p in files)
    assert not (copied / "autograder").exists() and not copied.is_relative_to(ENGINE.parent)
    assert default_course_file(copied / "exercises") == copied / "course.toml"


def test_the_course_you_stand_in_is_the_one_graded(copied: Path, tmp_path: Path):
    course = load_course(copied / "course.toml")
    solved = _record(copied, "solutions", tmp_path / "solved.json")
    assert solved["course_title"] == course.title
    assert {c["exercise"] for c in solved["checks"]} == {e.id for e in course.exercises}
    assert all(c["passed"] for c in solved["checks"]), solved["checks"]
    assert sum(c["possible"] for c in solved["checks"]) == course.max_points
    stubs = _record(copied / "exercises", "../exercises", tmp_path / "stubs.json")  # from a folder below it too
    assert stubs["course_title"] == course.title and not any(c["passed"] for c in stubs["checks"])
    check = _run(copied, "-m", "autograder", "check", "--submission=solutions")
    assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-2000:]
    assert f"{course.max_points:g} / {course.max_points:g}" in check.stdout


def test_its_release_pins_its_own_requirements_and_grades(copied: Path, tmp_path: Path):
    out = tmp_path / "release"
    made = _run(copied, "-m", "autograder", "release", str(out))
    assert made.returncode == 0, made.stdout[-2000:] + made.stderr[-2000:]
    course = load_course(copied / "course.toml")
    assert {p.name for p in (out / "grading").iterdir()} >= {e.id for e in course.exercises}
    pins = (out / "requirements.txt").read_text().lower()
    assert not any(framework in pins for framework in FRAMEWORKS), pins
    for exercise in course.exercises:
        shutil.copy(copied / "solutions" / exercise.file, out / "exercises" / exercise.file)
    imported = _run(out, "-c", "import autograder; print(autograder.__file__)", engine=False)
    assert Path(imported.stdout.strip()).parent == out / "autograder", imported.stdout + imported.stderr
    graded = _run(out, "-m", "pytest", "autograder", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                  f"--record={tmp_path / 'released.json'}", engine=False)
    result = json.loads((tmp_path / "released.json").read_text())["result"]
    assert result["checks"] and all(c["passed"] for c in result["checks"]), graded.stdout[-3000:]
    assert result["course_title"] == course.title


def test_its_gradescope_zip_holds_its_own_course_and_pins(copied: Path, tmp_path: Path):
    zipped = tmp_path / "autograder.zip"
    made = _run(copied, "-m", "autograder", "gradescope", str(zipped))
    assert made.returncode == 0, made.stdout[-2000:] + made.stderr[-2000:]
    course = load_course(copied / "course.toml")
    with zipfile.ZipFile(zipped) as opened:
        names = set(opened.namelist())
        packed = tomllib.loads(opened.read("course.toml").decode())
        setup = opened.read("setup.sh").decode().lower()
    assert packed["course"]["title"] == course.title
    assert {f"grading/{e.id}/probe.py" for e in course.exercises} <= names
    assert {f"grading/{e.id}/check.py" for e in course.exercises} <= names
    assert not any(name.startswith("autograder/") and name.count("/") > 1 and "grading" in name for name in names)
    assert not any(framework in setup for framework in FRAMEWORKS)
