"""`python -m autograder VERB`: a thin command line over functions callable from Python.

Students have `check` (`pytest autograder` from any folder), `submit` (pack the
exercise files for upload) and `verdict` (one check's result from a recorded run,
for GitHub Classroom). The instructor's verbs appear only where their modules
are: the student release leaves them out. Every verb takes `--course FILE`; a
problem the user can fix is `error: ...` and exit status 1, a bad command-line
value argparse's usage error (status 2).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Callable

from autograder import ENGINE_DIR
from autograder.course.model import Course, default_course_file, load_course
from autograder.errors import AutograderError
from autograder.submit import pack_submission, quick_check, submission_name
from autograder.verdict import RECORD_NAME, verdict

# The instructor's copy: the student release leaves instructor/ out, and with it every instructor verb.
INSTRUCTOR_COPY = (ENGINE_DIR / "instructor" / "release.py").is_file()
INTERRUPTED = "interrupted: run the same command to resume"


def whole_number(least: int) -> Callable[[str], int]:
    """An argparse type: a whole number, `least` or more, refused as a course.toml value would be."""
    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"{value} is too small: give {least} or more")
        return value
    return convert


def _course(args: argparse.Namespace) -> Course:
    return load_course(args.course)


def _assignment(args: argparse.Namespace) -> Course:
    """The course cut to --assignment, which may be left out when the course has only one."""
    return load_course(args.course).one_assignment(args.assignment)


def _add_assignment_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--assignment", default=None, metavar="ID",
                        help=f"the assignment of course.toml to {what} (needed when it has several)")


def _writes_one_assignment(parser: argparse.ArgumentParser | None, out: str, what: str):
    """A verb that writes something of one assignment into OUT: its two arguments (None: no such verb here)."""
    if parser is not None:
        parser.add_argument("out", type=Path, help=out)
        _add_assignment_option(parser, what)
    return parser


# ---- the students' verbs ----

def run_check(args: argparse.Namespace) -> int:
    """`pytest autograder` wherever the command is typed: pytest finds its plugin only in an
    `autograder/` folder beside it, so it is given this package's own folder. Other options go
    to pytest as they are, and relative paths in them stay relative to the folder typed in."""
    command = [sys.executable, "-m", "pytest", str(ENGINE_DIR), f"--course={Path(args.course).resolve()}",
               "-p", "no:cacheprovider", *args.pytest_options]
    try:
        return subprocess.run(command).returncode
    except KeyboardInterrupt:
        return 130


def run_submit(args: argparse.Namespace) -> int:
    course = _assignment(args)
    exercises = args.exercises or course.exercises_dir
    out = args.out or course.root / submission_name(course)
    for line in quick_check(course, exercises):
        if line.startswith("note:"):
            print(line)
    path = pack_submission(course, exercises, out)
    print(f"packed {', '.join(course.exercise_files)} into {path}: upload this file")
    return 0


def run_verdict(args: argparse.Namespace) -> int:
    record = args.record or args.course.parent / RECORD_NAME
    passed, line = verdict(record, args.check)
    print(line)
    return 0 if passed else 1


# ---- the instructor's verbs ----

def run_recordings(args: argparse.Namespace) -> int:
    """Record the reference observations of every exercise for the course seed."""
    from autograder.run.reference import record_reference
    from autograder.run.runner import probe_request
    course = _course(args)
    if args.exercise:
        course = course.only(args.exercise)
    solutions = (args.solutions or course.solutions_dir).resolve()
    for exercise in course.exercises:
        request = probe_request(course, exercise.id, solutions, course.seed, reference=True)
        print(f"recorded {record_reference(request, course.layout.recording(exercise.id))}")
    return 0


def run_stubs(args: argparse.Namespace) -> int:
    """Regenerate exercises/ from solutions/, or (--check) say which stubs are stale."""
    from autograder.instructor.stubs import generate_stubs, stale_stubs
    course = _course(args)
    names = [e.id for e in course.exercises]
    if args.check:
        stale = stale_stubs(course.solutions_dir, course.exercises_dir, names)
        for name in stale:
            print(f"exercises/{name}.py differs from what solutions/{name}.py generates", file=sys.stderr)
        return 1 if stale else 0
    for path in generate_stubs(course.solutions_dir, course.exercises_dir, names):
        print(f"wrote {path}")
    return 0


def run_new(args: argparse.Namespace) -> int:
    from autograder.instructor.scaffold import new_exercise
    for path in new_exercise(_course(args), args.exercise_id, args.assignment):
        print(f"wrote {path}")
    return 0


def run_grade(args: argparse.Namespace) -> int:
    from autograder.instructor.batch import grade_class
    from autograder.run.sandbox import isolation_level, why_basic
    course = _assignment(args)
    if args.merge is not None:
        if args.shard is not None or args.seed is not None:
            raise AutograderError("--merge grades nothing and keeps the seed the shards graded at: "
                                  "give it without --shard and --seed")
        return run_merge(args, course)
    if isolation_level(course.limits.isolation) == "basic":
        print("warning: grading with basic isolation (separate processes and limits only: student code may "
              f"write wherever this user can, OUT included): {why_basic(course.limits.isolation)}", file=sys.stderr)
    if getattr(args, "similarity", False):  # a missing tool is said before grading, not after
        from autograder.similarity.ranking import need
        need("copydetect")
    try:
        results = grade_class(args.submissions, args.out, jobs=args.jobs, seed=args.seed, course_file=course.path,
                              workers_at_once=args.workers_at_once, assignment=course.id, fork_servers=not args.fresh_workers,
                              shard=args.shard)
    except KeyboardInterrupt:  # every submission exported so far is kept: the next run grades only the rest
        print(INTERRUPTED, file=sys.stderr)
        return 130
    if args.shard is not None:
        print("\n".join(grade_summary(results, args.out)[:-2]))
        print(f"shard {args.shard} done: once every shard is, `python -m autograder grade {args.submissions} "
              f"--out {args.out} --merge [EACH SHARD'S OUT]` writes the class's grades")
        return 0
    print("\n".join(grade_summary(results, args.out)))
    if getattr(args, "similarity", False):
        _similarity(course, args.submissions, args.out, graded=args.out)
    return 0


def run_merge(args: argparse.Namespace, course: Course) -> int:
    """`grade --merge`: the class's gradebook and reports from its shards; status 1 if any submission is
    not in them as it is now."""
    from autograder.instructor.batch import merge_class
    merged = merge_class(args.submissions, args.out, args.merge, course_file=course.path, assignment=course.id)
    print("\n".join(grade_summary(merged.results, args.out)))
    if getattr(args, "similarity", False):
        _similarity(course, args.submissions, args.out, graded=args.out)
    for names, why in ((merged.missing, "graded by no shard"),
                       (merged.stale, "changed since its shard graded it, or graded by another grader")):
        if names:
            print(f"error: {len(names)} submission(s) {why}, left out of grades.csv: {', '.join(names)}; "
                  "run their shard again, then merge again", file=sys.stderr)
    return 1 if merged.missing or merged.stale else 0


def grade_summary(results: dict, out: Path) -> list[str]:
    """What `grade` says when done: counts, the mean score and where to read more (report.md has the rest)."""
    from autograder.instructor.batch import read_records
    records = read_records(out)
    incomplete = sorted(name for name in results if records.get(name, {}).get("fingerprint", "incomplete")
                        == "incomplete")
    scores = [result.score for result in results.values()]
    possible = max((result.possible for result in results.values()), default=0)
    mean = f"mean score {sum(scores) / len(scores):.4g} of {possible:.4g}" if scores else "no score"
    lines = [f"{len(results)} submissions graded, {mean}, {len(incomplete)} incomplete"]
    if incomplete:
        lines.append(f"incomplete (graded again when you run the same command): {', '.join(incomplete)}")
    lines += [f"grades: {out / 'grades.csv'}", f"report: {out / 'report.html'} (Markdown: {out / 'report.md'})"]
    return lines


def _similarity(course: Course, submissions: Path, out: Path, graded: Path | None) -> None:
    from autograder.similarity.ranking import write_similarity
    rows = write_similarity(course, submissions, out, graded=graded)
    marked = sum(row.stands_out for row in rows)
    print(f"{marked} pairs stand out from their class's baseline (pairs to read, not verdicts): "
          f"{out / 'similarity.html'}")


def run_similarity(args: argparse.Namespace) -> int:
    _similarity(_course(args), args.submissions, args.out, graded=args.graded)
    return 0


def run_gradebook(args: argparse.Namespace) -> int:
    """Rebuild grades.csv (manual points merged in); with --lms, also write the file that LMS imports."""
    from autograder.instructor.batch import graded_assignment, read_records, rebuild_gradebook
    course = _course(args)
    if args.lms is None and (args.roster or args.lms_out or args.match_column or args.column
                             or args.allow_unmatched):
        raise AutograderError("--roster, --out, --match-column, --column and --allow-unmatched go with "
                              "--lms canvas or --lms moodle")
    if args.lms is not None and (args.roster is None or args.lms_out is None):
        raise AutograderError(f"--lms {args.lms} needs --roster ROSTER.csv (the gradebook exported from "
                              f"{args.lms.capitalize()}) and --out FILE.csv (the file to import)")
    records = read_records(args.out)
    if not records and len(course.assignments) > 1:  # no record says which assignment OUT is of
        raise AutograderError(f"nothing graded here ({args.out}): run `grade` first")
    course = graded_assignment(course, records)  # the one assignment `grade` graded into OUT
    results = rebuild_gradebook(args.out, course, records=records)
    print(f"rebuilt {args.out / 'grades.csv'}")
    if args.lms is None:
        return 0
    from autograder.exporters.lms import DEFAULT_MATCH_COLUMN, export_grades, read_totals, summary_lines
    totals = read_totals(args.out / "grades.csv")
    if not totals:
        raise AutograderError(f"{args.out} holds no graded submission: grade the class into it first")
    # A run the machine kept from finishing is graded again by `grade`; until then it gets no grade.
    totals = {name: None if name in results and not results[name].complete else total
              for name, total in totals.items()}
    column = args.column or f"{course.title} ({course.id})"
    match_column = args.match_column or DEFAULT_MATCH_COLUMN[args.lms]
    export = export_grades(args.lms, args.roster, args.lms_out, totals, column, course.max_points, match_column,
                           args.allow_unmatched)
    print("\n".join(summary_lines(export, args.lms, args.lms_out, course.max_points, match_column)))
    return 0


def _wrote(what: str, where: Path) -> int:
    print(f"{what} written to {where}")
    return 0


def run_release(args: argparse.Namespace) -> int:
    from autograder.instructor.release import write_release
    return _wrote("student release", write_release(_assignment(args), args.out))


def run_nbgrader(args: argparse.Namespace) -> int:
    from autograder.platforms.nbgrader import write_nbgrader_course
    course = _course(args)
    write_nbgrader_course(course, args.course_dir, force=args.force,
                          assignments=[course.assignment(args.assignment).id] if args.assignment else None)
    return _wrote("nbgrader course", args.course_dir)


def run_gradescope(args: argparse.Namespace) -> int:
    from autograder.platforms.gradescope import build_gradescope_zip
    return _wrote("Gradescope autograder", build_gradescope_zip(_assignment(args), args.out))


def run_prairielearn(args: argparse.Namespace) -> int:
    from autograder.platforms.prairielearn import build_prairielearn
    question = build_prairielearn(_assignment(args), args.out, repository=args.image)
    print(f"PrairieLearn question written to {question}; its image to {args.out / 'image'} (see README.txt there)")
    return 0


CHECK_EXAMPLES = """\
any other option goes to pytest, as in `pytest autograder`:
  python -m autograder check --exercise ID       only one exercise
  python -m autograder check --submission=DIR    grade another folder (relative to where you are)
  python -m autograder check -k NAME -x          pytest's own options"""


