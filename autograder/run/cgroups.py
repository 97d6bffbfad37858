"""A control group per worker, where the machine lets us make one (root, cgroup v1 or v2).

It caps the worker's processes and memory as a whole (rlimits are per process,
and root's process count is not capped by them) and lets teardown kill every
process the worker started, wherever it moved itself. Without permission, it
does nothing and the rlimits stay the only caps.

The group is made inside the grader's own group, never at a hierarchy's root:
a limit the grader runs under (a Gradescope container's, a batch's) then holds
for its workers too.
"""
from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

__all__ = ["WorkerCgroup", "own_group"]

_ROOT = Path("/sys/fs/cgroup")


def _writable(path: Path) -> bool:
    return path.is_dir() and os.access(path, os.W_OK)


def own_group(controller: str | None, proc_cgroup: str | None = None, root: Path = _ROOT) -> Path:
    """The folder of the grader's own group: in `controller`'s hierarchy (v1), or in the one tree (v2, None).

    /proc/self/cgroup says where we are, relative to the hierarchy's root. Where that folder is not
    there (a container that mounts its own group as the root), the mount itself is our group."""
    if proc_cgroup is None:
        try:
            proc_cgroup = Path("/proc/self/cgroup").read_text()
        except OSError:  # not Linux
            proc_cgroup = ""
    mount = root if controller is None else root / controller
    for line in proc_cgroup.splitlines():
        _, controllers, path = (line.split(":", 2) + ["", ""])[:3]
        if (controller is None and controllers == "") or controller in controllers.split(","):
            inside = mount / path.lstrip("/")
            return inside if inside.is_dir() else mount
    return mount


class WorkerCgroup:
    """Create with limits, call `join` in the child before exec, and `close` after the worker ends."""

    def __init__(self, processes: int, memory_bytes: int) -> None:
        self.paths: list[Path] = []
        name = f"autograder-{uuid.uuid4().hex[:12]}"
        try:
            if (_ROOT / "cgroup.controllers").is_file():  # v2: one tree, limits in our own subtree
                group = own_group(None) / name
                group.mkdir()
                self.paths.append(group)
                self._set(group / "pids.max", processes)
                self._set(group / "memory.max", memory_bytes)
            else:  # v1: one tree per controller
                for controller, limit_file, value in (("pids", "pids.max", processes),
                                                      ("memory", "memory.limit_in_bytes", memory_bytes)):
                    own = own_group(controller)
                    if _writable(own):
                        group = own / name
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

    def processes(self) -> list[int]:
        """Every process in the group now, wherever in the worker's tree it started."""
        try:
            return [int(pid) for pid in (self.paths[0] / "cgroup.procs").read_text().split()]
        except (IndexError, OSError, ValueError):
            return []

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
