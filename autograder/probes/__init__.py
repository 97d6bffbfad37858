"""Probes run inside the worker, never in the grading process: only their names are read here."""
from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

__all__ = ["probe_names", "key_probes"]


def _assignment(exercise: str, name: str) -> ast.expr | None:
    tree = ast.parse((Path(__file__).parent / f"{exercise}.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return node.value
    return None


@cache
def probe_names(exercise: str) -> tuple[str, ...]:
    """The keys of PROBES in probes/<exercise>.py, read without importing its frameworks."""
    value = _assignment(exercise, "PROBES")
    if value is None:
        raise LookupError(f"probes/{exercise}.py defines no PROBES")
    return tuple(key.value for key in value.keys)


@cache
def key_probes(exercise: str) -> tuple[str, ...]:
    """KEY_PROBES in probes/<exercise>.py: probes whose reference observations are an answer key,
    kept out of the student release."""
    value = _assignment(exercise, "KEY_PROBES")
    return tuple(ast.literal_eval(value)) if value is not None else ()
