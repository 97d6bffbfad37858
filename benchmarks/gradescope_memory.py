"""Peak memory and wall time of one Gradescope grading run, measured as its container is charged.

Builds a course's autograder zip, lays it out as Gradescope does (source/, submission/ holding the
course's solutions, results/) and runs run_autograder there, at a fresh seed each time (the reference
runs live, as on Gradescope), in a memory cgroup of its own limited to the container's size (768 MB by
default) and, with --cpus, held to that share of a processor. The workers' own groups sit inside it,
so the group is charged for the whole tree, as a container is. Every 50 ms it reads:
  resident  the group's anonymous memory plus its mapped file pages (memory.stat: rss + mapped_file on
            cgroup v1, anon + file_mapped on v2): what must stay in memory; the figure stated and
            compared with the container;
  cache     the rest of its page cache, which the kernel reclaims when the group reaches its limit;
  pss       the summed proportional set size of the tree (psutil), where no cgroup can be made.
It also reports the group's own peak (cache included), how often it hit the limit, and OOM kills.

    python benchmarks/gradescope_memory.py [--cpus 0.5] [--memory-mb 768] [--course course.toml] [--assignment ID]
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
from dataclasses import dataclass
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder.run.cgroups import own_group  # noqa: E402
from autograder.course.model import Course, load_course  # noqa: E402
from autograder.platforms.gradescope import DEFAULT_CONTAINER_MB, build_gradescope_zip  # noqa: E402

CGROUP = Path("/sys/fs/cgroup")
MIB = 1024 * 1024
V2 = (CGROUP / "cgroup.controllers").is_file()
# memory.stat's names, v1 then v2: what must stay resident, and the page cache as a whole.
RESIDENT = ("total_rss", "total_mapped_file") if not V2 else ("anon", "file_mapped")
CACHE = "total_cache" if not V2 else "file"


class RunGroups:
    """A memory cgroup for the run, limited to the container's size (and, with a CPU share, a cpu cgroup),
    inside this process's own groups, where the machine allows it."""

    def __init__(self, cpus: float, memory_bytes: int) -> None:
        self.memory: Path | None = None
        self.cpu: Path | None = None
        name = f"gradescope-benchmark-{uuid.uuid4().hex[:8]}"
        try:
            if V2:
                self.memory = self.cpu = own_group(None) / name
                self.memory.mkdir()
                (self.memory / "memory.max").write_text(str(memory_bytes))
                if cpus:
                    (self.memory / "cpu.max").write_text(f"{int(cpus * 100_000)} 100000")
            else:
                self.memory = own_group("memory") / name
                self.memory.mkdir()
                (self.memory / "memory.limit_in_bytes").write_text(str(memory_bytes))
                if cpus:
                    self.cpu = own_group("cpu") / name
                    self.cpu.mkdir()
                    (self.cpu / "cpu.cfs_period_us").write_text("100000")
                    (self.cpu / "cpu.cfs_quota_us").write_text(str(int(cpus * 100_000)))
        except OSError as error:
            print(f"(cgroups unavailable here: {error}; falling back to summed PSS)")
            self.close()

    def join(self) -> None:
        """Run in the child before exec: everything it starts is charged here and held to the CPU limit."""
        for group in {self.memory, self.cpu} - {None}:
            (group / "cgroup.procs").write_text(str(os.getpid()))

    def stat(self) -> dict[str, int]:
        try:
            return {k: int(v) for k, v in (line.split() for line in (self.memory / "memory.stat").read_text()
                                           .splitlines() if len(line.split()) == 2)}
        except (OSError, TypeError, ValueError):
            return {}

    def counter(self, name: str) -> int | None:
        try:
            text = (self.memory / name).read_text()
        except (OSError, TypeError):
            return None
        fields = dict(line.split() for line in text.splitlines() if len(line.split()) == 2)
        return int(fields.get("oom_kill", 0)) if len(text.split()) > 1 else int(text)

    def close(self) -> None:
        for group in {self.memory, self.cpu} - {None}:
            for _ in range(100):
                try:
                    group.rmdir()
                    break
                except OSError:
                    time.sleep(0.05)
        self.memory = self.cpu = None


class Sampler(threading.Thread):
    """Every 50 ms: the group's resident memory and cache, and the summed PSS of the tree."""

    def __init__(self, root: psutil.Process, groups: RunGroups) -> None:
        super().__init__(daemon=True)
        self.root, self.groups = root, groups
        self.peak_resident = self.peak_cache = self.peak_pss = self.most_processes = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.05):
            if self.groups.memory is not None:
                stat = self.groups.stat()
                self.peak_resident = max(self.peak_resident, sum(stat.get(key, 0) for key in RESIDENT))
                self.peak_cache = max(self.peak_cache, stat.get(CACHE, 0))
                continue
            try:
                tree = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            pss = 0
            for process in tree:
                try:
                    pss += process.memory_full_info().pss
                except psutil.Error:
                    pass
            self.peak_pss = max(self.peak_pss, pss)
            self.most_processes = max(self.most_processes, len(tree))


