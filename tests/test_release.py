"""The student release: complete enough to grade itself, and free of solutions, keys and hidden checks.

Its rules run on the tiny course (seconds) and, where no grading is needed, on the
real course too; one slow test grades the real release with the pasted solutions.
"""
from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from autograder.course.model import Course, load_course
from autograder.course.code import CHECK_PREFIX
from autograder.run.reference import REFERENCE_ONLY, public_probe_source
from autograder.instructor.release import (INSTRUCTOR_ONLY, instructor_only, ReleaseError, course_grading_files, course_requirements,
                                engine_files, pinned_dependencies, write_release)
from autograder.instructor.stubs import regions
from autograder.verdict import RECORD_NAME

REPO_ROOT = Path(__file__).resolve().parent.parent
WHOLE_COURSE = load_course(REPO_ROOT / "course.toml")
TINY = load_course(Path(__file__).resolve().parent / "tiny_course" / "course.toml")


def _public_points(course: Course) -> float:
    return sum(c.points for e in course.exercises for c in e.checks if not c.hidden)


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    """The tiny course's release."""
    return write_release(TINY, tmp_path_factory.mktemp("release") / "tiny-release")


@dataclass(frozen=True)
class Released:
    course: Course  # the course cut to the released assignment
    path: Path


@pytest.fixture(scope="module", params=WHOLE_COURSE.assignment_ids)
def real_release(request, tmp_path_factory) -> Released:
    """Each assignment of the real course, released: writing it runs no framework, only grading it does."""
    course = WHOLE_COURSE.assignment(request.param)
    return Released(course, write_release(course, tmp_path_factory.mktemp("release") / request.param))


def _released_files(release: Path) -> list[Path]:
    return [p for p in release.rglob("*") if p.is_file() and "__pycache__" not in p.parts]


