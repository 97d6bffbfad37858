"""Multiple-choice questions with a reason in words: the checks every question module shares.

Answers are graded by their letters, not their container: {"a", "b"}, ["A", "B"]
and "a, b" are the same answer. The student release checks an answer's form
only; whether it is right (the hidden `answer` check) is graded by the
instructor, whose grader alone holds the key. The options each question offers
are the exercise's `[exercises.grading] options`; the fewest words of a reason, `why_min_words`.
"""
from __future__ import annotations

import re

from autograder.checking import CheckFailed, NotChecked, Observed, field_of


def letters(answer: dict, name: str) -> set[str]:
    """The option letters of an answer, whatever container or case it was written in.

    A string of several words ("a, d", "A and D") must be one letter per word; a single
    word ("ABD") is read letter by letter."""
    items = answer.get("items")
    if items is None:
        kind = answer.get("type")
        holds = "holds something other than letters" if kind in ("set", "frozenset", "list", "tuple") else f"is a {kind}"
        raise CheckFailed(f"{name} {holds}: write a set of letters such as {{\"a\", \"c\"}}")
    chosen: set[str] = set()
    for item in items:
        text = str(item)
        if re.search(r"[^A-Za-z\s,;/]", text):
            raise CheckFailed(f"{name} holds {item!r}: use option letters only, such as {{\"a\", \"c\"}}")
        words = re.findall(r"[A-Za-z]+", text)
        if len(words) == 1:
            chosen.update(words[0].lower())
            continue
        for word in words:
            if len(word) != 1:
                raise CheckFailed(f"{name} = {item!r}: could not read {word!r} as an option letter; "
                                  "write a set of letters such as {\"a\", \"c\"}")
            chosen.add(word.lower())
    return chosen


def _student_answer(observed: Observed, number: int) -> dict:
    student = field_of(observed.student("answers"), "questions")
    return student.get(f"q{number}", {})


def _chosen(observed: Observed, number: int) -> set[str]:
    """The letters the student chose, after checking the answer is there and well formed."""
    name = f"Q{number}_ANSWER"
    student = _student_answer(observed, number)
    if "answer" not in student:
        raise CheckFailed(f"{name} is not defined in {observed.module}")
    chosen = letters(student["answer"], name)
    if not chosen:  # the stub's answer, untouched: not written yet, so no hint
        raise NotChecked(f"{name} is still empty: choose every option that is true")
    options = observed.grading.options[number - 1]  # [exercises.grading] options in course.toml
    unknown = sorted(chosen - set(options))
    if unknown:
        raise CheckFailed(f"{name} chooses {unknown}, which question {number} does not offer "
                          f"(its options are {', '.join(options)})")
    return chosen


def answer_form(observed: Observed, number: int) -> None:
    _chosen(observed, number)


def answer(observed: Observed, number: int) -> None:
    """Hidden: compares with the recorded key, which only the instructor's grader holds."""
    name = f"Q{number}_ANSWER"
    chosen = _chosen(observed, number)
    key = observed.reference("answers")["questions"][f"q{number}"]["answer"]
    if chosen != letters(key, name):
        raise CheckFailed(f"{name} = {sorted(chosen)} is not the right selection: "
                          "every true option, and no false one, must be chosen")


def why(observed: Observed, number: int) -> None:
    name = f"Q{number}_WHY"
    text = _student_answer(observed, number).get("why")
    if not isinstance(text, str):
        raise CheckFailed(f"{name} should be a string of one to three sentences")
    words = len(text.split())
    needed = observed.grading.why_min_words
    if not words:  # the stub's answer, untouched: not written yet, so no hint
        raise NotChecked(f"{name} is still empty: explain your answer in at least {needed} words")
    if words < needed:
        raise CheckFailed(f"{name} has {words} word{'' if words == 1 else 's'}: "
                          f"explain your answer in at least {needed}")
