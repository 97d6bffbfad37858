"""The words students read before any check runs: the READMEs (the repository's and the student release's)
and the lessons, read as plain Markdown, outside any notebook."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

from autograder.course.model import load_course
from autograder.instructor.release import student_readme, supported_pythons

REPO_ROOT = Path(__file__).resolve().parent.parent
COURSE = load_course(REPO_ROOT / "course.toml")
README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
CPU_INDEX = "--extra-index-url https://download.pytorch.org/whl/cpu"
# `{name}` as platforms/nbgrader.py fills it in a lesson: raw, it would show as is outside the notebook.
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


def _section(text: str, heading: str) -> str:
    return text.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]


def _student_readme() -> str:
    assignment = COURSE.assignment(COURSE.assignment_ids[0])
    return student_readme(assignment, assignment)


def test_the_quick_start_commands_install_pytorch_from_the_cpu_index():
    """Its own text recommends the CPU index: the command that is copied must hold it."""
    block = _section(README, "## Quick start").split("```bash\n", 1)[1].split("```", 1)[0]
    installs = [line for line in block.splitlines() if "pip install" in line]
    assert installs and all(CPU_INDEX in line for line in installs), installs


def test_each_quick_start_install_brings_the_courses_frameworks():
    """The engine's own dependencies hold no framework: grading this course needs its extra (`course`, or
    `test`, which holds it)."""
    block = _section(README, "## Quick start").split("```bash\n", 1)[1].split("```", 1)[0]
    installs = [line for line in block.splitlines() if "pip install" in line]
    extras = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert "course" in extras and "course" in extras["test"][0]
    assert len(installs) == 2 and all('-e ".[course]"' in line or '-e ".[test]"' in line for line in installs)


def test_the_python_versions_are_the_ones_the_package_installs_on():
    requires = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == ">=3.11,<3.14" and supported_pythons() == "3.11 to 3.13"
    assert "with Python 3.11 to 3.13:" in _student_readme()
    assert "Python 3.11 to 3.13" in _section(README, "## Quick start")
    assert "or newer" not in _student_readme()


def test_both_readmes_say_where_the_lessons_are():
    students = _section(README, "## For students")
    assert "grading/" in students and "lesson.md" in students
    first = COURSE.assignment(COURSE.assignment_ids[0]).exercises[0]
    assert "`grading/`" in _student_readme() and "`grading/_course/lesson.md`" in _student_readme()
    assert f"`grading/{first.id}/lesson.md`" in _student_readme()


def test_the_readme_explains_pytest_autograder_run_inside_exercises():
    students = _section(README, "## For students")
    assert "file or directory not found: autograder" in students
    assert "python -m autograder check" in students.split("file or directory not found: autograder", 1)[1]


def test_the_lessons_read_as_plain_markdown():
    """nbgrader fills `{name}` in a lesson, but students also read the files as they are."""
    layout = COURSE.layout
    lessons = sorted(layout.grading_dir.glob("*/lesson.md"))
    assert {layout.introduction, *(layout.lesson(e.id) for e in COURSE.exercises)} <= set(lessons)
    for lesson in lessons:
        text = lesson.read_text(encoding="utf-8")
        name = layout.relative(lesson)
        assert not PLACEHOLDER.findall(text), (name, PLACEHOLDER.findall(text))
        assert not re.search(r"\bthis notebook\b|\bbelow\.$", text, re.IGNORECASE | re.MULTILINE), name
