"""Fork servers for batch grading: each exercise's frameworks imported once per batch, not once per worker.

A batch starts one zygote (zygote.py) per exercise, each holding what that exercise's probe module
imports. Every `pytest autograder` run of the batch is given the folder of their sockets
(`--fork-server DIR`), and its runner asks the exercise's zygote for a worker instead of starting
a fresh interpreter. The worker it forks is sealed off as a bubblewrap worker is (its own pid,
mount and network namespaces, its own root holding only the interpreter, the probe code and its
own file, uid 65534, not dumpable, the same rlimits, control groups and wall-clock kill), and the
submitted source reaches it over the socket, so no other submission is ever in its reach.

Forking is never a condition of a grade: where a zygote is missing, dead or refuses, that worker
starts fresh, as `pytest autograder` does on a student's laptop, and the run's isolation says which
path graded each exercise. Fork servers need Linux and root (the grader makes namespaces and
mounts for each worker); elsewhere `grade` uses fresh workers.
"""
from __future__ import annotations

import base64
import dataclasses
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder.course.model import Course
from autograder.run.sandbox import (SEALED, UNPRIVILEGED, WORKER_FILE, clean_environment, scratch_mount, worker_mounts,
                      worker_rlimits)

__all__ = ["ForkServers", "ForkedWorker", "start_forked", "stop_group", "unavailable", "FORK_ISOLATION", "SCRATCH"]

ZYGOTE_FILE = Path(__file__).resolve().parent / "zygote.py"
FORK_ISOLATION = "fork-server"
# Every forked worker's home and working folder, a tmpfs of its own at the same path in each worker's
# root: the zygote imported the frameworks with this HOME, so a worker's environment is the zygote's.
SCRATCH = "/autograder-scratch"
READY_SECONDS = 180.0


def unavailable(course: Course) -> str | None:
    """Why this machine cannot run fork servers for `course`, or None."""
    if course.limits.isolation == "basic":
        return "course.toml asks for basic isolation"
    if sys.platform != "linux":
        return "fork servers need Linux"
    if os.geteuid() != 0:
        return "fork servers need root (each worker gets namespaces and mounts of its own)"
    return None


class ForkServers:
    """The zygotes of one batch, one per exercise of `course`: `with ForkServers(course) as servers:`.

    `servers.folder_in_use` is what lets a grading run use them (grade.grade's fork_server, or
    `pytest autograder --fork-server`; "" if none started); `servers.problems` says why an exercise
    has none. The zygotes die with the thread that enters (the kernel's parent-death signal follows it), and with it their folder goes, even if
    this process is killed with SIGKILL: enter from a thread that outlives the batch."""

    def __init__(self, course: Course) -> None:
        self.course = course
        self.problems: dict[str, str] = {}
        self.folder: Path | None = None
        self._zygotes: dict[str, subprocess.Popen] = {}

    def notes(self) -> list[str]:
        """What the instructor should know: the exercises whose workers start fresh, and why (one line a reason)."""
        by_reason: dict[str, list[str]] = {}
        for exercise, why in self.problems.items():
            by_reason.setdefault(why, []).append(exercise)
        return [f"workers of {', '.join(exercises)} start fresh, with no fork server: {why}"
                for why, exercises in by_reason.items()]

    @property
    def folder_in_use(self) -> str:
        """The folder of the zygotes' sockets that grade.grade's fork_server takes ("" if none started)."""
        return str(self.folder) if self._zygotes else ""

    def __enter__(self) -> "ForkServers":
        why = unavailable(self.course)
        if why is not None:
            self.problems = {e.id: why for e in self.course.exercises}
            return self
        self.folder = Path(tempfile.mkdtemp(prefix="autograder-fork-servers-"))
        starting: dict[str, subprocess.Popen] = {}
        try:
            for exercise in self.course.exercises:
                starting[exercise.id] = self._start(exercise.id)
            deadline = time.monotonic() + READY_SECONDS
            for exercise, process in starting.items():
                problem = _wait_until_ready(process, deadline, self.folder / f"{exercise}.log")
                if problem is None:
                    self._zygotes[exercise] = process
                else:
                    self.problems[exercise] = problem
                    stop_group(process)
        except BaseException:  # Ctrl-C while they start: `with` calls no __exit__ for an __enter__ that raised
            self._zygotes.update(starting)
            self.__exit__()
            raise
        return self

    def _start(self, exercise: str) -> subprocess.Popen:
        folder = self.folder
        root = folder / f"{exercise}.root"
        root.mkdir()
        probe_files = {name: str(path) for name, path in self.course.layout.probe_files().items()}
        config = {"exercise": exercise, "probe_files": probe_files,
                  "preload": list(self.course.exercise(exercise).preload),
                  "worker_file": str(WORKER_FILE), "socket": _socket_name(exercise),
                  "root": str(root), "unprivileged": UNPRIVILEGED, "sealed": list(SEALED),
                  "parent": os.getpid(), "folder": str(folder),  # it dies with this process, and removes folder
                  "mounts": [dataclasses.asdict(mount) for mount in
                             worker_mounts([str(WORKER_FILE), *probe_files.values()])]}
        config_file = folder / f"{exercise}.json"
        config_file.write_text(json.dumps(config), encoding="utf-8")
        with open(folder / f"{exercise}.log", "wb") as log:
            return subprocess.Popen([sys.executable, "-I", str(ZYGOTE_FILE), str(config_file)], cwd=folder,
                                    env=clean_environment(SCRATCH, tuple(self.course.environment.items())),
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log,
                                    start_new_session=True)

    def __exit__(self, *exc_info) -> None:
        for process in self._zygotes.values():
            stop_group(process)
        self._zygotes.clear()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def _socket_name(exercise: str) -> str:
    """The socket's name inside the fork servers' folder. Both sides reach it relative to the folder:
    a Unix socket's path may hold only about 100 bytes, and a temporary folder's may be longer."""
    return f"{exercise}.sock"


