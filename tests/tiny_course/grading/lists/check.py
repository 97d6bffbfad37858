"""Checks for lists. Each docstring is the name the student sees; points and hints are in course.toml."""
from __future__ import annotations

from autograder.checking import CheckFailed, Observed, field_of, floats


def _result(observed: Observed, probe: str) -> list[float]:
    result = field_of(observed.student(probe), "result")
    if result.get("type") != "list":
        raise CheckFailed(f"{observed.call(probe)} returned a {result.get('type')}, expected a list of numbers")
    return floats(result["values"], f"what {observed.call(probe)} returned")


def check_running_total_values(observed: Observed):
    """running_total() sums every prefix of the list"""
    for probe in ("running_total", "running_total_empty"):
        values, expected = _result(observed, probe), observed.reference(probe)["result"]["values"]
        if not observed.close(values, expected):
            raise CheckFailed(f"{observed.call(probe)} returned {values}, expected {expected}")


def check_running_total_leaves_input(observed: Observed):
    """running_total() leaves the list it is given unchanged"""
    student = observed.student("running_total")
    if field_of(student, "input_after") != field_of(student, "input_before"):
        raise CheckFailed(f"{observed.call('running_total')} changed the list it was given into "
                          f"{student['input_after']}")
