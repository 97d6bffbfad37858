"""The expected side of every check: the reference's observations, live or recorded.

Live, the probes run on solutions/ in their own worker. Recorded, they are read
from the course's grading/<exercise>/recording.json, written by `python -m autograder
recordings` for the course seed. A recording is used only while its fingerprint
(the exercise's probe code and the probe helpers it can import, its solution, the
seed and the exercise's own params) still matches, so it can never silently go stale; tests/ also re-runs the solutions and compares. The
student release has recordings but neither the solutions nor the probes'
reference-only sections: there the recorded digest of that code stands in for it.
"""
from __future__ import annotations

import ast
import hashlib
import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Mapping

from autograder.atomic import write_json_atomically
from autograder.errors import GraderError
from autograder.run.observations import ExerciseRun
from autograder.run.protocol import GraderStop, grader_error
from autograder.course.model import Course
from autograder.run.runner import ProbeRequest, probe_request, run_probes

__all__ = ["fingerprint", "public_probe_source", "solution_digest", "recorded_reference", "reference_run",
           "cached_recording", "imported_siblings", "recorded_curve_references", "REFERENCE_CACHE",
           "settle_references",
           "record_reference", "probe_sources"]

# A batch's cache of live reference runs at other seeds than the course's, inside its OUT folder.
REFERENCE_CACHE = ".reference-cache"
REFERENCE_ONLY = re.compile(r"^### BEGIN REFERENCE ONLY$.*?^### END REFERENCE ONLY$\n?", re.M | re.S)
# CPython 3.11's ast.parse is not thread-safe (gh-106905: "AST constructor recursion depth mismatch"),
# and batch grading exports submissions from a thread pool: one parse at a time.
_PARSING = threading.Lock()


def public_probe_source(source: str) -> str:
    """A probe module without its reference-only sections: what the student release ships."""
    return REFERENCE_ONLY.sub("", source)


def probe_sources(request: ProbeRequest) -> list[str]:
    """The code an exercise's probes run: its probe module, then the sibling modules it imports
    (`from ._helper import ...`), transitively, by name. Only those: a helper another exercise adds
    or edits leaves this exercise's recording valid."""
    return [path.read_text(encoding="utf-8")
            for path in [request.probe_file, *imported_siblings(request.probe_file, request.probe_files)]]


def imported_siblings(module: Path, package: Mapping[str, Path]) -> list[Path]:
    """The modules of `package` (name -> file) that `module` imports relatively, and those they import,
    sorted by name."""
    found: set[Path] = set()
    waiting = [module]
    while waiting:
        for name in _relative_imports(waiting.pop()):
            path = package.get(name)
            if path is not None and path.is_file() and path != module and path not in found:
                found.add(path)
                waiting.append(path)
    return sorted(found, key=lambda path: path.parent.name)


def _relative_imports(path: Path) -> set[str]:
    """Top-level names of `from .name import ...` and `from . import name` in a file (unreadable: none)."""
    try:
        source = path.read_text(encoding="utf-8")
        with _PARSING:
            tree = ast.parse(source)
    except (OSError, SyntaxError, ValueError):
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                names.add(node.module.split(".")[0])
            else:
                names.update(alias.name for alias in node.names)
    return names


def solution_digest(request: ProbeRequest) -> str | None:
    """The sha256 of the reference side's own code: the solution file and the probes'
    reference-only sections. None where there is no solution file (the student release)."""
    path = request.module_path
    if not path.is_file():
        return None
    digest = hashlib.sha256(path.read_bytes())
    for source in probe_sources(request):
        digest.update("".join(m.group(0) for m in REFERENCE_ONLY.finditer(source)).encode())
    return digest.hexdigest()


