"""`python -m autograder VERB`: a thin command line over functions callable from Python.

`submit` packs the exercise files for upload; `verdict` reads one check's result
from a recorded run (GitHub Classroom).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .course import DEFAULT_COURSE_FILE, REPO_ROOT, Course, CourseError, load_course
from .submit import SubmitError, pack_submission, quick_check, submission_name
from .verdict import RECORD_NAME, verdict

SOLUTIONS_DIR = REPO_ROOT / "solutions"
# The instructor's verbs need modules the student release leaves out.
INSTRUCTOR_COPY = (Path(__file__).resolve().parent / "release.py").is_file()
RECORD_FILE = REPO_ROOT / RECORD_NAME


def snapshot(course_file: Path, solutions: Path) -> list[Path]:
    """Record the reference observations of every exercise for the course seed."""
    from .reference import record_reference
    from .runner import probe_request
    course = load_course(course_file)
    return [record_reference(probe_request(course, e.id, solutions, course.seed, reference=True),
                             course.recordings_dir) for e in course.exercises]


def write_stubs(course: Course, check_only: bool) -> int:
    """Regenerate exercises/ from solutions/, or (check_only) say which stubs are stale."""
    from .stubs import generate_stubs, stale_stubs
    names = [e.id for e in course.exercises]
    if check_only:
        stale = stale_stubs(course.solutions_dir, course.exercises_dir, names)
        for name in stale:
            print(f"exercises/{name}.py differs from what solutions/{name}.py generates", file=sys.stderr)
        return 1 if stale else 0
    for path in generate_stubs(course.solutions_dir, course.exercises_dir, names):
        print(f"wrote {path}")
    return 0


def submit(course: Course, exercises: Path, out: Path | None) -> int:
    out = out or REPO_ROOT / submission_name(course)
    for line in quick_check(course, exercises):
        if line.startswith("note:"):
            print(line)
    path = pack_submission(course, exercises, out)
    print(f"packed {', '.join(f'{e.id}.py' for e in course.exercises)} into {path}: upload this file")
    return 0


def _student_verbs(verbs) -> None:
    hand_in = verbs.add_parser("submit", help="check the exercise files, then zip exactly them for upload")
    hand_in.add_argument("--exercises", type=Path, default=REPO_ROOT / "exercises")
    hand_in.add_argument("--out", type=Path, default=None, help="the zip to write (default: named after the course)")
    hand_in.add_argument("--course", type=Path, default=DEFAULT_COURSE_FILE)
    ask = verbs.add_parser("verdict", help="exit 0 if EXERCISE.CHECK passed in the recorded run (GitHub Classroom)")
    ask.add_argument("check", help="exercise.check, as in course.toml, e.g. torch_xor.fnn_layers")
    ask.add_argument("--record", type=Path, default=RECORD_FILE)


def _instructor_verbs(verbs) -> None:
    record = verbs.add_parser("snapshot", help="record the reference observations for the course seed")
    record.add_argument("--course", type=Path, default=DEFAULT_COURSE_FILE)
    record.add_argument("--solutions", type=Path, default=SOLUTIONS_DIR)
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
    release = verbs.add_parser("release", help="write the student version (no solutions, keys or hidden checks)")
    release.add_argument("out", type=Path)
    release.add_argument("--course", type=Path, default=DEFAULT_COURSE_FILE)
    notebooks = verbs.add_parser("nbgrader", help="write an nbgrader course (config and source notebook)")
    notebooks.add_argument("course_dir", type=Path)
    notebooks.add_argument("--force", action="store_true", help="replace a config or notebook edited since")
    notebooks.add_argument("--course", type=Path, default=DEFAULT_COURSE_FILE)
    gradescope = verbs.add_parser("gradescope", help="build a Gradescope autograder zip")
    gradescope.add_argument("out", type=Path, help="the zip to write, e.g. autograder.zip")
    gradescope.add_argument("--course", type=Path, default=DEFAULT_COURSE_FILE)


def _run(args) -> int:
    if args.verb == "submit":
        return submit(load_course(args.course), args.exercises, args.out)
    if args.verb == "verdict":
        passed, line = verdict(args.record, args.check)
        print(line)
        return 0 if passed else 1
    if args.verb == "snapshot":
        for path in snapshot(args.course, args.solutions.resolve()):
            print(f"recorded {path}")
    elif args.verb == "grade":
        from .batch import grade_class
        from .sandbox import isolation_level
        if not args.submissions.is_dir():
            raise CourseError(f"{args.submissions}: no such folder of submissions")
        if isolation_level(load_course(args.course).limits.isolation) == "basic":
            print("warning: grading with basic isolation (separate processes and limits only); "
                  "on Linux, install bubblewrap for a sandbox", file=sys.stderr)
        results = grade_class(args.submissions, args.out, jobs=args.jobs, seed=args.seed, course_file=args.course)
        print((args.out / "report.md").read_text(encoding="utf-8"))
        print(f"{len(results)} submissions graded: {args.out / 'grades.csv'}")
    elif args.verb == "gradebook":
        from .batch import rebuild_gradebook
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
        write_nbgrader_course(load_course(args.course), args.course_dir, force=args.force)
        print(f"nbgrader course written to {args.course_dir}")
    elif args.verb == "gradescope":
        from .gradescope_package import build_gradescope_zip
        build_gradescope_zip(load_course(args.course), args.out)
        print(f"Gradescope autograder written to {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    verbs = parser.add_subparsers(dest="verb", required=True)
    _student_verbs(verbs)
    if INSTRUCTOR_COPY:
        _instructor_verbs(verbs)
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except (CourseError, SubmitError, ValueError, RuntimeError) as error:  # StubError is a ValueError
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
