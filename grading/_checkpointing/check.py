"""Helpers of the checkpointing checks (imported as `from ._checkpointing import ...`)."""
from __future__ import annotations

from autograder.checking import Observed, field_of, floats


def listed(items: list, shown: int = 4) -> str:
    """A few items of a list, for a message on one line."""
    items = [str(item) for item in items]
    more = f" and {len(items) - shown} more" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more


def shown(value):
    """A number as it was written: a float32 learning rate of 0.0010000000474974513 reads 0.001."""
    return f"{value:.6g}" if isinstance(value, float) else value


def differing_names(observed: Observed, state: dict, expected: dict) -> list[str]:
    """The state_dict entries whose values differ, from the observed names, sizes and flat values."""
    values = floats(field_of(state, "values"), "the model's state")
    names, sizes = expected["names"], expected["sizes"]
    if field_of(state, "names") != names or len(values) != sum(sizes):
        return ["entries"]
    differing, start = [], 0
    for name, size in zip(names, sizes):
        if not observed.close(values[start:start + size], expected["values"][start:start + size]):
            differing.append(name)
        start += size
    return differing or ["entries"]
