"""The only place student code runs: a fresh interpreter that runs one exercise's probes.

Started by autograder.run.runner as `python -I worker.py REQUEST_JSON OUT_FD`. It makes
the course's probe files (`grading/<name>/probe.py`) the modules of the package
`course_probes` (so probe modules share helpers with relative imports), loads the
exercise's probe module, then the
submitted module by path (never through sys.path). A probe is every function named
`probe_<name>` defined in the probe module, in the order it is defined. The worker
runs the requested probes one at a time and writes one JSON line per event to OUT_FD:
  {"event": "probes", "names": [...]}            the probes the module defines (before student code)
  {"event": "imported"}                          the submitted module loaded
  {"event": "import_failed", "error": {...}}     it did not (or it defines nothing); nothing else follows
  {"event": "start", "probe": NAME}              a probe begins (the runner times it)
  {"event": "done", "probe": NAME, "value": ..., "printed": TEXT}   its plain-data observations
  {"event": "failed", "probe": NAME, "error": {...}, "printed": TEXT}
No expected value ever enters this process: the request holds only seeds,
parameters and paths. This file uses the standard library only, so that it can
run before anything else is imported.
"""
from __future__ import annotations

import ast
import importlib
import importlib.machinery
import importlib.util
import inspect
import io
import json
import os
import random
import sys
import traceback
import types
import zlib

_MESSAGE_LIMIT = 600
_PRINTED_LIMIT = 2000
PROBE_PACKAGE = "course_probes"
PROBE_PREFIX = "probe_"


def _load_by_path(name: str, path: str):
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def defines_nothing(path: str) -> bool:
    """True for a file of only blank lines, comments and a docstring: there is nothing in it to call,
    and saying so once beats every probe reporting its own missing name."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            body = ast.parse(handle.read()).body
    except (OSError, SyntaxError, ValueError):
        return False  # loading the file reports it, with its line
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return not body


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
    if value is None or isinstance(value, (bool, int, str, float)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    raise TypeError(f"probe returned non-plain data of type {type(value).__name__}")


def probe_seed(seed: int, probe_name: str) -> int:
    """Each probe's own seed, from the run seed and the probe's name: adding a probe changes no other."""
    return (seed * 1_000_003 + zlib.crc32(probe_name.encode())) % (2**31 - 1)


def seed_everything(seed: int, probes) -> None:
    """One scheme for every probe: `random`, numpy when anything loaded it, then the probe
    module's own `reseed(seed)` for the frameworks it uses."""
    random.seed(seed)
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed(seed)
    reseed = getattr(probes, "reseed", None)
    if callable(reseed):
        reseed(seed)


class FileModules:
    """A package whose modules are named files (`_xor` -> grading/_xor/probe.py), found by this finder:
    a course keeps each module in its exercise's own folder, not in one folder of modules."""

    def __init__(self, package: str, files: dict[str, str]) -> None:
        self.package, self.files = package, dict(files)

    def find_spec(self, fullname: str, path=None, target=None):
        package, _, name = fullname.rpartition(".")
        if package != self.package or name not in self.files:
            return None
        return importlib.util.spec_from_file_location(fullname, self.files[name])

    def install(self) -> None:
        """Create the package with this finder first; other files than the installed ones replace them and
        their modules (a fork server's worker keeps the modules its server loaded: they are the same files)."""
        installed = [f for f in sys.meta_path if getattr(f, "package", None) == self.package]
        if installed and installed[0].files == self.files and self.package in sys.modules:
            return
        sys.meta_path[:] = [f for f in sys.meta_path if getattr(f, "package", None) != self.package]
        sys.meta_path.insert(0, self)
        for name in [n for n in sys.modules if n == self.package or n.startswith(self.package + ".")]:
            del sys.modules[name]
        spec = importlib.machinery.ModuleSpec(self.package, None, is_package=True)
        spec.submodule_search_locations = []
        sys.modules[self.package] = importlib.util.module_from_spec(spec)


def load_probe_module(probe_files: dict[str, str], exercise: str):
    """The exercise's probe file as a module of the package `course_probes`, whose other modules it may import."""
    FileModules(PROBE_PACKAGE, probe_files).install()
    return importlib.import_module(f"{PROBE_PACKAGE}.{exercise}")


def probes_of(module) -> dict:
    """name -> function for every `probe_<name>` function defined in `module`, in definition order."""
    return {name[len(PROBE_PREFIX):]: value for name, value in vars(module).items()
            if name.startswith(PROBE_PREFIX) and inspect.isfunction(value) and value.__module__ == module.__name__}


def main(argv: list[str]) -> int:
    with open(argv[1], encoding="utf-8") as handle:
        request = json.load(handle)
    out = os.fdopen(int(argv[2]), "w", buffering=1, encoding="utf-8")
    os.set_inheritable(out.fileno(), False)

    def emit(**event) -> None:
        out.write(json.dumps(event) + "\n")
        out.flush()

    student_path = os.path.abspath(request["module_path"])
    probe_module = load_probe_module(request["probe_files"], request["exercise"])
    probes = probes_of(probe_module)
    emit(event="probes", names=list(probes))
    setup = getattr(probe_module, "setup", None)
    if callable(setup):
        setup()
    if defines_nothing(student_path):
        emit(event="import_failed", error={"type": "EmptyFile", "message": "it defines nothing", "where": None,
                                           "todo": False})
        return 0
    try:
        student = _load_by_path(request["exercise"], student_path)
    except BaseException as error:  # SystemExit and KeyboardInterrupt included: report, don't die
        emit(event="import_failed", error=describe_error(error, student_path))
        return 0
    emit(event="imported")
    context = types.SimpleNamespace(seed=request["seed"], params=request["params"],
                                    reference=request["reference"], probe_seed=0)
    for name in request["probes"] or list(probes):
        emit(event="start", probe=name)
        context.probe_seed = probe_seed(request["seed"], name)
        seed_everything(context.probe_seed, probe_module)
        captured = io.StringIO()
        real_stdout = sys.stdout
        sys.stdout = captured
        try:
            value = _plain(probes[name](student, context))
        except BaseException as error:
            sys.stdout = real_stdout
            emit(event="failed", probe=name, error=describe_error(error, student_path),
                 printed=captured.getvalue()[-_PRINTED_LIMIT:])
            continue
        finally:
            sys.stdout = real_stdout
        if isinstance(value, dict):
            value.setdefault("printed_chars", len(captured.getvalue()))
        emit(event="done", probe=name, value=value, printed=captured.getvalue()[-_PRINTED_LIMIT:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
