"""`python -m autograder verdict EXERCISE.CHECK`: did one check pass in the last recorded run?

GitHub Classroom awards points per command that exits 0; grading once with
`pytest autograder --record FILE` and asking each check's verdict from the record
keeps it to one grading run, whatever the number of checks.
"""
from __future__ import annotations

import json
from pathlib import Path

__all__ = ["verdict", "RECORD_NAME"]

RECORD_NAME = ".autograder-record.json"  # where the classroom workflow records its one grading run


def verdict(record: Path, check: str) -> tuple[bool, str]:
    """(passed, the line to print) for `exercise.check` in `record`."""
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
        checks = data["result"]["checks"]
    except (OSError, ValueError, KeyError, TypeError):
        return False, f"{record}: no grading record; run `pytest autograder --record {record}` first"
    for entry in checks:
        if f"{entry.get('exercise')}.{entry.get('check')}" == check:
            if entry.get("passed"):
                return True, f"{check}: passed ({entry.get('name')})"
            hint = f"\n  Hint: {entry['hint']}" if entry.get("hint") else ""
            return False, f"{check}: {entry.get('name')}\n  {entry.get('message')}{hint}"
    return False, f"{check}: not in {record} (checks are named exercise.check, as in course.toml)"
