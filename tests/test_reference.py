"""Recordings: current while their fingerprint matches, stale the moment what they depend on changes.

The engine's rules run on a copy of the tiny course (seconds); that the XOR course's own
recordings are current and agree with a live run needs its frameworks, so it is marked slow.
"""
from __future__ import annotations

import dataclasses
import math
import shutil
from pathlib import Path

import pytest

from autograder.course.model import Course, load_course
from autograder.run.reference import (cached_recording, imported_siblings, public_probe_source, record_reference,
                                  recorded_reference, reference_run)
from autograder.run.runner import probe_request, run_probes

REPO_ROOT = Path(__file__).resolve().parent.parent
TINY_FILE = Path(__file__).resolve().parent / "tiny_course" / "course.toml"
COURSES = {"course": load_course(REPO_ROOT / "course.toml"), "tiny": load_course(TINY_FILE)}


def _request(course: Course, exercise: str, seed: int | None = None):
    return probe_request(course, exercise, course.solutions_dir, course.seed if seed is None else seed,
                         reference=True)


def _assert_close(recorded, live, rtol: float, atol: float, where="run"):
    if isinstance(recorded, float) or isinstance(live, float):
        assert math.isclose(recorded, live, rel_tol=rtol, abs_tol=atol), where
    elif isinstance(recorded, dict):
        assert recorded.keys() == live.keys(), where
        for key in recorded:
            _assert_close(recorded[key], live[key], rtol, atol, f"{where}/{key}")
    elif isinstance(recorded, list):
        assert len(recorded) == len(live), where
        for index, (r, l) in enumerate(zip(recorded, live)):
            _assert_close(r, l, rtol, atol, f"{where}/{index}")
    else:
        assert recorded == live, where


def _assert_current_and_live(course: Course, exercise_id: str) -> None:
    request = _request(course, exercise_id)
    recorded = recorded_reference(request, course.layout.recording(exercise_id))
    assert recorded is not None, (f"{course.layout.recording(exercise_id)} is missing or stale: "
                                  f"run `python -m autograder recordings --course {course.path}`")
    grading = course.exercise(exercise_id).grading
    _assert_close(recorded.to_json(), run_probes(request).to_json(),
                  grading.get("rtol", 1e-9), grading.get("atol", 1e-12))


@pytest.mark.slow
@pytest.mark.parametrize("exercise", [e.id for e in COURSES["course"].exercises])
def test_the_course_recording_is_current_and_matches_a_live_run(exercise):
    _assert_current_and_live(COURSES["course"], exercise)


@pytest.mark.parametrize("exercise", [e.id for e in COURSES["tiny"].exercises])
def test_the_tiny_course_recording_is_current_and_matches_a_live_run(exercise):
    _assert_current_and_live(COURSES["tiny"], exercise)


@pytest.fixture
def tiny(tmp_path) -> Course:
    """A copy of the tiny course, with its recordings, to change freely."""
    return load_course(Path(shutil.copytree(TINY_FILE.parent, tmp_path / "course")) / "course.toml")


def _current(course: Course) -> dict[str, bool]:
    """Which exercises' recordings still match, as the course now stands."""
    course = load_course(course.path)
    return {e.id: recorded_reference(_request(course, e.id), course.layout.recording(e.id)) is not None
            for e in course.exercises}


def test_a_copied_course_keeps_its_recordings_current(tiny):
    """The fingerprint holds what the probes see, not where the course lies."""
    assert all(_current(tiny).values())


def test_a_changed_solution_makes_only_its_recording_stale(tiny):
    changed = tiny.exercises[0]
    solution = tiny.solutions_dir / changed.file
    solution.write_text(solution.read_text() + "\n# edited\n")
    assert _current(tiny) == {e.id: e.id != changed.id for e in tiny.exercises}


def test_changed_params_make_only_their_exercise_recording_stale(tiny):
    """An exercise's [exercises.params] reach only its own probes, so only its recording goes stale."""
    changed = next(e for e in tiny.exercises if e.params)
    key, value = next(iter(changed.params.items()))
    text = tiny.path.read_text()
    assert isinstance(value, int) and text.count(f"{key} = {value}\n") == 1
    tiny.path.write_text(text.replace(f"{key} = {value}\n", f"{key} = {value + 1}\n"))
    assert load_course(tiny.path).exercise(changed.id).params[key] == value + 1
    assert _current(tiny) == {e.id: e.id != changed.id for e in tiny.exercises}


def test_grading_settings_leave_every_recording_valid(tiny):
    """[exercises.grading] is read by checks only: tolerances may change without re-recording."""
    text = tiny.path.read_text()
    tiny.path.write_text(text.replace("[exercises.grading]\n", "[exercises.grading]\nnew_setting = 1\n"))
    assert all(_current(tiny).values())