def _run(folder: Path, *command: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(list(command), cwd=folder, capture_output=True, text=True, timeout=timeout)


def _grade(release: Path, submission: Path, record: Path) -> dict:
    completed = _run(release, sys.executable, "-m", "pytest", "autograder", "-q",
                     f"--submission={submission}", f"--record={record}")
    assert record.is_file(), completed.stdout[-3000:] + completed.stderr[-3000:]
    return json.loads(record.read_text())["result"]


def _pasted_solutions(course: Course, folder: Path) -> Path:
    folder.mkdir()
    for name in course.exercise_files:
        shutil.copy(course.solutions_dir / name, folder / name)
    return folder


def test_release_holds_the_stubs_public_parts_and_course(release):
    for name in TINY.exercise_files:
        assert (release / "exercises" / name).read_text() == (TINY.exercises_dir / name).read_text()
    for needed in ("README.md", "course.toml", "requirements.txt", "pyproject.toml", ".gitignore",
                   ".github/workflows/classroom.yml", "autograder/conftest.py"):
        assert (release / needed).is_file(), needed
    assert not (release / "solutions").exists()
    for module in INSTRUCTOR_ONLY:
        assert not (release / "autograder" / module).exists(), module
    shipped = {name for name, _ in engine_files() if name.endswith(".py") and not instructor_only(name)}
    assert "instructor/batch.py" not in shipped and "run/worker.py" in shipped and "platforms/notebook.py" in shipped
    # autograder/ is the engine alone: the course's files are in grading/.
    assert shipped == {p.relative_to(release / "autograder").as_posix() for p in _released_files(release / "autograder")}
    grading = {TINY.layout.relative(p) for p in _released_files(TINY.layout.grading_dir)}
    # The tiny course is one assignment: every file of its grading/ homes is one of its grading files.
    assert {name for name, _ in course_grading_files(TINY)} == grading
    assert {f"grading/{e.id}/{role}" for e in TINY.exercises for role in ("probe.py", "check.py", "lesson.md")} \
        | {"grading/_course/lesson.md", "grading/_common/probe.py"} <= grading
    for name, path in course_grading_files(TINY):  # every file is shipped, but for recordings that are all key
        assert name.startswith("grading/"), name
        if path.name != "recording.json":
            assert (release / name).is_file(), name
        if path.name not in ("probe.py", "check.py", "recording.json"):  # the lessons and try-it cells
            assert (release / name).read_bytes() == path.read_bytes(), name
    assert any(e.answer_key_probes for e in TINY.exercises)  # so that the answer-key rules are tried
    released = load_course(release / "course.toml")
    assert released.max_points == _public_points(TINY) < TINY.max_points
    assert released.hidden_points == TINY.max_points - _public_points(TINY)  # shown under the score table
    assert not any(c.hidden for e in released.exercises for c in e.checks)
    for exercise in TINY.exercises:
        checks = (release / "grading" / exercise.id / "check.py").read_text()
        for check in exercise.checks:
            assert (f"def {CHECK_PREFIX}{check.id}(" in checks) != check.hidden, check.id
    assert (release / "requirements.txt").read_text().split() == course_requirements(TINY)


_FRAMEWORK = re.compile(r"(torch|tensorflow)", re.IGNORECASE)


def test_the_tiny_courses_release_pins_no_framework(release):
    """The engine's own dependencies hold no framework: a course without [setup] requirements pins none."""
    assert TINY.requirements == ()
    assert not [pin for pin in pinned_dependencies() if _FRAMEWORK.match(pin)]
    pins = (release / "requirements.txt").read_text().split()
    assert pins == pinned_dependencies() == course_requirements(TINY)
    assert not [pin for pin in pins if _FRAMEWORK.match(pin)]


def test_each_real_release_pins_the_engines_dependencies_and_the_courses(real_release):
    pins = (real_release.path / "requirements.txt").read_text().split()
    assert pins == course_requirements(real_release.course) == [*pinned_dependencies(), *WHOLE_COURSE.requirements]
    frameworks = [pin for pin in pins if re.match(r"(torch|tensorflow(-cpu)?)==", pin)]
    assert len(frameworks) == 2 and set(frameworks) == set(WHOLE_COURSE.requirements)


def test_the_courses_requirements_are_pyprojects_course_extra():
    """pip installs this repository's course from pyproject.toml's extra `course`; releases and images read
    course.toml's [setup] requirements: the same pins, in the same order."""
    setup = tomllib.loads((REPO_ROOT / "course.toml").read_text(encoding="utf-8"))["setup"]["requirements"]
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert setup and setup == project["optional-dependencies"]["course"]
    assert list(WHOLE_COURSE.requirements) == setup
    assert not set(setup) & set(project["dependencies"])


def test_released_course_toml_keeps_comments_and_drops_the_instructors_tables(real_release):
    course = real_release.course
    original = course.path.read_text().splitlines()
    text = (real_release.path / "course.toml").read_text()
    data = tomllib.loads(text)
    assert not {"gradescope", "setup"} & set(data)
    dropped = {"gradescope", "setup"} | {f"exercises.checks.{c.id}" for e in course.exercises
                                         for c in e.checks if c.hidden}
    assert any(c.hidden for e in course.exercises for c in e.checks)
    kept_comments, table, exercise = [], "", ""
    for line in original:  # the comments of this assignment's tables and of the shared ones
        header = re.match(r"^\[\[?([^\]]+)\]\]?", line)
        table = header.group(1) if header else table
        named = re.match(r'^id = "(\w+)"', line)
        exercise = named.group(1) if named and table == "exercises" else "" if header and header.group(1) in (
            "exercises", "assignments") else exercise
        mine = not exercise or exercise in {e.id for e in course.exercises}
        if line.startswith("#") and table not in dropped | {"assignments"} and mine:
            kept_comments.append(line)
    released_lines = text.splitlines()
    assert all(comment in released_lines for comment in kept_comments)
    assert released_lines[0] == original[0]
    assert data["course"]["hidden_points"] == course.max_points - _public_points(course)
    # The release is a course of its own: the assignment's id and title, its exercises only.
    assert (data["course"]["id"], data["course"]["title"]) == (course.id, course.title) and "assignments" not in data
    assert [e["id"] for e in data["exercises"]] == [e.id for e in course.exercises]


def test_no_solution_line_no_answer_key_and_no_reference_only_code_in_the_tiny_release(release):
    assert_no_solution_no_key_no_reference_only_code(TINY, release)


def test_no_solution_line_no_answer_key_and_no_reference_only_code_in_each_real_release(real_release):
    assert_no_solution_no_key_no_reference_only_code(real_release.course, real_release.path)
    other_parts = {name for name, _ in course_grading_files(WHOLE_COURSE)} - \
        {name for name, _ in course_grading_files(real_release.course)}
    assert other_parts and not any((real_release.path / name).exists() for name in other_parts)
    others = {e.id for e in WHOLE_COURSE.exercises} - {e.id for e in real_release.course.exercises}
    assert others and not any((real_release.path / "grading" / other).exists() for other in others)


def assert_no_solution_no_key_no_reference_only_code(course: Course, release: Path) -> None:
    probe_code = [path.read_text() for name, path in course_grading_files(course) if path.name == "probe.py"]
    assert probe_code
    # A line the grader's public probe code needs as much as a solution does gives nothing away.
    public_lines = {line.strip() for source in probe_code for line in public_probe_source(source).splitlines()}
    solution_lines = {line.strip() for name in course.exercise_files
                      for region in regions((course.solutions_dir / name).read_text()) for line in region.solution
                      if len(line.strip()) > 15 and not line.strip().startswith("#")} - public_lines
    assert solution_lines
    reference_only = {line.strip() for source in probe_code for section in REFERENCE_ONLY.findall(source)
                      for line in section.splitlines()[1:-1]
                      if len(line.strip()) > 15 and not line.strip().startswith("#")} - public_lines
    stubs = "".join((course.exercises_dir / name).read_text() for name in course.exercise_files)
    in_stubs = {line for line in solution_lines if line.rstrip(",") in stubs}
    for path in _released_files(release):
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(release)
        for number, line in enumerate(text.splitlines(), 1):
            assert line.strip() not in solution_lines, f"{where}:{number} is a line of the solutions: {line}"
            assert line.strip() not in reference_only, f"{where}:{number} is reference-only probe code: {line}"
            assert line.strip() not in {"### BEGIN SOLUTION", "### BEGIN REFERENCE ONLY"}, f"{where}:{number}"
        if not (path.is_relative_to(release / "autograder") or path.is_relative_to(release / "grading")):
            # what students read: code inside prose counts too
            for line in solution_lines - in_stubs:
                assert line.rstrip(",") not in text, f"{where} spells out a line of the solutions: {line}"
    for exercise in course.exercises:  # no answer-key outcome; a recording that is all key is not shipped
        recorded = json.loads(course.layout.recording(exercise.id).read_text())["run"]["outcomes"]
        shipped = release / "grading" / exercise.id / "recording.json"
        assert shipped.is_file() == bool(set(recorded) - set(exercise.answer_key_probes)), exercise.id
        if shipped.is_file():
            assert not set(json.loads(shipped.read_text())["run"]["outcomes"]) & set(exercise.answer_key_probes)


def test_readme_and_workflow_speak_of_this_course_and_install_with_its_pip_options(real_release):
    course = real_release.course
    readme = (real_release.path / "README.md").read_text()
    assert course.title in readme
    for exercise in load_course(real_release.path / "course.toml").exercises:  # the points checked in the release
        assert f"`exercises/{exercise.file}` | {exercise.title} | {exercise.max_points:g} |" in readme
    assert f"worth {_public_points(course):g} points" in readme
    install = " ".join(["pip install", *map(shlex.quote, course.pip_options), "-r requirements.txt"])
    workflow = (real_release.path / ".github" / "workflows" / "classroom.yml").read_text()
    assert install in readme and f"python -m {install}" in workflow


@pytest.fixture(scope="module")
def stubs_graded(release, tmp_path_factory) -> Path:
    """The record of `pytest autograder` on the release's own stubs, run in the release."""
    record = tmp_path_factory.mktemp("stubs") / "record.json"
    _grade(release, release / "exercises", record)
    return record


def test_release_scores_the_stubs_zero(stubs_graded):
    stubs = json.loads(stubs_graded.read_text())["result"]
    assert sum(c["possible"] for c in stubs["checks"] if not c["passed"]) == _public_points(TINY)
    assert not any(c["passed"] for c in stubs["checks"])


def test_another_seed_in_the_release_says_why_it_cannot_grade(release):
    completed = _run(release, sys.executable, "-m", "pytest", "autograder", "-q", "--exercise", TINY.exercises[0].id,
                     "--seed", str(TINY.seed + 1), f"--submission={TINY.solutions_dir}")
    assert completed.returncode == 4 and "holds the reference for the course seed" in completed.stderr


def test_submit_packs_exactly_the_exercise_files(release, tmp_path):
    copy = shutil.copytree(release, tmp_path / "mine")
    (copy / "exercises" / "notes.txt").write_text("not for the grader")
    completed = _run(copy, sys.executable, "-m", "autograder", "submit", "--out", str(tmp_path / "hand-in.zip"))
    assert completed.returncode == 0, completed.stderr
    assert "unfinished TODO" in completed.stdout
    with zipfile.ZipFile(tmp_path / "hand-in.zip") as archive:
        assert sorted(archive.namelist()) == sorted(TINY.exercise_files)
        last = TINY.exercise_files[-1]
        assert archive.read(last) == (copy / "exercises" / last).read_bytes()


def test_submit_refuses_a_syntax_error_or_a_link_and_writes_nothing(release, tmp_path):
    copy = shutil.copytree(release, tmp_path / "mine")
    name = TINY.exercise_files[0]
    (copy / "exercises" / name).write_text("def broken(:\n")
    completed = _run(copy, sys.executable, "-m", "autograder", "submit")
    assert completed.returncode == 1 and f"{name}:1: syntax error" in completed.stderr
    assert "Traceback" not in completed.stderr
    (copy / "exercises" / name).unlink()
    (copy / "exercises" / name).symlink_to(TINY.solutions_dir / name)
    completed = _run(copy, sys.executable, "-m", "autograder", "submit")
    assert completed.returncode == 1 and "not a regular file" in completed.stderr
    assert not list(copy.glob("*.zip"))


def test_release_command_line_offers_students_only_their_verbs(release):
    completed = _run(release, sys.executable, "-m", "autograder", "--help")
    assert "{check,submit,verdict}" in completed.stdout
    assert _run(release, sys.executable, "-m", "autograder", "release", "elsewhere").returncode == 2


def test_release_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "keep.txt").write_text("an instructor's file")
    with pytest.raises(ReleaseError, match="not empty"):
        write_release(TINY, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
    assert (tmp_path / "keep.txt").read_text() == "an instructor's file"


def test_classroom_workflow_grades_the_solutions_every_public_point_one_command_per_check(release, stubs_graded,
                                                                                         tmp_path):
    workflow = yaml.safe_load((release / ".github" / "workflows" / "classroom.yml").read_text())
    steps = workflow["jobs"]["run-autograding-tests"]["steps"]
    graders = [s for s in steps if s.get("uses", "").startswith("classroom-resources/autograding-command-grader")]
    reporter = next(s for s in steps if s.get("uses", "").startswith("classroom-resources/autograding-grading-reporter"))
    public = {f"{e.id}.{c.id}": c.points for e in TINY.exercises for c in e.checks if not c.hidden}
    assert {g["with"]["command"].split()[-1]: g["with"]["max-score"] for g in graders} == public
    assert reporter["with"]["runners"].split(",") == [g["id"] for g in graders]
    assert set(reporter["env"]) == {f"{g['id'].upper()}_RESULTS" for g in graders}
    # Run the workflow's own commands (all but the install) in a copy holding the pasted solutions.
    copy = shutil.copytree(release, tmp_path / "classroom")
    for name in TINY.exercise_files:
        shutil.copy(TINY.solutions_dir / name, copy / "exercises" / name)
    for step in steps:
        if "run" in step and "pip install" not in step["run"]:
            command = step["run"].replace("python ", f"{sys.executable} ", 1)
            assert subprocess.run(command, shell=True, cwd=copy, timeout=600,
                                  capture_output=True).returncode == 0, command
        elif "pip install" in step.get("run", ""):
            assert (copy / step["run"].split()[-1]).is_file()
    solved = json.loads((copy / RECORD_NAME).read_text())["result"]
    assert not [f"{c['exercise']}.{c['check']}: {c['message']}" for c in solved["checks"] if not c["passed"]]
    assert sum(c["possible"] for c in solved["checks"]) == _public_points(TINY)
    for grader in graders:
        command = grader["with"]["command"]
        assert command.startswith("python -m autograder verdict ")
        completed = _run(copy, sys.executable, *command.split()[1:])
        assert completed.returncode == 0, completed.stdout
    # A check the stubs fail: its command says why, and exits 1 (no hint: the function is not written yet).
    failed = _run(copy, sys.executable, "-m", "autograder", "verdict", next(iter(public)), "--record", str(stubs_graded))
    assert failed.returncode == 1 and "not written yet" in failed.stdout and "Hint:" not in failed.stdout


def test_release_readme_says_where_to_run_the_grader_and_how_to_run_it_from_anywhere(real_release):
    course = real_release.course
    readme = (real_release.path / "README.md").read_text()
    assert "pip install --no-deps -e ." in readme and "python -m autograder check" in readme
    assert "run every command below from\nthis folder, the one that holds `course.toml`" in readme
    project = tomllib.loads((real_release.path / "pyproject.toml").read_text())
    assert project["project"]["name"] and project["tool"]["pytest"]["ini_options"]["pythonpath"] == ["."]


def test_the_installed_release_submits_and_checks_from_its_exercises_folder(release, tmp_path):
    """Python finds `-m autograder` in the current folder or among installed packages: the README's
    `pip install --no-deps -e .` makes it found from exercises/ too. Installed here offline, in a
    fresh environment that sees this one's packages (pip, setuptools, pytest) but not its grader."""
    copy = shutil.copytree(release, tmp_path / "mine")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = str(venv / "bin" / "python")
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (Path(site) / "grader-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    exercises = copy / "exercises"
    assert "No module named autograder" in _run(exercises, python, "-m", "autograder", "submit").stderr
    installed = _run(tmp_path, python, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "-e", str(copy))
    assert installed.returncode == 0, installed.stdout[-2000:] + installed.stderr[-2000:]
    packed = _run(exercises, python, "-m", "autograder", "submit", "--out", str(tmp_path / "hand-in.zip"))
    assert packed.returncode == 0, packed.stderr
    with zipfile.ZipFile(tmp_path / "hand-in.zip") as archive:
        assert sorted(archive.namelist()) == sorted(TINY.exercise_files)
    checked = _run(exercises, python, "-m", "autograder", "check", "-q", "--exercise", TINY.exercises[0].id)
    assert checked.returncode == 1 and "not written yet" in checked.stdout, checked.stdout[-2000:] + checked.stderr
    assert f"0 / {TINY.exercises[0].max_points:g}" in checked.stdout


@pytest.mark.slow
def test_the_real_release_grades_the_pasted_solutions_every_public_point(real_release, tmp_path):
    course = real_release.course
    assert {p.name for p in (real_release.path / "exercises").iterdir()} == set(course.exercise_files)
    for name in course.exercise_files:
        assert (real_release.path / "exercises" / name).read_text() == (course.exercises_dir / name).read_text()
    solved = _grade(real_release.path, _pasted_solutions(course, tmp_path / "pasted"), tmp_path / "solved.json")
    failed = [f"{c['exercise']}.{c['check']}: {c['message']}" for c in solved["checks"] if not c["passed"]]
    assert not failed
    assert sum(c["possible"] for c in solved["checks"]) == _public_points(course)
    assert len(solved["checks"]) == sum(1 for e in course.exercises for c in e.checks if not c.hidden)


def test_a_course_that_keeps_its_hints_from_students_releases_none(tmp_path):
    """With [course] show_hints = false, the hints are not in the students' course.toml either."""
    course_copy = tmp_path / "course"
    shutil.copytree(TINY.root, course_copy, ignore=shutil.ignore_patterns("__pycache__"))
    text = (course_copy / "course.toml").read_text().replace('seed = 7\n', 'seed = 7\nshow_hints = false\n', 1)
    (course_copy / "course.toml").write_text(text)
    released = write_release(load_course(course_copy / "course.toml"), tmp_path / "release")
    public = (released / "course.toml").read_text()
    assert "hint" not in tomllib.loads(public)["exercises"][0]["checks"][TINY.exercises[0].checks[0].id]
    assert not any(c.hint for e in load_course(released / "course.toml").exercises for c in e.checks)


def test_the_release_ships_only_what_public_checks_read_of_the_recordings():
    """A probe that only hidden checks read stays out of the release: its values would tell those checks'
    expectations. (The recordings are the course seed's, which no official grade uses.)"""
    from dataclasses import replace

    from autograder.instructor.release import _public_recording
    exercise = next(e for e in TINY.exercises if not e.answer_key_probes)
    path = TINY.layout.recording(exercise.id)
    everything = set(json.loads(path.read_text())["run"]["outcomes"])
    assert len(everything) > 1
    shipped = set(json.loads(_public_recording(path, TINY, exercise))["run"]["outcomes"])
    assert shipped == everything
    hidden_first = replace(exercise, checks=(replace(exercise.checks[0], hidden=True), *exercise.checks[1:]))
    shipped = set(json.loads(_public_recording(path, TINY, hidden_first))["run"]["outcomes"])
    assert shipped and shipped < everything


def test_the_classroom_workflow_says_its_points_are_feedback_not_the_official_grade(release):
    workflow = yaml.safe_load((release / ".github" / "workflows" / "classroom.yml").read_text())
    grading = next(step for step in workflow["jobs"]["run-autograding-tests"]["steps"]
                   if step.get("name") == "Grade the exercises")
    assert "::notice title=Feedback, not the official grade::" in grading["run"]
    assert "seed of their own" in grading["run"]
