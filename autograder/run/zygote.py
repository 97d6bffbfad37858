"""A fork server for one exercise's workers: the frameworks imported once, a sealed worker forked per call.

Started by autograder.run.fork_server, as root, as `python -I zygote.py CONFIG_JSON`, with the
workers' own clean environment. It loads the exercise's probe module, which imports whatever
the exercise's probes need (the course declares its frameworks by importing them there), and
the exercise's `preload` modules from course.toml: those a first training step would import in
every worker (a framework's first optimizer step may import hundreds of modules). Nothing is run
here: a first optimizer step or a first fit starts thread pools, and a thread alive at fork time may
hold a lock that no forked child can ever take. Importing a framework starts none (the README says
which were measured), and the zygote proves it still runs one thread before it answers "ready"
and serves its Unix socket.

One connection per worker: a JSON line (the worker's request, the submitted source, its control
groups and limits) with two file descriptors, the event channel's write end and the console log.
The reply is {"pid": P}, P being a process that leads its own session, then {"exit": CODE} when
the worker ends (CODE as subprocess reports it: negative for a signal). Before any student code,
the worker (forked from P in new namespaces) is sealed off as a bubblewrap worker is:
- its own pid, mount, network, IPC and UTS namespaces: it sees, signals and traces no other
  worker, has no network, and everything it starts dies with it;
- a root of its own: the system and interpreter folders and the probe code read-only, the
  submitted file alone at its own path (the source came over the socket: no other submission is
  reachable), a size-capped scratch tmpfs, a private /tmp and a minimal /dev, the root and /dev then
  sealed read-only: built from sandbox.worker_mounts, the same list bubblewrap's arguments come from;
- its control groups, its rlimits, then uid and gid 65534, no new privileges, not dumpable.
A zygote never outlives the process that started it, even one killed with SIGKILL: the kernel sends
it SIGTERM when that parent dies, and it removes the batch's folder of sockets and exits. A leader
kills its worker when the runner that asked for it hangs up, since nobody would read or stop it.
This file uses the standard library only, as worker.py does.
"""
from __future__ import annotations

import base64
import ctypes
import importlib.util
import json
import os
import resource
import select
import shutil
import signal
import socket
import sys
import traceback

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 0x20, 0x1000, 0x4000, 0x40000
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 1, 4, 38
REQUEST_LIMIT = 8 << 20  # bytes of one request: an exercise file and its settings

_libc = ctypes.CDLL(None, use_errno=True)


def _call(result: int, what: str) -> None:
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    encode = (lambda text: None if text is None else text.encode())
    _call(_libc.mount(encode(source), encode(target), encode(fstype), ctypes.c_ulong(flags), encode(data)),
          f"mount {target}")


def _prctl(option: int, value: int) -> None:
    _call(_libc.prctl(option, ctypes.c_ulong(value), 0, 0, 0), f"prctl {option}")


def _load(name: str, path: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _threads() -> int:
    return len(os.listdir("/proc/self/task"))


# ---- the zygote ----

def die_with_parent(config: dict) -> None:
    """Asked for first: the batch's end, however it ends, is this zygote's. The parent pid is checked after
    asking, as a parent that died before it would send nothing."""
    signal.signal(signal.SIGTERM, lambda *_: _end_of_batch(config))
    _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != config["parent"]:
        _end_of_batch(config)


def _end_of_batch(config: dict) -> None:
    shutil.rmtree(config["folder"], ignore_errors=True)
    os._exit(0)


def prepare(config: dict):
    """Import what the exercise's workers need; the worker module, ready to serve a request."""
    worker = _load("autograder_worker", config["worker_file"])
    worker.load_probe_module(config["probe_files"], config["exercise"])
    for name in config["preload"]:
        importlib.import_module(name)
    if _threads() != 1:
        raise RuntimeError(f"{_threads()} threads run after importing the probe module: forking would not be safe")
    return worker


def serve(config: dict, worker) -> None:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(config["socket"])
    os.chmod(config["socket"], 0o600)
    listener.listen(64)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the session leaders are reaped by the kernel
    print("ready", flush=True)
    while True:
        connection, _ = listener.accept()
        connection.settimeout(10)  # a runner that stops halfway through its request holds up no other
        fds: list[int] = []
        try:
            message, fds, _, _ = socket.recv_fds(connection, REQUEST_LIMIT, 2)
            while not message.endswith(b"\n") and len(message) < REQUEST_LIMIT:
                more = connection.recv(REQUEST_LIMIT)
                if not more:
                    break
                message += more
            job = json.loads(message)
            if len(fds) != 2:
                raise ValueError("a request needs the event channel and the console log")
        except (OSError, ValueError):
            for fd in fds:
                os.close(fd)
            connection.close()
            continue
        connection.settimeout(None)
        pid = os.fork()
        if pid == 0:
            listener.close()
            _leader(config, worker, job, connection, *fds)  # never returns
        for fd in fds:
            os.close(fd)
        connection.close()


# ---- one worker: a session leader, the namespace's init, the worker ----

def _send(connection: socket.socket, **message) -> None:
    try:
        connection.sendall(json.dumps(message).encode() + b"\n")
    except OSError:
        pass


def _leader(config: dict, worker, job: dict, connection: socket.socket, channel: int, log: int) -> None:
    """Its own session (the runner kills the whole group) in the worker's control groups; then new
    namespaces, whose init it forks; it reports the worker's end as its own."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the zygote's end of batch is not a worker's
        os.setsid()
        for group in job["cgroups"]:
            with open(os.path.join(group, "cgroup.procs"), "w") as handle:
                handle.write(str(os.getpid()))
        _call(_libc.unshare(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS), "unshare")
        _send(connection, pid=os.getpid())
        init = os.fork()
        if init == 0:
            connection.close()
            _init(config, worker, job, channel, log)  # never returns
        os.close(channel)
        os.close(log)
        code = _end_while_asked(connection, init)
    except BaseException:  # noqa: BLE001 - whatever failed, the runner hears an end
        traceback.print_exc()
    finally:
        _send(connection, exit=code)
        os._exit(0)


def _end_while_asked(connection: socket.socket, init: int) -> int:
    """The worker's exit status, as the runner that asked for it waits for it; if that runner hangs up
    first (it was killed with its batch), the worker is killed: nobody would read or stop it. (A kernel
    older than 5.3 has no pidfd: there the leader only waits.)"""
    try:
        ended = os.pidfd_open(init)
    except (AttributeError, OSError):
        ended = None
    try:
        while ended is not None:
            ready, _, _ = select.select([connection, ended], [], [])
            if ended in ready:
                break
            try:
                hung_up = not connection.recv(4096)
            except OSError:
                hung_up = True
            if hung_up:
                os.kill(init, signal.SIGKILL)  # pid 1 of the worker's namespace: everything in it ends
                break
    finally:
        if ended is not None:
            os.close(ended)
    _, status = os.waitpid(init, 0)
    return os.waitstatus_to_exitcode(status)


def _init(config: dict, worker, job: dict, channel: int, log: int) -> None:
    """Pid 1 of the new namespace, as bubblewrap's own process is: it builds the worker's root, starts
    the worker as pid 2 (so the worker gets signals as any process does), reaps orphans, and ends with
    the worker's exit status; when it ends, the kernel ends everything left in the namespace."""
    code = 1
    try:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        _new_root(config, job, base64.b64decode(job["source"]))
        pid = os.fork()
        if pid == 0:
            _worker(worker, job, channel, log, config["unprivileged"])  # never returns
        os.close(channel)
        os.close(log)
        while True:
            done, status = os.waitpid(-1, 0)
            if done == pid:
                code = os.waitstatus_to_exitcode(status)
                break
    except BaseException:  # noqa: BLE001 - the runner reads the exit and the console log
        traceback.print_exc()
    finally:
        os._exit(code if code >= 0 else 128 - code)


def _bind(source: str, target: str, flags: int) -> None:
    """`source` at `target`, remounted with `flags` (a bind mount takes its flags only on a remount)."""
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "a").close()
    _mount(source, target, None, MS_BIND | MS_REC)
    _mount(None, target, None, MS_BIND | MS_REMOUNT | flags)


