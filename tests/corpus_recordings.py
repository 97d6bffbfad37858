"""The corpus's recorded observations, and its checks replayed on them in-process.

A corpus case changes one or a few exercises of the solutions. What the probes
observed of each changed exercise is recorded once (tests/record_corpus.py) and
the corpus test runs every check of that exercise on the recording, in
milliseconds, instead of a grading run that trains the networks again.

A recording counts only while its fingerprint matches: the exercise's probe code,
its params, the seed, the files probed and the worker. Any change to those makes
it stale, and a stale or missing recording fails the test, naming the command
that records it again.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from submission_tools import (CORPUS, CORPUS_KINDS, EXERCISE_FILES, SOLUTIONS, case_files, case_name,
                              corpus_cases, deleted_files, submission_files)

from autograder.atomic import write_text_atomically
from autograder.checking import Observed, grade_check
from autograder.course.model import Course
from autograder.course.code import check_functions, display_name
from autograder.run.observations import ExerciseRun
from autograder.run.reference import probe_sources, recorded_reference
from autograder.run.runner import WORKER_FILE, ProbeRequest, probe_request

__all__ = ["RECORD_COMMAND", "RECORDINGS", "OTHER_SEEDS", "StaleRecording", "Entry", "changed_exercises",
           "seeds_of", "wanted_entries", "entry_request", "entry_fingerprint", "entry_files", "recording_path",
           "read_recording", "write_recording", "recorded_run", "reference_for", "replay"]

RECORD_COMMAND = ".venv/bin/python tests/record_corpus.py"
RECORDINGS_COMMAND = ".venv/bin/python -m autograder recordings"
RECORDINGS = CORPUS / "recordings"
# Seeds besides the course's at which every right case must still get full marks: official grades draw
# their own. 1 and 12345 are seeds at which the reference once learned XOR from too few starts.
OTHER_SEEDS = (11, 2026, 1, 12345)


class StaleRecording(AssertionError):
    """A recording is missing or no longer matches what it recorded: the test fails, saying how to fix it."""


@dataclass(frozen=True)
class Entry:
    """One recorded run: a case's exercise at a seed, or (case None) the reference at a seed."""
    case: Path | None
    exercise: str
    seed: int

    @property
    def name(self) -> str:
        return f"{case_name(self.case) if self.case else 'reference'} {self.exercise} seed {self.seed}"


def changed_exercises(course: Course, case: Path) -> tuple[str, ...]:
    """The exercises whose file the case holds or deletes: what its replay grades.

    A file that is no exercise's (a shadowing torch.py, a conftest.py) never reaches a worker,
    which loads the student's module by path from a private folder; whether it reaches the
    grading process is what real grading proves (`graded_exercises`)."""
    touched = set(case_files(case)) | set(deleted_files(case))
    return tuple(e.id for e in course.exercises if e.file in touched)


def graded_exercises(course: Course, case: Path) -> tuple[str, ...]:
    """What a real grading of the case covers: the exercises it changes, or every exercise when it
    ships only other files (they sit beside all of them)."""
    return changed_exercises(course, case) or tuple(e.id for e in course.exercises)


def seeds_of(course: Course, case: Path) -> tuple[int, ...]:
    """Every case is graded at the course seed; a right one at the other seeds too."""
    return (course.seed, *OTHER_SEEDS) if case.parent.name == "right" else (course.seed,)


def wanted_entries(course: Course) -> list[Entry]:
    """Every run the corpus test replays: each case's changed exercises at its seeds, and the
    reference at the other seeds (the course seed's is the course's own recording)."""
    entries = [Entry(case, exercise, seed) for kind in CORPUS_KINDS for case in corpus_cases(kind)
               for exercise in changed_exercises(course, case) for seed in seeds_of(course, case)]
    entries += [Entry(None, e.id, seed) for e in course.exercises for seed in OTHER_SEEDS]
    return entries


def entry_files(entry: Entry) -> dict[str, bytes]:
    """The files of the folder an entry probes: the case's submission, or the solutions."""
    if entry.case is None:
        return {name: (SOLUTIONS / name).read_bytes() for name in EXERCISE_FILES}
    return submission_files(entry.case)


def entry_request(course: Course, entry: Entry, folder: Path) -> ProbeRequest:
    return probe_request(course, entry.exercise, folder, entry.seed, reference=entry.case is None)


