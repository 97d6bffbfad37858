"""The strongest isolation this machine offers a worker, as a command prefix.

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
from pathlib import Path

__all__ = ["isolation_level", "sandboxed", "UNPRIVILEGED", "readable_system", "interpreter_dirs"]

UNPRIVILEGED = 65534  # the conventional uid and gid of "nobody"
_SYSTEM_DIRS = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc/alternatives", "/etc/ld.so.cache",
                "/etc/localtime")


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


def _bwrap_arguments(readable: list[Path], scratch: Path, scratch_bytes: int) -> list[str]:
    arguments = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session",
                 "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for place, link in readable_system():
        arguments += ["--symlink", link, place] if link is not None else ["--ro-bind", place, place]
    for place in interpreter_dirs():
        arguments += ["--ro-bind", place, place]
    for place in readable:
        arguments += ["--ro-bind", str(place), str(place)]
    # The scratch folder is a size-capped tmpfs: nothing written there reaches the disk or the next run.
    arguments += ["--size", str(scratch_bytes), "--tmpfs", str(scratch), "--chdir", str(scratch)]
    if os.geteuid() == 0:
        arguments += ["--unshare-user", "--uid", str(UNPRIVILEGED), "--gid", str(UNPRIVILEGED)]
    return arguments + ["--"]


def isolation_level(requested: str = "auto") -> str:
    """'bwrap' when it is requested (auto) and bubblewrap works here, else 'basic'."""
    return "basic" if requested == "basic" else _strongest_available()


@functools.cache
def _strongest_available() -> str:
    if sys.platform != "linux" or shutil.which("bwrap") is None:
        return "basic"
    with tempfile.TemporaryDirectory(prefix="autograder-sandbox-check-") as scratch:
        # A folder of its own, as a worker has: a tmpfs over all of /tmp would hide an interpreter installed there.
        try:
            completed = subprocess.run(
                _bwrap_arguments([], Path(scratch), 1 << 20) + [sys.executable, "-I", "-c", "pass"],
                capture_output=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return "basic"
    return "bwrap" if completed.returncode == 0 else "basic"


def sandboxed(command: list[str], readable: list[Path], scratch: Path, scratch_bytes: int, level: str) -> list[str]:
    """`command` wrapped in isolation `level` (from isolation_level)."""
    if level == "bwrap":
        return _bwrap_arguments(readable, scratch, scratch_bytes) + command
    return command
