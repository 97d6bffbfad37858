"""A worker's control groups live inside the grader's own, so a limit the grader runs under holds for them too."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

V1_ROOT = Path("/sys/fs/cgroup")
CONTROLLERS = ("memory", "pids")


def _where_we_are(controller: str) -> Path:
    """This process's own group in `controller`'s v1 hierarchy, read straight from /proc/self/cgroup."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return V1_ROOT / controller / path.lstrip("/")
    return V1_ROOT / controller


def _v1_writable() -> bool:
    return (Path("/proc/self/cgroup").is_file() and os.geteuid() == 0
            and not (V1_ROOT / "cgroup.controllers").exists()
            and all(os.access(_where_we_are(c), os.W_OK) for c in CONTROLLERS))


def test_own_group_is_read_from_proc_self_cgroup(tmp_path):
    from autograder.run.cgroups import own_group
    (tmp_path / "memory" / "outer" / "grader").mkdir(parents=True)
    (tmp_path / "pids").mkdir()
    proc = "7:pids:/\n4:memory:/outer/grader\n2:cpu,cpuacct:/x\n0::/unified/place\n"
    assert own_group("memory", proc, tmp_path) == tmp_path / "memory" / "outer" / "grader"
    assert own_group("pids", proc, tmp_path) == tmp_path / "pids"
    # A container that mounts its own group as the hierarchy's root: the path is not there, the mount is ours.
    assert own_group("cpuacct", proc, tmp_path) == tmp_path / "cpuacct"
    assert own_group(None, proc, tmp_path) == tmp_path


# Run in a child: it moves itself into OUTER (one group per controller), makes a worker's group, and says where.
_CHILD = textwrap.dedent("""
    import json, os, sys
    from autograder.run.cgroups import WorkerCgroup
    for folder in json.loads(sys.argv[1]).values():
        with open(os.path.join(folder, "cgroup.procs"), "w") as handle:
            handle.write(str(os.getpid()))
    worker = WorkerCgroup(64, 256 << 20)
    try:
        print(json.dumps([str(path) for path in worker.paths]))
    finally:
        worker.close()
""")


@pytest.mark.skipif(not _v1_writable(), reason="needs root and writable cgroup v1 memory and pids hierarchies")
def test_a_workers_groups_are_made_inside_the_graders_own():
    name = f"autograder-test-outer-{uuid.uuid4().hex[:8]}"
    outer = {controller: _where_we_are(controller) / name for controller in CONTROLLERS}
    for folder in outer.values():
        folder.mkdir()
    try:
        completed = subprocess.run([sys.executable, "-c", _CHILD, json.dumps({k: str(v) for k, v in outer.items()})],
                                   cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True,
                                   timeout=60)
        assert completed.returncode == 0, completed.stderr
        made = [Path(path) for path in json.loads(completed.stdout)]
        assert len(made) == len(CONTROLLERS), made
        for controller, folder in outer.items():
            assert any(path.parent == folder for path in made), (controller, made)
    finally:
        for folder in outer.values():
            folder.rmdir()
