"""Grade a whole class: collect → copy out allowed files → grade in isolation → export.

Each submission is graded as `pytest autograder` grades it (grade.grade, in this
process, no pytest child), on a private copy of its allowed files; its code runs
only in sandboxed workers.
Grading returns plain data; exporting writes a submission's outputs atomically,
its record last, so an interrupted run resumes where it stopped, and an
unchanged submission is not graded again.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from autograder import ENGINE_DIR
from autograder.atomic import write_json_atomically, write_text_atomically
from autograder.course.model import Course, Exercise, load_course
from autograder.course.code import check_names
from autograder.errors import GraderError
from autograder.run.fork_server import ForkServers
from autograder.exporters.class_report import class_report
from autograder.exporters.feedback import feedback_markdown
from autograder.exporters.feedback_html import curve_pairs, feedback_html
from autograder.exporters.gradebook import read_manual_points, write_answers, write_gradebook
from autograder.exporters.gradescope import gradescope_results
from autograder.exporters.report_html import report_html, ungraded_reasons
from autograder.grade import Graded, grade
from autograder.instructor.intake import Submission, collect
from autograder.official_seed import SEED_FILE, batch_seed, held_seed
from autograder.run.reference import REFERENCE_CACHE, recorded_curve_references, settle_references
from autograder.results import CheckResult, RunResult
from autograder.instructor.shards import Shard, merge_shard_folders

# The engine's own code: a change to it regrades every submission.

__all__ = ["Graded", "grade_class", "grade_submission", "export_submission", "rebuild_gradebook",
           "free_text_columns", "merge_class", "Merged"]


def _grading_context(course: Course, seed: int) -> bytes:
    """What else a grade depends on: the course file, the seed, the grader's code and the course's own code."""
    digest = hashlib.sha256(course.path.read_bytes() + str(seed).encode() + course.id.encode())
    folders = {ENGINE_DIR, course.solutions_dir, course.layout.grading_dir}
    files = {path.resolve() for folder in folders if folder.is_dir() for path in folder.rglob("*")
             if path.is_file() and "__pycache__" not in path.parts}
    for path in sorted(files):
        digest.update(path.read_bytes())
    return digest.digest()


def _record_path(out: Path, name: str) -> Path:
    return out / name / "record.json"


def _read_record(out: Path, name: str) -> dict | None:
    try:
        return json.loads(_record_path(out, name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _current_record(out: Path, submission: Submission, fingerprint: str) -> dict | None:
    record = _read_record(out, submission.name)
    return record if record is not None and record.get("fingerprint") == fingerprint else None


def _failed_everywhere(course: Course, name: str, seed: int, why: str) -> RunResult:
    """A result for a submission the grader itself could not finish: every check lost, with the reason."""
    result = RunResult.for_course(course, name, seed)
    for exercise in course.exercises:
        names = check_names(course, exercise)
        result.checks += [CheckResult(exercise.id, check.id, names[check.id], check.points, False, why,
                                      hidden=check.hidden) for check in exercise.checks]
    return result


def grade_submission(submission: Submission, course: Course, seed: int, reference_cache: Path | None = None,
                     **grading) -> Graded:
    """Grade one submission of the assignment `course` is, from a private copy of its exercise files; nothing is
    written but scratch. `grading` goes to grade.grade (workers_at_once, fork_server)."""
    with tempfile.TemporaryDirectory(prefix="autograder-batch-") as scratch:
        folder = submission.write_to(Path(scratch) / "submission")
        graded = grade(course.one_assignment(None), folder, seed, reference_cache=reference_cache, **grading)
    graded.result.submission = submission.name
    return graded


def export_submission(graded: Graded, submission: Submission, out: Path, course: Course, fingerprint: str) -> dict:
    """feedback.md, feedback.html, results.json, then record.json, which marks the submission done; returns
    the record."""
    target = out / submission.name
    result = graded.result
    write_text_atomically(target / "feedback.md", feedback_markdown(result, submission.refused, submission.ignored))
    references = recorded_curve_references(course, result.seed, out / REFERENCE_CACHE)
    pairs = curve_pairs(course, graded.observations, references)
    write_text_atomically(target / "feedback.html",
                          feedback_html(result, pairs, submission.refused, submission.ignored))
    gradescope = gradescope_results(result, course.gradescope)
    gradescope["extra_data"].update(refused=submission.refused, ignored=submission.ignored)
    write_json_atomically(gradescope, target / "results.json")
    # incomplete (the grader could not finish, or the machine kept it from judging a check): graded again next time
    record = {"fingerprint": fingerprint if graded.finished and result.complete else "incomplete",
              "result": result.to_json(), "observations": graded.observations,
              "refused": submission.refused, "ignored": submission.ignored}
    write_json_atomically(record, _record_path(out, submission.name))
    return record


def _grade_and_export(submission: Submission, out: Path, course: Course, seed: int, fingerprint: str,
                      grading: dict, interrupted: threading.Event | None = None) -> dict | None:
    """One submission, graded then exported. Whatever fails in it is its own "could not be graded" record,
    graded again next run, never an exception that stops the class. After Ctrl-C nothing is written (None):
    a grading run the interrupt cut short would look finished."""
    try:
        graded = grade_submission(submission, course, seed, out / REFERENCE_CACHE, **grading)
        if interrupted is not None and interrupted.is_set():
            return None
        return export_submission(graded, submission, out, course, fingerprint)
    except Exception as error:  # noqa: BLE001 - a grader bug or a full disk costs this submission, not the class
        return _could_not_grade(submission, out, course, seed, f"the grader could not finish: "
                                f"{type(error).__name__}: {error}")


def _could_not_grade(submission: Submission, out: Path, course: Course, seed: int, why: str) -> dict:
    """The "regrade me" record of a submission the grader failed on: every check lost with `why`, fingerprint
    "incomplete". Exported as any record where that works, else the record alone, else kept in memory only."""
    print(f"warning: {submission.name} could not be graded ({why}): the next run grades it again", file=sys.stderr)
    graded = Graded(_failed_everywhere(course, submission.name, seed, why), finished=False)
    try:
        return export_submission(graded, submission, out, course, "incomplete")
    except Exception:  # noqa: BLE001 - whatever broke the export may break it again
        record = {"fingerprint": "incomplete", "result": graded.result.to_json(), "observations": {},
                  "refused": submission.refused, "ignored": submission.ignored}
        with contextlib.suppress(OSError):
            write_json_atomically(record, _record_path(out, submission.name))
        return record


def _progress(total: int):
    try:
        from tqdm import tqdm
    except ImportError:  # the bar is a convenience; grading does not need it
        return None
    return tqdm(total=total, unit="submission", disable=not sys.stderr.isatty(), file=sys.stderr)


def grade_class(submissions: Path, out: Path, jobs: int | None = None, seed: int | None = None,
                course_file: Path | None = None, workers_at_once: int | None = None,
                assignment: str | None = None, fork_servers: bool = True,
                shard: Shard | None = None) -> dict[str, RunResult]:
    """Grade every submission of one assignment in `submissions` into `out`; return the results by
    submission name. `assignment` may be left out when the course has only one. `seed` replays a batch;
    without it the batch grades at the seed `out` holds, or a fresh one (official_seed.py).

    With `shard`, only that shard's submissions, and none of the class's files: `merge_class` writes
    those once every shard is done (shards.py).

    Each submission is graded in this process (grade.grade), its code in sandboxed workers, at most
    `workers_at_once` of them at a time per submission (default: [limits]). Workers come from the batch's
    fork servers where this machine runs them (fork_server.py), else start fresh."""
    course = load_course(course_file).one_assignment(assignment)
    everyone = collect(submissions, course.exercise_files)
    if shard is not None:
        everyone = [submission for submission in everyone if shard.holds(submission.name)]
    out.mkdir(parents=True, exist_ok=True)
    seed = batch_seed(out, seed)
    print(f"note: seed {seed}, kept in {out / SEED_FILE}: the same command resumes at it, and --seed {seed} "
          "replays it", file=sys.stderr)
    context = _grading_context(course, seed)
    records, pending = {}, []
    for submission in everyone:
        fingerprint = submission.fingerprint(context)
        record = _current_record(out, submission, fingerprint)
        if record is not None:
            records[submission.name] = record
        else:
            pending.append((submission, fingerprint))
    if pending:
        settle_references(course, seed, out / REFERENCE_CACHE, jobs or os.cpu_count() or 1)
    bar = _progress(len(pending))
    # Started from this thread, which outlives the pool: the zygotes live exactly as long as the batch.
    with ForkServers(course) if fork_servers and pending else contextlib.nullcontext() as servers, \
            ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        grading = {"workers_at_once": workers_at_once, "fork_server": servers.folder_in_use if servers else ""}
        for line in (servers.notes() if servers else ()):
            print(f"note: {line}", file=sys.stderr)
        interrupted = threading.Event()
        futures = {pool.submit(_grade_and_export, s, out, course, seed, f, grading, interrupted): s
                   for s, f in pending}
        try:
            for future in as_completed(futures):
                records[futures[future].name] = future.result()
                if bar is not None:
                    bar.update()
        except KeyboardInterrupt:  # what is exported stays; the rest is graded by the next run
            interrupted.set()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        finally:
            if bar is not None:
                bar.close()
    if shard is not None:
        return {name: RunResult.from_json(record["result"]) for name, record in sorted(records.items())}
    return rebuild_gradebook(out, course, names=[s.name for s in everyone], records=records)


@dataclass
class Merged:
    """What `merge_class` gathered: the class's results, and the submissions no shard graded as they are now."""
    results: dict[str, RunResult]
    missing: list[str]
    stale: list[str]