def _place(mount: dict, root: str, owner: int) -> None:
    """One of sandbox.worker_mounts, under `root`, as bubblewrap places it."""
    target = root + mount["place"]
    if mount["kind"] == "proc":
        os.makedirs(target, exist_ok=True)
        _mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    elif mount["kind"] == "tmpfs":
        os.makedirs(target, exist_ok=True)
        _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV,
               f"mode={mount['mode']:04o},uid={owner},gid={owner},size={mount['size']}")
    elif mount["kind"] == "device":
        _bind(mount["source"], target, MS_NOSUID)
    elif mount["kind"] == "symlink":
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.symlink(mount["source"], target)
    elif mount["kind"] == "read-only":
        _bind(mount["source"], target, MS_RDONLY | MS_NOSUID | MS_NODEV)
    else:
        raise ValueError(f"unknown kind of mount: {mount['kind']!r}")


def _new_root(config: dict, job: dict, source: bytes) -> None:
    """The worker's own root, built from the same list as a bubblewrap worker's (sandbox.worker_mounts),
    with the submitted file written at its path; then chroot into it."""
    root, owner = config["root"], config["unprivileged"]
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, f"uid={owner},gid={owner}")
    os.chmod(root, 0o755)
    for mount in [*config["mounts"], job["scratch"]]:
        _place(mount, root, owner)
    module = root + job["request"]["module_path"]
    os.makedirs(os.path.dirname(module), exist_ok=True)
    with open(module, "wb") as handle:
        handle.write(source)
    for place in config["sealed"]:
        _mount(None, root + place.rstrip("/"), None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.chroot(root)
    os.chdir(job["scratch"]["place"])


def _worker(worker, job: dict, channel: int, log: int, unprivileged: int) -> None:
    """The worker: its console and limits, then uid 65534 with no privilege, then the worker's own code."""
    code = 1
    try:
        null = os.open("/dev/null", os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        for fd in (null, log):
            os.close(fd)
        request_file = "/tmp/request.json"
        with open(request_file, "w", encoding="utf-8") as handle:
            json.dump(job["request"], handle)
        for name, value in job["rlimits"].items():  # sandbox.worker_rlimits
            resource.setrlimit(getattr(resource, f"RLIMIT_{name}"), (value, value))
        os.setgroups([])
        os.setgid(unprivileged)
        os.setuid(unprivileged)
        _prctl(PR_SET_NO_NEW_PRIVS, 1)
        _prctl(PR_SET_DUMPABLE, 0)
        sys.stdin = open(0, "r", closefd=False)
        sys.stdout = open(1, "w", buffering=1, closefd=False)
        sys.stderr = open(2, "w", buffering=1, closefd=False)
        code = worker.main(["worker.py", request_file, str(channel)])
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except BaseException:  # noqa: BLE001 - the runner reads the exit and the console log
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        os._exit(code)


def main(argv: list[str]) -> int:
    with open(argv[1], encoding="utf-8") as handle:
        config = json.load(handle)
    die_with_parent(config)
    worker = prepare(config)
    serve(config, worker)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
