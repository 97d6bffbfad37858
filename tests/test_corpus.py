"""The corpus, graded as a class by `python -m autograder grade`: each wrong submission loses
points in the right checks and nowhere else; each hostile one scores no more than its honest
work; each correct variant gets full marks, at the course seed and at two others."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from submission_tools import build_submission, corpus_cases, expectation

from autograder.batch import grade_class
from autograder.course import load_course

COURSE = load_course()
ALL_CHECKS = {f"{e.id}.{c.id}" for e in COURSE.exercises for c in e.checks}
WRONG = corpus_cases("wrong") + corpus_cases("hostile")
RIGHT = corpus_cases("right")
OTHER_SEEDS = (11, 2026)


def _name(case: Path) -> str:
    return f"{case.parent.name}--{case.name}"


def _grade_as_class(root: Path, cases: list[Path], seed: int | None) -> Path:
    for case in cases:
        build_submission(case, root / "class" / _name(case))
    grade_class(root / "class", root / "out", jobs=2, seed=seed)
    return root / "out"


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict[int | None, Path]:
    """Every case at the course seed; the correct variants also at the other seeds."""
    outputs = {None: _grade_as_class(tmp_path_factory.mktemp("corpus"), WRONG + RIGHT, None)}
    for seed in OTHER_SEEDS:
        outputs[seed] = _grade_as_class(tmp_path_factory.mktemp(f"corpus-{seed}"), RIGHT, seed)
    return outputs


def _failed(out: Path, case: Path) -> dict[str, str]:
    record = json.loads((out / _name(case) / "record.json").read_text())
    return {f"{c['exercise']}.{c['check']}": c["message"] for c in record["result"]["checks"] if not c["passed"]}


def test_corpus_names_only_real_checks():
    assert WRONG and RIGHT
    for case in WRONG:
        expected = expectation(case)
        named = set(expected["must_fail"]) | set(expected.get("may_fail", []))
        assert expected["must_fail"] or case.parent.name == "hostile", case.name
        assert named <= ALL_CHECKS, f"{case.name}: unknown checks {named - ALL_CHECKS}"


@pytest.mark.parametrize("case", WRONG, ids=_name)
def test_wrong_submission_loses_exactly_its_points(case: Path, graded):
    expected = expectation(case)
    failed = _failed(graded[None], case)
    must, may = set(expected["must_fail"]), set(expected.get("may_fail", []))
    assert must <= set(failed), f"{case.name}: these checks passed but must fail: {sorted(must - set(failed))}"
    assert set(failed) <= must | may, f"{case.name}: unexpected failures {sorted(set(failed) - must - may)}"
    for number in must:
        assert failed[number] and "Traceback" not in failed[number]


@pytest.mark.parametrize("seed", (None, *OTHER_SEEDS))
@pytest.mark.parametrize("case", RIGHT, ids=_name)
def test_correct_variant_gets_full_marks(case: Path, seed, graded):
    assert _failed(graded[seed], case) == {}
