"""Probes for lists: the student's running_total() on the grader's own lists."""
from __future__ import annotations

import random

from ._common import plain_list


def probe_running_total(student, context) -> dict:
    values = [round(random.uniform(-5, 5), 3) for _ in range(context.params["rows"])]
    given = list(values)
    result = student.running_total(given)
    return {"call": f"running_total({values})", "result": plain_list(result), "input_after": given,
            "input_before": values}


def probe_running_total_empty(student, context) -> dict:
    return {"call": "running_total([])", "result": plain_list(student.running_total([]))}