def _wait_until_ready(process: subprocess.Popen, deadline: float, log: Path) -> str | None:
    """None once the zygote says "ready"; else why it did not, with the last line it wrote."""
    ready, _, _ = select.select([process.stdout], [], [], max(0.0, deadline - time.monotonic()))
    line = process.stdout.readline() if ready else b""
    if line.strip() == b"ready":
        return None
    said = [text for text in log.read_text(encoding="utf-8", errors="replace").splitlines() if text.strip()]
    return ("its fork server did not start" + (" in time" if process.poll() is None else "")
            + (f": {said[-1].strip()}" if said else ""))


def stop_group(process: subprocess.Popen) -> None:
    """Kill the process and everything it started (its own process group), and reap it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()
    if getattr(process, "stdout", None) is not None:  # a forked worker is no Popen, and has none
        process.stdout.close()


class ForkedWorker:
    """A worker the zygote forked, as the runner sees a Popen: a pid that leads its own process group,
    `wait`, and `returncode` (negative for a signal)."""

    def __init__(self, connection: socket.socket, pid: int, read_end: int, pending: bytes = b"") -> None:
        self._connection = connection
        self._pending = pending  # what the zygote already said after the pid
        self.pid = pid
        self.read_end = read_end
        self.returncode: int | None = None

    def wait(self, timeout: float | None = None) -> int | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            if b"\n" in self._pending:
                line, self._pending = self._pending.split(b"\n", 1)
                message = json.loads(line)
                if "exit" in message:
                    self.returncode = int(message["exit"])
                    break
                continue
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired("forked worker", timeout)
            self._connection.settimeout(left)
            try:
                chunk = self._connection.recv(4096)
            except socket.timeout:
                raise subprocess.TimeoutExpired("forked worker", timeout) from None
            except OSError:
                chunk = b""
            if not chunk:  # the leader was killed before it could say
                self.returncode = -signal.SIGKILL
                break
            self._pending += chunk
        return self.returncode

    def close(self) -> None:
        self._connection.close()


def start_forked(folder: str, request_data: dict, source_path: Path, exercise: str, log, cgroup_paths: list[Path],
                 memory_bytes: int, output_bytes: int, scratch_bytes: int) -> ForkedWorker | None:
    """Ask the exercise's zygote in `folder` for a worker; None when there is none to ask or it refuses."""
    path = Path(folder) / _socket_name(exercise)
    if not path.exists():
        return None
    try:
        source = source_path.read_bytes()
    except OSError:
        return None
    job = {"request": request_data, "source": base64.b64encode(source).decode(),
           "cgroups": [str(group) for group in cgroup_paths],
           "scratch": dataclasses.asdict(scratch_mount(SCRATCH, scratch_bytes)),
           "rlimits": worker_rlimits(memory_bytes, output_bytes)}
    data = json.dumps(job).encode() + b"\n"
    read_end, write_end = os.pipe()
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.settimeout(30)
        folder_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            connection.connect(f"/proc/self/fd/{folder_fd}/{_socket_name(exercise)}")
        finally:
            os.close(folder_fd)
        sent = socket.send_fds(connection, [data], [write_end, log.fileno()])
        connection.sendall(data[sent:])
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = connection.recv(4096)
            if not chunk:
                raise ConnectionError("the zygote closed the connection")
            reply += chunk
        first, _, rest = reply.partition(b"\n")
        pid = json.loads(first).get("pid")
        if not isinstance(pid, int):
            raise ConnectionError(f"the zygote answered {first[:200]!r}")
    except (OSError, ValueError):
        connection.close()
        os.close(read_end)
        return None
    finally:
        os.close(write_end)
    return ForkedWorker(connection, pid, read_end, pending=rest)