@dataclass
class Measurement:
    score: float
    max_score: float
    seed: int | None
    wall_seconds: float
    cpu_limited: bool
    peak_mib: float          # resident (cgroup) or PSS: the figure compared with the container
    how: str                 # "cgroup" or "pss"
    cache_mib: float = 0.0
    group_peak_mib: float | None = None
    limit_hits: int | None = None
    oom_kills: int | None = None
    cold: bool = False       # the page cache was emptied first, as in a fresh container


def _drop_caches() -> bool:
    """Empty the page cache, as a fresh container starts: a page is charged to the group that first reads it,
    so libraries another process read earlier would otherwise be charged elsewhere (needs root)."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def measure(course: Course, cpus: float = 0.5, memory_mb: int = DEFAULT_CONTAINER_MB) -> Measurement:
    """One Gradescope run of the course's solutions, in a group of `memory_mb` MB at `cpus` of a processor."""
    with tempfile.TemporaryDirectory(prefix="gradescope-benchmark-") as scratch:
        root = Path(scratch)
        archive = build_gradescope_zip(course, root / "autograder.zip")
        with zipfile.ZipFile(archive) as opened:
            opened.extractall(root / "source")
        (root / "submission").mkdir()
        for name in course.exercise_files:
            shutil.copy(course.solutions_dir / name, root / "submission" / name)
        groups = RunGroups(cpus, memory_mb * 1_000_000)
        cold = groups.memory is not None and _drop_caches()
        environment = dict(os.environ, GRADESCOPE_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable)
        environment.pop("AUTOGRADER_SEED", None)
        started = time.perf_counter()
        process = subprocess.Popen(["bash", str(root / "source" / "run_autograder")], env=environment,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=groups.join)
        sampler = Sampler(psutil.Process(process.pid), groups)
        sampler.start()
        process.wait()
        wall = time.perf_counter() - started
        sampler.stopped.set()
        sampler.join()
        measured = groups.memory is not None
        group_peak = groups.counter("memory.max_usage_in_bytes" if not V2 else "memory.peak") if measured else None
        hits = groups.counter("memory.failcnt" if not V2 else "memory.events") if measured else None
        kills = groups.counter("memory.oom_control" if not V2 else "memory.events") if measured else None
        cpu_limited = groups.cpu is not None
        groups.close()
        results = json.loads((root / "results" / "results.json").read_text())
    return Measurement(score=results["score"], max_score=results.get("max_score", 0),
                       seed=results.get("extra_data", {}).get("seed"), wall_seconds=wall, cpu_limited=cpu_limited,
                       peak_mib=(sampler.peak_resident if measured else sampler.peak_pss) / MIB,
                       how="cgroup" if measured else "pss", cache_mib=sampler.peak_cache / MIB,
                       group_peak_mib=group_peak / MIB if group_peak else None, limit_hits=hits, oom_kills=kills,
                       cold=cold)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpus", type=float, default=0.5, help="CPU limit of the run (0: none)")
    parser.add_argument("--memory-mb", type=int, default=DEFAULT_CONTAINER_MB, help="the container's memory (MB)")
    parser.add_argument("--course", type=Path, default=None)
    parser.add_argument("--assignment", default=None, help="needed when the course has several")
    args = parser.parse_args()
    course = load_course(args.course).one_assignment(args.assignment)
    run = measure(course, args.cpus, args.memory_mb)
    print(f"score of the solutions: {run.score:g} / {run.max_score:g} (seed {run.seed}, reference live"
          f"{', page cache emptied first' if run.cold else ', warm page cache: libraries may be charged elsewhere'})")
    print(f"{'wall time':<48} {run.wall_seconds:8.1f} s   "
          f"({f'held to {args.cpus:g} CPU' if run.cpu_limited else 'no CPU limit'})")
    if run.how == "cgroup":
        print(f"{'peak resident (anonymous + mapped files, 50 ms)':<48} {run.peak_mib:8.0f} MiB")
        print(f"{'peak page cache (reclaimable, 50 ms)':<48} {run.cache_mib:8.0f} MiB")
        print(f"{'group peak, cache included (kernel)':<48} {run.group_peak_mib or 0:8.0f} MiB   "
              f"(limit {args.memory_mb} MB: reached {run.limit_hits} times, {run.oom_kills} OOM kills)")
    else:
        print(f"{'peak summed PSS of the tree (50 ms)':<48} {run.peak_mib:8.0f} MiB")
    container_mib = args.memory_mb * 1e6 / MIB
    verdict = "fits" if run.peak_mib <= container_mib and not run.oom_kills else "does NOT fit"
    print(f"a container of {args.memory_mb} MB ({container_mib:.0f} MiB): a grading run {verdict} "
          f"(peak {run.peak_mib:.0f} MiB, {container_mib - run.peak_mib:.0f} MiB to spare)")
    stated = course.gradescope.measured_peak_mib
    if run.peak_mib > stated:
        print(f"warning: course.toml states a peak of {stated} MiB; raise measured_peak_mib in {course.path}")


if __name__ == "__main__":
    main()
