"""How long grading each assignment's solutions takes, against the floor of importing them.

The floor is a fresh interpreter importing every solution module of the
assignment, and with it whatever libraries its code needs. Everything is timed
in the same run, alternating, so machine noise hits all alike; the figures that
matter are the ratios of medians: grading to its floor (target: at most 1.5),
and each assignment's grading to the first assignment's, side by side.

    python benchmarks/grading_speed.py [--repeats 3] [--course course.toml]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder.course.model import Course, load_course  # noqa: E402


def floor(course: Course) -> list[str]:
    """A fresh interpreter importing every solution module of the course."""
    modules = ", ".join(e.id for e in course.exercises)
    return [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(course.solutions_dir)!r}); import {modules}"]


def grading(course: Course, results: Path) -> list[str]:
    return [sys.executable, "-m", "pytest", "autograder", "--course", str(course.path),
            "--submission", str(course.solutions_dir), "--results", str(results), "-q", "-p", "no:cacheprovider"]


def timed(command: list[str], env: dict | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=REPO, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--course", type=Path, default=None)
    args = parser.parse_args()
    whole = load_course(args.course)
    other_seed = str(whole.seed + 1)
    assignments = [whole.assignment(a) for a in whole.assignment_ids]
    labels = ("floor: import the solution modules", "grade solutions (recorded reference)",
              f"grade solutions (live reference, --seed {other_seed})")
    runs: dict[tuple[str, str], list[float]] = {(a.id, label): [] for a in assignments for label in labels}
    with tempfile.TemporaryDirectory() as scratch:
        results = Path(scratch) / "results.json"
        for course in assignments:
            timed(floor(course))  # warm the page cache once
        for _ in range(args.repeats):
            for course in assignments:
                one = ["--assignment", course.id]
                runs[course.id, labels[0]].append(timed(floor(course)))
                runs[course.id, labels[1]].append(timed(grading(course, results) + one))
                runs[course.id, labels[2]].append(timed(grading(course, results) + one + ["--seed", other_seed]))
    first = assignments[0].id
    print(f"{whole.title}: median seconds of {args.repeats} runs each, alternating")
    print(f"{'what':<45} " + " ".join(f"{a.id:>16}" for a in assignments)
          + "".join(f" {a.id + '/' + first:>30}" for a in assignments[1:]))
    for label in labels:
        medians = [statistics.median(runs[a.id, label]) for a in assignments]
        print(f"{label:<45} " + " ".join(f"{m:>16.2f}" for m in medians)
              + "".join(f" {m / medians[0]:>30.2f}" for m in medians[1:]))
    for course in assignments:
        ratio = statistics.median(runs[course.id, labels[1]]) / statistics.median(runs[course.id, labels[0]])
        print(f"{course.id}: grading / floor = {ratio:.2f}")


if __name__ == "__main__":
    main()