def merge_class(submissions: Path, out: Path, shard_outs: list[Path] = (), course_file: Path | None = None,
                assignment: str | None = None) -> Merged:
    """The class's grades.csv, answers.csv and reports in `out`, from what its shards graded; grades nothing.
    The shards' folders are copied into `out` first (none when they all wrote into `out` itself). A
    submission of `submissions` that no shard graded is `missing`; one whose files or grader changed since
    its shard graded it is `stale`. Both are left out of the gradebook: `grade --shard` grades them."""
    course = load_course(course_file).one_assignment(assignment)
    merge_shard_folders(out, list(shard_outs))
    everyone = collect(submissions, course.exercise_files)
    seed = held_seed(out)
    if seed is None:  # no shard has graded anything yet: no seed to draw here, or every later merge is refused
        return Merged({}, [submission.name for submission in everyone], [])
    context = _grading_context(course, seed)
    records, missing, stale = {}, [], []
    for submission in everyone:
        record = _read_record(out, submission.name)
        if record is None:
            missing.append(submission.name)
        # "incomplete": the grader could not finish it; it is in the gradebook, marked to be graded again
        elif record.get("fingerprint") in (submission.fingerprint(context), "incomplete"):
            records[submission.name] = record
        else:
            stale.append(submission.name)
    results = rebuild_gradebook(out, course, names=list(records), records=records)
    return Merged(results, missing, stale)


