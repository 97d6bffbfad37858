"""`python -m autograder release OUT`: the folder students get.

It holds the stubs (generated from the course's solutions), course.toml without
the instructor's settings, the engine's autograder/ package without the
instructor-only modules, and the course's grading/ homes of the assignment's
exercises, cut for students: probes lose their reference-only sections, check
modules lose the functions of hidden checks, recordings lose the outcomes of
answer-key probes (`answer_key_probes` in course.toml). requirements.txt pins the
engine's dependencies and the course's own (course.toml `[setup] requirements`). A README and a GitHub Classroom workflow
are written from course.toml, so nothing here names a course of its own.
"""
from __future__ import annotations

import ast
import json
import re
import shlex
import tomllib
from pathlib import Path

import tomlkit

from autograder import ENGINE_DIR
from autograder.course.model import Course, CourseError, Exercise, load_course
from autograder.course.layout import CHECK, PROBE, RECORDING
from autograder.checking import Observed
from autograder.course.code import CHECK_PREFIX, check_functions
from autograder.errors import AutograderError
from autograder.run.observations import ExerciseRun
from autograder.run.reference import imported_siblings, public_probe_source
from autograder.instructor.stubs import stub_source
from autograder.verdict import RECORD_NAME

__all__ = ["ReleaseError", "write_release", "INSTRUCTOR_ONLY", "instructor_only", "engine_files", "course_grading_files",
           "public_course_toml", "without_hidden_checks", "pinned_dependencies", "course_requirements", "minimum_python",
           "supported_pythons", "classroom_workflow"]

TEMPLATES_DIR = ENGINE_DIR / "templates"
PYPROJECT = ENGINE_DIR.parent / "pyproject.toml"  # the engine's, beside its package
# Rooms and modules only the instructor's commands use; the release's command line offers `submit` and `verdict`.
INSTRUCTOR_ONLY = {"instructor/", "similarity/", "platforms/gradescope.py", "platforms/prairielearn.py",
                   "platforms/nbgrader.py", "exporters/class_report.py", "exporters/gradebook.py",
                   "exporters/feedback.py", "exporters/lms.py", "exporters/report_html.py", "exporters/prairielearn.py"}


def instructor_only(name: str) -> bool:
    """Whether the engine file `name` (a path inside autograder/) stays out of the student release."""
    return any(name == kept or (kept.endswith("/") and name.startswith(kept)) for kept in INSTRUCTOR_ONLY)


class ReleaseError(AutograderError):
    """The release cannot be written where it was asked."""


def _listed(folder: Path) -> list[Path]:
    """Every file under `folder`, in a stable order, without caches and hidden files."""
    return sorted(p for p in folder.rglob("*") if p.is_file()
                  and not any(part == "__pycache__" or part.startswith(".") for part in p.relative_to(folder).parts))


def engine_files() -> list[tuple[str, Path]]:
    """(path inside autograder/, file) for the engine: its whole package, which holds no course."""
    return [(p.relative_to(ENGINE_DIR).as_posix(), p) for p in _listed(ENGINE_DIR)]


def course_grading_files(course: Course) -> list[tuple[str, Path]]:
    """(path inside the course, file) for the grading homes of the course's exercises, the helper modules their
    probes and checks import (`grading/_xor/probe.py`), and the shared homes without code (the introduction).
    Another assignment's homes stay out."""
    layout = course.layout
    modules = {PROBE: layout.probe_files(), CHECK: layout.check_files()}
    homes = {layout.home(e.id) for e in course.exercises}
    helpers = {helper for role, files in modules.items() for e in course.exercises if e.id in files
               for helper in imported_siblings(files[e.id], files)}
    shared = {home for home in (layout.grading_dir.iterdir() if layout.grading_dir.is_dir() else ())
              if home.name.startswith("_") and not any((home / role).exists() for role in modules)}
    listed = [p for home in sorted(homes | shared) if home.is_dir() for p in _listed(home)]
    return [(layout.relative(p), p) for p in [*listed, *sorted(helpers)]]


def assignment_toml(course: Course) -> tomlkit.TOMLDocument:
    """course.toml cut to one assignment, as a course of its own: the other exercises' tables and
    [[assignments]] go, and the assignment's id and title become [course]'s."""
    course = course.one_assignment(None)
    document = tomlkit.parse(course.path.read_text(encoding="utf-8"))
    kept = {e.id for e in course.exercises}
    exercises = document.get("exercises", [])
    for index in reversed(range(len(exercises))):
        if exercises[index]["id"] not in kept:
            del exercises[index]
    if "assignments" in document:
        del document["assignments"]
        head = document.setdefault("course", tomlkit.table())
        head["id"], head["title"] = course.id, course.title
    return document


