"""The strong isolation layer: what a worker inside bubblewrap can and cannot reach."""
from __future__ import annotations

import os
import socket
import subprocess
import textwrap
import uuid
from pathlib import Path

import pytest

from autograder.course import Limits
from autograder.probes import probe_names
from autograder.runner import ProbeRequest, run_probes
from autograder.sandbox import isolation_level

REPO = Path(__file__).resolve().parent.parent

# CI installs bubblewrap, so there the strong path must run, never be skipped.
pytestmark = pytest.mark.skipif(isolation_level() != "bwrap" and not os.environ.get("CI"),
                                reason="bubblewrap is not available here")


def _why(tmp_path: Path, body: str) -> str:
    """Run `body` at import of a concepts module; it sets RESULT, which comes back as Q1_WHY."""
    module = tmp_path / "submission" / "concepts.py"
    module.parent.mkdir()
    module.write_text("RESULT = ''\n" + textwrap.dedent(body) + "\nQ1_ANSWER = {'a'}\nQ1_WHY = str(RESULT)\n")
    run = run_probes(ProbeRequest(exercise="concepts", module_path=module, probes=probe_names("concepts"), seed=1,
                                  limits=Limits(import_seconds=20, probe_seconds=5)))
    assert run.isolation == "bwrap"
    assert run.import_error is None, run.import_error
    return run.outcomes["answers"].value["questions"]["q1"]["why"]


@pytest.mark.parametrize("secret", ["solutions/torch_xor.py", "autograder/reference/torch_xor.json", "course.toml"])
def test_worker_cannot_read_solutions_recordings_or_course(tmp_path, secret):
    result = _why(tmp_path, f"""
        try:
            RESULT = open({str(REPO / secret)!r}).read()[:20]
        except OSError as error:
            RESULT = 'refused ' + type(error).__name__
    """)
    assert result.startswith("refused")


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
    assert _why(tmp_path, "import os\nRESULT = os.getuid()") == "65534"


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
    assert result.startswith("stopped after") and int(result.split()[2]) <= 64
