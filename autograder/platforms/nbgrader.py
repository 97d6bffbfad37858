"""Export a course as an nbgrader course: `nbgrader_config.py` and a source notebook per assignment.

The nbgrader course is named after the course (`[course] id`), each nbgrader
assignment after a course.toml assignment (`[[assignments]] id`; a course
without them is one assignment, named after the course). Its notebook
`source/<id>/<id>.ipynb` has an introduction, then one part per exercise, in
course.toml order: a lesson cell, the code cell, a "try it" cell and one
autograded test cell per check.

The words are the course's, in its `grading/` folder (course.layout):
- `_course/lesson.md`, the introduction; `{title}` is the assignment's title;
- `<exercise>/lesson.md`, the lesson of an exercise; `{name}` is the value of `name` in
  the exercise's `[exercises.params]` or `[exercises.grading]` table;
- `<exercise>/try.py`, the code of its "try it" cell (none without the file).
Any other braces are text. A missing lesson leaves the heading alone.

- The code cell starts with `%%writefile <exercise>.py`, so running it saves the
  module without running it, and each test cell hands that file to the real
  grader (`autograder.platforms.notebook.check`): student code runs only in the grader's
  sandboxed workers, never in the grading kernel. Every code cell is a solution
  cell holding the reference solution, so the source notebook passes every test
  (`nbgrader validate` on it is how an instructor checks the assignment), and
  nbgrader clears each solution region from the release; its `# TODO:` lines
  sit just above the region, so the release shows the same stub as exercises/.
- A region with `# PROMPT:` lines (answer constants at module level) must not
  become nbgrader's `raise NotImplementedError`: at module level it would stop
  the whole file from importing. The config swaps nbgrader's ClearSolutions for
  a subclass that clears such a region to its prompt lines, as the stub in
  exercises/ has them; a region without them is cleared as nbgrader does.
- A check with `hidden = true` calls the grader between nbgrader's hidden-test
  markers: absent from the release, restored when the instructor autogrades.
- "Try it" cells skip themselves while nbgrader executes the notebook
  (NBGRADER_EXECUTION is set when it autogrades or validates), so grading stays
  fast and never imports student code. The try code runs inside that test, with
  `os` imported.
- nbgrader_config.py names the course file in an environment variable that the
  kernels nbgrader starts inherit, so the test cells grade against this course.
"""
from __future__ import annotations

import functools
import re
import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder import ENGINE_DIR
from autograder.course.model import Course, CourseError, Exercise
from autograder.course.code import check_names
from autograder.platforms.notebook import COURSE_VARIABLE
from autograder.instructor.stubs import PROMPT_PREFIX, regions

__all__ = ["assignment_name", "nbgrader_course_id", "write_nbgrader_course", "course_notebook", "config_text",
           "solution_with_todos_above", "release_preprocessors"]

# Kernels nbgrader starts import the engine from the folder that holds its package.
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
# nbgrader's defaults for CourseDirectory.ignore, kept when the exercise files are added to it.
NBGRADER_IGNORED = (".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback")
# `{name}` in a lesson; any other brace is text (a set such as {"a", "c"} needs no escaping).
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def assignment_name(course: Course) -> str:
    """nbgrader's assignment, and its notebook's name: the id of the course's one assignment."""
    return course.one_assignment(None).id


def nbgrader_course_id(course: Course) -> str:
    """nbgrader's course id: the course id, with dashes as course ids usually have."""
    return course.id.replace("_", "-")


def write_nbgrader_course(course: Course, course_dir: Path, force: bool = False,
                          assignments: list[str] | None = None) -> None:
    """Write COURSE_DIR/nbgrader_config.py and a source notebook for each assignment of the course
    (or those named), `source/<assignment>/<assignment>.ipynb`.

    A file already there with other contents (an instructor's edits) is overwritten
    only with `force`; otherwise CourseError names it and nothing is written."""
    course_dir = Path(course_dir)
    files = {}
    for assignment in assignments or course.assignment_ids:
        notebook = course_notebook(course.assignment(assignment))
        files[course_dir / "source" / assignment / f"{assignment}.ipynb"] = nbformat.writes(notebook) + "\n"
    files[course_dir / "nbgrader_config.py"] = config_text(course)
    edited = [str(path) for path, text in files.items()
              if path.is_file() and path.read_text(encoding="utf-8") != text]
    if edited and not force:
        raise CourseError(f"{', '.join(edited)} differ from what this course writes (edited since?): "
                          "nothing written; pass --force to replace them")
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def course_notebook(course: Course, solutions: Path | None = None) -> nbformat.NotebookNode:
    """The source notebook: an introduction, then one part per exercise."""
    solutions = course.solutions_dir if solutions is None else Path(solutions)
    intro = _lesson(course.layout.introduction, {"title": course.title}) or f"# {course.title}"
    cells = [_readonly_markdown("intro", intro)]
    for number, exercise in enumerate(course.exercises, start=1):
        solution = (solutions / exercise.file).read_text(encoding="utf-8")
        cells.extend(_part(course, exercise, number, solution))
    notebook = new_notebook(cells=cells)
    notebook.metadata.kernelspec = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                    "language": "python"}
    notebook.metadata.language_info = {"name": "python"}
    return notebook


