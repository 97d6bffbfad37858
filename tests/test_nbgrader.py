"""The nbgrader export, end to end with the real nbgrader: the release holds no solution and no
hidden test, a solved notebook autogrades to full marks and an untouched one to zero, and the
feedback an instructor returns shows no answer key.

The instructor's source notebook, graded as a submission and by `nbgrader validate`, gets full
marks: it holds every answer, in solution regions nbgrader clears from the release.

The round trip runs on the tiny course, which proves the export's mechanics, and on the real
course (its test cells grade with the frameworks); nbgrader takes its time, so both are slow. The lesson words come from the
course's lessons folder, never from the engine.
"""
from __future__ import annotations

import ast
import html
import os
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import nbformat
import pytest
from nbgrader.api import Gradebook
from nbgrader.apps import NbGraderAPI
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from autograder.course.model import Course, CourseError, Exercise, load_course
from autograder.course.code import check_names
from autograder.platforms.nbgrader import (assignment_name, config_text, course_notebook, nbgrader_course_id,
                                        write_nbgrader_course)
from autograder.platforms.notebook import COURSE_VARIABLE, notebook_course
from autograder.instructor.stubs import BEGIN, END, regions, stub_source

# nbgrader's own gradebook code warns about its sessions; nothing here can act on it.
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_COURSE_FILE = REPO_ROOT / "course.toml"  # this repository's course, the one beside the engine
TINY_COURSE_FILE = Path(__file__).resolve().parent / "tiny_course" / "course.toml"
FILLED, UNTOUCHED, INSTRUCTOR = "filled", "untouched", "instructor"  # INSTRUCTOR submits the source notebook
STUDENTS = (FILLED, UNTOUCHED, INSTRUCTOR)
SKIPPED = "Skipped while nbgrader runs the notebook."


def nbgrader(course_dir: Path, *args: str) -> str:
    """Run nbgrader's command line with this interpreter, so its kernels run it too and import this repository.

    Returns what it printed."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p))
    env.pop(COURSE_VARIABLE, None)  # the course comes from the exported nbgrader_config.py alone
    run = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course_dir, env=env,
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, f"nbgrader {' '.join(args)} exited {run.returncode}:\n{run.stderr[-6000:]}"
    return run.stdout + run.stderr


def command_line(course_dir: Path) -> Callable[[str, str], None]:
    """nbgrader's commands in the course folder, as the README tells instructors to run them."""
    def run(verb: str, assignment: str) -> None:
        nbgrader(course_dir, verb, assignment, *(["--force"] if verb == "generate_assignment" else []))
    return run


def python_api(course_dir: Path) -> Callable[[str, str], None]:
    """nbgrader's Python API in this process, configured by the exported nbgrader_config.py.

    The same steps as the command line, without paying nbgrader's imports once per command."""
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course_dir)).load_config()
    config.CourseDirectory.root = str(course_dir)
    api = NbGraderAPI(config=config)

    def run(verb: str, assignment: str) -> None:
        for student in (STUDENTS if verb == "autograde" else ()):
            result = api.autograde(assignment, student)
            assert result["success"], f"nbgrader autograde {student}: {result.get('log')}{result.get('error')}"
        if verb != "autograde":
            result = getattr(api, verb)(assignment)
            assert result["success"], f"nbgrader {verb}: {result.get('log')}{result.get('error')}"
    return run


def solution_text(course: Course, exercise: Exercise) -> str:
    return (course.solutions_dir / exercise.file).read_text(encoding="utf-8")


def has_prompts(course: Course, exercise: Exercise) -> bool:
    """Answer constants at module level: the release shows them as the stub writes them."""
    return any(region.prompt for region in regions(solution_text(course, exercise), exercise.file))


def without_markers(source: str) -> str:
    return "\n".join(line for line in source.splitlines() if line.strip() not in (BEGIN, END)) + "\n"


def solution_lines(course: Course) -> set[str]:
    """Every non-trivial line of every solution region, stripped."""
    return {line.strip() for exercise in course.exercises
            for region in regions(solution_text(course, exercise), exercise.file)
            for line in region.solution if len(line.strip()) > 8}


def calls(course: Course, hidden: bool) -> list[str]:
    return [f'check("{e.id}", "{c.id}")' for e in course.exercises for c in e.checks if c.hidden == hidden]


