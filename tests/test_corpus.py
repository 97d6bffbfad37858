"""The corpus: each wrong submission loses points in the right checks and nowhere else;
each hostile one scores no more than its honest work; each correct variant gets
full marks, over several seeds."""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import build_submission, corpus_cases, expectation

from autograder.course import load_course

COURSE = load_course()
ALL_CHECKS = {f"{e.id}.{c.id}" for e in COURSE.exercises for c in e.checks}
WRONG = corpus_cases("wrong") + corpus_cases("hostile")
RIGHT = corpus_cases("right")


def test_corpus_names_only_real_checks():
    for case in WRONG:
        expected = expectation(case)
        named = set(expected["must_fail"]) | set(expected.get("may_fail", []))
        assert expected["must_fail"] or case.parent.name == "hostile", case.name
        assert named <= ALL_CHECKS, f"{case.name}: unknown checks {named - ALL_CHECKS}"


@pytest.mark.parametrize("case", WRONG, ids=[f"{c.parent.name}/{c.name}" for c in WRONG])
def test_wrong_submission_loses_exactly_its_points(case: Path, grade, tmp_path):
    expected = expectation(case)
    graded = grade(build_submission(case, tmp_path / case.name))
    must, may = set(expected["must_fail"]), set(expected.get("may_fail", []))
    assert must <= graded.failed, f"{case.name}: these checks passed but must fail: {sorted(must - graded.failed)}"
    assert graded.failed <= must | may, f"{case.name}: unexpected failures {sorted(graded.failed - must - may)}"
    for number in must:
        assert "Traceback" not in graded.output_of(number)


@pytest.mark.parametrize("seed", [None, "11", "2026"])
@pytest.mark.parametrize("case", RIGHT, ids=[c.name for c in RIGHT])
def test_correct_variant_gets_full_marks(case: Path, seed, grade, tmp_path):
    extra = ("--seed", seed) if seed else ()
    graded = grade(build_submission(case, tmp_path / case.name), *extra)
    assert graded.failed == set(), {n: graded.output_of(n) for n in graded.failed}
