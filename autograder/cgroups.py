"""A control group per worker, where the machine lets us make one (root, cgroup v1 or v2).

It caps the worker's processes and memory as a whole (rlimits are per process,
and root's process count is not capped by them) and lets teardown kill every
process the worker started, wherever it moved itself. Without permission, it
does nothing and the rlimits stay the only caps.
"""
from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

__all__ = ["WorkerCgroup"]

_ROOT = Path("/sys/fs/cgroup")


def _writable(path: Path) -> bool:
    return path.is_dir() and os.access(path, os.W_OK)


class WorkerCgroup:
    """Create with limits, call `join` in the child before exec, and `close` after the worker ends."""

    def __init__(self, processes: int, memory_bytes: int) -> None:
        self.paths: list[Path] = []
        name = f"autograder-{uuid.uuid4().hex[:12]}"
        try:
            if (_ROOT / "cgroup.controllers").is_file():  # v2: one tree, limits in our own subtree
                own = _ROOT / Path("/proc/self/cgroup").read_text().strip().split("::", 1)[-1].lstrip("/")
                group = own / name
                group.mkdir()
                self.paths.append(group)
                self._set(group / "pids.max", processes)
                self._set(group / "memory.max", memory_bytes)
            else:  # v1: one tree per controller
                for controller, limit_file, value in (("pids", "pids.max", processes),
                                                      ("memory", "memory.limit_in_bytes", memory_bytes)):
                    if _writable(_ROOT / controller):
                        group = _ROOT / controller / name
                        group.mkdir()
                        self.paths.append(group)
                        self._set(group / limit_file, value)
        except OSError:
            self.close()
            self.paths = []

    @staticmethod
    def _set(path: Path, value: int) -> None:
        if path.exists():
            path.write_text(str(value))

    @property
    def active(self) -> bool:
        return bool(self.paths)

    def join(self) -> None:
        """Move the calling process into the groups (run in the child, before exec)."""
        for group in self.paths:
            with open(group / "cgroup.procs", "w") as handle:
                handle.write(str(os.getpid()))

    def kill_all(self) -> None:
        for group in self.paths:
            try:
                pids = (group / "cgroup.procs").read_text().split()
            except OSError:
                continue
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, PermissionError, ValueError):
                    pass

    def close(self) -> None:
        """Kill whatever is left and remove the groups."""
        for _ in range(50):
            self.kill_all()
            remaining = []
            for group in self.paths:
                try:
                    group.rmdir()
                except OSError:
                    remaining.append(group)
            self.paths = remaining
            if not remaining:
                return
            time.sleep(0.02)
