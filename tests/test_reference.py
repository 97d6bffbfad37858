"""The recorded reference is current: its fingerprints match and a live run agrees with it."""
from __future__ import annotations

import math
from pathlib import Path

import pytest

from autograder.course import load_course
from autograder.reference import SNAPSHOT_DIR, recorded_reference
from autograder.runner import run_probes
from autograder.session import GradingSession

COURSE = load_course()
SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"


def _request(exercise: str):
    session = GradingSession(COURSE, SOLUTIONS, SOLUTIONS, COURSE.seed)
    try:
        return session.reference_request(exercise)
    finally:
        session.close()


def _assert_close(recorded, live, where="run"):
    if isinstance(recorded, float) or isinstance(live, float):
        assert math.isclose(recorded, live, rel_tol=COURSE.thresholds.rtol, abs_tol=COURSE.thresholds.atol), where
    elif isinstance(recorded, dict):
        assert recorded.keys() == live.keys(), where
        for key in recorded:
            _assert_close(recorded[key], live[key], f"{where}/{key}")
    elif isinstance(recorded, list):
        assert len(recorded) == len(live), where
        for index, (r, l) in enumerate(zip(recorded, live)):
            _assert_close(r, l, f"{where}/{index}")
    else:
        assert recorded == live, where


@pytest.mark.parametrize("exercise", [e.id for e in COURSE.exercises])
def test_recording_is_current_and_matches_a_live_run(exercise):
    request = _request(exercise)
    recorded = recorded_reference(request)
    assert recorded is not None, (f"{SNAPSHOT_DIR}/{exercise}.json is missing or stale: "
                                  "run `python -m autograder snapshot`")
    live = run_probes(request)
    _assert_close(recorded.to_json(), live.to_json())


def test_a_changed_solution_is_not_matched(tmp_path):
    changed = tmp_path / "concepts.py"
    changed.write_text((SOLUTIONS / "concepts.py").read_text() + "\n# edited\n")
    session = GradingSession(COURSE, tmp_path, tmp_path, COURSE.seed)
    try:
        assert recorded_reference(session.reference_request("concepts")) is None
    finally:
        session.close()
