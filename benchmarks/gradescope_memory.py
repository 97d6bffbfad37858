"""Peak memory and wall time of one Gradescope grading run, against Gradescope's default container.

Builds a course's autograder zip, lays it out as Gradescope does (source/, submission/ holding
the course's solutions, results/) and runs run_autograder there. The peak counts the whole process tree,
every worker included, two ways, each sampled every 50 ms:
  cgroup  the run's own memory cgroup plus the one autograder/cgroups.py gives each worker (on
          cgroup v1 those sit at the hierarchy's root, outside the run's group). A page is charged
          where it was first read, so library pages cached by an earlier run count elsewhere: on a
          warm machine this undercounts what a fresh Gradescope container is charged;
  rss     the summed RSS of every process of the tree (psutil): a page shared by two processes
          counts twice, a slight overcount here (each framework is loaded by one worker only).
The larger of the two is compared with the container.
With --cpus 0.5 (the default, Gradescope's) the whole tree is held to half a CPU by the cpu controller,
so the wall time is close to what a student waits for on Gradescope.

    python benchmarks/gradescope_memory.py [--cpus 0.5] [--course course.toml] [--assignment ID]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder.course import DEFAULT_COURSE_FILE, load_course  # noqa: E402
from autograder.gradescope_package import DEFAULT_CONTAINER_MB, build_gradescope_zip  # noqa: E402

CGROUP = Path("/sys/fs/cgroup")
MIB = 1024 * 1024
V2 = (CGROUP / "cgroup.controllers").is_file()


class RunGroups:
    """A memory cgroup (and, with a CPU limit, a cpu cgroup) for the run, where this machine allows it."""

    def __init__(self, cpus: float) -> None:
        self.memory: Path | None = None
        self.cpu: Path | None = None
        name = f"gradescope-benchmark-{uuid.uuid4().hex[:8]}"
        try:
            if V2:
                own = CGROUP / Path("/proc/self/cgroup").read_text().strip().split("::", 1)[-1].lstrip("/")
                (own / name).mkdir()
                self.memory = own / name
                if cpus:
                    (self.memory / "cpu.max").write_text(f"{int(cpus * 100_000)} 100000")
                    self.cpu = self.memory
            else:
                if os.access(CGROUP / "memory", os.W_OK):
                    (CGROUP / "memory" / name).mkdir()
                    self.memory = CGROUP / "memory" / name
                if cpus and os.access(CGROUP / "cpu", os.W_OK):
                    (CGROUP / "cpu" / name).mkdir()
                    self.cpu = CGROUP / "cpu" / name
                    (self.cpu / "cpu.cfs_period_us").write_text("100000")
                    (self.cpu / "cpu.cfs_quota_us").write_text(str(int(cpus * 100_000)))
        except OSError as error:
            print(f"(cgroups unavailable here: {error}; falling back to summed RSS)")
            self.close()

    def join(self) -> None:
        """Run in the child before exec: everything it starts is counted and held to the CPU limit."""
        for group in {self.memory, self.cpu} - {None}:
            (group / "cgroup.procs").write_text(str(os.getpid()))

    def peak_of_own_group(self) -> int | None:
        if self.memory is None:
            return None
        name = "memory.peak" if V2 else "memory.max_usage_in_bytes"
        try:
            return int((self.memory / name).read_text())
        except OSError:
            return None

    def close(self) -> None:
        for group in {self.memory, self.cpu} - {None}:
            for _ in range(100):
                try:
                    group.rmdir()
                    break
                except OSError:
                    time.sleep(0.05)
        self.memory = self.cpu = None


def _memory_group(pid: int) -> Path | None:
    """The memory cgroup of a process (v1: its memory controller line; v2: its one group)."""
    try:
        lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if V2 and controllers == "":
            return CGROUP / path.lstrip("/")
        if not V2 and "memory" in controllers.split(","):
            return CGROUP / "memory" / path.lstrip("/")
    return None


def _usage(group: Path) -> int:
    try:
        return int((group / ("memory.current" if V2 else "memory.usage_in_bytes")).read_text())
    except (OSError, ValueError):
        return 0


class Sampler(threading.Thread):
    """Every 50 ms: the summed RSS of the tree, and the summed usage of the memory cgroups it occupies."""

    def __init__(self, root: psutil.Process, own_group: Path | None) -> None:
        super().__init__(daemon=True)
        self.root, self.own_group = root, own_group
        self.peak_rss = self.peak_cgroups = self.most_processes = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.05):
            try:
                tree = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            rss = 0
            for process in tree:
                try:
                    rss += process.memory_info().rss
                except psutil.Error:
                    pass
            self.peak_rss = max(self.peak_rss, rss)
            self.most_processes = max(self.most_processes, len(tree))
            if self.own_group is not None:
                # The run's group and the workers' own (cgroups.py names them autograder-*); a process
                # caught between groups shows the hierarchy's root, whose usage is the whole machine's.
                groups = {self.own_group} | {g for g in map(_memory_group, (p.pid for p in tree))
                                             if g and (g.name.startswith("autograder-") or self.own_group in g.parents)}
                # A group inside another is already counted in it (usage is hierarchical).
                outermost = {g for g in groups if not any(o != g and o in g.parents for o in groups)}
                self.peak_cgroups = max(self.peak_cgroups, sum(map(_usage, outermost)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpus", type=float, default=0.5, help="CPU limit of the run (0: none)")
    parser.add_argument("--course", type=Path, default=DEFAULT_COURSE_FILE)
    parser.add_argument("--assignment", default=None, help="needed when the course has several")
    args = parser.parse_args()
    course = load_course(args.course).one_assignment(args.assignment)
    with tempfile.TemporaryDirectory(prefix="gradescope-benchmark-") as scratch:
        root = Path(scratch)
        archive = build_gradescope_zip(course, root / "autograder.zip")
        with zipfile.ZipFile(archive) as opened:
            opened.extractall(root / "source")
        (root / "submission").mkdir()
        for name in course.exercise_files:
            shutil.copy(course.solutions_dir / name, root / "submission" / name)
        groups = RunGroups(args.cpus)
        environment = dict(os.environ, GRADESCOPE_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable)
        started = time.perf_counter()
        process = subprocess.Popen(["bash", str(root / "source" / "run_autograder")], env=environment,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=groups.join)
        sampler = Sampler(psutil.Process(process.pid), groups.memory)
        sampler.start()
        process.wait()
        wall = time.perf_counter() - started
        sampler.stopped.set()
        sampler.join()
        own_peak = groups.peak_of_own_group()
        cpu_limited = groups.cpu is not None
        groups.close()
        results = json.loads((root / "results" / "results.json").read_text())
    peak_mib = max(sampler.peak_cgroups, sampler.peak_rss) / MIB
    print(f"score of the solutions: {results['score']:g} / {results.get('max_score', 0):g}")
    print(f"{'wall time':<44} {wall:8.1f} s   "
          f"({f'held to {args.cpus:g} CPU' if cpu_limited else 'no CPU limit'})")
    if own_peak is not None:
        print(f"{'peak, memory cgroups of the tree (50 ms)':<44} {sampler.peak_cgroups / MIB:8.0f} MiB")
        print(f"{'peak, run group alone (kernel; no workers)':<44} {own_peak / MIB:8.0f} MiB")
    print(f"{'peak, summed RSS of the tree (50 ms)':<44} {sampler.peak_rss / MIB:8.0f} MiB   "
          f"(up to {sampler.most_processes} processes)")
    default_mib = DEFAULT_CONTAINER_MB * 1e6 / MIB
    verdict = "fits" if peak_mib <= default_mib else "does NOT fit"
    print(f"Gradescope's default container: {DEFAULT_CONTAINER_MB} MB ({default_mib:.0f} MiB), 0.5 CPU: "
          f"a grading run {verdict} (peak {peak_mib:.0f} MiB)")
    stated = course.gradescope.measured_peak_mib
    if peak_mib > stated:
        print(f"warning: course.toml states a peak of {stated} MiB; raise [gradescope] measured_peak_mib in "
              f"{course.path}")


if __name__ == "__main__":
    main()