def answer_keys(course: Course) -> list[str]:
    """The answer constants (sets of options) as a student could read them: set, list, either quotes."""
    keys = []
    for exercise in course.exercises:
        if not has_prompts(course, exercise):
            continue
        for node in ast.parse(solution_text(course, exercise)).body:
            value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value else None
            try:
                options = ast.literal_eval(value) if value is not None else None
            except ValueError:
                continue
            if isinstance(options, (set, list, tuple)) and options and all(isinstance(o, str) for o in options):
                for quote in ('"', "'"):
                    items = ", ".join(f"{quote}{option}{quote}" for option in sorted(options))
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
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = without_markers(solved[cell.metadata["nbgrader"]["grade_id"]])
    return notebook


@dataclass(frozen=True)
class Exported:
    """A course written by the exporter, released, submitted twice, autograded, with feedback."""
    course: Course  # cut to the assignment that went round the trip
    folder: Path
    nbgrader_id: str  # the nbgrader course's id: the whole course's

    @property
    def assignment(self) -> str:
        return assignment_name(self.course)

    def notebook(self, stage: str, student: str | None = None) -> Path:
        parts = (stage, student) if student else (stage,)
        return self.folder.joinpath(*parts, self.assignment, f"{self.assignment}.ipynb")

    def read(self, stage: str, student: str | None = None) -> nbformat.NotebookNode:
        return nbformat.read(self.notebook(stage, student), as_version=4)


@pytest.fixture(scope="module", params=[
    # nbgrader itself takes 15 s even on the tiny course: the round trips are slow, the export's own
    # rules below run fast for both courses.
    pytest.param((TINY_COURSE_FILE, None, python_api), id="tiny", marks=pytest.mark.slow),
    *(pytest.param((DEFAULT_COURSE_FILE, assignment, command_line), id=assignment, marks=pytest.mark.slow)
      for assignment in load_course(DEFAULT_COURSE_FILE).assignment_ids)])
def exported(request, tmp_path_factory) -> Iterator[Exported]:
    """Every assignment of the course is written; the one of the param goes round the trip."""
    course_file, assignment, runner = request.param
    whole = load_course(course_file)
    course = whole.one_assignment(assignment)
    done = Exported(course, tmp_path_factory.mktemp(f"nbgrader-{course.id}"), nbgrader_course_id(whole))
    with pytest.MonkeyPatch.context() as env:
        # Read in this process, the config sets these two: restored afterwards, and the course
        # file reaches the kernels from the config alone.
        env.setenv("PYTHONPATH", os.environ.get("PYTHONPATH", ""))
        env.setenv(COURSE_VARIABLE, "")
        env.setenv("PATH", os.pathsep.join((str(Path(sys.executable).parent), os.environ.get("PATH", ""))))  # alembic
        write_nbgrader_course(whole, done.folder)
        assert sorted(p.name for p in (done.folder / "source").iterdir()) == sorted(whole.assignment_ids)
        run = runner(done.folder)
        run("generate_assignment", done.assignment)
        for student in STUDENTS:
            done.notebook("submitted", student).parent.mkdir(parents=True)
        nbformat.write(filled_in(done.read("release"), done.read("source")),
                       done.notebook("submitted", FILLED))
        shutil.copyfile(done.notebook("release"), done.notebook("submitted", UNTOUCHED))
        shutil.copyfile(done.notebook("source"), done.notebook("submitted", INSTRUCTOR))
        run("autograde", done.assignment)
        run("generate_feedback", done.assignment)
        yield done


def test_release_holds_no_solution_and_no_hidden_test(exported: Exported) -> None:
    release = exported.read("release")
    leaked = sorted(solution_lines(exported.course) & cell_lines(release))
    assert not leaked, f"solution lines in the release: {leaked}"
    text = "\n".join(cell.source for cell in release.cells)
    assert "HIDDEN TESTS" not in text
    assert calls(exported.course, hidden=True)
    assert not [call for call in calls(exported.course, hidden=True) if call in text]
    assert all(call in text for call in calls(exported.course, hidden=False))  # public checks stay


def test_release_shows_the_same_stubs_as_exercises(exported: Exported) -> None:
    release = exported.read("release")
    for exercise in exported.course.exercises:
        header = f"%%writefile {exercise.file}\n"
        cells = [cell.source for cell in release.cells if cell.source.startswith(header)]
        assert len(cells) == 1, exercise.id
        stub = stub_source(solution_text(exported.course, exercise), exercise.file)
        assert cells[0].rstrip() == (header + stub).rstrip(), exercise.id


