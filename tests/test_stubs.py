"""The stubs in exercises/ are generated from the solutions, and only from them: in every course here."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.course.model import load_course
from autograder.instructor.stubs import StubError, regions, stale_stubs, stub_source

REPO = Path(__file__).resolve().parent.parent
TINY_FILE = Path(__file__).resolve().parent / "tiny_course" / "course.toml"
COURSES = {"course": load_course(), "tiny": load_course(TINY_FILE)}


def _stubs_command(course_file: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", "stubs", "--course", str(course_file), *extra],
                          cwd=REPO, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name", COURSES)
def test_exercises_are_what_the_solutions_generate(name):
    course = COURSES[name]
    stale = stale_stubs(course.solutions_dir, course.exercises_dir, [e.id for e in course.exercises])
    assert not stale, (f"run `python -m autograder stubs --course {course.path}`: {stale} differ from what "
                       "solutions/ generates")


@pytest.mark.parametrize("name", COURSES)
def test_the_check_command_agrees(name):
    completed = _stubs_command(COURSES[name].path, "--check")
    assert completed.returncode == 0, completed.stderr


def test_a_stale_stub_is_named_then_rewritten(tmp_path):
    course = load_course(Path(shutil.copytree(TINY_FILE.parent, tmp_path / "course")) / "course.toml")
    stub = course.exercises_dir / course.exercises[0].file
    expected = stub.read_text()
    stub.write_text(expected + "\n# edited by hand\n")
    checked = _stubs_command(course.path, "--check")
    assert checked.returncode == 1 and f"exercises/{course.exercises[0].id}.py" in checked.stderr
    assert stub.read_text() != expected, "--check changes nothing"
    written = _stubs_command(course.path)
    assert written.returncode == 0 and str(stub) in written.stdout
    assert stub.read_text() == expected


def test_a_region_becomes_its_todo_and_a_raise():
    source = ("def f(x):\n    \"\"\"Doc.\"\"\"\n    ### BEGIN SOLUTION\n    # TODO: double x.\n"
              "    y = 2 * x\n    return y\n    ### END SOLUTION\n")
    assert stub_source(source) == ("def f(x):\n    \"\"\"Doc.\"\"\"\n    # TODO: double x.\n"
                                   "    raise NotImplementedError\n")


def test_prompt_lines_become_code_and_no_raise():
    source = "### BEGIN SOLUTION\n# TODO: answer.\n# PROMPT: A = set()\nA = {\"a\"}\n### END SOLUTION\n"
    assert stub_source(source) == "# TODO: answer.\nA = set()\n"


@pytest.mark.parametrize("name", COURSES)
def test_every_solution_region_is_gone_from_the_stubs(name):
    course = COURSES[name]
    for exercise in course.exercises:
        stub = (course.exercises_dir / exercise.file).read_text()
        assert "### BEGIN SOLUTION" not in stub
        for region in regions((course.solutions_dir / exercise.file).read_text()):
            assert region.todo, f"solutions/{exercise.file}:{region.start + 1}: a region without a `# TODO:` line"
            for line in region.solution:
                if len(line.strip()) > 15:
                    assert line not in stub.splitlines(), f"{exercise.id}: solution line left in the stub: {line}"


@pytest.mark.parametrize("source, problem", [
    ("### BEGIN SOLUTION\nx = 1\n", "never closed"),
    ("x = 1\n### END SOLUTION\n", "without a"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "inside the region"),
])
def test_unbalanced_markers_are_refused_with_their_line(source, problem):
    with pytest.raises(StubError, match=problem):
        stub_source(source, "bad.py")
