"""Probe for concepts: read the answers as plain data; grading happens in the checks."""
from __future__ import annotations

import re
from types import SimpleNamespace


_NAME = re.compile(r"^Q(\d+)_(ANSWER|WHY)$")


def _plain_answer(value) -> dict:
    """A set, list, tuple or string of letters as a list of strings; anything else by its type."""
    if isinstance(value, str):
        return {"type": "str", "items": [value]}
    if isinstance(value, (set, frozenset, list, tuple)) and all(isinstance(v, str) for v in value):
        return {"type": type(value).__name__, "items": sorted(str(v) for v in value)}
    return {"type": type(value).__name__, "items": None}


def probe_answers(student, context: SimpleNamespace) -> dict:
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
    return {"call": "concepts.py", "questions": answers}
