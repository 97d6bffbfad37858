"""The nbgrader export, end to end with the real nbgrader: the release holds no solution and no
hidden test, a solved notebook autogrades to full marks and an untouched one to zero, and the
feedback an instructor returns shows no answer key."""
from __future__ import annotations

import ast
import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.course import REPO_ROOT, CourseError, load_course
from autograder.nbgrader_course import ASSIGNMENT, COURSE_ID, write_nbgrader_course
from autograder.stubs import BEGIN, END, regions, stub_source

EXERCISES = ("torch_xor", "keras_xor", "concepts")
FILLED, UNTOUCHED = "filled", "untouched"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"


def nbgrader(course_dir: Path, *args: str) -> None:
    """Run nbgrader with this interpreter, so its kernels run it too and import this repository."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p))
    run = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course_dir, env=env,
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, f"nbgrader {' '.join(args)} exited {run.returncode}:\n{run.stderr[-6000:]}"


def solution_text(name: str) -> str:
    return (REPO_ROOT / "solutions" / f"{name}.py").read_text(encoding="utf-8")


def without_markers(source: str) -> str:
    return "\n".join(line for line in source.splitlines() if line.strip() not in (BEGIN, END)) + "\n"


def solution_lines() -> set[str]:
    """Every non-trivial line of every solution region, stripped."""
    return {line.strip() for name in EXERCISES for region in regions(solution_text(name), name)
            for line in region.solution if len(line.strip()) > 8}


def hidden_calls() -> list[str]:
    return [f'check("{e.id}", "{c.id}")' for e in load_course().exercises for c in e.checks if c.hidden]


def answer_keys() -> list[str]:
    """The concepts answer sets as a student could read them: set, list, either quotes."""
    keys = []
    for node in ast.parse(solution_text("concepts")).body:
        if isinstance(node, ast.Assign) and node.targets[0].id.endswith("_ANSWER"):
            letters = sorted(ast.literal_eval(node.value))
            for quote in ('"', "'"):
                items = ", ".join(f"{quote}{letter}{quote}" for letter in letters)
                keys += [f"{{{items}}}", f"[{items}]"]
    return keys


def html_text(path: Path) -> str:
    """The text a reader of an nbconvert HTML page sees (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8")))


def cell_lines(notebook: nbformat.NotebookNode) -> set[str]:
    return {line.strip() for cell in notebook.cells for line in cell.source.splitlines()}


def errors_of(path: Path) -> str:
    """The failed cells of an autograded notebook, for an assertion message."""
    failed = []
    for cell in nbformat.read(path, as_version=4).cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                failed.append(f"{cell.metadata.get('nbgrader', {}).get('grade_id')}: "
                              f"{output['ename']}: {output['evalue']}")
    return "\n".join(failed)


def filled_in(release: nbformat.NotebookNode, source: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The release as a student who wrote the reference solutions would submit it."""
    solved = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells if "nbgrader" in c.metadata}
    notebook = nbformat.from_dict(release)
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            cell.source = without_markers(solved[meta["grade_id"]])
        elif cell.source.startswith("%%writefile concepts.py"):
            cell.source = "%%writefile concepts.py\n" + without_markers(solution_text("concepts"))
    return notebook


@pytest.fixture(scope="module")
def course_dir(tmp_path_factory) -> Path:
    """A course written by the exporter, released, submitted twice, autograded, with feedback."""
    course_dir = tmp_path_factory.mktemp("nbgrader-course")
    write_nbgrader_course(load_course(), course_dir)
    nbgrader(course_dir, "generate_assignment", ASSIGNMENT, "--force")
    release = course_dir / "release" / ASSIGNMENT / NOTEBOOK
    source = nbformat.read(course_dir / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)
    for student in (FILLED, UNTOUCHED):
        (course_dir / "submitted" / student / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(filled_in(nbformat.read(release, as_version=4), source),
                   course_dir / "submitted" / FILLED / ASSIGNMENT / NOTEBOOK)
    shutil.copyfile(release, course_dir / "submitted" / UNTOUCHED / ASSIGNMENT / NOTEBOOK)
    nbgrader(course_dir, "autograde", ASSIGNMENT)
    nbgrader(course_dir, "generate_feedback", ASSIGNMENT)
    return course_dir


def test_release_holds_no_solution_and_no_hidden_test(course_dir: Path) -> None:
    release = nbformat.read(course_dir / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    leaked = sorted(solution_lines() & cell_lines(release))
    assert not leaked, f"solution lines in the release: {leaked}"
    text = "\n".join(cell.source for cell in release.cells)
    assert "HIDDEN TESTS" not in text
    assert not [call for call in hidden_calls() if call in text]
    assert 'check("torch_xor", "make_xor_data")' in text  # public checks stay


def test_release_shows_the_same_stubs_as_exercises(course_dir: Path) -> None:
    release = nbformat.read(course_dir / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    for name in EXERCISES:
        header = f"%%writefile {name}.py\n"
        cells = [cell.source for cell in release.cells if cell.source.startswith(header)]
        assert len(cells) == 1, name
        assert cells[0].rstrip() == (header + stub_source(solution_text(name), name)).rstrip(), name


def test_autograde_gives_full_marks_to_solutions_and_zero_to_stubs(course_dir: Path) -> None:
    course = load_course()
    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}", course_id=COURSE_ID) as gradebook:
        assert gradebook.find_assignment(ASSIGNMENT).max_score == course.max_points
        scores = {student: gradebook.find_submission(ASSIGNMENT, student).score for student in (FILLED, UNTOUCHED)}
    autograded = course_dir / "autograded"
    assert scores[FILLED] == course.max_points, errors_of(autograded / FILLED / ASSIGNMENT / NOTEBOOK)
    assert scores[UNTOUCHED] == 0


def test_try_it_cells_skip_themselves_while_nbgrader_grades(course_dir: Path) -> None:
    autograded = nbformat.read(course_dir / "autograded" / FILLED / ASSIGNMENT / NOTEBOOK, as_version=4)
    tries = [cell for cell in autograded.cells if cell.id.endswith("-try")]
    assert len(tries) == len(EXERCISES)
    for cell in tries:
        assert [output.get("text", "").strip() for output in cell.outputs] == \
            ["Skipped while nbgrader runs the notebook."], cell.id


def test_feedback_shows_no_answer_key(course_dir: Path) -> None:
    feedback = course_dir / "feedback"
    assert (feedback / FILLED / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file()
    text = html_text(feedback / UNTOUCHED / ASSIGNMENT / f"{ASSIGNMENT}.html")
    assert all(call in text for call in hidden_calls())  # the hidden tests ran, and failed, in the feedback
    assert not [key for key in answer_keys() if key in text]
    release = nbformat.read(course_dir / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    public = ("\n".join(cell.source for cell in release.cells) + "\n".join(
        check.hint for exercise in load_course().exercises for check in exercise.checks)).replace("`", "")
    secret = [line for line in solution_lines() if line not in public]
    assert len(secret) > 10
    assert not [line for line in secret if line in text]


def test_an_edited_config_or_notebook_is_never_overwritten_without_force(tmp_path):
    write_nbgrader_course(load_course(), tmp_path)
    write_nbgrader_course(load_course(), tmp_path)  # unchanged files: writing again is harmless
    config = tmp_path / "nbgrader_config.py"
    edited = config.read_text() + 'c.Exchange.root = "/srv/nbgrader/exchange"\n'
    config.write_text(edited)
    with pytest.raises(CourseError, match="nbgrader_config.py differ"):
        write_nbgrader_course(load_course(), tmp_path)
    assert config.read_text() == edited
    write_nbgrader_course(load_course(), tmp_path, force=True)
    assert "exchange" not in config.read_text()
