"""`python -m autograder VERB`: a thin command line over functions callable from Python."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .batch import grade_class, rebuild_gradebook
from .course import DEFAULT_COURSE_FILE, REPO_ROOT, Course, CourseError, load_course
from .reference import record_reference
from .sandbox import isolation_level
from .session import GradingSession
from .stubs import StubError, generate_stubs, stale_stubs


def snapshot(course_file: Path, solutions: Path) -> list[Path]:
    """Record the reference observations of every exercise for the course seed."""
    course = load_course(course_file)
    session = GradingSession(course, submission=solutions, solutions=solutions, seed=course.seed)
    try:
        return [record_reference(session.reference_request(e.id)) for e in course.exercises]
    finally:
        session.close()


def write_stubs(course: Course, check_only: bool) -> int:
    """Regenerate exercises/ from solutions/, or (check_only) say which stubs are stale."""
    names = [e.id for e in course.exercises]
    if check_only:
        stale = stale_stubs(REPO_ROOT / "solutions", REPO_ROOT / "exercises", names)
        for name in stale:
            print(f"exercises/{name}.py differs from what solutions/{name}.py generates", file=sys.stderr)
        return 1 if stale else 0
    for path in generate_stubs(REPO_ROOT / "solutions", REPO_ROOT / "exercises", names):
        print(f"wrote {path}")
    return 0


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
    stubs = verbs.add_parser("stubs", help="write exercises/ from the solution regions of solutions/")
    stubs.add_argument("--check", action="store_true", help="change nothing; exit 1 if exercises/ is out of date")
    stubs.add_argument("--course", type=Path, default=DEFAULT_COURSE_FILE)
    release = verbs.add_parser("release", help="write the student version (no solutions, no keys, no hidden checks)")
    release.add_argument("out", type=Path)
    release.add_argument("--course", type=Path, default=DEFAULT_COURSE_FILE)
    notebooks = verbs.add_parser("nbgrader", help="write an nbgrader course (config and source notebooks) to COURSE_DIR")
    notebooks.add_argument("course_dir", type=Path)
    notebooks.add_argument("--course", type=Path, default=DEFAULT_COURSE_FILE)
    gradescope = verbs.add_parser("gradescope", help="build a Gradescope autograder zip")
    gradescope.add_argument("out", type=Path, help="the zip to write, e.g. autograder.zip")
    gradescope.add_argument("--course", type=Path, default=DEFAULT_COURSE_FILE)
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
        elif args.verb == "stubs":
            return write_stubs(load_course(args.course), check_only=args.check)
        elif args.verb == "release":
            from .release import write_release
            write_release(load_course(args.course), args.out)
            print(f"student release written to {args.out}")
        elif args.verb == "nbgrader":
            from .nbgrader_course import write_nbgrader_course
            write_nbgrader_course(load_course(args.course), args.course_dir)
            print(f"nbgrader course written to {args.course_dir}")
        elif args.verb == "gradescope":
            from .gradescope_package import build_gradescope_zip
            build_gradescope_zip(load_course(args.course), args.out)
            print(f"Gradescope autograder written to {args.out}")
    except (CourseError, StubError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
