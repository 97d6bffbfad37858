"""One sandbox, two builders: a worker started by bubblewrap and one forked by a fork server see the same world.

Both are built from sandbox.py's one `SandboxSpec`. Here the same submission looks at its own view from
inside each (the mount table, /dev, the tmpfs caps, rlimits, user and namespaces) and the two views must be
equal, once the paths that differ by design are named: the scratch folder's place, and how the worker is
handed its own two files (bind-mounted by bubblewrap, written into the root by the fork server).
"""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import textwrap
from pathlib import Path

import pytest

from autograder.course.model import load_course
from autograder.run.fork_server import ForkServers, unavailable
from autograder.run.runner import probe_request, run_probes
from autograder.run import sandbox
from autograder.run.sandbox import isolation_level, why_basic

TINY = load_course(Path(__file__).resolve().parent / "tiny_course" / "course.toml")
ANSWERS = "words"  # the tiny course's exercise answered by module-level names: WHY carries the view back

LOOK = """
import json, os, resource, stat, sys

def _mounts():
    here, given = os.getcwd(), {os.path.realpath(__file__), os.path.realpath(sys.argv[1])}
    seen = []
    for line in open("/proc/self/mountinfo"):
        fields, _, rest = line.partition(" - ")
        fields, rest = fields.split(), rest.split()
        point = fields[4].replace("\\\\040", " ")
        if point.startswith("/proc/"):
            continue  # bubblewrap covers some kernel knobs read-only where its checks let it; the worker is
                      # unprivileged in both, so they are no less read-only to it in the fork server's
        if point in given:
            continue  # its own two files: bound read-only by bubblewrap, written into a sealed root by the other
        if point == here:
            point = "<scratch>"
        flags = sorted(f for f in fields[5].split(",") if f in ("ro", "nosuid", "nodev", "noexec"))
        size = [o for o in rest[2].split(",") if o.startswith(("size=", "mode="))] if rest[0] == "tmpfs" else []
        seen.append([point, rest[0], flags, sorted(size)])
    return sorted(seen)

def _listing(folder):
    out = []
    for name in sorted(os.listdir(folder)):
        info = os.lstat(os.path.join(folder, name))
        kind = "link" if stat.S_ISLNK(info.st_mode) else "char" if stat.S_ISCHR(info.st_mode) else \\
               "dir" if stat.S_ISDIR(info.st_mode) else "file"
        out.append([name, kind, os.readlink(os.path.join(folder, name)) if kind == "link" else None])
    return out

def _namespaces():
    return {name: os.readlink(f"/proc/self/ns/{name}") != os.readlink(f"/proc/1/ns/{name}") or os.getpid() != 1
            for name in ("mnt", "net", "ipc", "uts", "pid")}

def _folder(path):
    info = os.stat(path)
    return [oct(stat.S_IMODE(info.st_mode)), info.st_uid, info.st_gid]

VIEW = {
    "mounts": _mounts(),
    "dev": _listing("/dev"),
    "owners": {p: _folder(p) for p in ("/", "/dev", "/tmp", "/dev/shm")} | {"<scratch>": _folder(".")},
    "writable": {p: os.access(p, os.W_OK) for p in ("/", "/dev", "/tmp", "/dev/shm", ".", "/usr", "/proc/sys")},
    "rlimits": {name: resource.getrlimit(getattr(resource, "RLIMIT_" + name))
                for name in ("DATA", "FSIZE", "CORE", "AS", "NOFILE", "STACK")},
    "ids": [os.getuid(), os.geteuid(), os.getgid(), os.getegid(), sorted(os.getgroups())],
    "pid": os.getpid(),
    "interfaces": sorted(os.listdir("/sys/class/net")) if os.path.isdir("/sys/class/net") else None,
    "given_writable": [os.access(p, os.W_OK) for p in (__file__, sys.argv[1])],
    "no_new_privs": [l.split()[1] for l in open("/proc/self/status") if l.startswith("NoNewPrivs")],
}
"""


def _view(tmp_path: Path, fork_servers: str) -> dict:
    folder = tmp_path / ("forked" if fork_servers else "fresh")
    shutil.copytree(TINY.solutions_dir, folder)
    module = folder / TINY.exercise(ANSWERS).file
    module.write_text(textwrap.dedent(LOOK) + "\nANSWER = 'a'\nWHY = json.dumps(VIEW)\n")
    request = probe_request(TINY, ANSWERS, folder, seed=1)
    request = dataclasses.replace(request, fork_server=fork_servers,
                                  limits=dataclasses.replace(TINY.limits, import_seconds=30, probe_seconds=10))
    run = run_probes(request)
    assert run.import_error is None, run.import_error
    return json.loads(next(iter(run.outcomes.values())).value["why"])


@pytest.mark.slow
@pytest.mark.skipif(unavailable(TINY) is not None or isolation_level() != "bwrap",
                    reason="needs bubblewrap and fork servers (root on Linux)")
def test_bubblewrap_and_the_fork_server_build_the_same_worker_view(tmp_path):
    fresh = _view(tmp_path, "")
    with ForkServers(TINY) as servers:
        forked = _view(tmp_path, servers.folder_in_use)
    assert fresh.pop("given_writable") == forked.pop("given_writable") == [False, False]
    assert fresh.pop("pid") == forked.pop("pid") == 2  # pid 1 is the namespace's init, in both
    assert fresh["writable"] == {"/": False, "/dev": False, "/tmp": True, "/dev/shm": True, ".": True,
                                 "/usr": False, "/proc/sys": False}
    assert fresh["rlimits"]["CORE"] == [0, 0] and fresh["interfaces"] in (["lo"], None)
    assert fresh == forked



@pytest.fixture
def fresh_check():
    """The sandbox check is made once per process: run it again for this test, and forget it after."""
    sandbox._strongest_available.cache_clear()
    yield
    sandbox._strongest_available.cache_clear()


def test_basic_isolation_says_why_when_bubblewrap_is_missing(fresh_check, monkeypatch):
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    monkeypatch.setattr(sandbox.sys, "platform", "linux")
    assert isolation_level() == "basic"
    assert "not installed (apt-get install bubblewrap)" in why_basic()
    assert "course.toml asks for it" in why_basic("basic")


def test_basic_isolation_says_what_bubblewrap_said_when_it_cannot_run(fresh_check, monkeypatch, tmp_path):
    refusing = tmp_path / "bwrap"  # as in a container that refuses user namespaces
    refusing.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    refusing.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    monkeypatch.setattr(sandbox.sys, "platform", "linux")
    assert isolation_level() == "basic"
    assert "installed but cannot build a sandbox here (it said: bwrap: No permissions" in why_basic()

if __name__ == "__main__":  # print both views, side by side, to see where they part
    import sys, tempfile
    with tempfile.TemporaryDirectory() as scratch:
        fresh = _view(Path(scratch), "")
        with ForkServers(TINY) as servers:
            forked = _view(Path(scratch), servers.folder_in_use)
    for key in fresh:
        if fresh[key] != forked[key]:
            print(f"== {key}")
            if key == "mounts":
                a, b = {json.dumps(m) for m in fresh[key]}, {json.dumps(m) for m in forked[key]}
                print(" fresh only:", *sorted(a - b), sep="\n  ")
                print(" forked only:", *sorted(b - a), sep="\n  ")
            else:
                print(" fresh: ", fresh[key]); print(" forked:", forked[key])
