"""A real single-node Slurm for the tests: munged, slurmctld and slurmd on localhost, all of it in one folder.

`with slurm_cluster(folder) as cluster:` writes a munge key and a slurm.conf into `folder`, starts the three
daemons in the foreground as children of this process (their state, spool, sockets and logs in `folder`;
they die with it),
waits until the node is idle and yields a `SlurmCluster` whose `env` points Slurm's commands at it. On the
way out it cancels every job, stops the daemons and kills whatever they left (a job's slurmstepd, its
script), found by the conf path in their environment: nothing of it outlives the block, failed test or not.

It needs root (slurmd starts jobs as their users) and Debian's `slurmctld slurmd slurm-client munge`;
`unavailable()` says when either is missing.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

__all__ = ["SlurmCluster", "slurm_cluster", "unavailable", "PACKAGES"]

PACKAGES = "slurmctld slurmd slurm-client munge"
COMMANDS = ("munged", "slurmctld", "slurmd", "sbatch", "scontrol", "scancel", "squeue", "sinfo")
SBIN = os.pathsep.join(("/usr/local/sbin", "/usr/sbin", "/sbin"))
READY_SECONDS = 60.0
STOP_SECONDS = 10.0
NODE = "localhost"
# Job states after which a job runs no more (scontrol's names).
FINISHED_STATES = frozenset({"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "PREEMPTED",
                             "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE"})


def _which(command: str) -> str | None:
    return shutil.which(command, path=os.pathsep.join((os.environ.get("PATH", ""), SBIN)))


def unavailable() -> str | None:
    """Why this machine cannot start the test cluster, or None."""
    missing = [command for command in COMMANDS if _which(command) is None]
    if missing:
        return f"no {', '.join(missing)} here: apt-get install {PACKAGES} (as .ci/run does)"
    if os.geteuid() != 0:
        return "the test cluster's slurmd runs as root (SlurmdUser=root): run the tests as root"
    return None


@dataclass(frozen=True)
class SlurmCluster:
    """A running test cluster: `env` is the environment for sbatch, scontrol and the jobs they start."""
    folder: Path
    conf: Path
    env: dict[str, str]

    def run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(command, env=self.env, capture_output=True, text=True, check=check, timeout=60)

    def jobs(self, job_id: str) -> list[dict[str, str]]:
        """`scontrol show job`'s fields for the job (one dict for each array task); [] once Slurm forgot it."""
        shown = self.run("scontrol", "show", "job", "-o", job_id, check=False)
        return [_fields(line) for line in shown.stdout.splitlines() if line.startswith("JobId=")]

    def wait_for(self, job_id: str, timeout: float) -> list[dict[str, str]]:
        """The job's fields once every task of it has finished; TimeoutError (with the logs) after `timeout` s."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            tasks = self.jobs(job_id)
            if tasks and all(task.get("JobState") in FINISHED_STATES for task in tasks):
                return tasks
            time.sleep(0.5)
        raise TimeoutError(f"job {job_id} still not finished after {timeout:.0f} s: "
                           f"{self.run('scontrol', 'show', 'job', check=False).stdout}\n{self.logs()}")

    def logs(self) -> str:
        """The daemons' logs, for a failure message."""
        return "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}"
                         for path in sorted((self.folder / "log").glob("*.log")))


def _fields(line: str) -> dict[str, str]:
    """`scontrol -o` prints one line of Key=Value pairs; a value holds no space except in a few we do not read."""
    return dict(part.split("=", 1) for part in line.split() if "=" in part)


