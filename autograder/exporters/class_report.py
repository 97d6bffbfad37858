"""The class report: how the scores spread, and which checks the class struggled with."""
from __future__ import annotations

import statistics
from collections import Counter

from autograder.results import RunResult

__all__ = ["class_report"]


def class_report(results: dict[str, RunResult]) -> str:
    if not results:
        return "# Class report\n\nNo submissions were graded.\n"
    totals = [r.score for r in results.values()]
    possible = max(r.possible for r in results.values())
    lines = ["# Class report", "",
             f"{len(totals)} submissions; mean {statistics.mean(totals):.1f}, median {statistics.median(totals):g}, "
             f"lowest {min(totals):g}, highest {max(totals):g} (of {possible:g})", "", "## Score distribution", "",
             "```"]
    width = 10
    buckets = Counter(min(int(t // width), int(possible // width) - 1 if possible >= width else 0) for t in totals)
    for bucket in range(0, max(int(possible // width), 1)):
        low, high = bucket * width, (bucket + 1) * width
        label = f"{low:>3g}–{high:<3g}" if high < possible else f"{low:>3g}–{possible:<3g}"
        lines.append(f"{label} | {'#' * buckets.get(bucket, 0)} {buckets.get(bucket, 0) or ''}".rstrip())
    lines.append("```")
    incomplete = sorted(name for name, result in results.items() if not result.complete)
    if incomplete:
        lines += ["", "Not fully graded (the machine ran out of time, not a verdict on the code; graded again "
                  f"on the next run): {', '.join(incomplete)}"]
    lines += ["", "## What the class struggled with", "", "| check | failed by |", "| --- | --- |"]
    failures = Counter()
    names = {}
    for result in results.values():
        for check in result.checks:
            names[(check.exercise, check.check)] = check.name
            if check.graded and not check.passed:
                failures[(check.exercise, check.check)] += 1
    for key, name in sorted(names.items(), key=lambda item: (-failures[item[0]], item[0])):
        lines.append(f"| {key[0]}: {name} | {failures[key]} of {len(results)} |")
    return "\n".join(lines) + "\n"