def rebuild_gradebook(out: Path, course: Course, names: list[str] | None = None,
                      records: dict[str, dict] | None = None) -> dict[str, RunResult]:
    """grades.csv, answers.csv, report.md and report.html from the records in `out` (manual points merged in),
    for the assignment they were graded in."""
    if records is None:
        records = read_records(out)
    course = graded_assignment(course, records)
    names = sorted(names if names is not None else records)
    results = {name: RunResult.from_json(records[name]["result"]) for name in names if name in records}
    columns = free_text_columns(course)
    answers = {name: {column: _free_text(records[name], exercise, path)
                      for column, (exercise, path) in columns.items()} for name in results}
    write_answers(out / "answers.csv", answers, list(columns))
    write_gradebook(out / "grades.csv", results, [e.id for e in course.exercises],
                    read_manual_points(out / "answers.csv"))
    write_text_atomically(out / "report.md", class_report(results))
    seed = next(iter(results.values())).seed if results else None
    references = recorded_curve_references(course, seed, out / REFERENCE_CACHE) if results else {}
    pairs = {name: curve_pairs(course, records[name].get("observations") or {}, references) for name in results}
    ungraded = {name: ungraded_reasons(records[name], course) for name in results}
    write_text_atomically(out / "report.html", report_html(course, results, pairs, ungraded))
    return results


def read_records(out: Path) -> dict[str, dict]:
    """Each graded submission's record in `out`, by submission name."""
    return {path.parent.name: json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(out.glob("*/record.json"))}


def graded_assignment(course: Course, records: dict[str, dict]) -> Course:
    """The assignment the records were graded in (each record names it), or the course's only one."""
    graded = set()
    for record in records.values():
        result = record["result"]
        exercises = set(result.get("exercise_possible", {}))
        graded.update(result.get("assignments") or
                      (a.id for a in course.assignments if exercises & set(a.exercise_ids)))
    if len(graded) > 1:
        raise GraderError(f"the records mix assignments ({', '.join(sorted(graded))}): grade each into its own folder")
    return course.one_assignment(graded.pop() if graded else None)


def free_text_columns(course: Course) -> dict[str, tuple[Exercise, str]]:
    """answers.csv's columns, in course order: course.toml's [exercises.free_text] column -> (exercise, path)."""
    return {column: (exercise, path) for exercise in course.exercises for column, path in exercise.free_text.items()}


def _free_text(record: dict, exercise: Exercise, path: str) -> str:
    """The text at "probe/key/..." in what the record observed of `exercise`; "" if it is not text."""
    probe, *keys = path.split("/")
    try:
        value = record["observations"][exercise.id]["outcomes"][probe]["value"]
        for key in keys:
            value = value[key]
    except (KeyError, IndexError, TypeError):
        return ""
    return value if isinstance(value, str) else ""