def _part(course: Course, exercise: Exercise, number: int, solution: str) -> list:
    """One exercise: its lesson, its code cell, its "try it" cell, then one test cell per check."""
    lesson = _lesson(course.layout.lesson(exercise.id), {**exercise.params, **exercise.grading})
    heading = f"## Part {number} — {exercise.title}"
    cells = [_readonly_markdown(f"{exercise.id}-lesson", f"{heading}\n\n{lesson}".strip())]
    header = f"%%writefile {exercise.file}\n"
    cells.append(_cell("code", f"{exercise.id}-code", header + solution_with_todos_above(solution, exercise.file),
                       solution=True))
    try_it = course.layout.try_it(exercise.id)
    if try_it.is_file():
        cells.append(_cell("code", f"{exercise.id}-try", _skipped_while_grading(try_it), locked=True))
    cells.append(_readonly_markdown(f"{exercise.id}-checks", CHECKS_INTRO.format(
        points=f"{exercise.max_points:g}", file=exercise.file)))
    names = check_names(course, exercise)
    for check in exercise.checks:
        cells.append(_cell("code", f"{exercise.id}-{check.id}",
                           _test_source(exercise.id, check.id, names[check.id], check.hidden),
                           grade=True, locked=True, points=check.points))
    return cells


def _lesson(path: Path, values: dict) -> str:
    """The Markdown at `path` with each `{name}` filled in; "" when there is none."""
    if not path.is_file():
        return ""
    text = path.read_text(encoding="utf-8").strip()
    unknown = sorted({name for name in _PLACEHOLDER.findall(text) if name not in values})
    if unknown:
        raise CourseError(f"{path}: no value for {', '.join('{' + name + '}' for name in unknown)} "
                          f"(it can use {', '.join('{' + name + '}' for name in values) or 'none'})")
    return _PLACEHOLDER.sub(lambda match: str(values[match.group(1)]), text)


def _skipped_while_grading(path: Path) -> str:
    """The try code of `path`, run only when nbgrader is not executing the notebook."""
    code = path.read_text(encoding="utf-8").rstrip()
    if not code.strip():
        raise CourseError(f"{path} is empty: write the try-it code, or delete the file for no try-it cell")
    return SKIP + textwrap.indent(code, "    ")


def solution_with_todos_above(source: str, name: str = "<solution>") -> str:
    """The solution with each region's `# TODO:` lines moved just above its BEGIN marker.

    nbgrader replaces everything between the markers with its code stub, so the
    TODO lines must sit outside the region for the student to see them. The
    `# PROMPT:` lines stay inside, for the release step to turn into code.
    """
    lines = source.splitlines()
    out: list[str] = []
    position = 0
    for region in regions(source, name):
        out.extend(lines[position:region.start])
        out.extend(region.indent + todo for todo in region.todo)
        out.append(lines[region.start])
        out.extend(region.indent + PROMPT_PREFIX + prompt for prompt in region.prompt)
        out.extend(region.solution)
        out.append(lines[region.end])
        position = region.end + 1
    out.extend(lines[position:])
    return "\n".join(out) + "\n"


def release_preprocessors() -> list:
    """nbgrader's steps for `generate_assignment`, clearing solutions with `_clear_solutions_keeping_prompts()`.

    Named by nbgrader_config.py, which nbgrader reads: only the release step needs nbgrader here."""
    from nbgrader.converters import GenerateAssignment
    from nbgrader.preprocessors import ClearSolutions

    default = GenerateAssignment.class_traits()["preprocessors"].default()
    if ClearSolutions not in default:
        raise CourseError("this nbgrader's generate_assignment has no ClearSolutions step to replace: "
                          "a region with answer prompts would reach students as a module-level raise")
    keeping = _clear_solutions_keeping_prompts()
    return [keeping if step is ClearSolutions else step for step in default]


