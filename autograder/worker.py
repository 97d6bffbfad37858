"""The only place student code runs: a fresh interpreter that runs one exercise's probes.

Started by autograder.runner as `python -I worker.py REQUEST_JSON OUT_FD`. It loads
the probe module and the submitted module by path (never through sys.path), runs
the requested probes one at a time and writes one JSON line per event to OUT_FD:
  {"event": "imported"}                          the submitted module loaded
  {"event": "import_failed", "error": {...}}     it did not; nothing else follows
  {"event": "start", "probe": NAME}              a probe begins (the runner times it)
  {"event": "done", "probe": NAME, "value": ...} its plain-data observations
  {"event": "failed", "probe": NAME, "error": {...}}
No expected value ever enters this process: the request holds only seeds,
parameters and paths. This file uses the standard library only, so that it can
run before anything else is imported.
"""
from __future__ import annotations

import importlib.util
import io
import json
import math
import os
import random
import sys
import traceback
import types
import zlib

_MESSAGE_LIMIT = 600


def _load_by_path(name: str, path: str):
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _todo_text(path: str, line_number: int) -> str | None:
    """The `# TODO:` comment closest above a line of the submitted file, if any."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    for index in range(min(line_number, len(lines)) - 1, max(line_number - 12, 0) - 1, -1):
        text = lines[index].strip()
        if text.startswith("# TODO"):
            return text.lstrip("# ").strip()
        if text.startswith(("def ", "class ")):
            break
    return None


def describe_error(error: BaseException, student_path: str) -> dict:
    """Turn an exception into plain data: its type, message and where in the student's file."""
    where = None
    for frame, line in traceback.walk_tb(error.__traceback__):
        if os.path.abspath(frame.f_code.co_filename) == student_path:
            summary = traceback.FrameSummary(frame.f_code.co_filename, line, frame.f_code.co_name)
            where = {"line": line, "code": (summary.line or "")[:200], "function": frame.f_code.co_qualname}
    if isinstance(error, SyntaxError) and error.filename and os.path.abspath(error.filename) == student_path:
        where = {"line": error.lineno or 0, "code": (error.text or "").strip()[:200], "function": "<module>"}
    message = str(error) if not isinstance(error, SyntaxError) else (error.msg or "invalid syntax")
    described = {
        "type": type(error).__name__,
        "message": message[:_MESSAGE_LIMIT],
        "where": where,
        "todo": isinstance(error, NotImplementedError),
    }
    if described["todo"] and where:
        described["todo_text"] = _todo_text(student_path, where["line"])
    return described


def _plain(value):
    """Check that probe output is plain JSON data; anything else is a probe bug."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    raise TypeError(f"probe returned non-plain data of type {type(value).__name__}")


def seed_everything(seed: int, probe_name: str, frameworks) -> int:
    """Seed random, numpy and the frameworks from the run seed and the probe name."""
    probe_seed = (seed * 1_000_003 + zlib.crc32(probe_name.encode())) % (2**31 - 1)
    random.seed(probe_seed)
    for reseed in frameworks:
        reseed(probe_seed)
    return probe_seed


def main(argv: list[str]) -> int:
    with open(argv[1], encoding="utf-8") as handle:
        request = json.load(handle)
    out = os.fdopen(int(argv[2]), "w", buffering=1, encoding="utf-8")
    os.set_inheritable(out.fileno(), False)

    def emit(**event) -> None:
        out.write(json.dumps(event) + "\n")
        out.flush()

    student_path = os.path.abspath(request["module_path"])
    probes = _load_by_path(f"autograder_probes_{request['exercise']}", request["probe_path"])
    probes.setup()
    try:
        student = _load_by_path(request["exercise"], student_path)
    except BaseException as error:  # SystemExit and KeyboardInterrupt included: report, don't die
        emit(event="import_failed", error=describe_error(error, student_path))
        return 0
    emit(event="imported")
    context = types.SimpleNamespace(seed=request["seed"], params=request["params"],
                                    reference=request["reference"], probe_seed=0)
    for name in request["probes"]:
        emit(event="start", probe=name)
        context.probe_seed = seed_everything(request["seed"], name, probes.RESEED)
        captured = io.StringIO()
        real_stdout = sys.stdout
        sys.stdout = captured
        try:
            value = _plain(probes.PROBES[name](student, context))
        except BaseException as error:
            sys.stdout = real_stdout
            emit(event="failed", probe=name, error=describe_error(error, student_path))
            continue
        finally:
            sys.stdout = real_stdout
        if isinstance(value, dict):
            value.setdefault("printed_chars", len(captured.getvalue()))
        emit(event="done", probe=name, value=value)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
