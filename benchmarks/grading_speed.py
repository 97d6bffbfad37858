"""How long `pytest autograder --submission solutions` takes, against the floor of importing the frameworks.

Both are timed in the same run, alternating, so machine noise hits them alike;
the figure that matters is the ratio of medians (target: at most 1.5).

    python benchmarks/grading_speed.py [--repeats 3]
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

FLOOR = [sys.executable, "-c", "import torch, tensorflow"]


def grading(submission: str, results: Path) -> list[str]:
    return [sys.executable, "-m", "pytest", "autograder", "--submission", submission,
            "--results", str(results), "-q", "-p", "no:cacheprovider"]


def timed(command: list[str], env: dict | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=REPO, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        results = Path(scratch) / "results.json"
        timed(FLOOR)  # warm the page cache once, for both
        runs = {"floor: import torch, tensorflow": [], "grade solutions (recorded reference)": [],
                "grade solutions (live reference, --seed 7)": []}
        for _ in range(args.repeats):
            runs["floor: import torch, tensorflow"].append(timed(FLOOR))
            runs["grade solutions (recorded reference)"].append(timed(grading("solutions", results)))
            runs["grade solutions (live reference, --seed 7)"].append(
                timed(grading("solutions", results) + ["--seed", "7"]))
    floor = statistics.median(runs["floor: import torch, tensorflow"])
    print(f"{'what':<45} {'median s':>9} {'ratio':>6}")
    for label, seconds in runs.items():
        median = statistics.median(seconds)
        print(f"{label:<45} {median:>9.2f} {median / floor:>6.2f}")


if __name__ == "__main__":
    main()
