"""The worker's sandbox, written once, and the strongest isolation this machine offers.

`worker_mounts`, `scratch_mount` and `worker_rlimits` say what a worker sees and
may use; bubblewrap's arguments are rendered from them here, and a fork server's
worker root is built from the same list (zygote.py), so the two cannot drift.
"bwrap": on Linux with bubblewrap, the worker sees only the interpreter, the
installed packages (read-only), the worker and probe code, the one file under
test and its own scratch folder (a small tmpfs); no network; its own pid namespace, so nothing
it starts outlives it. Run as root, it also becomes an unprivileged user.
"basic": a fresh `python -I` with a clean environment, resource limits and a
private working folder (macOS, or Linux without bubblewrap).
"""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["isolation_level", "why_basic", "sandboxed", "UNPRIVILEGED", "WORKER_FILE", "Mount", "worker_mounts", "scratch_mount",
           "worker_rlimits", "clean_environment", "SEALED", "readable_system", "interpreter_dirs"]

UNPRIVILEGED = 65534  # the conventional uid and gid of "nobody"
WORKER_FILE = Path(__file__).resolve().parent / "worker.py"
_SYSTEM_DIRS = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc/alternatives", "/etc/ld.so.cache",
                "/etc/localtime")
DEVICES = ("null", "zero", "full", "random", "urandom")
DEVICE_LINKS = (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                ("stderr", "/proc/self/fd/2"))
# Remounted read-only once everything is in place: a worker writes only to /tmp, /dev/shm and its scratch.
SEALED = ("/dev", "/")
SMALL_TMPFS_BYTES = 64 << 20  # /tmp and /dev/shm: writes there are memory, so they are capped
DEV_BYTES = 64 << 10


@dataclass(frozen=True)
class Mount:
    """One thing a worker sees at `place`. `kind` is "proc"; "tmpfs" (`size` bytes, `mode`, owned by the
    worker's user); "device" (the host's `source` node); "symlink" (to `source`); or "read-only" (a bind of
    the host's `source`)."""
    kind: str
    place: str
    source: str | None = None
    size: int | None = None
    mode: int | None = None


def worker_mounts(readable: list[str]) -> list[Mount]:
    """The worker's world, in mount order, the same for a bubblewrap worker and a forked one: /proc, a
    minimal /dev, small private /tmp and /dev/shm, then the system and interpreter folders and `readable`
    read-only (bound over the private folders: a course or an interpreter may live under /tmp). Its
    scratch folder comes last (scratch_mount)."""
    mounts = [Mount("proc", "/proc"), Mount("tmpfs", "/dev", size=DEV_BYTES, mode=0o755)]
    mounts += [Mount("device", f"/dev/{name}", f"/dev/{name}") for name in DEVICES]
    mounts += [Mount("symlink", f"/dev/{name}", target) for name, target in DEVICE_LINKS]
    mounts += [Mount("tmpfs", place, size=SMALL_TMPFS_BYTES, mode=0o1777) for place in ("/dev/shm", "/tmp")]
    mounts += [Mount("symlink", place, link) if link is not None else Mount("read-only", place, place)
               for place, link in readable_system()]
    mounts += [Mount("read-only", str(place), str(place)) for place in [*interpreter_dirs(), *readable]]
    return mounts


def scratch_mount(scratch: str, scratch_bytes: int) -> Mount:
    """The worker's own writable folder: a size-capped tmpfs, so nothing written reaches the disk or the next run."""
    return Mount("tmpfs", str(scratch), size=scratch_bytes, mode=0o700)


def worker_rlimits(memory_bytes: int, output_bytes: int) -> dict[str, int]:
    """RLIMIT_<name> -> value (soft and hard alike) of every worker, fresh or forked."""
    return {"DATA": memory_bytes, "FSIZE": output_bytes, "CORE": 0}


