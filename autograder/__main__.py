"""`python -m autograder VERB`: a thin command line over functions callable from Python."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .batch import grade_class, rebuild_gradebook
from .course import DEFAULT_COURSE_FILE, REPO_ROOT, CourseError, load_course
from .reference import record_reference
from .sandbox import isolation_level
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
    grade = verbs.add_parser("grade", help="grade a folder of submissions (folders or .zip files) into OUT")
    grade.add_argument("submissions", type=Path)
    grade.add_argument("--out", type=Path, required=True)
    grade.add_argument("--jobs", type=int, default=None, help="submissions graded at once (default: one per core)")
    grade.add_argument("--seed", type=int, default=None)
    grade.add_argument("--course", type=Path, default=DEFAULT_COURSE_FILE)
    book = verbs.add_parser("gradebook", help="rebuild grades.csv from OUT, merging the manual points of answers.csv")
    book.add_argument("out", type=Path)
    book.add_argument("--course", type=Path, default=DEFAULT_COURSE_FILE)
    args = parser.parse_args(argv)
    try:
        if args.verb == "snapshot":
            for path in snapshot(args.course, args.solutions.resolve()):
                print(f"recorded {path}")
        elif args.verb == "grade":
            if not args.submissions.is_dir():
                raise CourseError(f"{args.submissions}: no such folder of submissions")
            if isolation_level(load_course(args.course).limits.isolation) == "basic":
                print("warning: grading with basic isolation (separate processes and limits only); "
                      "on Linux, install bubblewrap for a sandbox", file=sys.stderr)
            results = grade_class(args.submissions, args.out, jobs=args.jobs, seed=args.seed,
                                  course_file=args.course)
            print((args.out / "report.md").read_text(encoding="utf-8"))
            print(f"{len(results)} submissions graded: {args.out / 'grades.csv'}")
        elif args.verb == "gradebook":
            rebuild_gradebook(args.out, load_course(args.course))
            print(f"rebuilt {args.out / 'grades.csv'}")
    except (CourseError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
