"""Batch grading against one `pytest autograder` run per submission, in the same run.

Grades N copies of a course's solutions three ways and prints the times and ratios:
  sequential  N runs of `pytest autograder --submission COPY`, one after another
  batch       `python -m autograder grade CLASS --out OUT --jobs J` (sandboxed where bubblewrap exists)
  batch-basic the same with `isolation = "basic"`: the sandbox's overhead is batch / batch-basic
It also prints the peak memory (max RSS of any one process) of a single grading run.

    python benchmarks/batch_speed.py [--copies 16] [--jobs 2] [--course course.toml] [--assignment ID]
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tomlkit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder.course import DEFAULT_COURSE_FILE, load_course  # noqa: E402


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=REPO, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=16)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--course", type=Path, default=DEFAULT_COURSE_FILE)
    parser.add_argument("--assignment", default=None, help="needed when the course has several")
    args = parser.parse_args()
    course = load_course(args.course).one_assignment(args.assignment)
    one = ["--assignment", course.id]
    # The basic-isolation copy of course.toml sits beside it: a course's folders are found from its file.
    basic_course = course.root / f".benchmark-basic-{os.getpid()}.toml"
    settings = tomlkit.parse(course.path.read_text(encoding="utf-8"))
    settings.setdefault("limits", tomlkit.table())["isolation"] = "basic"
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        for index in range(args.copies):
            shutil.copytree(course.solutions_dir, root / "class" / f"student{index:02d}",
                            ignore=shutil.ignore_patterns("__pycache__"))
        basic_course.write_text(tomlkit.dumps(settings), encoding="utf-8")
        try:
            pytest_run = [sys.executable, "-m", "pytest", "autograder", "-q", "-p", "no:cacheprovider",
                          "--course", str(course.path), *one, "--submission"]
            sequential = sum(timed(pytest_run + [str(root / "class" / f"student{i:02d}")])
                             for i in range(args.copies))
            grade = [sys.executable, "-m", "autograder", "grade", str(root / "class"), "--jobs", str(args.jobs), *one]
            batch = timed(grade + ["--out", str(root / "out-sandboxed"), "--course", str(course.path)])
            basic = timed(grade + ["--out", str(root / "out-basic"), "--course", str(basic_course)])
        finally:
            basic_course.unlink()
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        timed(pytest_run + [str(root / "class" / "student00")])
        peak_mib = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    print(f"{course.title}: {args.copies} copies of the solutions, --jobs {args.jobs}")
    print(f"{'sequential pytest autograder runs':<40} {sequential:8.1f} s")
    print(f"{'batch grade (sandboxed)':<40} {batch:8.1f} s   {sequential / batch:5.2f}x faster")
    print(f"{'batch grade (basic isolation)':<40} {basic:8.1f} s   {sequential / basic:5.2f}x faster")
    print(f"{'sandbox overhead (sandboxed / basic)':<40} {batch / basic:8.2f}")
    print(f"{'peak memory of one process':<40} {peak_mib:8.0f} MiB")


if __name__ == "__main__":
    main()
