"""Running totals of a list of numbers."""
from __future__ import annotations


def running_total(values: list[float]) -> list[float]:
    """Return a new list whose item i is the sum of values[0..i]; leave `values` unchanged."""
    ### BEGIN SOLUTION
    # TODO: keep a sum and append it after adding each value.
    totals, total = [], 0.0
    for value in values:
        total += value
        totals.append(total)
    return totals
    ### END SOLUTION
