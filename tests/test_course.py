"""course.toml: loaded into typed settings; mistakes in it are errors that name the key.

Every course in this repository (the XOR course and the tiny test course) is checked the same
way, against its own course.toml read as plain TOML: no test names an exercise or a total.
"""
from __future__ import annotations

import ast
import shutil
import tomllib
from pathlib import Path

import pytest

from autograder.course.model import CourseError, default_course_file, load_course
from autograder.course.code import check_functions, check_names

REPO_ROOT = Path(__file__).resolve().parent.parent
TINY_FILE = Path(__file__).resolve().parent / "tiny_course" / "course.toml"
COURSES = {"course": load_course(REPO_ROOT / "course.toml"), "tiny": load_course(TINY_FILE)}
EXERCISES = [(name, e.id) for name, course in COURSES.items() for e in course.exercises]


def _raw(course) -> dict:
    return tomllib.loads(course.path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", COURSES)
def test_course_loads_every_exercise_and_check_in_order(name):
    course, raw = COURSES[name], _raw(COURSES[name])
    assert [e.id for e in course.exercises] == [table["id"] for table in raw["exercises"]]
    for exercise, table in zip(course.exercises, raw["exercises"]):
        assert [(c.id, c.points, c.hint, c.hidden) for c in exercise.checks] == [
            (check_id, float(t["points"]), t.get("hint", ""), t.get("hidden", False))
            for check_id, t in table["checks"].items()]
        assert dict(exercise.params) == table.get("params", {})
        assert dict(exercise.grading) == table.get("grading", {})
    assert course.max_points == sum(t["points"] for e in raw["exercises"] for t in e["checks"].values())
    assert course.seed == raw["course"]["seed"]


@pytest.mark.parametrize("name", COURSES)
def test_every_check_is_worth_points_and_has_a_hint(name):
    assert all(check.points > 0 and check.hint for e in COURSES[name].exercises for check in e.checks)


@pytest.mark.parametrize("name, exercise", EXERCISES)
def test_every_exercise_has_stub_solution_probes_and_checks(name, exercise):
    course = COURSES[name]
    file = course.exercise(exercise).file
    for path in (course.exercises_dir / file, course.solutions_dir / file, course.layout.probe(exercise),
                 course.layout.check(exercise)):
        assert path.is_file(), f"{path} is missing"
    tree = ast.parse(course.layout.probe(exercise).read_text())
    assert any(isinstance(node, ast.FunctionDef) and node.name.startswith("probe_") for node in tree.body)
    names = check_names(course, course.exercise(exercise))  # CourseError unless checks and tables match
    assert list(names) == [c.id for c in course.exercise(exercise).checks] and all(names.values())


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


@pytest.mark.parametrize("name, exercise", EXERCISES)
def test_stub_and_solution_define_the_same_names(name, exercise):
    course = COURSES[name]
    file = course.exercise(exercise).file
    assert _public_names(course.exercises_dir / file) == _public_names(course.solutions_dir / file)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "course.toml"
    path.write_text(text)
    return path


BASE = '[course]\nseed = 1\n[[exercises]]\nid = "x"\n[exercises.checks.a]\npoints = 2\n'


@pytest.mark.parametrize("text, says", [
    (BASE + "[limits]\nimport_secnds = 3\n", "unknown key 'import_secnds'"),
    (BASE + "[limits]\nimport_seconds = 'slow'\n", "import_seconds = 'slow' should be a float"),
    (BASE + "[limits]\nprobe_seconds = -1.0\n", "must not be negative"),
    (BASE + "[limits]\nisolation = 'none'\n", "should be 'auto' or 'basic'"),
    (BASE + "[extra]\n", "unknown table 'extra'"),
    (BASE + "[thresholds]\nrtol = 1.0\n", "unknown table 'thresholds'"),
    ('[course]\nseed = "x"\n', "seed = 'x' should be an int"),
    ('[course]\nseed = -1\n', "seed = -1 should be an int, 0 or more"),
    ('[course]\nid = "two words"\n' + BASE.removeprefix("[course]\n"), "should be a Python identifier"),
    ('[course]\ncolour = "red"\n', "unknown key 'colour'"),
    ('[[exercises]]\nid = "x"\n[exercises.checks.a]\nhint = "h"\n', "needs points"),
    ('[[exercises]]\nid = "x"\n[exercises.checks.a]\npoints = 1\npoint = 2\n', "unknown key 'point'"),
    ('[[exercises]]\nid = "x"\n', "no [exercises.checks.*] tables"),
    ('[[exercises]]\nid = "x-y"\n[exercises.checks.a]\npoints = 1\n', "needs an id that is a Python identifier"),
    ('[[exercises]]\nid = "x"\nlevel = 3\n[exercises.checks.a]\npoints = 1\n', "unknown key 'level'"),
    (BASE + '[[exercises]]\nid = "x"\n[exercises.checks.a]\npoints = 1\n', "exercise ids must be unique"),
    (BASE + "[exercises.params.deep]\nrows = 3\n", "deep should be a number, a string, a bool or a list of them"),
    (BASE + "[exercises.grading]\noptions = [[1]]\n", "options should be a number"),
    ('[[exercises]]\nid = "x"\nanswer_key_probes = "answers"\n[exercises.checks.a]\npoints = 1\n',
     "answer_key_probes should be a list of strings"),
    (BASE + "[exercises.free_text]\nq1 = 3\n", "should be a table of strings"),
    ('[[exercises]]\nid = "x"\npreload = "torch"\n[exercises.checks.a]\npoints = 1\n',
     "preload should be a list of strings"),
    (BASE + "[environment]\nTHREADS = 1\n", "[environment] should be a table of strings"),
    (BASE + "[setup]\nindex = 'x'\n", "unknown key 'index'"),
    (BASE + "[setup]\nrequirements = 'torch'\n", "[setup] requirements should be a list of strings"),
    ("[course]\nseed = 1\n", "no [[exercises]]"),
    ("[course\n", "not valid TOML"),
    (BASE + "hidden = 'yes'\n", "hidden = 'yes' should be a bool"),
    (BASE.replace("seed = 1", "seed = 1\nhidden_points = -3"), "hidden_points = -3 should be a number"),
    ('[gradescope]\nvisibility = "sometimes"\n' + BASE, "visibility = 'sometimes' should be one of"),
    (BASE + '[[assignments]]\nid = "one"\nexercises = ["x", "nope"]\n', "no exercise 'nope'"),
    (BASE + '[[assignments]]\nid = "one"\nexercises = []\n', "exercises is empty"),
    (BASE + '[[assignments]]\nid = "one"\nexercises = ["x"]\n[[assignments]]\nid = "two"\nexercises = ["x"]\n',
     "exercise 'x' is in two assignments (one and two)"),
    (BASE + '[[exercises]]\nid = "y"\n[exercises.checks.a]\npoints = 1\n[[assignments]]\nid = "one"\n'
            'exercises = ["x"]\n', "exercise 'y' is in no [[assignments]]"),
    (BASE + '[[assignments]]\nid = "one"\nexercises = ["x"]\ndue = 3\n', "unknown key 'due'"),
    (BASE + '[[assignments]]\nid = "a-b"\nexercises = ["x"]\n', "needs an id that is a Python identifier"),
    (BASE + 'requires = ["nope"]\n', "requires 'nope', which is not another check of this exercise"),
    (BASE + 'requires = ["a"]\n', "requires 'a', which is not another check of this exercise"),
    (BASE + 'requires = "b"\n', "requires should be a list of strings"),
    (BASE + 'requires = ["b"]\n[exercises.checks.b]\npoints = 1\nrequires = ["c"]\n[exercises.checks.c]\npoints = 1\n',
     "which requires checks of its own"),
    (BASE + 'requires = ["b"]\n[exercises.checks.b]\npoints = 1\nhidden = true\n',
     "requires the hidden check 'b'"),
])
def test_bad_course_file_names_the_problem(tmp_path, text, says):
    with pytest.raises(CourseError) as raised:
        load_course(_write(tmp_path, text))
    assert says in str(raised.value)
    assert "course.toml" in str(raised.value)


def test_missing_course_file(tmp_path):
    with pytest.raises(CourseError, match="not found"):
        load_course(tmp_path / "nope.toml")


def test_integers_are_accepted_where_floats_are_expected(tmp_path):
    course = load_course(_write(tmp_path, BASE + "[limits]\nprobe_seconds = 5\n"))
    assert course.limits.probe_seconds == 5.0 and course.exercises[0].max_points == 2


def test_an_unknown_exercise_or_check_is_an_error_that_lists_the_known_ones():
    course = COURSES["tiny"]
    with pytest.raises(CourseError, match=course.exercises[0].id):
        course.exercise("no_such_exercise")
    with pytest.raises(CourseError, match=course.exercises[0].checks[0].id):
        course.exercises[0].check("no_such_check")
    with pytest.raises(CourseError):
        course.only(["no_such_exercise"])
    last = course.exercises[-1].id
    assert [e.id for e in course.only([last]).exercises] == [last]


def test_a_missing_setting_names_its_table():
    exercise = COURSES["tiny"].exercises[0]
    with pytest.raises(CourseError, match=r"\[exercises.grading\].*no 'no_such_setting'"):
        exercise.grading.no_such_setting


@pytest.mark.parametrize("change, says", [
    ("table", "no function for"),
    ("function", "no [exercises.checks.*] table for"),
])
def test_checks_and_their_tables_must_match(tmp_path, change, says):
    course = load_course(Path(shutil.copytree(TINY_FILE.parent, tmp_path / "course")) / "course.toml")
    exercise = course.exercises[0]
    if change == "table":
        text = course.path.read_text().replace(
            f"[exercises.checks.{exercise.checks[0].id}]",
            f"[exercises.checks.not_written]\npoints = 1\n\n[exercises.checks.{exercise.checks[0].id}]", 1)
        course.path.write_text(text)
    else:
        check_file = course.layout.check(exercise.id)
        check_file.write_text(check_file.read_text() + "\n\ndef check_without_a_table(observed):\n    pass\n")
    changed = load_course(course.path)
    with pytest.raises(CourseError) as raised:
        check_functions(changed, changed.exercise(exercise.id))
    assert says in str(raised.value)


@pytest.mark.parametrize("name", COURSES)
def test_hidden_checks_and_gradescope_visibility_are_read(name):
    course, raw = COURSES[name], _raw(COURSES[name])
    hidden = {(e.id, c.id) for e in course.exercises for c in e.checks if c.hidden}
    assert hidden == {(table["id"], check_id) for table in raw["exercises"]
                      for check_id, t in table["checks"].items() if t.get("hidden")}
    assert course.gradescope.hidden_visibility == raw.get("gradescope", {}).get("hidden_visibility",
                                                                                  "after_published")


def test_the_tiny_course_has_a_hidden_check():
    """So that the engine's handling of hidden checks is exercised in the fast tests."""
    assert any(c.hidden for e in COURSES["tiny"].exercises for c in e.checks)


# ---- assignments ----

TWO = BASE + ('[[exercises]]\nid = "y"\n[exercises.checks.b]\npoints = 3\n'
              '[[assignments]]\nid = "second"\ntitle = "The second"\nexercises = ["y"]\nmeasured_peak_mib = 900\n'
              '[[assignments]]\nid = "first"\nexercises = ["x"]\n')


def test_an_assignment_is_the_course_cut_to_its_exercises_under_its_own_id_and_title(tmp_path):
    course = load_course(_write(tmp_path, TWO))
    assert course.assignment_ids == ("second", "first")
    second = course.assignment("second")
    assert (second.id, second.title, [e.id for e in second.exercises], second.max_points) == \
        ("second", "The second", ["y"], 3)
    assert course.one_assignment("first").exercise_files == ("x.py",)
    # an assignment's own Gradescope measurement, or the course's
    assert (second.gradescope.measured_peak_mib, course.assignment("first").gradescope.measured_peak_mib) == (900, 0)
    with pytest.raises(CourseError, match="holds 2 assignments: choose one with --assignment .second or first."):
        course.one_assignment(None)
    with pytest.raises(CourseError, match="no assignment 'third'"):
        course.assignment("third")
    assert course.only(["y"]).assignment_ids == ("second",)  # an assignment left with no exercise goes


def test_a_course_without_assignments_is_one_named_after_it():
    tiny = COURSES["tiny"]
    assert tiny.assignment_ids == (tiny.id,)
    assert tiny.one_assignment(None).exercises == tiny.exercises


def test_the_real_course_holds_the_xor_assignment_as_before_and_why_frameworks():
    course = COURSES["course"]
    xor, why = course.assignment("xor_frameworks"), course.assignment("why_frameworks")
    assert [e.id for e in xor.exercises] == ["torch_xor", "keras_xor", "concepts"] and xor.max_points == 100
    assert [e.id for e in why.exercises] == ["autodiff", "checkpointing", "concepts_why"] and why.max_points == 100


# ---- where a course keeps its files, and which course is the default ----

def test_the_layout_names_each_exercises_grading_home():
    tiny = COURSES["tiny"]
    layout = tiny.layout
    assert layout.root == tiny.root and layout.grading_dir == tiny.root / "grading"
    assert (tiny.exercises_dir, tiny.solutions_dir) == (tiny.root / "exercises", tiny.root / "solutions")
    for exercise in tiny.exercises:
        home = tiny.root / "grading" / exercise.id
        assert (layout.probe(exercise.id), layout.check(exercise.id), layout.recording(exercise.id),
                layout.lesson(exercise.id), layout.try_it(exercise.id)) == \
            (home / "probe.py", home / "check.py", home / "recording.json", home / "lesson.md", home / "try.py")
        assert layout.relative(layout.probe(exercise.id)) == f"grading/{exercise.id}/probe.py"
    assert layout.introduction == tiny.root / "grading" / "_course" / "lesson.md" and layout.introduction.is_file()
    ids = {e.id for e in tiny.exercises}
    helpers = {name for name in layout.probe_files() if name.startswith("_")}
    assert helpers and set(layout.probe_files()) == ids | helpers
    assert layout.probe_files()["_common"] == (tiny.root / "grading" / "_common" / "probe.py").resolve()
    assert set(layout.check_files()) == ids  # the introduction's home holds no code
    assert all(path.is_absolute() and path.is_file() for path in layout.probe_files().values())


def test_the_default_course_is_the_nearest_above_the_working_folder_else_the_one_beside_the_engine(
        tmp_path, monkeypatch):
    tiny = COURSES["tiny"]
    assert default_course_file(tiny.layout.home(tiny.exercises[0].id)) == TINY_FILE
    assert default_course_file(tiny.root) == TINY_FILE
    assert default_course_file(REPO_ROOT / "tests") == REPO_ROOT / "course.toml"
    if not any((folder / "course.toml").is_file() for folder in (tmp_path, *tmp_path.parents)):
        assert default_course_file(tmp_path) == REPO_ROOT / "course.toml"
    monkeypatch.chdir(tiny.layout.home(tiny.exercises[0].id))
    assert default_course_file() == TINY_FILE and load_course().id == tiny.id
    monkeypatch.chdir(REPO_ROOT)
    assert load_course().id == COURSES["course"].id
