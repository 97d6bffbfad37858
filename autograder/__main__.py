"""`python -m autograder VERB`: a thin command line over functions callable from Python."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .course import REPO_ROOT, CourseError, load_course
from .reference import record_reference
from .session import GradingSession


def snapshot(course_file: Path, solutions: Path) -> list[Path]:
    """Record the reference observations of every exercise for the course seed."""
    course = load_course(course_file)
    session = GradingSession(course, submission=solutions, solutions=solutions, seed=course.seed)
    try:
        return [record_reference(session.reference_request(e.id)) for e in course.exercises]
    finally:
        session.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    verbs = parser.add_subparsers(dest="verb", required=True)
    record = verbs.add_parser("snapshot", help="record the reference observations for the course seed")
    record.add_argument("--course", type=Path, default=REPO_ROOT / "course.toml")
    record.add_argument("--solutions", type=Path, default=REPO_ROOT / "solutions")
    args = parser.parse_args(argv)
    try:
        if args.verb == "snapshot":
            for path in snapshot(args.course, args.solutions.resolve()):
                print(f"recorded {path}")
    except (CourseError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