def clean_environment(home: str, course_environment: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """No secrets and no inherited settings: the basics, one thread per numeric library, and what
    the course's frameworks need to start quietly (course.toml [environment])."""
    return {
        "PATH": os.path.dirname(sys.executable) + os.pathsep + "/usr/bin:/bin",
        "HOME": home, "TMPDIR": home, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1",
        "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
        **{key: os.environ[key] for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if key in os.environ},
        **{key: value.replace("{home}", home) for key, value in course_environment},
    }


def interpreter_dirs() -> list[str]:
    """Everything the interpreter and the installed packages are read from."""
    places = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
              os.path.dirname(os.path.realpath(sys.executable))}
    places.update(p for p in (sysconfig.get_paths().get(k) for k in ("stdlib", "purelib", "platlib")) if p)
    real = sorted({os.path.realpath(p) for p in places if os.path.isdir(p)})
    return [p for p in real if not any(p != q and p.startswith(q + os.sep) for q in real)]


def readable_system() -> list[tuple[str, str | None]]:
    """The system folders a worker sees, read-only: (place, None), or (place, target) for a symbolic link."""
    return [(place, os.readlink(place) if os.path.islink(place) else None) for place in _SYSTEM_DIRS
            if os.path.islink(place) or os.path.exists(place)]


def _bwrap_mount(mount: Mount) -> list[str]:
    if mount.kind == "proc":
        return ["--proc", mount.place]
    if mount.kind == "tmpfs":
        return ["--size", str(mount.size), "--perms", f"{mount.mode:04o}", "--tmpfs", mount.place]
    flag = {"device": "--dev-bind", "symlink": "--symlink", "read-only": "--ro-bind"}[mount.kind]
    return [flag, mount.source, mount.place]


def _bwrap_arguments(readable: list[Path], scratch: Path, scratch_bytes: int) -> list[str]:
    arguments = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session"]
    for mount in [*worker_mounts([str(place) for place in readable]), scratch_mount(str(scratch), scratch_bytes)]:
        arguments += _bwrap_mount(mount)
    for place in SEALED:
        arguments += ["--remount-ro", place]
    arguments += ["--chdir", str(scratch)]
    if os.geteuid() == 0:
        arguments += ["--unshare-user", "--uid", str(UNPRIVILEGED), "--gid", str(UNPRIVILEGED)]
    return arguments + ["--"]


def isolation_level(requested: str = "auto") -> str:
    """'bwrap' when it is requested (auto) and bubblewrap works here, else 'basic'."""
    return "basic" if requested == "basic" else _strongest_available()[0]


def why_basic(requested: str = "auto") -> str | None:
    """Why workers get only basic isolation here, said so that the instructor can act; None if they do not."""
    if requested == "basic":
        return 'course.toml asks for it ([limits] isolation = "basic")'
    return _strongest_available()[1]


@functools.cache
def _strongest_available() -> tuple[str, str | None]:
    if sys.platform != "linux":
        return "basic", "bubblewrap runs on Linux only"
    if shutil.which("bwrap") is None:
        return "basic", "bubblewrap is not installed (apt-get install bubblewrap)"
    with tempfile.TemporaryDirectory(prefix="autograder-sandbox-check-") as scratch:
        # A folder of its own, as a worker has: a tmpfs over all of /tmp would hide an interpreter installed there.
        try:
            completed = subprocess.run(
                _bwrap_arguments([], Path(scratch), 1 << 20) + [sys.executable, "-I", "-c", "pass"],
                capture_output=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as error:
            return "basic", f"bubblewrap could not be run ({type(error).__name__})"
    if completed.returncode != 0:
        said = completed.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["nothing"]
        return "basic", (f"bubblewrap is installed but cannot build a sandbox here (it said: {said[0]}): "
                         "this machine or container refuses it user namespaces or mounts")
    return "bwrap", None


def sandboxed(command: list[str], readable: list[Path], scratch: Path, scratch_bytes: int, level: str) -> list[str]:
    """`command` wrapped in isolation `level` (from isolation_level)."""
    if level == "bwrap":
        return _bwrap_arguments(readable, scratch, scratch_bytes) + command
    return command
