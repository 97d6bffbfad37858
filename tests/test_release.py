"""The student release: complete enough to grade itself, and free of solutions, keys and hidden checks."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from submission_tools import EXERCISE_FILES, REPO, SOLUTIONS

from autograder.course import CourseError, load_course
from autograder.release import INSTRUCTOR_ONLY, write_release
from autograder.stubs import regions

COURSE = load_course()
HIDDEN = [(e.id, c.id) for e in COURSE.exercises for c in e.checks if c.hidden]
PUBLIC_POINTS = sum(c.points for e in COURSE.exercises for c in e.checks if not c.hidden)
# Lines the grader's own code needs as much as any solution does; too generic to give a solution away.
GENERIC_LINES = {"with torch.no_grad():"}


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    return write_release(COURSE, tmp_path_factory.mktemp("release") / "xor-release")


def _released_files(release: Path) -> list[Path]:
    return [p for p in release.rglob("*") if p.is_file()]


def _run(release: Path, *command: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(list(command), cwd=release, capture_output=True, text=True, timeout=timeout)


def _grade(release: Path, submission: Path, record: Path) -> dict:
    completed = _run(release, sys.executable, "-m", "pytest", "autograder", "-q",
                     "--submission", str(submission), "--record", str(record))
    assert record.is_file(), completed.stdout[-3000:] + completed.stderr[-3000:]
    return json.loads(record.read_text())["result"]


def test_release_holds_the_stubs_public_checks_and_course(release):
    for name in EXERCISE_FILES:
        assert (release / "exercises" / name).read_text() == (REPO / "exercises" / name).read_text()
    for needed in ("README.md", "course.toml", "requirements.txt", ".github/workflows/classroom.yml",
                   "autograder/conftest.py", "autograder/reference/torch_xor.json"):
        assert (release / needed).is_file(), needed
    assert not (release / "solutions").exists()
    assert not (release / "autograder" / "reference" / "concepts.json").exists()  # it is the answer key
    for module in INSTRUCTOR_ONLY:
        assert not (release / "autograder" / module).exists(), module
    released = load_course(release / "course.toml")
    assert released.max_points == PUBLIC_POINTS < COURSE.max_points
    assert released.hidden_points == COURSE.max_points - PUBLIC_POINTS  # shown under the score table
    assert not any(c.hidden for e in released.exercises for c in e.checks)
    assert "[gradescope]" not in (release / "course.toml").read_text()
    for exercise, check in HIDDEN:
        assert f"def test_{check}(" not in (release / "autograder" / "checks" / f"{exercise}.py").read_text()
    requirements = (release / "requirements.txt").read_text().split()
    assert "torch==2.13.0" in requirements


def test_no_solution_line_no_answer_key_and_no_reference_only_code_in_release(release):
    solution_lines = {line.strip() for path in SOLUTIONS.glob("*.py")
                      for region in regions(path.read_text()) for line in region.solution
                      if len(line.strip()) > 15 and not line.strip().startswith("#")} - GENERIC_LINES
    assert len(solution_lines) > 20
    stub_lines = {line for line in solution_lines if line.rstrip(",") in
                  "".join((REPO / "exercises" / name).read_text() for name in EXERCISE_FILES)}
    key = json.loads((REPO / "autograder" / "reference" / "concepts.json").read_text())
    answers = [sorted(q["answer"]["items"]) for q in key["run"]["outcomes"]["answers"]["value"]["questions"].values()]
    key_texts = {text for letters in answers for text in (
        "{" + ", ".join(f'"{x}"' for x in letters) + "}", json.dumps(letters), "".join(letters).upper() + ")")}
    for path in _released_files(release):
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(release)
        for number, line in enumerate(text.splitlines(), 1):
            assert line.strip() not in solution_lines, f"{where}:{number} is a line of the solutions: {line}"
            assert line.strip() not in {"### BEGIN SOLUTION", "### BEGIN REFERENCE ONLY"}, f"{where}:{number}"
        if not path.is_relative_to(release / "autograder"):  # what students read: code inside prose counts too
            for line in solution_lines - stub_lines:
                assert line.rstrip(",") not in text, f"{where} spells out a line of the solutions: {line}"
        for secret in key_texts | {"_replay(", "MISTAKES"}:
            assert secret not in text, f"{where} holds {secret!r}"
        if path.suffix == ".json":  # recorded data: no observation of the reference's answers
            assert '"answers"' not in text and '"questions"' not in text, where


def test_release_scores_the_stubs_zero_and_the_solutions_every_public_point(release, tmp_path):
    stubs = _grade(release, release / "exercises", tmp_path / "stubs.json")
    assert sum(c["possible"] for c in stubs["checks"] if not c["passed"]) == PUBLIC_POINTS
    assert not any(c["passed"] for c in stubs["checks"])
    pasted = tmp_path / "pasted"
    pasted.mkdir()
    for name in EXERCISE_FILES:
        shutil.copy(SOLUTIONS / name, pasted / name)
    solved = _grade(release, pasted, tmp_path / "solved.json")
    failed = [f"{c['exercise']}.{c['check']}: {c['message']}" for c in solved["checks"] if not c["passed"]]
    assert not failed
    assert sum(c["possible"] for c in solved["checks"]) == PUBLIC_POINTS


def test_another_seed_in_the_release_says_why_it_cannot_grade(release):
    completed = _run(release, sys.executable, "-m", "pytest", "autograder", "-q", "--exercise", "keras_xor",
                     "--seed", "7", "--submission", str(SOLUTIONS))
    assert completed.returncode == 4 and "holds the reference for the course seed" in completed.stderr


def test_submit_packs_exactly_the_exercise_files(release, tmp_path):
    copy = tmp_path / "mine"
    shutil.copytree(release, copy)
    (copy / "exercises" / "notes.txt").write_text("not for the grader")
    completed = _run(copy, sys.executable, "-m", "autograder", "submit", "--out", str(tmp_path / "hand-in.zip"))
    assert completed.returncode == 0, completed.stderr
    assert "unfinished TODO" in completed.stdout
    with zipfile.ZipFile(tmp_path / "hand-in.zip") as archive:
        assert sorted(archive.namelist()) == sorted(EXERCISE_FILES)
        assert archive.read("concepts.py") == (copy / "exercises" / "concepts.py").read_bytes()


def test_submit_refuses_a_syntax_error_or_a_link_and_writes_nothing(release, tmp_path):
    copy = tmp_path / "mine"
    shutil.copytree(release, copy)
    (copy / "exercises" / "keras_xor.py").write_text("def build_model(:\n")
    completed = _run(copy, sys.executable, "-m", "autograder", "submit")
    assert completed.returncode == 1 and "keras_xor.py:1: syntax error" in completed.stderr
    (copy / "exercises" / "keras_xor.py").unlink()
    (copy / "exercises" / "keras_xor.py").symlink_to(SOLUTIONS / "keras_xor.py")
    completed = _run(copy, sys.executable, "-m", "autograder", "submit")
    assert completed.returncode == 1 and "not a regular file" in completed.stderr
    assert not list(copy.glob("*.zip"))


def test_release_command_line_offers_students_only_their_verbs(release):
    completed = _run(release, sys.executable, "-m", "autograder", "--help")
    assert "{submit,verdict}" in completed.stdout
    assert _run(release, sys.executable, "-m", "autograder", "release", "elsewhere").returncode == 2


def test_release_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "keep.txt").write_text("an instructor's file")
    with pytest.raises(CourseError, match="not empty"):
        write_release(COURSE, tmp_path)
    assert (tmp_path / "keep.txt").read_text() == "an instructor's file"


def test_classroom_workflow_parses_and_its_commands_award_each_public_check(release, tmp_path):
    workflow = yaml.safe_load((release / ".github" / "workflows" / "classroom.yml").read_text())
    steps = workflow["jobs"]["run-autograding-tests"]["steps"]
    graders = [s for s in steps if s.get("uses", "").startswith("classroom-resources/autograding-command-grader")]
    reporter = next(s for s in steps if s.get("uses", "").startswith("classroom-resources/autograding-grading-reporter"))
    public = {f"{e.id}.{c.id}": c.points for e in COURSE.exercises for c in e.checks if not c.hidden}
    assert {g["with"]["command"].split()[-1]: g["with"]["max-score"] for g in graders} == public
    assert reporter["with"]["runners"].split(",") == [g["id"] for g in graders]
    assert set(reporter["env"]) == {f"{g['id'].upper()}_RESULTS" for g in graders}
    # Run the workflow's own commands (all but the install) in a copy holding the solutions.
    copy = tmp_path / "classroom"
    shutil.copytree(release, copy)
    for name in EXERCISE_FILES:
        shutil.copy(SOLUTIONS / name, copy / "exercises" / name)
    for step in steps:
        if "run" in step and "pip install" not in step["run"]:
            command = step["run"].replace("python ", f"{sys.executable} ", 1)
            assert subprocess.run(command, shell=True, cwd=copy, timeout=600).returncode == 0, command
        elif "pip install" in step.get("run", ""):
            assert (copy / step["run"].split()[-1]).is_file()
    for grader in graders:
        command = grader["with"]["command"]
        assert command.startswith("python -m autograder verdict ")
        completed = _run(copy, sys.executable, *command.split()[1:])
        assert completed.returncode == 0, completed.stdout
    (copy / "exercises" / "concepts.py").write_text((release / "exercises" / "concepts.py").read_text())
    subprocess.run(f"{sys.executable} -m pytest autograder --exercise concepts --record .autograder-record.json",
                   shell=True, cwd=copy, capture_output=True, timeout=600)
    assert _run(copy, sys.executable, "-m", "autograder", "verdict", "concepts.q1_why").returncode == 1
