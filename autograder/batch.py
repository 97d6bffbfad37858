"""Grade a whole class: collect → copy out allowed files → grade in isolation → export.

Each submission is graded by the same `pytest autograder` a student runs, in its
own process, on a private copy of its allowed files; its workers run sandboxed.
A submission's outputs are written atomically, its record last, so an
interrupted run resumes where it stopped, and an unchanged submission is not
graded again.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from .course import DEFAULT_COURSE_FILE, Course, load_course
from .exporters.class_report import class_report
from .exporters.feedback import feedback_markdown
from .exporters.gradebook import read_manual_points, write_answers, write_gradebook
from .atomic import write_json_atomically, write_text_atomically
from .exporters.gradescope import gradescope_results
from .grading_process import AUTOGRADER_DIR, run_grading
from .intake import Submission, collect
from .results import CheckResult, RunResult

__all__ = ["grade_class", "grade_submission", "rebuild_gradebook"]


def exercise_files(course: Course) -> tuple[str, ...]:
    return tuple(f"{e.id}.py" for e in course.exercises)


def _grading_context(course_file: Path, seed: int) -> bytes:
    """What else a grade depends on: the course file, the seed and the grader's own code."""
    digest = hashlib.sha256(course_file.read_bytes() + str(seed).encode())
    for path in sorted(AUTOGRADER_DIR.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.digest()


def _record_path(out: Path, name: str) -> Path:
    return out / name / "record.json"


def _current_record(out: Path, submission: Submission, fingerprint: str) -> dict | None:
    try:
        record = json.loads(_record_path(out, submission.name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if record.get("fingerprint") == fingerprint else None


def _failed_everywhere(course: Course, name: str, seed: int, why: str) -> RunResult:
    """A result for a submission the grader itself could not finish: every check lost, with the reason."""
    result = RunResult(course_title=course.title, submission=name, seed=seed,
                       exercise_titles={e.id: e.title for e in course.exercises},
                       exercise_possible={e.id: e.max_points for e in course.exercises})
    result.checks = [CheckResult(e.id, c.id, c.id, c.points, False, why, hidden=c.hidden)
                     for e in course.exercises for c in e.checks]
    return result


def grade_submission(submission: Submission, out: Path, course: Course, course_file: Path, seed: int,
                     fingerprint: str, options: tuple[str, ...] = ()) -> dict:
    """Grade one submission and write its outputs; the record goes last and marks it done.

    `options` go to `pytest autograder` as they are (the Gradescope run limits its workers)."""
    with tempfile.TemporaryDirectory(prefix="autograder-batch-") as scratch:
        folder = submission.write_to(Path(scratch) / "submission")
        record_file = Path(scratch) / "record.json"
        try:
            run_grading(folder, record_file, "--seed", str(seed), "--course", str(course_file),
                        "--reference-cache", str(out / ".reference-cache"), *options,
                        timeout=course.limits.check_seconds * 2)
            graded = json.loads(record_file.read_text(encoding="utf-8"))
            result, observations = RunResult.from_json(graded["result"]), graded.get("observations", {})
        except (OSError, ValueError, KeyError, subprocess.TimeoutExpired) as error:
            result, observations = _failed_everywhere(course, submission.name, seed,
                                                      f"the grader could not finish: {type(error).__name__}"), {}
            fingerprint = "incomplete"  # graded again next time
    result.submission = submission.name
    target = out / submission.name
    write_text_atomically(target / "feedback.md", feedback_markdown(result, submission.refused, submission.ignored))
    gradescope = gradescope_results(result, course.gradescope)
    gradescope["extra_data"].update(refused=submission.refused, ignored=submission.ignored)
    write_json_atomically(gradescope, target / "results.json")
    record = {"fingerprint": fingerprint, "result": result.to_json(), "observations": observations,
              "refused": submission.refused, "ignored": submission.ignored}
    write_json_atomically(record, _record_path(out, submission.name))
    return record


def _progress(total: int):
    try:
        from tqdm import tqdm
    except ImportError:  # the bar is a convenience; grading does not need it
        return None
    return tqdm(total=total, unit="submission", disable=not sys.stderr.isatty(), file=sys.stderr)


def grade_class(submissions: Path, out: Path, jobs: int | None = None, seed: int | None = None,
                course_file: Path = DEFAULT_COURSE_FILE) -> dict[str, RunResult]:
    """Grade every submission in `submissions` into `out`; return the results by submission name."""
    course = load_course(course_file)
    seed = course.seed if seed is None else seed
    out.mkdir(parents=True, exist_ok=True)
    context = _grading_context(Path(course_file), seed)
    everyone = collect(submissions, exercise_files(course))
    records, pending = {}, []
    for submission in everyone:
        fingerprint = submission.fingerprint(context)
        record = _current_record(out, submission, fingerprint)
        if record is not None:
            records[submission.name] = record
        else:
            pending.append((submission, fingerprint))
    bar = _progress(len(pending))
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        futures = {pool.submit(grade_submission, s, out, course, Path(course_file), seed, f): s for s, f in pending}
        try:
            for future in as_completed(futures):
                records[futures[future].name] = future.result()
                if bar is not None:
                    bar.update()
        except KeyboardInterrupt:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        finally:
            if bar is not None:
                bar.close()
    return rebuild_gradebook(out, course, names=[s.name for s in everyone], records=records)


def rebuild_gradebook(out: Path, course: Course, names: list[str] | None = None,
                      records: dict[str, dict] | None = None) -> dict[str, RunResult]:
    """grades.csv, answers.csv and report.md from the records in `out` (manual points merged in)."""
    if records is None:
        records = {}
        for path in sorted(out.glob("*/record.json")):
            records[path.parent.name] = json.loads(path.read_text(encoding="utf-8"))
    names = sorted(names if names is not None else records)
    results = {name: RunResult.from_json(records[name]["result"]) for name in names if name in records}
    questions = sorted({q for r in records.values() for q in _questions(r)})
    answers = {name: {f"{q}_why": _questions(records[name]).get(q, "") for q in questions} for name in results}
    write_answers(out / "answers.csv", answers, [f"{q}_why" for q in questions])
    write_gradebook(out / "grades.csv", results, [e.id for e in course.exercises],
                    read_manual_points(out / "answers.csv"))
    write_text_atomically(out / "report.md", class_report(results))
    return results


def _questions(record: dict) -> dict[str, str]:
    """The free-text answers (Qn_WHY) a record observed, by question."""
    try:
        questions = record["observations"]["concepts"]["outcomes"]["answers"]["value"]["questions"]
    except (KeyError, TypeError):
        return {}
    return {q: entry.get("why") or "" for q, entry in questions.items() if isinstance(entry, dict)
            and isinstance(entry.get("why"), str)}
