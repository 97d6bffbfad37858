"""Probe for words: read the answer as plain data; grading happens in the checks."""
from __future__ import annotations


def probe_answer(student, context) -> dict:
    answer, why = getattr(student, "ANSWER", None), getattr(student, "WHY", None)
    return {"call": "words.py", "answer": answer if isinstance(answer, str) else None,
            "why": why if isinstance(why, str) else None}
