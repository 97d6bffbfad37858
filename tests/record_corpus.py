"""Record what the probes observe of the corpus, for tests/test_corpus.py to replay.

    .venv/bin/python tests/record_corpus.py [--jobs 2] [--exercise ID ...]

Only what is missing or stale is recorded (tests/corpus_recordings.py says what a
recording's fingerprint covers), `--jobs` workers at a time, and each run is saved
as soon as it ends, so an interrupted recording resumes where it stopped.
Recordings that no case replays any more are removed.
"""
from __future__ import annotations

import argparse
import fcntl
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

TESTS = Path(__file__).resolve().parent
sys.path[:0] = [str(TESTS.parent), str(TESTS)]  # the engine and the test helpers, when run as a script

from corpus_recordings import (RECORDINGS, Entry, StaleRecording, entry_fingerprint, entry_files,  # noqa: E402
                               entry_request, read_recording, recording_path, reference_for, wanted_entries,
                               write_recording)

from autograder.course.model import Course, load_course  # noqa: E402
from autograder.run.observations import ExerciseRun  # noqa: E402
from autograder.run.runner import run_probes  # noqa: E402


def _timed_out(run: ExerciseRun) -> bool:
    errors = [run.import_error, *(o.error for o in run.outcomes.values())]
    return any(e and e.get("type") == "WorkerStopped" and "without finishing" in str(e.get("message")) for e in errors)


def record(course: Course, entry: Entry) -> dict:
    """Probe the entry's folder in a worker, as grading does. A time-out may be the busy machine's
    doing, not the code's: such a run is tried once more."""
    fingerprint = entry_fingerprint(course, entry)  # taken first: a file edited meanwhile leaves it stale
    with tempfile.TemporaryDirectory(prefix="corpus-") as scratch:
        folder = Path(scratch)
        for name, data in entry_files(entry).items():
            (folder / name).write_bytes(data)
        run = run_probes(entry_request(course, entry, folder))
        if _timed_out(run):
            run = run_probes(entry_request(course, entry, folder))
    if entry.case is None and (run.import_error or not all(o.ok for o in run.outcomes.values())):
        raise RuntimeError(f"the reference failed at seed {entry.seed}: {run.to_json()}")
    return {"exercise": entry.exercise, "seed": entry.seed, "fingerprint": fingerprint, "run": run.to_json()}


def _label(path: Path) -> str:
    return path.relative_to(RECORDINGS).with_suffix("").as_posix()


def _prune(wanted: dict[Path, set[tuple[str, int]]]) -> dict[Path, dict]:
    """Read every recording file, dropping files and runs that no case wants any more."""
    for path in RECORDINGS.rglob("*.json"):
        if path not in wanted:
            print(f"removing {path.relative_to(TESTS)}: no case replays it any more")
            path.unlink()
    stores = {}
    for path, keys in wanted.items():
        stored = read_recording(path)
        stores[path] = {key: run for key, run in stored.items() if key in keys}
        if stored and len(stores[path]) != len(stored):
            write_recording(path, _label(path), stores[path])
    return stores


def _save(path: Path, key: tuple[str, int], run: dict) -> None:
    """Add one run to its file, re-read under a lock: two recordings at once (of different
    exercises) both write reference.json, and neither may drop the other's runs."""
    with open(RECORDINGS / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        runs = read_recording(path)
        runs[key] = run
        write_recording(path, _label(path), runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="workers at once (default: 2)")
    parser.add_argument("--exercise", action="append", default=None,
                        help="record only this exercise's runs (repeat for several; default: all)")
    args = parser.parse_args(argv)
    course = load_course()
    for exercise in course.exercises:
        try:
            reference_for(course, exercise.id, course.seed)
        except StaleRecording as error:
            print(f"warning: {error}", flush=True)
    entries = wanted_entries(course)
    wanted: dict[Path, set[tuple[str, int]]] = defaultdict(set)
    for entry in entries:
        wanted[recording_path(entry.case)].add((entry.exercise, entry.seed))
    stores = _prune(wanted)
    chosen = [e for e in entries if not args.exercise or e.exercise in args.exercise]
    stale = [e for e in chosen if (stored := stores[recording_path(e.case)].get((e.exercise, e.seed))) is None
             or stored["fingerprint"] != entry_fingerprint(course, e)]
    print(f"{len(entries)} runs in the corpus; {len(stale)} missing or stale, recording them {args.jobs} at a time",
          flush=True)
    start, failures = time.monotonic(), 0
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {pool.submit(record, course, entry): entry for entry in stale}
        for done, future in enumerate(as_completed(futures), 1):
            entry = futures[future]
            try:
                run = future.result()
            except Exception as error:  # noqa: BLE001 - report it, record the rest
                failures += 1
                print(f"[{done}/{len(stale)}] {entry.name}: FAILED: {error}", flush=True)
                continue
            _save(recording_path(entry.case), (entry.exercise, entry.seed), run)
            print(f"[{done}/{len(stale)}] {entry.name} ({time.monotonic() - start:.0f} s)", flush=True)
    print(f"done in {time.monotonic() - start:.0f} s" + (f"; {failures} failed" if failures else ""), flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
