"""Batch grading against one `pytest autograder` run per submission, in the same run.

Grades N copies of an assignment's solutions five ways and prints the times and ratios:
  sequential   N runs of `pytest autograder --submission COPY`, one after another
  fork server  `python -m autograder grade CLASS --out OUT --jobs J --seed S`: workers forked from the
               batch's fork servers (the default, where the machine runs them)
  fresh        the same with `--fresh-workers`: a fresh sandboxed process per worker
  fresh-basic  fresh workers with `isolation = "basic"`: the sandbox's overhead is fresh / fresh-basic
  official     fork servers at a seed drawn for the batch, as an official grade runs: the reference
               then runs live once per exercise before the class is graded
The first four grade at the course seed S, where the reference is recorded, so that they do the same
work; the last adds what an official grade costs on top.
It also prints the physical floor, the CPU seconds of the probes' own work on the solutions with every
import left out (N copies shared by J processors), and peak memory: the largest process of a single
grading run, and the fork servers of a batch.

    python benchmarks/batch_speed.py [--copies 16] [--jobs 2] [--course course.toml] [--assignment ID]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import tomlkit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder.course.model import Course, load_course  # noqa: E402
from autograder.run.runner import WORKER_FILE, probe_request, worker_request  # noqa: E402

# One exercise's probes on the solutions in a process that has already imported the probe module:
# the CPU seconds of the probes alone.
PROBES_ONLY = """
import json, os, resource, sys, importlib.util
spec = importlib.util.spec_from_file_location("worker", sys.argv[1])
worker = importlib.util.module_from_spec(spec); spec.loader.exec_module(worker)
request = json.loads(sys.argv[2])
worker.load_probe_module(request["probe_files"], request["exercise"])
for name in json.loads(sys.argv[3]):  # the exercise's preload, as its fork server imports it
    __import__(name)
sink = os.open(os.devnull, os.O_WRONLY)  # the worker's channel: it closes it when done
path = "/tmp/probes-only-request.json"
with open(path, "w") as handle:
    json.dump(request, handle)
before = resource.getrusage(resource.RUSAGE_SELF)
worker.main(["worker", path, str(sink)])
after = resource.getrusage(resource.RUSAGE_SELF)
print(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
"""


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=REPO, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def probes_cpu_seconds(course: Course) -> float:
    """The CPU seconds of every exercise's probes on the solutions, imports left out."""
    total = 0.0
    for exercise in course.exercises:
        request = worker_request(probe_request(course, exercise.id, course.solutions_dir, course.seed), [])
        environment = dict(os.environ, **{k: v.replace("{home}", "/tmp") for k, v in course.environment.items()},
                           OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
        with tempfile.TemporaryDirectory() as scratch:  # a worker's own empty working folder
            completed = subprocess.run([sys.executable, "-c", PROBES_ONLY, str(WORKER_FILE), json.dumps(request),
                                        json.dumps(list(exercise.preload))],
                                       capture_output=True, text=True, env=environment, cwd=scratch)
        total += float(completed.stdout.strip().splitlines()[-1])
    return total


class ForkServerMemory(threading.Thread):
    """The largest summed PSS of the batch's fork servers and the workers forked from them (processes
    running zygote.py), sampled every 50 ms: PSS shares each page among the processes that map it, so
    what a forked worker shares with its fork server is counted once."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.05):
            total = 0
            for process in psutil.process_iter(["cmdline"]):
                if any(part.endswith("zygote.py") for part in process.info["cmdline"] or []):
                    try:
                        total += process.memory_full_info().pss
                    except (psutil.NoSuchProcess, psutil.AccessDenied):
                        continue
            self.peak = max(self.peak, total)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=16)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--course", type=Path, default=None)
    parser.add_argument("--assignment", default=None, help="needed when the course has several")
    args = parser.parse_args()
    course = load_course(args.course).one_assignment(args.assignment)
    one = ["--assignment", course.id]
    floor = probes_cpu_seconds(course) * args.copies / args.jobs
    # The basic-isolation copy of course.toml sits beside it: a course's folders are found from its file.
    basic_course = course.root / f".benchmark-basic-{os.getpid()}.toml"
    settings = tomlkit.parse(course.path.read_text(encoding="utf-8"))
    settings.setdefault("limits", tomlkit.table())["isolation"] = "basic"
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        for index in range(args.copies):
            shutil.copytree(course.solutions_dir, root / "class" / f"student{index:02d}",
                            ignore=shutil.ignore_patterns("__pycache__"))
        basic_course.write_text(tomlkit.dumps(settings), encoding="utf-8")
        try:
            pytest_run = [sys.executable, "-m", "pytest", "autograder", "-q", "-p", "no:cacheprovider",
                          "--course", str(course.path), *one, "--submission"]
            sequential = sum(timed(pytest_run + [str(root / "class" / f"student{i:02d}")])
                             for i in range(args.copies))
            official_grade = [sys.executable, "-m", "autograder", "grade", str(root / "class"), "--jobs", str(args.jobs),
                              *one]
            grade = [*official_grade, "--seed", str(course.seed)]
            memory = ForkServerMemory()
            memory.start()
            forked = timed(grade + ["--out", str(root / "out-forked"), "--course", str(course.path)])
            memory.stopped.set()
            memory.join()
            fresh = timed(grade + ["--out", str(root / "out-fresh"), "--course", str(course.path), "--fresh-workers"])
            basic = timed(grade + ["--out", str(root / "out-basic"), "--course", str(basic_course),
                                   "--fresh-workers"])
            official = timed(official_grade + ["--out", str(root / "out-official"), "--course", str(course.path)])
            records = [json.loads(p.read_text())["result"] for p in (root / "out-forked").glob("*/record.json")]
        finally:
            basic_course.unlink()
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        timed(pytest_run + [str(root / "class" / "student00")])
        peak_mib = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    isolation = sorted({record["isolation"] for record in records})
    print(f"{course.title}: {args.copies} copies of the solutions, --jobs {args.jobs}, {os.cpu_count()} processors")
    print(f"{'sequential pytest autograder runs':<44} {sequential:8.1f} s")
    print(f"{'grade, fork server (isolation ' + '/'.join(isolation) + ')':<44} {forked:8.1f} s   "
          f"{sequential / forked:5.2f}x faster")
    print(f"{'grade --fresh-workers (sandboxed)':<44} {fresh:8.1f} s   {sequential / fresh:5.2f}x faster")
    print(f"{'grade --fresh-workers (basic isolation)':<44} {basic:8.1f} s   {sequential / basic:5.2f}x faster")
    print(f"{'grade at a seed drawn for it (official)':<44} {official:8.1f} s   {sequential / official:5.2f}x faster")
    print(f"{'floor: the probes alone, no import':<44} {floor:8.1f} s   {sequential / floor:5.2f}x faster")
    print(f"{'fork server / floor':<44} {forked / floor:8.2f}")
    print(f"{'fork server / fresh':<44} {forked / fresh:8.2f}")
    print(f"{'sandbox overhead (fresh / basic)':<44} {fresh / basic:8.2f}")
    print(f"{'peak memory of one process':<44} {peak_mib:8.0f} MiB")
    print(f"{'peak memory of fork servers and workers (PSS)':<44} {memory.peak / 2**20:8.0f} MiB")


if __name__ == "__main__":
    main()
