"""Was a worker that ran out of wall-clock time working, waiting, or starved by a busy machine?

A wall-clock limit alone cannot tell a student's endless loop from a grader that
never got the processor (a loaded laptop, a container allowed half a CPU, a CPU
quota). Linux keeps, for every thread, how long it ran and how long it sat ready
to run while others had the processor, a CPU quota's throttling included
(/proc/<pid>/task/<tid>/schedstat). A worker's threads are those of its control
group where it has one, else of its process tree.

Where the machine keeps no such figures (macOS, a kernel built without them),
the wall clock alone judges, as it always did.
"""
from __future__ import annotations

import dataclasses

import functools
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

__all__ = ["STARVED_FRACTION", "NOTICE_FRACTION", "Use", "WorkerClock", "process_tree"]

STARVED_FRACTION = 0.25
"""Who is to blame for a call stopped at its wall-clock limit. A worker that ran for less than this share
of the window, and sat ready to run but waiting for the processor for at least this share, was starved:
the machine's fault, so the call is run again. One that ran for more was working (an endless loop, or far
too much work); one that did neither was waiting on itself (a sleep, a lock): both are the code's."""

NOTICE_FRACTION = 0.5
"""A call still running after this share of its limit is announced to the student. The limits are set
for a slow machine, so a correct call ends long before: a correct submission on a slow laptop never sees it."""

PROC = Path("/proc")

# thread id -> (nanoseconds it ran, nanoseconds it waited for the processor)
Sample = dict[int, tuple[int, int]]


@dataclass(frozen=True)
class Use:
    """How a worker spent a window of wall-clock seconds. `throttled`: the time a CPU quota held the
    control groups the worker runs in (some kernels do not count it as waiting for the processor)."""
    seconds: float
    ran: float
    waited: float
    throttled: float = 0.0

    @property
    def verdict(self) -> str:
        """"working", "starved" or "waiting" (see STARVED_FRACTION)."""
        share = STARVED_FRACTION * self.seconds
        if self.ran >= share:
            return "working"
        return "starved" if max(self.waited, self.throttled) >= share else "waiting"


@functools.cache
def _kept_here(proc: Path = PROC) -> bool:
    return (proc / "self" / "schedstat").is_file()


def process_tree(root: int, proc: Path = PROC) -> list[int]:
    """`root` and every process descended from it, from /proc (empty where there is no /proc)."""
    children: dict[int, list[int]] = {}
    try:
        entries = [entry for entry in proc.iterdir() if entry.name.isdigit()]
    except OSError:
        return []
    for entry in entries:
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # the process ended while we looked
        children.setdefault(parent, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo += children.get(pid, [])
    return tree


def sample(pids: Iterable[int], proc: Path = PROC) -> Sample:
    """What every thread of `pids` has run and waited so far."""
    taken: Sample = {}
    for pid in pids:
        try:
            tasks = list((proc / str(pid) / "task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                ran, waited = (task / "schedstat").read_text().split()[:2]
                taken[int(task.name)] = (int(ran), int(waited))
            except (OSError, ValueError):
                continue
    return taken


CGROUP_ROOT = Path("/sys/fs/cgroup")


def _cpu_stat_file(line: str, root: Path) -> Path | None:
    """The cpu.stat of one /proc/PID/cgroup line's group, if it is a CPU controller's (v1) or the unified one (v2)."""
    number, controllers, path = (line.split(":", 2) + ["", ""])[:3]
    if number == "0" and controllers == "":
        return root / path.lstrip("/") / "cpu.stat"
    if "cpu" in controllers.split(","):
        return root / controllers / path.lstrip("/") / "cpu.stat"
    return None


def throttled(pids: Iterable[int], proc: Path = PROC, root: Path = CGROUP_ROOT) -> dict[Path, int]:
    """cpu.stat file -> nanoseconds its group has been throttled by a CPU quota, for the groups of `pids`."""
    found: dict[Path, int] = {}
    for pid in pids:
        try:
            lines = (proc / str(pid) / "cgroup").read_text().splitlines()
        except OSError:
            continue
        for line in lines:
            stat = _cpu_stat_file(line, root)
            if stat is None or stat in found:
                continue
            try:
                fields = dict(entry.split() for entry in stat.read_text().splitlines() if len(entry.split()) == 2)
            except (OSError, ValueError):
                continue
            if "throttled_time" in fields:  # v1, nanoseconds
                found[stat] = int(fields["throttled_time"])
            elif "throttled_usec" in fields:  # v2, microseconds
                found[stat] = int(fields["throttled_usec"]) * 1000
    return found


def _between(before: Sample, after: Sample, seconds: float) -> Use:
    """What the threads alive at the end ran and waited since `before` (a thread born since counts from 0)."""
    ran = sum(r - before.get(tid, (0, 0))[0] for tid, (r, _) in after.items())
    waited = sum(w - before.get(tid, (0, 0))[1] for tid, (_, w) in after.items())
    return Use(seconds=seconds, ran=max(ran, 0) / 1e9, waited=max(waited, 0) / 1e9)


class WorkerClock:
    """Times one window of a worker (its import, or one probe): `start` it, then ask how it went."""

    def __init__(self, processes: Callable[[], Iterable[int]], proc: Path = PROC) -> None:
        self._processes = processes
        self._proc = proc
        self.started = time.monotonic()
        self._before: Sample = {}
        self._throttled_before: dict[Path, int] = {}

    def start(self) -> None:
        self.started = time.monotonic()
        self._before = sample(self._processes(), self._proc) if _kept_here(self._proc) else {}
        self._throttled_before = throttled(self._processes(), self._proc)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def use(self) -> Use | None:
        """How the window went so far, or None where the machine keeps no figures."""
        if not _kept_here(self._proc):
            return None
        pids = list(self._processes())
        use = _between(self._before, sample(pids, self._proc), self.elapsed())
        now = throttled(pids, self._proc)
        held = sum(max(ns - self._throttled_before.get(stat, ns), 0) for stat, ns in now.items())
        return dataclasses.replace(use, throttled=held / 1e9)

    def verdict(self) -> str:
        """"working", "starved" or "waiting"; "working" where the machine cannot tell (the wall clock judges)."""
        use = self.use()
        return "working" if use is None else use.verdict
