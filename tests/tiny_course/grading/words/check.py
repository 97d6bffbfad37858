"""Checks for words. Each docstring is the name the student sees; points and hints are in course.toml."""
from __future__ import annotations

from autograder.checking import CheckFailed, Observed, field_of


def _letter(observed: Observed) -> str:
    answer = field_of(observed.student("answer"), "answer")
    options = observed.grading.options[0]
    if not isinstance(answer, str) or len(answer.strip()) != 1 or answer.strip().lower() not in options:
        raise CheckFailed(f"ANSWER is {answer!r}: write one of the letters {', '.join(options)}")
    return answer.strip().lower()


def check_answer_form(observed: Observed):
    """ANSWER is one of the offered letters"""
    _letter(observed)


def check_answer_right(observed: Observed):
    """ANSWER names the list"""
    if _letter(observed) != observed.reference("answer")["answer"]:
        raise CheckFailed("ANSWER is not the right letter")


def check_why_given(observed: Observed):
    """WHY gives a reason"""
    why = field_of(observed.student("answer"), "why")
    needed = observed.grading.why_min_words
    if not isinstance(why, str) or len(why.split()) < needed:
        raise CheckFailed(f"WHY should hold at least {needed} words")
