"""The expected side of every check: the reference's observations, live or recorded.

Live, the probes run on solutions/ in their own worker. Recorded, they are read
from the course's autograder/recordings/<exercise>.json, written by `python -m autograder
snapshot` for the course seed. A recording is used only while its fingerprint
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
from pathlib import Path

from .atomic import write_json_atomically
from .errors import GraderError
from .observations import ExerciseRun
from .runner import ProbeRequest, run_probes

__all__ = ["fingerprint", "public_probe_source", "solution_digest", "recorded_reference", "reference_run",
           "record_reference", "probe_sources"]

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
    return [path.read_text(encoding="utf-8") for path in [request.probe_file, *imported_siblings(request.probe_file)]]


def imported_siblings(module: Path) -> list[Path]:
    """The modules beside `module` that it imports relatively, and those they import, sorted by name."""
    found: set[Path] = set()
    waiting = [module]
    while waiting:
        for name in _relative_imports(waiting.pop()):
            path = module.parent / f"{name}.py"
            if path.is_file() and path != module and path not in found:
                found.add(path)
                waiting.append(path)
    return sorted(found)


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


def snapshot_path(exercise: str, snapshot_dir: Path) -> Path:
    return snapshot_dir / f"{exercise}.json"


def recorded_reference(request: ProbeRequest, snapshot_dir: Path) -> ExerciseRun | None:
    """The recorded observations for `request`, if a recording with its fingerprint exists."""
    path = snapshot_path(request.exercise, snapshot_dir)
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


def reference_run(request: ProbeRequest, recordings_dir: Path, cache_dir: Path | None = None) -> ExerciseRun:
    """Recorded observations when they match, else a live run of the solutions.

    With `cache_dir`, a live run is recorded there too (under its seed), so that
    grading many submissions at another seed runs the reference once.
    """
    recorded = recorded_reference(request, recordings_dir)
    if recorded is None and cache_dir is not None:
        recorded = recorded_reference(request, cache_dir / f"seed-{request.seed}")
    if recorded is not None:
        return recorded
    if not request.module_path.is_file():  # the student release: recordings only, for the course seed
        return ExerciseRun(request.exercise, str(request.module_path), import_error={
            "type": "MissingReference",
            "message": f"this copy of the grader has no reference data for seed {request.seed}; "
                       "grade without --seed (the course seed)"})
    if cache_dir is None:
        return run_probes(request)
    try:
        record_reference(request, cache_dir / f"seed-{request.seed}")
    except GraderError:
        return run_probes(request)  # a failing reference is reported by the checks, not cached
    return recorded_reference(request, cache_dir / f"seed-{request.seed}") or run_probes(request)


def record_reference(request: ProbeRequest, snapshot_dir: Path) -> Path:
    """Run the solutions live and record what they show; refuses to record a failing reference."""
    run = run_probes(request)
    failed = [name for name, outcome in run.outcomes.items() if not outcome.ok]
    if run.import_error is not None or failed:
        raise GraderError(f"the reference {request.exercise} failed ({run.import_error or failed}): "
                           "not recording it")
    path = snapshot_path(request.exercise, snapshot_dir)
    digest = solution_digest(request)
    write_json_atomically({"fingerprint": fingerprint(request, digest), "solution_sha256": digest,
                           "seed": request.seed, "run": run.to_json()}, path)
    return path