@functools.cache
def _clear_solutions_keeping_prompts() -> type:
    """nbgrader's ClearSolutions, except that a region with `# PROMPT:` lines becomes those lines.

    Defined on first use, so that exporting a course does not need nbgrader installed."""
    from nbgrader.preprocessors import ClearSolutions

    class ClearSolutionsKeepingPrompts(ClearSolutions):
        """A cleared region is what the stub in exercises/ has: its prompts, or nbgrader's code stub."""

        def _replace_solution_region(self, cell, language: str) -> bool:
            if cell.cell_type != "code" or PROMPT_PREFIX not in cell.source:
                return super()._replace_solution_region(cell, language)
            kept: list[str] = []
            region: list[str] | None = None
            replaced = False
            for line in cell.source.split("\n"):  # nbgrader's own reading of the markers
                if self.begin_solution_delimeter in line:
                    if region is not None:
                        return super()._replace_solution_region(cell, language)  # it names the fault
                    region, indent, replaced = [], re.match(r"\s*", line).group(0), True
                elif self.end_solution_delimeter in line:
                    if region is not None:
                        kept.extend(indent + code for code in _cleared(region, self.code_stub[language]))
                    region = None
                elif region is None:
                    kept.append(line)
                else:
                    region.append(line)
            if region is not None:
                return super()._replace_solution_region(cell, language)
            cell.source = "\n".join(kept)
            return replaced

    return ClearSolutionsKeepingPrompts


def _cleared(region: list[str], code_stub: str) -> list[str]:
    """What a solution region leaves in the release: its prompt lines as code, or nbgrader's code stub."""
    prompts = [line.strip()[len(PROMPT_PREFIX):] for line in region if line.strip().startswith(PROMPT_PREFIX)]
    return prompts or code_stub.split("\n")


def _test_source(exercise: str, check: str, name: str, hidden: bool) -> str:
    call = f'check("{exercise}", "{check}")'
    if not hidden:
        return f"# Check: {name}\nfrom autograder.platforms.notebook import check\n\n{call}"
    return (f"# Check: {name}\n# Hidden: this check runs when your instructor grades the notebook.\n"
            f"from autograder.platforms.notebook import check\n\n{HIDDEN_BEGIN}\n{call}\n{HIDDEN_END}")


def _cell(kind: str, grade_id: str, source: str, *, solution: bool = False, grade: bool = False,
          locked: bool = False, points: float | None = None):
    make = new_code_cell if kind == "code" else new_markdown_cell
    cell = make(source, id=grade_id)
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution}
    if grade:
        meta["points"] = points
    cell.metadata["nbgrader"] = meta
    return cell


def _readonly_markdown(grade_id: str, text: str):
    return _cell("markdown", grade_id, text, locked=True)


def config_text(course: Course) -> str:
    """nbgrader_config.py for the course; nbgrader executes it as Python."""
    ignored = list(NBGRADER_IGNORED) + list(course.exercise_files)
    timeout = int(course.limits.check_seconds * 2 + 60)
    assignments = "\n".join(f'# "{a}": source/{a}/{a}.ipynb; `nbgrader generate_assignment {a}` adds it to the gradebook.'
                            for a in course.assignment_ids)
    return CONFIG.format(title=course.title, course_id=nbgrader_course_id(course),
                         assignments=assignments, repo=str(ENGINE_DIR.parent),
                         variable=COURSE_VARIABLE, course_file=str(course.path.resolve()),
                         ignored=ignored, timeout=timeout)


CONFIG = '''\
"""nbgrader configuration for "{title}" (written by `python -m autograder nbgrader`)."""
import os
import sys

c = get_config()  # noqa: F821 -- nbgrader defines get_config when it reads this file

c.CourseDirectory.course_id = "{course_id}"
# The course's assignments:
{assignments}

# Test cells call autograder.platforms.notebook.check: the kernels nbgrader starts must import this package,
# and grade against this course file.
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in ({repo!r}, os.environ.get("PYTHONPATH", "")) if p)
os.environ["{variable}"] = {course_file!r}

# A cleared solution region becomes what exercises/ holds: its TODO lines (kept above it), then this,
# or its prompt lines (answers set at module level, where a raise would stop the file importing):
# generate_assignment clears solutions with the grader's own ClearSolutions, which keeps them.
c.ClearSolutions.code_stub = {{"python": "raise NotImplementedError"}}
if {repo!r} not in sys.path:
    sys.path.insert(0, {repo!r})
from autograder.platforms.nbgrader import release_preprocessors  # noqa: E402

c.GenerateAssignment.preprocessors = release_preprocessors()

# Running the source notebook writes the solution modules next to it: never copy them into the
# release, nor a student's own copies over what their notebook writes.
c.CourseDirectory.ignore = {ignored!r}

# The first test cell of an exercise grades all of it (a few seconds; the grader's own limits
# stop hung student code well before this).
c.Execute.timeout = {timeout}
'''

CHECKS_INTRO = """\
### Checks ({points} points)

Each cell below grades the `{file}` your `%%writefile` cell saved. A failed check says what \
your code did, what was expected, and gives a hint."""

SKIP = """\
import os

if os.environ.get("NBGRADER_EXECUTION"):  # set while nbgrader autogrades or validates
    print("Skipped while nbgrader runs the notebook.")
else:
"""
