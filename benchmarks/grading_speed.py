"""How long grading a course's solutions takes, against the floor of importing them.

The floor is a fresh interpreter importing every solution module, and with it
whatever libraries the course's code needs. Both are timed in the same run,
alternating, so machine noise hits them alike; the figure that matters is the
ratio of medians (target: at most 1.5).

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

from autograder.course import DEFAULT_COURSE_FILE, Course, load_course  # noqa: E402


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
    parser.add_argument("--course", type=Path, default=DEFAULT_COURSE_FILE)
    args = parser.parse_args()
    course = load_course(args.course)
    other_seed = str(course.seed + 1)
    floor_label = "floor: import the solution modules"
    with tempfile.TemporaryDirectory() as scratch:
        results = Path(scratch) / "results.json"
        timed(floor(course))  # warm the page cache once, for both
        runs = {floor_label: [], "grade solutions (recorded reference)": [],
                f"grade solutions (live reference, --seed {other_seed})": []}
        for _ in range(args.repeats):
            runs[floor_label].append(timed(floor(course)))
            runs["grade solutions (recorded reference)"].append(timed(grading(course, results)))
            runs[f"grade solutions (live reference, --seed {other_seed})"].append(
                timed(grading(course, results) + ["--seed", other_seed]))
    lowest = statistics.median(runs[floor_label])
    print(f"{course.title}")
    print(f"{'what':<45} {'median s':>9} {'ratio':>6}")
    for label, seconds in runs.items():
        median = statistics.median(seconds)
        print(f"{label:<45} {median:>9.2f} {median / lowest:>6.2f}")


if __name__ == "__main__":
    main()
