"""The stubs in exercises/ are generated from the solutions, and only from them."""
from __future__ import annotations

import subprocess
import sys

import pytest
from submission_tools import EXERCISES, REPO, SOLUTIONS

from autograder.course import load_course
from autograder.stubs import StubError, regions, stale_stubs, stub_source

NAMES = [e.id for e in load_course().exercises]


def test_exercises_are_what_the_solutions_generate():
    stale = stale_stubs(SOLUTIONS, EXERCISES, NAMES)
    assert not stale, f"run `python -m autograder stubs`: {stale} differ from what solutions/ generates"


def test_the_check_command_agrees():
    completed = subprocess.run([sys.executable, "-m", "autograder", "stubs", "--check"], cwd=REPO,
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr


def test_a_region_becomes_its_todo_and_a_raise():
    source = ("def f(x):\n    \"\"\"Doc.\"\"\"\n    ### BEGIN SOLUTION\n    # TODO: double x.\n"
              "    y = 2 * x\n    return y\n    ### END SOLUTION\n")
    assert stub_source(source) == ("def f(x):\n    \"\"\"Doc.\"\"\"\n    # TODO: double x.\n"
                                   "    raise NotImplementedError\n")


def test_prompt_lines_become_code_and_no_raise():
    source = "### BEGIN SOLUTION\n# TODO: answer.\n# PROMPT: A = set()\nA = {\"a\"}\n### END SOLUTION\n"
    assert stub_source(source) == "# TODO: answer.\nA = set()\n"


def test_every_solution_region_is_gone_from_the_stubs():
    for name in NAMES:
        stub = (EXERCISES / f"{name}.py").read_text()
        assert "### BEGIN SOLUTION" not in stub
        for region in regions((SOLUTIONS / f"{name}.py").read_text()):
            assert region.todo, f"solutions/{name}.py:{region.start + 1}: a region without a `# TODO:` line"
            for line in region.solution:
                if len(line.strip()) > 15:
                    assert line not in stub.splitlines(), f"{name}: solution line left in the stub: {line}"


@pytest.mark.parametrize("source, problem", [
    ("### BEGIN SOLUTION\nx = 1\n", "never closed"),
    ("x = 1\n### END SOLUTION\n", "without a"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "inside the region"),
])
def test_unbalanced_markers_are_refused_with_their_line(source, problem):
    with pytest.raises(StubError, match=problem):
        stub_source(source, "bad.py")
