"""A check that `requires` others pays only once they pass on the same observations (course.toml)."""
from __future__ import annotations

from autograder.checking import CheckFailed, NotGraded, grade_check
from autograder.course.model import Check, Exercise


def check_value(observed):
    """f(x) is the reference's value"""
    if observed["value"] != 42:
        raise CheckFailed("f(x) gave the wrong value")


def check_form(observed):
    """f(x) returns a number"""
    if not isinstance(observed["value"], int):
        raise CheckFailed("f(x) returned no number")


def check_starved_value(observed):
    """a value the machine kept the grader from seeing"""
    raise NotGraded("not graded: the machine was too busy")


EXERCISE = Exercise(id="x", title="x", checks=(Check("value", 2), Check("form", 1, requires=("value",))))


class Facts(dict):
    """Observations as the checks above read them; nothing was printed."""

    def printed(self) -> str:
        return ""


def _form(value, requires=("value",)):
    check = Check("form", 1, hint="write a number", requires=requires)
    return grade_check(EXERCISE, check, check_form, "f(x) returns a number", lambda: Facts(value=value))


def test_a_gated_check_pays_once_its_value_check_passes():
    assert _form(42).passed


def test_a_gated_check_that_passes_alone_says_what_it_waits_for_and_gives_no_hint():
    result = _form(7)
    assert not result.passed and result.graded and not result.hint
    assert result.message == 'not checked: depends on "f(x) is the reference\'s value", which must pass first'


def test_its_own_failure_comes_first():
    result = _form("seven")
    assert result.message == "f(x) returned no number" and result.hint


def test_a_gate_the_machine_kept_from_judging_leaves_the_check_ungraded():
    result = _form(42, requires=("starved_value",))
    assert not result.graded