def write_release(course: Course, out: Path) -> Path:
    """Write the student release of `course`'s one assignment into the new or empty folder `out`."""
    course = course.one_assignment(None)
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ReleaseError(f"{out} exists and is not empty: release into a new folder")
    # Everything is computed before the first write, so a refusal leaves nothing behind.
    public_course = public_course_toml(course)
    stubs = {e.file: stub_source((course.solutions_dir / e.file).read_text(encoding="utf-8"),
                                 str(course.solutions_dir / e.file)) for e in course.exercises}
    files = {**{f"autograder/{name}": path.read_bytes() for name, path in engine_files()
                if path.suffix == ".py" and not instructor_only(name)},
             **_public_grading(course)}
    out.mkdir(parents=True, exist_ok=True)
    for name, stub in stubs.items():
        _write(out / "exercises" / name, stub)
    _write(out / "course.toml", public_course)
    for name, data in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    _write(out / "requirements.txt", "\n".join(course_requirements(course)) + "\n")
    major, minor = minimum_python()
    _write(out / "pyproject.toml", _render("pyproject.toml", name=f"{course.id}-exercises", python=f"{major}.{minor}"))
    _write(out / ".gitignore", _render("gitignore"))
    released = load_course(out / "course.toml")
    for exercise in released.exercises:  # the cut check modules and the cut course.toml still agree
        check_functions(released, exercise)
    _write(out / "README.md", student_readme(course, released))
    _write(out / ".github" / "workflows" / "classroom.yml", classroom_workflow(released, course.pip_options))
    return out


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _render(template: str, **values: str) -> str:
    text = (TEMPLATES_DIR / template).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def _toml_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def public_course_toml(course: Course) -> str:
    """course.toml for students, comments and layout kept: without [gradescope], [setup] and hidden
    check tables, with `hidden_points` in [course]. The result is parsed again to prove it."""
    document = assignment_toml(course)
    for table in ("gradescope", "setup"):
        if table in document:
            del document[table]
    for table in document.get("exercises", []):
        exercise = course.exercise(table["id"])
        checks = table.get("checks", {})
        for check in exercise.checks:
            if check.hidden:
                del checks[check.id]
            elif not course.show_hints:  # hints the course keeps from students stay out of their copy too
                checks[check.id].pop("hint", None)
        if not checks:
            raise CourseError(f"{course.path}: exercise {exercise.id!r} has only hidden checks; "
                              "students need at least one public check to work on it")
    hidden_points = sum(c.points for e in course.exercises for c in e.checks if c.hidden)
    head = document.setdefault("course", tomlkit.table())
    head.pop("hidden_points", None)
    if hidden_points:
        head.add(tomlkit.comment("Points of the hidden checks your instructor's grader adds."))
        head.add("hidden_points", _toml_number(hidden_points))
        head.add(tomlkit.nl())
    text = tomlkit.dumps(document).rstrip() + "\n"
    data = tomllib.loads(text)
    if ("gradescope" in data or "setup" in data
            or any(check.get("hidden") for e in data.get("exercises", []) for check in e.get("checks", {}).values())
            or data.get("course", {}).get("hidden_points", 0) != hidden_points):
        raise CourseError(f"{course.path}: could not separate the instructor's settings from the students'")
    return text


def _public_grading(course: Course) -> dict[str, bytes]:
    """The course's grading homes as students get them, by path inside the course."""
    exercises = {e.id: e for e in course.exercises}
    public: dict[str, bytes] = {}
    for name, path in course_grading_files(course):
        home = path.parent.name
        if path.name == PROBE:
            public[name] = public_probe_source(path.read_text(encoding="utf-8")).encode()
        elif path.name == CHECK and home in exercises:
            public[name] = without_hidden_checks(path.read_text(encoding="utf-8"), exercises[home]).encode()
        elif path.name == RECORDING:
            recording = _public_recording(path, course, exercises[home]) if home in exercises else None
            if recording is not None:
                public[name] = recording.encode()
        else:
            public[name] = path.read_bytes()
    return public


def _public_recording(path: Path, course: Course, exercise: Exercise) -> str | None:
    """The recording of the probes public checks read, without answer keys; None when nothing is left.

    It is the course seed's, which no official grade uses (official_seed.py): students may know it."""
    data = json.loads(path.read_text(encoding="utf-8"))
    outcomes = data["run"]["outcomes"]
    public = probes_public_checks_read(course, exercise, ExerciseRun.from_json(data["run"]))
    for probe in [*outcomes]:
        if probe in exercise.answer_key_probes or probe not in public:
            outcomes.pop(probe)
    return json.dumps(data, indent=1) + "\n" if outcomes else None


def probes_public_checks_read(course: Course, exercise: Exercise, reference: ExerciseRun) -> set[str]:
    """The probes the exercise's public checks read, found by running them on the reference's own run."""
    functions = check_functions(course, exercise)
    observed = Observed(exercise, reference, lambda: reference)
    for check in exercise.checks:
        if not check.hidden:
            try:
                functions[check.id](observed)
            except Exception:  # a check that stops early has read what it needed to say why
                pass
    return set(observed.read) | observed.compared


