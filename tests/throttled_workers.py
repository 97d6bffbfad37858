"""A starved machine, made on purpose: grading workers join a control group with a tiny CPU quota.

Used in-process (`throttle`) or as a pytest plugin of a grading run (`-p throttled_workers`, with
$AUTOGRADER_TEST_THROTTLE naming the group): only the workers are slowed, not the grader around them.
Needs root and a writable cgroup v1 cpu hierarchy.
"""
from __future__ import annotations

import os
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from autograder.run import runner
from autograder.run.cgroups import own_group

ENVIRONMENT = "AUTOGRADER_TEST_THROTTLE"
_REAL = runner._limit_resources


def can_throttle() -> bool:
    folder = own_group("cpu")
    return (os.geteuid() == 0 and not Path("/sys/fs/cgroup/cgroup.controllers").exists()
            and (folder / "cpu.cfs_quota_us").is_file() and os.access(folder, os.W_OK))


@contextmanager
def cpu_quota(share: float):
    """A fresh cpu group under ours, allowed `share` of one processor; removed afterwards."""
    group = own_group("cpu") / f"autograder-test-throttle-{uuid.uuid4().hex[:8]}"
    group.mkdir()
    try:
        (group / "cpu.cfs_period_us").write_text("100000")
        (group / "cpu.cfs_quota_us").write_text(str(max(1000, int(100000 * share))))
        yield group
    finally:
        (group / "cpu.cfs_quota_us").write_text("-1")  # workers still dying may do so at full speed
        for _ in range(200):  # wait until they are gone
            try:
                group.rmdir()
                break
            except OSError:
                time.sleep(0.05)


def throttle(group: Path, workers: int | None = None) -> list[int]:
    """From now on, the first `workers` workers started (all, if None) run in `group`.

    Returns the list that counts the workers started, to read afterwards."""
    started: list[int] = []
    procs = str(group / "cgroup.procs")

    def limit(*args):
        apply = _REAL(*args)
        slowed = workers is None or len(started) < workers
        started.append(1)

        def apply_then_join() -> None:  # in the forked child: builtins only, as runner's own
            apply()
            if slowed:
                with open(procs, "w") as handle:
                    handle.write(str(os.getpid()))
        return apply_then_join

    runner._limit_resources = limit
    return started


def unthrottle() -> None:
    runner._limit_resources = _REAL


if os.environ.get(ENVIRONMENT):  # loaded as a plugin of a grading run
    throttle(Path(os.environ[ENVIRONMENT]))