def test_a_changed_probe_module_makes_its_recording_stale(tiny):
    changed = tiny.exercises[-1]
    probe = tiny.layout.probe(changed.id)
    probe.write_text(probe.read_text() + "\n\ndef probe_one_more(student, context):\n    return {}\n")
    assert _current(tiny) == {e.id: e.id != changed.id for e in tiny.exercises}


def test_a_changed_probe_helper_makes_stale_only_the_exercises_that_import_it(tiny):
    """A fingerprint holds the helpers its probe module imports, so editing one makes exactly
    their recordings stale, and a helper another exercise adds makes none stale."""
    package = tiny.layout.probe_files()
    name, helper = next((name, path) for name, path in package.items() if name.startswith("_"))
    assert helper == tiny.layout.probe(name).resolve()
    users = {e.id for e in tiny.exercises if f"from .{name} import" in tiny.layout.probe(e.id).read_text()}
    assert users and users != {e.id for e in tiny.exercises}, "the tiny course should hold a user and a non-user"
    for e in tiny.exercises:
        assert imported_siblings(package[e.id], package) == ([helper] if e.id in users else [])
    added = tiny.layout.probe("_added_by_another_exercise")
    added.parent.mkdir()
    added.write_text("VALUE = 1\n")
    assert "_added_by_another_exercise" in load_course(tiny.path).layout.probe_files()
    assert all(_current(tiny).values())
    helper.write_text(helper.read_text() + "\n# edited\n")
    assert _current(tiny) == {e.id: e.id not in users for e in tiny.exercises}


def test_another_seed_is_not_the_recorded_one():
    tiny = COURSES["tiny"]
    exercise = tiny.exercises[0].id
    assert recorded_reference(_request(tiny, exercise, seed=tiny.seed + 1), tiny.layout.recording(exercise)) is None


def test_a_live_reference_is_cached_per_seed_and_reused(tmp_path):
    tiny = COURSES["tiny"]
    request = _request(tiny, tiny.exercises[0].id, seed=tiny.seed + 1)
    first = reference_run(request, tiny.layout.recording(request.exercise), cache_dir=tmp_path)
    cached = tmp_path / f"seed-{request.seed}" / f"{request.exercise}.json"
    assert cached_recording(request, tmp_path) == cached and cached.is_file()
    assert recorded_reference(request, cached).to_json() == first.to_json()


def test_a_failing_reference_is_never_recorded(tiny, tmp_path):
    exercise = tiny.exercises[0]
    (tiny.solutions_dir / exercise.file).write_text("raise RuntimeError('broken reference')\n")
    with pytest.raises(RuntimeError, match="not recording it"):
        record_reference(_request(tiny, exercise.id), tmp_path / "recordings" / "recording.json")
    assert not (tmp_path / "recordings").exists()
    recording = tiny.layout.recording(exercise.id)
    before = recording.read_bytes()
    with pytest.raises(RuntimeError, match="not recording it"):
        record_reference(_request(tiny, exercise.id), recording)
    assert recording.read_bytes() == before


def test_reference_only_sections_are_cut_from_the_public_probe_source():
    source = "a = 1\n### BEGIN REFERENCE ONLY\nsecret = 2\n### END REFERENCE ONLY\nb = 3\n"
    assert public_probe_source(source) == "a = 1\nb = 3\n"


def test_a_recording_without_its_solution_stands_on_its_recorded_digest(tiny, tmp_path):
    """The student release has recordings but no solutions: the recorded digest stands in for them."""
    exercise = tiny.exercises[0]
    without = dataclasses.replace(_request(tiny, exercise.id), module_path=tmp_path / exercise.file)
    assert recorded_reference(without, tiny.layout.recording(exercise.id)) is not None


def test_probe_modules_are_never_parsed_by_two_threads_at_once(monkeypatch):
    """CPython 3.11's ast.parse is not thread-safe (gh-106905), and batch grading exports from a thread pool:
    a fingerprint computed in several threads at once must parse one file at a time."""
    import ast
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from autograder.run import reference
    parse, inside, most = ast.parse, [0], [0]
    counting = threading.Lock()

    def slow_parse(*args, **kwargs):
        with counting:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.02)  # a window wide enough for another thread to enter, were it let in
        try:
            return parse(*args, **kwargs)
        finally:
            with counting:
                inside[0] -= 1
    monkeypatch.setattr(reference.ast, "parse", slow_parse)
    request = _request(COURSES["tiny"], COURSES["tiny"].exercises[0].id)
    with ThreadPoolExecutor(max_workers=4) as pool:
        fingerprints = set(pool.map(lambda _: reference.fingerprint(request, None), range(8)))
    assert len(fingerprints) == 1 and most[0] == 1