def without_hidden_checks(source: str, exercise: Exercise) -> str:
    """The check module without the functions of hidden checks (whole functions, decorators included)."""
    hidden = {f"{CHECK_PREFIX}{c.id}" for c in exercise.checks if c.hidden}
    lines = source.splitlines(keepends=True)
    cut: list[tuple[int, int]] = []
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in hidden:
            start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
            end = node.end_lineno
            while end < len(lines) and not lines[end].strip():
                end += 1
            cut.append((start, end))
    for start, end in reversed(cut):
        del lines[start:end]
    return "".join(lines)


def _project(pyproject: Path = PYPROJECT) -> dict:
    return tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]


def pinned_dependencies(pyproject: Path = PYPROJECT) -> list[str]:
    """The engine's own dependencies, from its pyproject.toml."""
    return list(_project(pyproject)["dependencies"])


def course_requirements(course: Course, pyproject: Path = PYPROJECT) -> list[str]:
    """What an install of `course`'s grader pins: the engine's dependencies, then the course's own
    (course.toml `[setup] requirements`): a course without frameworks pins none."""
    engine = pinned_dependencies(pyproject)
    return [*engine, *(requirement for requirement in course.requirements if requirement not in engine)]


_REQUIRES_PYTHON = re.compile(r"\s*>=\s*(\d+)\.(\d+)\s*(?:,\s*<\s*(\d+)\.(\d+)\s*)?")


def python_range(pyproject: Path = PYPROJECT) -> tuple[tuple[int, int], tuple[int, int] | None]:
    """((major, minor) needed, (major, minor) too new or None) from requires-python: '>=X.Y' or '>=X.Y,<A.B'."""
    found = _REQUIRES_PYTHON.fullmatch(_project(pyproject).get("requires-python", ""))
    if found is None:
        raise CourseError(f"{pyproject}: requires-python should read '>=X.Y' or '>=X.Y,<A.B'")
    low = (int(found.group(1)), int(found.group(2)))
    return low, (int(found.group(3)), int(found.group(4))) if found.group(3) else None


def minimum_python(pyproject: Path = PYPROJECT) -> tuple[int, int]:
    """(major, minor) from requires-python."""
    return python_range(pyproject)[0]


def _pip_install(pip_options: tuple[str, ...]) -> str:
    """`pip install` with the course's pip options ([setup] pip_options), ready for `-r requirements.txt`."""
    return " ".join(["pip install", *map(shlex.quote, pip_options)])


def supported_pythons(pyproject: Path = PYPROJECT) -> str:
    """The Pythons requires-python allows, in words: "3.11 to 3.13", or "3.11 or newer"."""
    (major, minor), too_new = python_range(pyproject)
    if too_new is None:
        return f"{major}.{minor} or newer"
    if too_new[1] == 0:
        return f"{major}.{minor} or newer, before {too_new[0]}.0"
    return f"{major}.{minor} to {too_new[0]}.{too_new[1] - 1}"


def student_readme(course: Course, released: Course) -> str:
    """README.md for students, in words from course.toml: titles, files and points."""
    hidden = course.max_points - released.max_points
    hidden_note = (f" Your instructor's grader also runs hidden checks worth {hidden:g} more points."
                   if hidden else "")
    table = "\n".join(f"| `exercises/{e.file}` | {e.title} | {e.max_points:g} |" for e in released.exercises)
    files = ", ".join(f"`{e.file}`" for e in released.exercises)
    return _render("README.student.md", title=course.title, exercises=table, points=f"{released.max_points:g}",
                   hidden_note=hidden_note, python=supported_pythons(), pip_install=_pip_install(course.pip_options),
                   first=released.exercises[0].id, files=files)


def classroom_workflow(course: Course, pip_options: tuple[str, ...] = ()) -> str:
    """GitHub Classroom autograding: install (with the instructor's `pip_options`, which the released
    course.toml no longer holds), grade once, then one command-grader step per public check, each
    worth its points, and the classroom reporter over all of them."""
    steps = []
    runners = []
    for exercise in course.exercises:
        for check in exercise.checks:
            step_id = f"{exercise.id}-{check.id}".replace("_", "-")
            runners.append(step_id)
            steps.append(
                f"      - name: {exercise.id}.{check.id}\n"
                f"        id: {step_id}\n"
                f"        uses: classroom-resources/autograding-command-grader@v1\n"
                f"        with:\n"
                f"          test-name: {exercise.id}.{check.id}\n"
                f"          command: python -m autograder verdict {exercise.id}.{check.id}\n"
                f"          timeout: 1\n"
                f"          max-score: {check.points:g}\n")
    env = "".join(f"          {r.upper()}_RESULTS: \"${{{{ steps.{r}.outputs.result }}}}\"\n" for r in runners)
    major, minor = minimum_python()
    return _render("classroom.yml", steps="".join(steps).rstrip("\n"), env=env.rstrip("\n"),
                   runners=",".join(runners), record=RECORD_NAME, python=f"{major}.{minor}",
                   pip_install=_pip_install(pip_options))
