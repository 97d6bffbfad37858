"""Multiple-choice answers as plain data (Qn_ANSWER, Qn_WHY), for every question module's probe."""
from __future__ import annotations

import re


_NAME = re.compile(r"^Q(\d+)_(ANSWER|WHY)$")


def _plain_answer(value) -> dict:
    """A set, list, tuple or string of letters as a list of strings; anything else by its type."""
    if isinstance(value, str):
        return {"type": "str", "items": [value]}
    if isinstance(value, (set, frozenset, list, tuple)) and all(isinstance(v, str) for v in value):
        return {"type": type(value).__name__, "items": sorted(str(v) for v in value)}
    return {"type": type(value).__name__, "items": None}


def read_answers(student, module_file: str) -> dict:
    """Every Qn_ANSWER and Qn_WHY of the student's module, by question; grading happens in the checks."""
    answers: dict[str, dict] = {}
    for name in sorted(vars(student)):
        match = _NAME.match(name)
        if not match:
            continue
        value = vars(student)[name]
        entry = answers.setdefault(f"q{match.group(1)}", {})
        if match.group(2) == "ANSWER":
            entry["answer"] = _plain_answer(value)
        else:
            entry["why"] = value[:2000] if isinstance(value, str) else None
    return {"call": module_file, "questions": answers}
