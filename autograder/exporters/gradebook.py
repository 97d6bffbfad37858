"""grades.csv and answers.csv: the class gradebook, and free-text answers with manual points.

answers.csv is the instructor's to edit: its `manual_points` column is read back
on every run and never overwritten, and grades.csv adds it to the total.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from autograder.atomic import write_text_atomically
from autograder.results import RunResult

__all__ = ["write_gradebook", "write_answers", "read_manual_points"]


def _write_csv_atomically(path: Path, header: list[str], rows: list[list]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    write_text_atomically(path, buffer.getvalue())


def read_manual_points(path: Path) -> dict[str, str]:
    """The instructor's manual points per submission, as typed (blank when not graded yet)."""
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["submission"]: (row.get("manual_points") or "").strip() for row in csv.DictReader(handle)}


def write_answers(path: Path, answers: dict[str, dict[str, str]], questions: list[str]) -> None:
    """One row per submission: its free-text answers, and the manual points kept from before."""
    manual = read_manual_points(path)
    rows = [[name, *(answers[name].get(q, "") for q in questions), manual.get(name, "")] for name in sorted(answers)]
    _write_csv_atomically(path, ["submission", *questions, "manual_points"], rows)


def write_gradebook(path: Path, results: dict[str, RunResult], exercises: list[str], manual: dict[str, str]) -> None:
    """One row per submission, in name order: totals (manual points included) and each exercise's points."""
    rows = []
    for name in sorted(results):
        result = results[name]
        extra = _number(manual.get(name, ""))
        rows.append([name, f"{result.score + extra:g}", f"{result.possible:g}",
                     *(f"{result.exercise_score(e):g}" for e in exercises), manual.get(name, "")])
    _write_csv_atomically(path, ["submission", "total", "max_total", *exercises, "manual_points"], rows)


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0