def test_autograde_gives_full_marks_to_solutions_and_zero_to_stubs(exported: Exported) -> None:
    course, assignment = exported.course, exported.assignment
    with Gradebook(f"sqlite:///{exported.folder / 'gradebook.db'}", course_id=exported.nbgrader_id) as gradebook:
        assert gradebook.find_assignment(assignment).max_score == course.max_points
        scores = {student: gradebook.find_submission(assignment, student).score for student in STUDENTS}
    assert scores[FILLED] == course.max_points, errors_of(exported.notebook("autograded", FILLED))
    assert scores[UNTOUCHED] == 0


def test_the_source_notebook_autogrades_to_full_marks(exported: Exported) -> None:
    """nbgrader's convention: the instructor's notebook holds every answer and passes every test."""
    course, assignment = exported.course, exported.assignment
    with Gradebook(f"sqlite:///{exported.folder / 'gradebook.db'}", course_id=exported.nbgrader_id) as gradebook:
        score = gradebook.find_submission(assignment, INSTRUCTOR).score
    assert score == course.max_points, errors_of(exported.notebook("autograded", INSTRUCTOR))


def test_nbgrader_validate_passes_the_source_notebook(exported: Exported) -> None:
    """How instructors check an assignment before releasing it."""
    printed = nbgrader(exported.folder, "validate", str(exported.notebook("source")))
    assert "Success! Your notebook passes all the tests." in printed, printed[-6000:]


def test_try_it_cells_skip_themselves_while_nbgrader_grades(exported: Exported) -> None:
    course = exported.course
    tries = [cell for cell in exported.read("autograded", FILLED).cells if cell.id.endswith("-try")]
    with_try = [f"{e.id}-try" for e in course.exercises if course.layout.try_it(e.id).is_file()]
    assert [cell.id for cell in tries] == with_try  # an exercise without a try file has no try-it cell
    assert tries
    for cell in tries:
        # A loaded kernel may flush one print in two stream messages ("Skipped ..." then "\n"): read the text whole.
        assert {output.get("output_type") for output in cell.outputs} == {"stream"}, (cell.id, cell.outputs)
        assert {output.get("name") for output in cell.outputs} == {"stdout"}, (cell.id, cell.outputs)
        assert "".join(output.get("text", "") for output in cell.outputs).strip() == SKIPPED, cell.id


def test_feedback_shows_no_answer_key(exported: Exported) -> None:
    course, assignment = exported.course, exported.assignment
    assert (exported.folder / "feedback" / FILLED / assignment / f"{assignment}.html").is_file()
    text = html_text(exported.folder / "feedback" / UNTOUCHED / assignment / f"{assignment}.html")
    assert all(call in text for call in calls(course, hidden=True))  # the hidden tests ran, and failed, in the feedback
    assert not [key for key in answer_keys(course) if key in text]
    public = ("\n".join(cell.source for cell in exported.read("release").cells) + "\n".join(
        check.hint for exercise in course.exercises for check in exercise.checks)).replace("`", "")
    secret = [line for line in solution_lines(course) if line not in public]
    assert secret
    assert not [line for line in secret if line in text]


# The export alone, without nbgrader: fast for both courses.

@pytest.mark.parametrize("course_file", [TINY_COURSE_FILE, DEFAULT_COURSE_FILE], ids=["tiny", "course"])
def test_every_answer_sits_in_a_solution_cell_of_the_source_notebook(course_file: Path) -> None:
    course = load_course(course_file)
    notebook = course_notebook(course)
    solved = {line.strip() for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("solution")
              for line in cell.source.splitlines()}
    assert any(has_prompts(course, exercise) for exercise in course.exercises)
    assert not sorted(solution_lines(course) - solved)

@pytest.mark.parametrize("course_file", [TINY_COURSE_FILE, DEFAULT_COURSE_FILE], ids=["tiny", "course"])
def test_the_words_are_the_courses_own(course_file: Path) -> None:
    course = load_course(course_file)
    cells = {cell.id: cell.source for cell in course_notebook(course).cells}
    introduction = course.layout.introduction.read_text(encoding="utf-8").strip()
    assert any(course.layout.try_it(e.id).is_file() for e in course.exercises), "so that try-it cells are tried"
    assert cells["intro"] == introduction.replace("{title}", course.title)
    for number, exercise in enumerate(course.exercises, start=1):
        lesson = cells[f"{exercise.id}-lesson"]
        assert lesson.startswith(f"## Part {number} — {exercise.title}\n\n")
        expected = course.layout.lesson(exercise.id).read_text(encoding="utf-8").strip()
        for name, value in {**exercise.params, **exercise.grading}.items():
            expected = expected.replace("{" + name + "}", str(value))
        assert lesson.endswith(expected)
        try_it = course.layout.try_it(exercise.id)
        if try_it.is_file():
            code = cells[f"{exercise.id}-try"]
            assert code.startswith("import os\n\nif os.environ.get(\"NBGRADER_EXECUTION\")")
            assert textwrap.dedent(code.split("else:\n", 1)[1]) == try_it.read_text(encoding="utf-8").rstrip()
        else:
            assert f"{exercise.id}-try" not in cells
        names = check_names(course, exercise)
        for check in exercise.checks:
            assert cells[f"{exercise.id}-{check.id}"].startswith(f"# Check: {names[check.id]}\n")