def _student_verbs(verbs, shared: argparse.ArgumentParser) -> None:
    check = verbs.add_parser("check", parents=[shared], allow_abbrev=False, epilog=CHECK_EXAMPLES,
                             formatter_class=argparse.RawDescriptionHelpFormatter,
                             help="grade the exercises, as `pytest autograder` does, from any folder")
    check.set_defaults(func=run_check, passes_options_on=True)
    hand_in = verbs.add_parser("submit", parents=[shared],
                               help="check the exercise files, then zip exactly them for upload")
    hand_in.add_argument("--exercises", type=Path, default=None, help="default: the course's exercises/")
    hand_in.add_argument("--out", type=Path, default=None,
                         help="the zip to write (default: named after the assignment)")
    _add_assignment_option(hand_in, "pack")
    hand_in.set_defaults(func=run_submit)
    ask = verbs.add_parser("verdict", parents=[shared],
                           help="exit 0 if EXERCISE.CHECK passed in the recorded run (GitHub Classroom)")
    ask.add_argument("check", help="exercise.check, as in course.toml")
    ask.add_argument("--record", type=Path, default=None, help=f"default: {RECORD_NAME} beside the course file")
    ask.set_defaults(func=run_verdict)


def _instructor_verbs(verbs, shared: argparse.ArgumentParser) -> None:
    """Each verb only where its module is, so that a copy without it never offers it."""
    def verb(name: str, module: str, func, summary: str) -> argparse.ArgumentParser | None:
        if not (ENGINE_DIR / module).is_file():
            return None
        parser = verbs.add_parser(name, parents=[shared], help=summary)
        parser.set_defaults(func=func)
        return parser

    record = verb("recordings", "run/reference.py", run_recordings,
                  "write each exercise's recording.json: the reference's observations at the course seed")
    if record:
        record.add_argument("--solutions", type=Path, default=None, help="default: the course's solutions/")
        record.add_argument("--exercise", action="append", default=None,
                            help="record only this exercise (repeat for several; default: every exercise)")
    stubs = verb("stubs", "instructor/stubs.py", run_stubs, "write exercises/ from the solution regions of solutions/")
    if stubs:
        stubs.add_argument("--check", action="store_true", help="change nothing; exit 1 if exercises/ is out of date")
    new = verb("new", "instructor/scaffold.py", run_new, "scaffold a new exercise: solution, its grading/ home, its course.toml table")
    if new:
        new.add_argument("exercise_id", help="the new exercise's id, a Python module name")
        new.add_argument("--assignment", default=None,
                         help="the [[assignments]] id it joins (needed when course.toml has more than one)")
    grade = verb("grade", "instructor/batch.py", run_grade, "grade a folder of submissions (folders or .zip files) into OUT")
    if grade:
        from autograder.instructor.shards import parse_shard
        grade.add_argument("submissions", type=Path,
                           help="the class: one folder or .zip file per submission, named by student id")
        grade.add_argument("--out", type=Path, required=True,
                           help="folder for grades.csv, the reports and each submission's feedback; "
                                "a second run into it grades only what is new or changed")
        _add_assignment_option(grade, "grade")
        grade.add_argument("--jobs", type=whole_number(1), default=None,
                           help="submissions graded at once, 1 or more (default: one per core)")
        grade.add_argument("--seed", type=whole_number(0), default=None,
                           help="seed of every experiment, 0 or more, to replay a batch (default: the seed OUT "
                                "holds, else a fresh one drawn for this batch)")
        grade.add_argument("--workers-at-once", type=whole_number(0), default=None,
                           help="workers of one submission at once, 0 for all (default: [limits] workers_at_once)")
        grade.add_argument("--shard", type=parse_shard, default=None, metavar="K/N",
                           help="grade only shard K of N (K from 0 to N-1; a submission's shard depends only on "
                                "its name), for a cluster's job array; no grades.csv until --merge")
        grade.add_argument("--merge", type=Path, nargs="*", default=None, metavar="SHARD_OUT",
                           help="grade nothing: gather the shards' results (copied from each SHARD_OUT, or "
                                "already in OUT) into OUT's grades.csv and reports; exit 1 naming any "
                                "submission no shard graded")
        grade.add_argument("--fresh-workers", action="store_true",
                           help="start every worker as a fresh process, as pytest autograder does, instead of forking "
                                "it from the batch's fork servers (for comparison; grades are the same)")
        if (ENGINE_DIR / "similarity" / "ranking.py").is_file():
            grade.add_argument("--similarity", action="store_true",
                               help="then write OUT/similarity.html and .csv from the graded submissions")
    alike = verb("similarity", "similarity/ranking.py", run_similarity,
                 "list pairs of submissions more alike than their class's baseline, to read side by side")
    if alike:
        alike.add_argument("submissions", type=Path)
        alike.add_argument("--out", type=Path, required=True, help="folder for similarity.html and similarity.csv")
        alike.add_argument("--graded", type=Path, default=None,
                           help="a folder `grade` wrote: free-text answers as grading saw them "
                                "(default: read from each file's literal constants, without running it)")
    book = verb("gradebook", "instructor/batch.py", run_gradebook,
                "rebuild grades.csv from OUT, merging the manual points of answers.csv")
    if book:
        book.add_argument("out", type=Path, help="the folder `grade --out` wrote")
        lms = book.add_argument_group("grades for an LMS", "write the file Canvas or Moodle imports, from its "
                                      "exported roster: python -m autograder gradebook OUT --lms canvas "
                                      "--roster ROSTER.csv --out FILE.csv")
        lms.add_argument("--lms", choices=("canvas", "moodle"), default=None,
                         help="the LMS whose import file to write")
        lms.add_argument("--roster", type=Path, default=None,
                         help="the LMS's export: Canvas's gradebook CSV, or Moodle's grade export (CSV)")
        lms.add_argument("--out", dest="lms_out", type=Path, default=None, metavar="FILE.csv",
                         help="the file to import into the LMS")
        lms.add_argument("--match-column", default=None, metavar="COLUMN",
                         help="the roster column that holds each submission's name (default: 'SIS Login ID' "
                              "for Canvas, 'Email address' for Moodle, whose file it also keys)")
        lms.add_argument("--column", default=None, metavar="NAME",
                         help="the grade column to add or fill (default: '<assignment title> (<assignment id>)')")
        lms.add_argument("--allow-unmatched", action="store_true",
                         help="write the file even if some submissions match no roster row (they are left out)")
    _writes_one_assignment(verb("release", "instructor/release.py", run_release,
                                "write the student version (no solutions, keys or hidden checks)"),
                           "a new or empty folder to write it into", "release")
    notebooks = verb("nbgrader", "platforms/nbgrader.py", run_nbgrader,
                     "write an nbgrader course (config and source notebook)")
    if notebooks:
        notebooks.add_argument("course_dir", type=Path)
        notebooks.add_argument("--assignment", default=None, metavar="ID",
                               help="write only this assignment (default: one nbgrader assignment for each)")
        notebooks.add_argument("--force", action="store_true", help="replace a config or notebook edited since")
    _writes_one_assignment(verb("gradescope", "platforms/gradescope.py", run_gradescope,
                                "build a Gradescope autograder zip"),
                           "the zip to write, e.g. autograder.zip", "build the autograder of")
    prairielearn = _writes_one_assignment(
        verb("prairielearn", "platforms/prairielearn.py", run_prairielearn,
             "write a PrairieLearn question (external grading) and the image it runs in"),
        "folder for questions/<assignment>/ and image/", "write the question of")
    if prairielearn:
        prairielearn.add_argument("--image", default=None, metavar="REPOSITORY",
                                  help="the image's name in a public registry, e.g. ACCOUNT/NAME on Docker Hub "
                                       "(default: <course id>-grader); the tag follows the Dockerfile")


def build_parser() -> argparse.ArgumentParser:
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument("--course", type=Path, default=None,
                        help="course file (default: the nearest course.toml above the working folder, "
                             "else the one beside the grader)")
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.split("\n\n")[0])
    verbs = parser.add_subparsers(dest="verb", required=True)
    _student_verbs(verbs, shared)
    if INSTRUCTOR_COPY:
        _instructor_verbs(verbs, shared)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, others = parser.parse_known_args(argv)
    if others and not getattr(args, "passes_options_on", False):
        parser.error(f"unrecognized arguments: {' '.join(others)}")
    args.pytest_options = others
    args.course = args.course or default_course_file()  # the course you stand in, decided once
    try:
        return args.func(args)
    except AutograderError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
