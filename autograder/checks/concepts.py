"""Checks for concepts. Each docstring is the name the student sees; points and hints are in course.toml.

Answers are graded by their letters, not their container: {"a", "b"}, ["A", "B"]
and "a, b" are the same answer.
"""
from __future__ import annotations

import re

from autograder.checking import CheckFailed, Observed, field_of


def letters(answer: dict, name: str) -> set[str]:
    """The option letters of an answer, whatever container or case it was written in."""
    items = answer.get("items")
    if items is None:
        raise CheckFailed(f"{name} is a {answer.get('type')}: write a set of letters such as {{\"a\", \"c\"}}")
    chosen: set[str] = set()
    for item in items:
        text = re.sub(r"[\s,;/]+", "", str(item)).lower()
        if not re.fullmatch(r"[a-z]*", text):
            raise CheckFailed(f"{name} holds {item!r}: use option letters only, such as {{\"a\", \"c\"}}")
        chosen.update(text)
    return chosen


def _question(observed: Observed, number: int) -> tuple[dict, dict]:
    student = field_of(observed.student("answers", "concepts.py"), "questions")
    reference = observed.reference("answers")["questions"][f"q{number}"]
    return student.get(f"q{number}", {}), reference


def _answer(observed: Observed, number: int) -> None:
    name = f"Q{number}_ANSWER"
    student, reference = _question(observed, number)
    if "answer" not in student:
        raise CheckFailed(f"{name} is not defined in concepts.py")
    chosen = letters(student["answer"], name)
    if not chosen:
        raise CheckFailed(f"{name} is still empty: choose every option that is true")
    if chosen != letters(reference["answer"], name):
        raise CheckFailed(f"{name} = {sorted(chosen)} is not the right selection: "
                          "every true option, and no false one, must be chosen")


def _why(observed: Observed, number: int) -> None:
    name = f"Q{number}_WHY"
    student, _ = _question(observed, number)
    text = student.get("why")
    if not isinstance(text, str):
        raise CheckFailed(f"{name} should be a string of one to three sentences")
    words = len(text.split())
    needed = observed.thresholds.why_min_words
    if words < needed:
        raise CheckFailed(f"{name} has {words} words: explain your answer in at least {needed}")


def test_q1_answer(observed: Observed):
    """Q1: why dynamic graphs help research"""
    _answer(observed, 1)


def test_q1_why(observed: Observed):
    """Q1: the reason, in your own words"""
    _why(observed, 1)


def test_q2_answer(observed: Observed):
    """Q2: when to choose TensorFlow over PyTorch"""
    _answer(observed, 2)


def test_q2_why(observed: Observed):
    """Q2: the reason, in your own words"""
    _why(observed, 2)


def test_q3_answer(observed: Observed):
    """Q3: what model.parameters() returns"""
    _answer(observed, 3)


def test_q3_why(observed: Observed):
    """Q3: the reason, in your own words"""
    _why(observed, 3)