def _die_with_this_process() -> None:
    """In a daemon's child before exec: the kernel sends it SIGTERM if this process dies, even by SIGKILL."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _memory_mib() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    raise OSError("no MemTotal in /proc/meminfo")


def write_conf(folder: Path) -> Path:
    """A munge key and a one-node slurm.conf in `folder` (with state, spool and log folders); the conf's path."""
    for name in ("state", "spool", "log"):
        (folder / name).mkdir(mode=0o700, parents=True, exist_ok=True)
    for reachable in (folder, folder / "run"):  # any user's sbatch reads slurm.conf and talks to munged
        reachable.mkdir(exist_ok=True)
        reachable.chmod(0o755)
    key = folder / "munge.key"
    key.write_bytes(secrets.token_bytes(1024))
    key.chmod(0o600)
    conf = folder / "slurm.conf"
    conf.write_text("\n".join([
        f"ClusterName=test{secrets.token_hex(3)}",
        f"SlurmctldHost={NODE}",
        f"SlurmctldPort={_free_port()}",
        f"SlurmdPort={_free_port()}",
        "SlurmUser=root",
        "SlurmdUser=root",
        f"AuthInfo=socket={folder / 'run' / 'munge.socket'}",
        # No cgroups: processes are tracked by their parentage, and tasks are not bound to cores.
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_Core_Memory",
        "MpiDefault=none",
        "SwitchType=switch/none",
        "ReturnToService=2",
        "MailProg=/bin/true",
        "AccountingStorageType=accounting_storage/none",
        "JobCompType=jobcomp/none",
        "JobAcctGatherType=jobacct_gather/none",
        "SchedulerType=sched/backfill",
        "SlurmctldTimeout=30",
        "SlurmdTimeout=30",
        f"StateSaveLocation={folder / 'state'}",
        f"SlurmdSpoolDir={folder / 'spool'}",
        f"SlurmctldPidFile={folder / 'run' / 'slurmctld.pid'}",
        f"SlurmdPidFile={folder / 'run' / 'slurmd.pid'}",
        f"SlurmctldLogFile={folder / 'log' / 'slurmctld.log'}",
        f"SlurmdLogFile={folder / 'log' / 'slurmd.log'}",
        f"NodeName={NODE} CPUs={os.cpu_count() or 1} RealMemory={_memory_mib()} State=UNKNOWN",
        f"PartitionName=main Nodes={NODE} Default=YES MaxTime=INFINITE State=UP",
    ]) + "\n")
    return conf


@contextlib.contextmanager
def slurm_cluster(folder: Path) -> Iterator[SlurmCluster]:
    """A running one-node cluster configured in `folder` (see the module's docstring)."""
    why = unavailable()
    if why is not None:
        raise RuntimeError(why)
    folder = Path(folder).resolve()
    conf = write_conf(folder)
    env = {**os.environ, "SLURM_CONF": str(conf), "PATH": os.pathsep.join((os.environ.get("PATH", ""), SBIN))}
    cluster = SlurmCluster(folder, conf, env)
    run, log = folder / "run", folder / "log"
    daemons: list[subprocess.Popen] = []
    try:
        for command in ([_which("munged"), "--foreground", "--force", f"--key-file={folder / 'munge.key'}",
                         f"--socket={run / 'munge.socket'}", f"--pid-file={run / 'munged.pid'}",
                         f"--seed-file={run / 'munged.seed'}", f"--log-file={log / 'munged.log'}"],
                        [_which("slurmctld"), "-D", "-i"],
                        [_which("slurmd"), "-D", "-N", NODE]):
            name = Path(command[0]).name
            with (log / f"{name}.out.log").open("wb") as output:
                daemons.append(subprocess.Popen(command, env=env, cwd=folder, stdin=subprocess.DEVNULL,
                                                stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
                                                preexec_fn=_die_with_this_process))
            if name == "munged":
                _wait(lambda: (run / "munge.socket").exists(), daemons, cluster, "munged's socket")
        _wait(lambda: cluster.run("sinfo", "-h", "-n", NODE, "-o", "%T", check=False).stdout.strip() == "idle",
              daemons, cluster, f"sinfo to show {NODE} idle")
        yield cluster
    finally:
        _stop(cluster, daemons)


def _wait(ready, daemons: list[subprocess.Popen], cluster: SlurmCluster, what: str) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while not ready():
        dead = [" ".join(map(str, d.args[:1])) for d in daemons if d.poll() is not None]
        if dead or time.monotonic() > deadline:
            why = f"{', '.join(dead)} exited" if dead else f"{READY_SECONDS:.0f} s passed"
            raise RuntimeError(f"the test cluster did not start: waiting for {what}, {why}\n{cluster.logs()}")
        time.sleep(0.2)


def _stop(cluster: SlurmCluster, daemons: list[subprocess.Popen]) -> None:
    """Cancel every job, stop the daemons, then kill any process still carrying this cluster's conf."""
    if daemons and all(d.poll() is None for d in daemons):
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            cluster.run("scancel", "--full", f"--user={os.getuid()}", check=False)
            deadline = time.monotonic() + STOP_SECONDS
            while time.monotonic() < deadline and cluster.run("squeue", "-h", check=False).stdout.strip():
                time.sleep(0.2)
    for daemon in reversed(daemons):  # slurmd, slurmctld, then munged, which both need to say goodbye
        if daemon.poll() is None:
            daemon.terminate()
            try:
                daemon.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()
    _kill_leftovers(f"SLURM_CONF={cluster.conf}".encode())


def _kill_leftovers(marker: bytes) -> None:
    """SIGKILL each process whose environment holds `marker`: slurmstepd and the jobs of this cluster."""
    for _ in range(3):
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
        if not found:
            return
        for pid in found:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
