"""Probe for concepts_graphs: read the answers as plain data; grading happens in the checks."""
from __future__ import annotations

from types import SimpleNamespace

from ._questions import read_answers


def probe_answers(student, context: SimpleNamespace) -> dict:
    return read_answers(student, "concepts_graphs.py")