def fingerprint(request: ProbeRequest, solution_sha256: str | None) -> str:
    digest = hashlib.sha256()
    for source in probe_sources(request):
        digest.update(hashlib.sha256(public_probe_source(source).encode()).digest())
    digest.update((solution_sha256 or "<no solution>").encode())
    digest.update(json.dumps({"seed": request.seed, "params": request.params,
                              "probes": list(request.probes)}, sort_keys=True).encode())
    return digest.hexdigest()


def cached_recording(request: ProbeRequest, cache_dir: Path) -> Path:
    """Where a reference cache keeps the live run of `request`'s exercise at its seed."""
    return cache_dir / f"seed-{request.seed}" / f"{request.exercise}.json"


def recorded_reference(request: ProbeRequest, path: Path) -> ExerciseRun | None:
    """The observations recorded in `path` for `request`, if they carry its fingerprint."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    # Without a solution file (the student release) the recorded digest stands in for it;
    # the probe code, seed and parameters must still match.
    digest = solution_digest(request) or data.get("solution_sha256")
    if data.get("fingerprint") != fingerprint(request, digest):
        return None
    return ExerciseRun.from_json(data["run"], module_path=str(request.module_path))


def reference_run(request: ProbeRequest, recording: Path, cache_dir: Path | None = None) -> ExerciseRun:
    """The observations recorded in the course's `recording` when they match, else a live run of the solutions.

    With `cache_dir`, a live run is recorded there too (under its seed), so that
    grading many submissions at another seed runs the reference once.
    """
    recorded = recorded_reference(request, recording)
    if recorded is None and cache_dir is not None:
        recorded = recorded_reference(request, cached_recording(request, cache_dir))
    if recorded is not None:
        return recorded
    if not request.module_path.is_file():  # the student release: recordings only, for the course seed
        return ExerciseRun(request.exercise, str(request.module_path), import_error=grader_error(
            GraderStop.MISSING_REFERENCE, f"this copy of the grader has no reference data for seed {request.seed}; "
                                          "grade without --seed (the course seed)"))
    if cache_dir is None:
        return run_probes(request)
    try:
        record_reference(request, cached_recording(request, cache_dir))
    except GraderError:
        return run_probes(request)  # a failing reference is reported by the checks, not cached
    return recorded_reference(request, cached_recording(request, cache_dir)) or run_probes(request)


def recorded_curve_references(course: Course, seed: int, cache_dir: Path) -> dict[str, dict]:
    """The reference's observations of each exercise that draws curves, for drawing them: the course's
    recording, or the live run a reference cache holds for another seed; never a new run."""
    observed = {}
    for exercise in (e for e in course.exercises if e.curves):
        request = probe_request(course, exercise.id, course.solutions_dir, seed, reference=True)
        run = (recorded_reference(request, course.layout.recording(exercise.id))
               or recorded_reference(request, cached_recording(request, cache_dir)))
        if run is not None:
            observed[exercise.id] = run.to_json()
    return observed


def settle_references(course: Course, seed: int, cache_dir: Path, jobs: int) -> None:
    """Make the reference's run of every exercise at `seed` recorded before a batch grades anyone.

    Otherwise the first submissions graded at once each run it live, and whether a
    feedback page draws the reference's curve would depend on which thread finished
    first: the same class would get other pages on another run.
    """
    requests = [probe_request(course, exercise.id, course.solutions_dir, seed, reference=True)
                for exercise in course.exercises]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(lambda request: reference_run(request, course.layout.recording(request.exercise), cache_dir),
                      requests))


def record_reference(request: ProbeRequest, path: Path) -> Path:
    """Run the solutions live and record in `path` what they show; refuses to record a failing reference."""
    run = run_probes(request)
    failed = [name for name, outcome in run.outcomes.items() if not outcome.ok]
    if run.import_error is not None or failed:
        raise GraderError(f"the reference {request.exercise} failed ({run.import_error or failed}): "
                           "not recording it")
    digest = solution_digest(request)
    write_json_atomically({"fingerprint": fingerprint(request, digest), "solution_sha256": digest,
                           "seed": request.seed, "run": run.to_json()}, path)
    return path