def entry_fingerprint(course: Course, entry: Entry) -> str:
    """What the observations depend on: probe code, params, seed, the probed module and the files
    beside it that are no exercise's (they could shadow an import), and the worker."""
    files = entry_files(entry)
    module = course.exercise(entry.exercise).file
    beside = sorted(name for name in files if name not in EXERCISE_FILES)
    request = entry_request(course, entry, SOLUTIONS)
    digest = hashlib.sha256()
    for part in [*(source.encode() for source in probe_sources(request)),
                 json.dumps({"params": dict(request.params), "seed": entry.seed, "reference": request.reference,
                             "probes": list(request.probes)}, sort_keys=True).encode(),
                 files.get(module, b"<missing>"),
                 *(name.encode() + b"\0" + files[name] for name in beside),
                 WORKER_FILE.read_bytes()]:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def recording_path(case: Path | None) -> Path:
    """One file per case, under its kind; one for the reference."""
    return RECORDINGS / "reference.json" if case is None else RECORDINGS / case.parent.name / f"{case.name}.json"


def read_recording(path: Path) -> dict[tuple[str, int], dict]:
    """(exercise, seed) -> {"fingerprint", "run"} of one recording file; empty if there is none."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return {(run["exercise"], run["seed"]): run for run in data["runs"]}


def write_recording(path: Path, label: str, runs: dict[tuple[str, int], dict]) -> None:
    """One run per line, in a stable order, so that re-recording one run changes one line."""
    lines = [json.dumps(runs[key], separators=(",", ":")) for key in sorted(runs)]
    write_text_atomically(path, f'{{"case": {json.dumps(label)}, "runs": [\n' + ",\n".join(lines) + "\n]}\n")


@cache
def _cached_recording(path: Path) -> dict[tuple[str, int], dict]:
    return read_recording(path)


def recorded_run(course: Course, entry: Entry) -> ExerciseRun:
    """The entry's recorded observations, or StaleRecording if they are missing or stale."""
    stored = _cached_recording(recording_path(entry.case)).get((entry.exercise, entry.seed))
    if stored is None or stored["fingerprint"] != entry_fingerprint(course, entry):
        state = "missing" if stored is None else "stale (probes, params, files or worker changed)"
        raise StaleRecording(f"the corpus recording of {entry.name} is {state}: record it with `{RECORD_COMMAND}`")
    return ExerciseRun.from_json(stored["run"])


def reference_for(course: Course, exercise: str, seed: int) -> ExerciseRun:
    """The reference's observations: the course's own recording at its seed, the corpus's at the others."""
    if seed != course.seed:
        return recorded_run(course, Entry(None, exercise, seed))
    recorded = recorded_reference(probe_request(course, exercise, course.solutions_dir, seed, reference=True),
                                  course.layout.recording(exercise))
    if recorded is None:
        raise StaleRecording(f"the course's recording of {exercise} is missing or stale: "
                             f"record it with `{RECORDINGS_COMMAND}`, then `{RECORD_COMMAND}`")
    return recorded


def replay(course: Course, exercise_id: str, student: ExerciseRun, reference: ExerciseRun) -> dict[str, str]:
    """Every check of the exercise on recorded observations, as `pytest autograder` runs it:
    `exercise.check` -> message, for the checks that did not pass."""
    exercise = course.exercise(exercise_id)
    failed = {}
    for check_id, function in check_functions(course, exercise).items():
        observed = Observed(exercise, student, lambda: reference)
        result = grade_check(exercise, exercise.check(check_id), function, display_name(function), lambda: observed)
        if not result.passed:
            failed[f"{exercise.id}.{check_id}"] = result.message
    return failed


_REPLAYED: dict[tuple[Path, Path, int], dict[str, str]] = {}


def replayed(course: Course, case: Path, seed: int) -> dict[str, str]:
    """`exercise.check` -> message for every check the case fails at `seed`, replayed in the exercises it changes;
    computed once per run (test_corpus.py and test_corpus_scores.py both read it)."""
    key = (course.path, case, seed)
    if key not in _REPLAYED:
        failed: dict[str, str] = {}
        for exercise in changed_exercises(course, case):
            student = recorded_run(course, Entry(case, exercise, seed))
            failed.update(replay(course, exercise, student, reference_for(course, exercise, seed)))
        _REPLAYED[key] = failed
    return dict(_REPLAYED[key])