def test_a_placeholder_without_a_value_names_the_lesson(tmp_path: Path) -> None:
    course_dir = shutil.copytree(TINY_COURSE_FILE.parent, tmp_path / "course")
    course = load_course(course_dir / "course.toml")
    exercise = course.exercises[0]
    lesson = course.layout.lesson(exercise.id)
    lesson.write_text("At least {no_such_setting} items, in a set such as {1, 2}.\n", encoding="utf-8")
    with pytest.raises(CourseError, match=re.escape(f"{lesson}: no value for {{no_such_setting}}")):
        course_notebook(course)
    lesson.unlink()  # no lesson: the part keeps its heading alone
    cells = {cell.id: cell.source for cell in course_notebook(course).cells}
    assert cells[f"{exercise.id}-lesson"] == f"## Part 1 — {exercise.title}"


def test_the_release_step_clears_a_prompt_region_to_its_prompts_and_any_other_as_nbgrader_does(monkeypatch) -> None:
    from nbgrader.preprocessors import ClearSolutions
    # The config sets both in this process: set here first, so that both are restored afterwards.
    monkeypatch.setenv("PYTHONPATH", os.environ.get("PYTHONPATH", ""))
    monkeypatch.setenv(COURSE_VARIABLE, "")
    config = Config()
    exec(config_text(load_course(TINY_COURSE_FILE)), {"get_config": lambda: config})
    steps = config.GenerateAssignment.preprocessors
    (clear,) = [step for step in steps if issubclass(step, ClearSolutions)]
    mixed = ('%%writefile answers.py\n# TODO: answer.\n### BEGIN SOLUTION\n# PROMPT: ANSWER = ""\nANSWER = "a"\n'
             '### END SOLUTION\n\n\ndef f():\n    # TODO: return one.\n    ### BEGIN SOLUTION\n    return 1\n'
             '    ### END SOLUTION\n')
    plain = "def g():\n    ### BEGIN SOLUTION\n    return 2\n    ### END SOLUTION"
    cleared = {}
    for name, source in (("mixed", mixed), ("plain", plain)):
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["nbgrader"] = {"solution": True, "grade": False, "locked": False, "grade_id": name,
                                     "schema_version": 3}
        notebook = nbformat.v4.new_notebook(cells=[cell])
        cleared[name] = clear(config=config).preprocess(notebook, {})[0].cells[0].source
    assert cleared["mixed"] == ('%%writefile answers.py\n# TODO: answer.\nANSWER = ""\n\n\ndef f():\n'
                                '    # TODO: return one.\n    raise NotImplementedError\n')
    assert cleared["plain"] == "def g():\n    raise NotImplementedError"


def test_the_config_names_the_course_its_test_cells_grade(monkeypatch) -> None:
    course = load_course(TINY_COURSE_FILE)
    # The config sets both in this process: set here first, so that both are restored afterwards.
    monkeypatch.setenv("PYTHONPATH", os.environ.get("PYTHONPATH", ""))
    monkeypatch.setenv(COURSE_VARIABLE, "")
    assert notebook_course().path == DEFAULT_COURSE_FILE
    config = Config()
    exec(config_text(course), {"get_config": lambda: config})
    assert config.CourseDirectory.course_id == nbgrader_course_id(course)
    assert os.environ[COURSE_VARIABLE] == str(TINY_COURSE_FILE)
    assert notebook_course().id == course.id


def test_an_edited_config_or_notebook_is_never_overwritten_without_force(tmp_path):
    course = load_course(TINY_COURSE_FILE)
    write_nbgrader_course(course, tmp_path)
    write_nbgrader_course(course, tmp_path)  # unchanged files: writing again is harmless
    config = tmp_path / "nbgrader_config.py"
    edited = config.read_text() + 'c.Exchange.root = "/srv/nbgrader/exchange"\n'
    config.write_text(edited)
    with pytest.raises(CourseError, match="nbgrader_config.py differ"):
        write_nbgrader_course(course, tmp_path)
    assert config.read_text() == edited
    write_nbgrader_course(course, tmp_path, force=True)
    assert "exchange" not in config.read_text()
