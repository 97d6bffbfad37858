"""course.toml: loaded into typed settings; mistakes in it are errors that name the key."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from autograder.course import CourseError, load_course
from autograder.probes import probe_names

REPO = Path(__file__).resolve().parent.parent
COURSE = load_course()


def test_course_loads_with_points_for_every_check():
    assert COURSE.max_points == 100
    assert [e.id for e in COURSE.exercises] == ["torch_xor", "keras_xor", "concepts"]
    assert all(check.points > 0 and check.hint for e in COURSE.exercises for check in e.checks)


@pytest.mark.parametrize("exercise", [e.id for e in COURSE.exercises])
def test_every_exercise_has_stub_solution_probes_and_checks(exercise):
    for folder in ("exercises", "solutions", "autograder/probes", "autograder/checks"):
        assert (REPO / folder / f"{exercise}.py").is_file(), f"{folder}/{exercise}.py is missing"
    assert probe_names(exercise)


def _public_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return {n for n in names if not n.startswith("_")}


@pytest.mark.parametrize("exercise", [e.id for e in COURSE.exercises])
def test_stub_and_solution_define_the_same_names(exercise):
    assert _public_names(REPO / "exercises" / f"{exercise}.py") == _public_names(REPO / "solutions" / f"{exercise}.py")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "course.toml"
    path.write_text(text)
    return path


BASE = '[course]\nseed = 1\n[[exercises]]\nid = "x"\n[exercises.checks.a]\npoints = 2\n'


@pytest.mark.parametrize("text, says", [
    (BASE + "[limits]\nimport_secnds = 3\n", "unknown key 'import_secnds'"),
    (BASE + "[limits]\nimport_seconds = 'slow'\n", "import_seconds = 'slow' should be a float"),
    (BASE + "[thresholds]\nrtol = -1.0\n", "must not be negative"),
    (BASE + "[extra]\n", "unknown table 'extra'"),
    ('[course]\nseed = "x"\n', "seed = 'x' should be an int"),
    ('[[exercises]]\nid = "x"\n[exercises.checks.a]\nhint = "h"\n', "needs points"),
    ('[[exercises]]\nid = "x"\n[exercises.checks.a]\npoints = 1\npoint = 2\n', "unknown key 'point'"),
    ("[course\n", "not valid TOML"),
    (BASE + "hidden = 'yes'\n", "hidden = 'yes' should be a bool"),
    (BASE.replace("seed = 1", "seed = 1\nhidden_points = -3"), "hidden_points = -3 should be a number"),
    ('[gradescope]\nvisibility = "sometimes"\n' + BASE, "visibility = 'sometimes' should be one of"),
])
def test_bad_course_file_names_the_problem(tmp_path, text, says):
    with pytest.raises(CourseError, match=None) as raised:
        load_course(_write(tmp_path, text))
    assert says in str(raised.value)
    assert "course.toml" in str(raised.value)


def test_missing_course_file(tmp_path):
    with pytest.raises(CourseError, match="not found"):
        load_course(tmp_path / "nope.toml")


def test_integers_are_accepted_where_floats_are_expected(tmp_path):
    course = load_course(_write(tmp_path, BASE + "[limits]\nprobe_seconds = 5\n"))
    assert course.limits.probe_seconds == 5.0 and course.exercises[0].max_points == 2


def test_hidden_checks_and_gradescope_visibility_are_read():
    hidden = {(e.id, c.id) for e in COURSE.exercises for c in e.checks if c.hidden}
    assert ("concepts", "q1_answer") in hidden and ("concepts", "q1_answer_form") not in hidden
    assert COURSE.gradescope.hidden_visibility == "after_published"
