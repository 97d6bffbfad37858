"""The strong isolation layer: what a worker inside bubblewrap can and cannot reach.

The worker runs the tiny course's probes (tests/tiny_course): the sandbox is the engine's, not the course's.
"""
from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import textwrap
import uuid
from pathlib import Path

import pytest

from autograder.course.model import load_course
from autograder.run.runner import probe_request, run_probes
from autograder.run.sandbox import UNPRIVILEGED, isolation_level

REPO = Path(__file__).resolve().parent.parent
TINY = load_course(Path(__file__).resolve().parent / "tiny_course" / "course.toml")
COURSE = load_course()
# The tiny course's exercise answered by module-level names: its WHY carries a result back.
ANSWERS = "words"

# CI installs bubblewrap, so there the strong path must run, never be skipped.
pytestmark = pytest.mark.skipif(isolation_level() != "bwrap" and not os.environ.get("CI"),
                                reason="bubblewrap is not available here")


def _request(folder: Path, exercise: str):
    request = probe_request(TINY, exercise, folder, seed=1)
    assert isolation_level(request.limits.isolation) == "bwrap"
    return dataclasses.replace(request, limits=dataclasses.replace(TINY.limits, import_seconds=20, probe_seconds=5))


def _why(tmp_path: Path, body: str) -> str:
    """Run `body` at import of the answers module; it sets RESULT, which comes back as its WHY."""
    module = tmp_path / "submission" / TINY.exercise(ANSWERS).file
    module.parent.mkdir()
    module.write_text("RESULT = ''\n" + textwrap.dedent(body) + "\nANSWER = 'a'\nWHY = str(RESULT)\n")
    run = run_probes(_request(module.parent, ANSWERS))
    assert run.import_error is None, run.import_error
    return next(iter(run.outcomes.values())).value["why"]


def _secrets() -> list[Path]:
    """What a worker must never read, of both courses: solutions, recordings, check modules (they sit beside
    the probe module it may read, in the exercise's grading/ home) and the course file."""
    found = []
    for course in (TINY, COURSE):
        exercise = course.exercises[0]
        found += [course.solutions_dir / exercise.file, course.layout.recording(exercise.id),
                  course.layout.check(exercise.id), course.path]
    return found


@pytest.mark.parametrize("secret", _secrets(), ids=lambda path: str(path.relative_to(REPO)))
def test_worker_cannot_read_solutions_recordings_checks_or_course(tmp_path, secret):
    assert secret.is_file(), f"{secret} should exist for this test to mean anything"
    result = _why(tmp_path, f"""
        try:
            RESULT = open({str(secret)!r}).read()[:20]
        except OSError as error:
            RESULT = 'refused ' + type(error).__name__
    """)
    assert result.startswith("refused")


def test_the_probe_file_is_readable_so_refusals_above_mean_something(tmp_path):
    probe_file = TINY.layout.probe(TINY.exercises[0].id)
    result = _why(tmp_path, f"RESULT = open({str(probe_file)!r}).read()[:20]")
    assert result == probe_file.read_text()[:20]


def test_probe_helpers_are_importable_inside_the_sandbox(tmp_path):
    """Probe modules import shared helpers (grading/_<name>/probe.py) relatively; the probe files are all that
    is mounted."""
    helpers = [name for name in TINY.layout.probe_files() if name.startswith("_")]
    users = [e for e in TINY.exercises
             if any(f"from .{helper} import" in TINY.layout.probe(e.id).read_text() for helper in helpers)]
    assert users, "the tiny course should have a probe module that imports a shared helper"
    for exercise in users:
        run = run_probes(_request(TINY.solutions_dir, exercise.id))
        assert run.import_error is None and run.outcomes, run.import_error
        assert all(outcome.ok for outcome in run.outcomes.values()), run.outcomes


def test_worker_has_no_network(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    try:
        result = _why(tmp_path, f"""
            import socket
            try:
                socket.create_connection(("127.0.0.1", {server.getsockname()[1]}), timeout=2)
                RESULT = 'connected'
            except OSError as error:
                RESULT = 'refused ' + type(error).__name__
        """)
    finally:
        server.close()
    assert result.startswith("refused")


@pytest.mark.parametrize("where", ["tmp", "repository"])
def test_worker_cannot_write_outside_its_scratch_folder(tmp_path, where):
    """A write lands in the sandbox's private /tmp at most, never on the grader's disk."""
    target = (tmp_path if where == "tmp" else REPO) / f"escaped-{uuid.uuid4().hex}.txt"
    _why(tmp_path, f"""
        try:
            open({str(target)!r}, 'w').write('x')
        except OSError:
            pass
    """)
    assert not target.exists()


def test_background_processes_do_not_outlive_the_worker(tmp_path):
    marker = f"autograder-daemon-{uuid.uuid4().hex}"
    _why(tmp_path, f"""
        import subprocess, sys
        subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)', {marker!r}],
                         start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        RESULT = 'started'
    """)
    survivors = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout.split()
    assert survivors == []


def test_worker_runs_as_an_unprivileged_user(tmp_path):
    """Started by root, the worker becomes nobody; started by a user, it stays that user."""
    uid = int(_why(tmp_path, "import os\nRESULT = os.getuid()"))
    assert uid == (UNPRIVILEGED if os.geteuid() == 0 else os.geteuid()) and uid != 0


def test_filling_the_disk_stops_at_the_scratch_size(tmp_path):
    result = _why(tmp_path, """
        import os
        written = 0
        try:
            for index in range(400):
                with open(f"filler-{index}", "wb") as handle:
                    handle.write(b"0" * (1 << 20))
                written += 1
        except OSError as error:
            RESULT = f"stopped after {written} MiB: {type(error).__name__}"
    """)
    assert result.startswith("stopped after") and int(result.split()[2]) <= TINY.limits.scratch_mib
