"""`python -m autograder release OUT`: the folder students get.

It holds the stubs (generated from the solutions), the public checks, a
course.toml without instructor-only settings, the recorded reference data the
public checks compare with, a README, and a GitHub Classroom workflow. It never
holds solution code, the probes' reference-only sections, hidden checks, or a
recording that is an answer key (a probe listed in its module's KEY_PROBES).
"""
from __future__ import annotations

import ast
import json
import re
import shutil
import tomllib
from pathlib import Path

from .course import REPO_ROOT, Course, CourseError, load_course
from .probes import key_probes
from .reference import SNAPSHOT_DIR, public_probe_source
from .stubs import stub_source
from .verdict import RECORD_NAME

__all__ = ["write_release", "INSTRUCTOR_ONLY"]

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
# Modules only the instructor's commands use; the release's command line offers `submit` and `verdict`.
INSTRUCTOR_ONLY = {"batch.py", "intake.py", "release.py", "stubs.py", "nbgrader_course.py", "gradescope_package.py",
                   "exporters/class_report.py", "exporters/gradebook.py", "exporters/feedback.py"}
_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def write_release(course: Course, out: Path) -> Path:
    """Write the student release of `course` into the new or empty folder `out`."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise CourseError(f"{out} exists and is not empty: release into a new folder")
    solutions = REPO_ROOT / "solutions"
    public_course = _public_course_toml(course.path.read_text(encoding="utf-8"), course)  # refuses before writing
    stubs = {e.id: stub_source((solutions / f"{e.id}.py").read_text(encoding="utf-8"), f"solutions/{e.id}.py")
             for e in course.exercises}
    out.mkdir(parents=True, exist_ok=True)
    for exercise_id, stub in stubs.items():
        _write(out / "exercises" / f"{exercise_id}.py", stub)
    _write(out / "course.toml", public_course)
    _copy_package(course, out / "autograder")
    _write(out / "requirements.txt", "\n".join(_dependencies()) + "\n")
    _write(out / "pyproject.toml", _render("pyproject.toml"))
    _write(out / ".gitignore", _render("gitignore"))
    released = load_course(out / "course.toml")
    _write(out / "README.md", _render("README.student.md", title=course.title,
                                      points=f"{released.max_points:g}", exercises=_exercise_table(released),
                                      hidden=f"{course.max_points - released.max_points:g}"))
    _write(out / ".github" / "workflows" / "classroom.yml", classroom_workflow(released))
    return out


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _render(template: str, **values: str) -> str:
    text = (TEMPLATES_DIR / template).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def _public_course_toml(text: str, course: Course) -> str:
    """course.toml without its [gradescope] table and hidden checks, comments and layout kept.

    Tables are cut at their headers; the result is parsed again to prove nothing hidden is left."""
    hidden = {f"exercises.checks.{c.id}" for e in course.exercises for c in e.checks if c.hidden}
    blocks: list[tuple[str, list[str]]] = [("", [])]
    for line in text.splitlines(keepends=True):
        match = _HEADER.match(line)
        if match:
            blocks.append((match.group(1), []))
        blocks[-1][1].append(line)
    kept = []
    for name, lines in blocks:
        if name == "gradescope" or (name in hidden and _is_hidden(lines)):
            continue
        kept.extend(lines)
    hidden_points = sum(c.points for e in course.exercises for c in e.checks if c.hidden)
    public = re.sub(r"^(\[course\][^\[]*?^seed\s*=[^\n]*\n)",
                    lambda m: m.group(1) + "# Points of the hidden checks your instructor's grader adds.\n"
                                           f"hidden_points = {hidden_points:g}\n",
                    "".join(kept), count=1, flags=re.M | re.S)
    data = tomllib.loads(public)
    if hidden_points and data.get("course", {}).get("hidden_points") != hidden_points:
        raise CourseError(f"{course.path}: [course] needs a `seed = ...` line for the release to note hidden_points")
    if "gradescope" in data or any(check.get("hidden") for e in data.get("exercises", [])
                                   for check in e.get("checks", {}).values()):
        raise CourseError(f"{course.path}: could not separate the hidden checks from the public ones")
    return public


def _is_hidden(lines: list[str]) -> bool:
    return bool(tomllib.loads("".join(lines[1:])).get("hidden"))


def _copy_package(course: Course, target: Path) -> None:
    """The grader's code, with hidden checks cut out, reference-only probe code cut out,
    and only the recordings that are not answer keys."""
    exercises = {e.id: e for e in course.exercises}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        relative = path.relative_to(PACKAGE_DIR).as_posix()
        if "__pycache__" in relative or relative in INSTRUCTOR_ONLY or relative.startswith("templates/"):
            continue
        text = path.read_text(encoding="utf-8")
        if relative.startswith("checks/") and path.stem != "__init__":
            text = without_hidden_checks(text, exercises.get(path.stem))
        elif relative.startswith("probes/"):
            text = public_probe_source(text)
        _write(target / relative, text)
    for exercise in course.exercises:
        recording = SNAPSHOT_DIR / f"{exercise.id}.json"
        if not recording.is_file():
            continue
        data = json.loads(recording.read_text(encoding="utf-8"))
        for probe in key_probes(exercise.id):
            data["run"]["outcomes"].pop(probe, None)
        if data["run"]["outcomes"]:
            _write(target / "reference" / recording.name, json.dumps(data, indent=1) + "\n")


def without_hidden_checks(source: str, exercise) -> str:
    """The check module without the test functions of hidden checks (whole functions, decorators included)."""
    if exercise is None:
        return source
    hidden = {f"test_{c.id}" for c in exercise.checks if c.hidden}
    lines = source.splitlines(keepends=True)
    cut: list[tuple[int, int]] = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name in hidden:
            start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
            end = node.end_lineno
            while end < len(lines) and not lines[end].strip():
                end += 1
            cut.append((start, end))
    for start, end in reversed(cut):
        del lines[start:end]
    return "".join(lines)


def _dependencies() -> list[str]:
    """The pinned dependencies of pyproject.toml: one source for every install."""
    return tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]


def _exercise_table(course: Course) -> str:
    return "\n".join(f"| `exercises/{e.id}.py` | {e.title} | {e.max_points:g} |" for e in course.exercises)


def classroom_workflow(course: Course) -> str:
    """GitHub Classroom autograding: grade once, then one command-grader step per public check,
    each worth its points, and the classroom reporter over all of them."""
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
    return _render("classroom.yml", steps="".join(steps).rstrip("\n"), env=env.rstrip("\n"),
                   runners=",".join(runners), record=RECORD_NAME)
