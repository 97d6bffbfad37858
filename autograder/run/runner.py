"""Run one exercise's probes on one module in a worker process, from the trusted side.

The worker is a fresh `python -I` with a clean environment, its own temporary
working directory, resource limits, and a wall-clock limit enforced from here
with SIGKILL on its whole process group. A probe that hangs or kills the
process costs only itself: the worker is started again for the probes left.
A call stopped at its limit is judged by how the worker spent that time
(worker_clock): working or waiting is the code's doing; starved of the
processor is the machine's, so the call is run once more, and starved twice
it is reported as not graded, never as a failure.
"""
from __future__ import annotations

import dataclasses
import json
import os
import resource
import selectors
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from autograder.run.cgroups import WorkerCgroup
from autograder.run.fork_server import FORK_ISOLATION, ForkedWorker, start_forked, stop_group
from autograder.course.model import Course, CourseError, Limits
from autograder.run.observations import ExerciseRun, ProbeOutcome
from autograder.run.protocol import LOADED, REPORTED, RESERVED_KINDS, Event, Exited, GraderStop, WorkerEnd, grader_error
from autograder.run.sandbox import WORKER_FILE, clean_environment, isolation_level, sandboxed, worker_rlimits
from autograder.run.worker_clock import NOTICE_FRACTION, WorkerClock, process_tree

__all__ = ["ProbeRequest", "probe_request", "worker_request", "run_probes", "SlowCall", "WORKER_FILE", "NOT_GRADED_MESSAGE"]

NOT_GRADED_MESSAGE = ("the grader ran out of time on this machine, not a verdict on your code: twice, the machine "
                      "(busy, or allowed only a small share of a processor) gave it too little processor time to "
                      "finish within {seconds:g} s. Grade again when the machine is less busy")
# The key of the import in the calls already run again because they were starved.
_IMPORT = "<import>"


@dataclass
class SlowCall:
    """Set by the runner, read by whoever waits: a call has run past NOTICE_FRACTION of its limit.

    `kind` is "working" (the code is slow or stuck, or waits on itself) or "starved" (the machine is busy)."""
    kind: str | None = None


@dataclass(frozen=True)
class ProbeRequest:
    """What a worker needs: no expected value, only where the code is and how to probe it."""
    exercise: str
    module_path: Path
    # Module name -> probe file of every home of the course (course.layout): what the worker may import.
    probe_files: Mapping[str, Path]
    seed: int
    probes: tuple[str, ...] = ()  # () runs every probe the probe module defines
    params: dict = field(default_factory=dict)
    reference: bool = False
    limits: Limits = Limits()
    environment: tuple[tuple[str, str], ...] = ()
    # A batch's fork servers (fork_server.py): the folder of their sockets; "" starts fresh workers.
    fork_server: str = ""

    @property
    def probe_file(self) -> Path:
        return self.probe_files[self.exercise]

    def worker_probe_files(self) -> dict[str, str]:
        """The probe files as the worker and its fork server read them: resolved, so both name them alike."""
        return {name: str(Path(path).resolve()) for name, path in self.probe_files.items()}


def probe_request(course: Course, exercise: str, folder: Path, seed: int, reference: bool = False) -> ProbeRequest:
    """The request for one exercise of `course` on `folder`: only that exercise's own params go in."""
    probe_files = course.layout.probe_files()
    if exercise not in probe_files:
        raise CourseError(f"{course.path}: exercise {exercise!r} has no probe file {course.layout.probe(exercise)}")
    return ProbeRequest(exercise=exercise, module_path=Path(folder) / course.exercise(exercise).file,
                        probe_files=probe_files, seed=seed, params=dict(course.exercise(exercise).params),
                        reference=reference, limits=course.limits, environment=tuple(course.environment.items()))


def threads_of_user(uid: int, proc: Path = Path("/proc")) -> int | None:
    """Threads `uid` runs now, or None where /proc cannot tell (not Linux)."""
    if not proc.is_dir():
        return None
    total = 0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = dict(line.split(":", 1) for line in (entry / "status").read_text().splitlines() if ":" in line)
        except OSError:
            continue  # the process ended while we looked
        if status.get("Uid", "").split()[:1] == [str(uid)]:
            total += int(status.get("Threads", "1").strip() or 1)
    return total


def _process_allowance(processes: int) -> int | None:
    """The RLIMIT_NPROC for a worker, or None for no such limit.

    The limit counts every thread the user runs, not only the worker's: a student's
    browser and editor would otherwise leave the worker no room to start. Root is
    exempt from it (the control group caps root's workers instead)."""
    uid = os.getuid()
    if uid == 0:
        return None
    running = threads_of_user(uid)
    return None if running is None else running + processes


def _limit_resources(memory_mib: int, output_bytes: int, processes: int | None, cgroup: WorkerCgroup):
    """What the forked child does before exec: every worker's rlimits (sandbox.worker_rlimits), and where the
    user is not root a cap on its processes. It imports nothing: the child of a threaded parent must not take
    the import lock another thread may have held at fork time."""
    limits = [(getattr(resource, f"RLIMIT_{name}"), value)
              for name, value in worker_rlimits(memory_mib * 1024 * 1024, output_bytes).items()]

    def apply() -> None:
        os.setsid()
        cgroup.join()
        for name, value in limits:
            resource.setrlimit(name, (value, value))
        if processes is not None:
            resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
    return apply


def worker_request(request: ProbeRequest, probes: list[str]) -> dict:
    """What the worker reads: no expected value, only where the code is and how to probe it."""
    return {"exercise": request.exercise, "module_path": str(request.module_path.resolve()),
            "probe_files": request.worker_probe_files(), "probes": probes,
            "seed": request.seed, "params": request.params, "reference": request.reference}


def _fork_worker(request: ProbeRequest, probes: list[str], log, cgroup: WorkerCgroup) -> ForkedWorker | None:
    """A worker from the batch's fork server for this exercise, or None (there is none, or it refused)."""
    limits = request.limits
    return start_forked(request.fork_server, worker_request(request, probes), request.module_path.resolve(),
                        request.exercise, log, cgroup.paths, memory_bytes=limits.memory_mib * 1024 * 1024,
                        output_bytes=limits.output_bytes, scratch_bytes=limits.scratch_mib * 1024 * 1024)


def _start_worker(request: ProbeRequest, probes: list[str], workdir: str, log, cgroup: WorkerCgroup):
    """Write the request, then start the worker; returns the process and the read end of its channel."""
    request_file = os.path.join(workdir, "request.json")
    with open(request_file, "w", encoding="utf-8") as handle:
        json.dump(worker_request(request, probes), handle)
    read_end, write_end = os.pipe()
    home = tempfile.mkdtemp(prefix="home-", dir=workdir)
    limits = request.limits
    command = sandboxed([sys.executable, "-I", str(WORKER_FILE), request_file, str(write_end)],
                        readable=[WORKER_FILE, *map(Path, request.worker_probe_files().values()), request.module_path.resolve(),
                                  Path(request_file)],
                        scratch=Path(home), scratch_bytes=limits.scratch_mib * 1024 * 1024,
                        level=isolation_level(limits.isolation))
    try:
        process = subprocess.Popen(
            command, cwd=home, env=clean_environment(home, request.environment), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            pass_fds=(write_end,),
            preexec_fn=_limit_resources(limits.memory_mib, limits.output_bytes,
                                        _process_allowance(limits.processes), cgroup))
    finally:
        os.close(write_end)
    return process, read_end


def _verdict(events: list[dict], clock: WorkerClock) -> str:
    """How a window that ran out was spent. Until the worker's first event it has run only the grader's
    own start (the sandbox, the interpreter, the probe code), never student code: whatever held it up
    there is the machine's doing, so it counts as starved. After that, the worker's clock judges."""
    return WorkerEnd.STARVED if not events else WorkerEnd(clock.verdict())


def _read_events(read_end: int, limits: Limits, probes: list[str], clock: WorkerClock,
                 slow: SlowCall | None = None) -> tuple[list[dict], WorkerEnd | None]:
    """Events until every probe has reported or the channel closes; or why reading stopped:
    the time limit of a call that was "working", "waiting" or "starved" (see worker_clock), a
    "flood" or "garbled" output. (A child the worker started may hold the channel open.)"""
    events: list[dict] = []
    buffer = b""
    limit = limits.import_seconds
    clock.start()
    with selectors.DefaultSelector() as selector:
        selector.register(read_end, selectors.EVENT_READ)
        while True:
            remaining = limit - clock.elapsed()
            if remaining <= 0:
                return events, _verdict(events, clock)
            wake = min(remaining, 1.0)
            if slow is not None and slow.kind is None:
                notice_in = NOTICE_FRACTION * limit - clock.elapsed()
                if notice_in <= 0:
                    slow.kind = "starved" if _verdict(events, clock) == WorkerEnd.STARVED else "working"
                else:
                    wake = min(wake, notice_in)
            if not selector.select(timeout=wake):
                continue
            chunk = os.read(read_end, 65536)
            if not chunk:
                return events, None
            buffer += chunk
            if len(buffer) > limits.output_bytes * 4:
                return events, WorkerEnd.FLOOD
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                event = _decode(line)
                if event is None:
                    return events, WorkerEnd.GARBLED
                events.append(event)
                if event["event"] in (Event.IMPORTED, *REPORTED):
                    limit = limits.probe_seconds
                    clock.start()
                if _finished(events, probes):
                    return events, None


def _run_worker(request: ProbeRequest, probes: list[str], workdir: str, log,
                slow: SlowCall | None = None) -> tuple[list[dict], WorkerEnd | Exited | None, str, float | None]:
    """Run one worker for `probes`; return its events, why it stopped early if it did, its isolation (forked
    by the batch's fork server where there is one that answers, else a fresh process) and, for a window that
    ran out, the share of a processor the worker got in it (None where the machine keeps no such figures)."""
    cgroup = WorkerCgroup(request.limits.processes, request.limits.memory_mib * 1024 * 1024)
    process = _fork_worker(request, probes, log, cgroup) if request.fork_server else None
    if process is not None:
        read_end, isolation = process.read_end, FORK_ISOLATION
    else:
        process, read_end = _start_worker(request, probes, workdir, log, cgroup)
        isolation = isolation_level(request.limits.isolation)
    clock = WorkerClock(lambda: cgroup.processes() if cgroup.active else process_tree(process.pid))
    stopped, share = None, None
    try:
        events, stopped = _read_events(read_end, request.limits, probes, clock, slow)
        use = clock.use() if stopped == WorkerEnd.STARVED else None
        share = use.ran / use.seconds if use is not None and use.seconds > 0 else None
    finally:
        os.close(read_end)
        if stopped is None:
            try:  # the channel closed: let the worker finish exiting, so its exit status is its own
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        stop_group(process)
        cgroup.close()
        if isinstance(process, ForkedWorker):
            process.close()
    if stopped is None and not _finished(events, probes):
        code = process.returncode
        if code is not None and code > 128 and isolation in ("bwrap", FORK_ISOLATION):
            code = 128 - code  # bubblewrap, as the fork server's init, reports a child killed by signal N as 128 + N
        stopped = Exited(code)
    return events, stopped, isolation, share


def _declared(events: list[dict]) -> list[str] | None:
    """The probe names the worker read from the probe module, before any student code ran."""
    for event in events:
        if event.get("event") in LOADED:
            return None
        names = event.get("names")
        if event.get("event") == Event.PROBES and isinstance(names, list) and all(isinstance(n, str) for n in names):
            return names
    return None


def _finished(events: list[dict], probes: list[str]) -> bool:
    """Every probe asked for (or, when none were named, every probe declared) has reported."""
    if any(e.get("event") == Event.IMPORT_FAILED for e in events):
        return True
    expected = probes or _declared(events)
    reported = {e.get("probe") for e in events if e.get("event") in REPORTED}
    return expected is not None and set(expected) <= reported


def _decode(line: bytes) -> dict | None:
    """Strict JSON into plain types only; a line that is anything else ends the worker's say."""
    try:
        event = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return event if isinstance(event, dict) and isinstance(event.get("event"), str) else None


_EVENT_KINDS = frozenset(kind.value for kind in Event)


def _claimed(error) -> dict:
    """A worker's error as the grader reads it: a reserved verdict reported from inside the worker (raised by
    the student's code, or written to the channel) is the code's claim, and fails like any other error."""
    if not isinstance(error, dict):
        return {"type": "Error", "where": None, "todo": False, "message": ""}
    if error.get("type") in RESERVED_KINDS:
        return {**error, "type": GraderStop.CLAIMED_VERDICT.value, "todo": False,
                "message": f"your code reported {error.get('type')!r}, a verdict only the grader gives"}
    return error


def protocol_fault(events: list[dict], requested: list[str]) -> tuple[int, str] | None:
    """The first event that breaks the worker's protocol, and how, or None: `probes`, then `imported` or
    `import_failed`, then for each probe asked for (every declared one when none were named), `start` then
    `done` or `failed`. Only the student's code can write anything else there."""
    declared = None
    loaded = False
    current = None
    reported: set[str] = set()
    for index, event in enumerate(events):
        kind, probe = event.get("event"), event.get("probe")
        if kind not in _EVENT_KINDS:
            return index, f"an unknown event {kind!r}"
        if kind == Event.PROBES:
            if index != 0:
                return index, "a second list of probes"
            declared = event.get("names")
            continue
        if declared is None:
            return index, f"{kind!r} before the worker had started"
        if kind in LOADED:
            if loaded:
                return index, f"{kind!r} after the module had loaded"
            loaded = True
            continue
        if not loaded:
            return index, f"{kind!r} before the module had loaded"
        expected = requested or declared
        if kind == Event.START:
            if current is not None:
                return index, f"'start' of {probe!r} while {current!r} was running"
            if probe not in expected or probe in reported:
                return index, f"'start' of {probe!r}, which was not asked for or had already reported"
            current = probe
        else:
            if probe != current:
                return index, f"{kind!r} for {probe!r} while {current!r} was running"
            reported.add(probe)
            current = None
    return None


def _limit(request: ProbeRequest, during: str) -> float:
    return request.limits.import_seconds if during == "import" else request.limits.probe_seconds


def _describe_stop(stopped: WorkerEnd | Exited, request: ProbeRequest, during: str) -> str:
    if stopped == WorkerEnd.WORKING:
        return (f"stopped after {_limit(request, during):g} s without finishing "
                "(an endless loop, or far too much work?)")
    if stopped == WorkerEnd.WAITING:
        return (f"stopped after {_limit(request, during):g} s without finishing: it sat waiting rather than "
                "computing (time.sleep, or waiting for a lock or another process?)")
    if stopped == WorkerEnd.FLOOD:
        return "stopped: it wrote far more output than allowed"
    if stopped == WorkerEnd.GARBLED:
        return "stopped: the grader's channel received something that is not the grader's"
    code = stopped.code if isinstance(stopped, Exited) else None
    if code is not None and code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        reason = {"SIGKILL": " (out of memory or killed)", "SIGXFSZ": " (wrote too much output)",
                  "SIGSEGV": " (crashed)"}.get(name, "")
        return f"the process was ended by {name}{reason}"
    return f"the process exited (exit code {code}) before finishing: sys.exit, os._exit or a crash?"


def _blame_protocol(run: ExerciseRun, pending: list[str], events: list[dict], fault: str) -> None:
    """Only code inside the worker writes out of turn on its channel: the import, or every probe not yet
    reported, fails with what broke the protocol. The worker is not started again for them."""
    error = grader_error(GraderStop.PROTOCOL_VIOLATION,
                         f"the grader's channel received {fault}: code in the submission wrote to it")
    if not any(e["event"] == Event.IMPORTED for e in events):
        run.import_error = error
        return
    for probe in pending:
        run.outcomes[probe] = ProbeOutcome(ok=False, error=error)
    pending.clear()


# The least share of a processor a window is stretched for: below it, the outer limit decides anyway.
_LEAST_SHARE = 0.01


def stretched(request: ProbeRequest, share: float | None) -> ProbeRequest:
    """The request with its time windows widened by the share of a processor its starved worker got (a
    worker that got a fifth of one has five times as long), never past the check's own outer limit: a slow
    machine grades in full where it can, and "not graded" is left for where even that cannot fit."""
    limits = request.limits
    widest = max(limits.import_seconds, limits.probe_seconds)
    if not share or widest <= 0:
        return request
    factor = min(1 / max(share, _LEAST_SHARE), limits.check_seconds / widest)
    if factor <= 1:
        return request
    return dataclasses.replace(request, limits=dataclasses.replace(
        limits, import_seconds=limits.import_seconds * factor, probe_seconds=limits.probe_seconds * factor))


def _starved(request: ProbeRequest, during: str) -> dict:
    return grader_error(GraderStop.STARVED, NOT_GRADED_MESSAGE.format(seconds=_limit(request, during)))


def run_probes(request: ProbeRequest, slow: SlowCall | None = None) -> ExerciseRun:
    """Run every probe of `request`, restarting the worker past any probe that kills it, and once more
    for a call the machine starved; `slow` is told when a call runs long (see SlowCall)."""
    run = ExerciseRun(exercise=request.exercise, module_path=str(request.module_path))
    if not request.module_path.is_file():
        run.import_error = grader_error(GraderStop.MISSING_FILE,
                                        f"{request.module_path.name} is missing from the submission")
        return run
    pending = list(request.probes)  # empty until the worker declares its probes, when none were named
    run_again: set[str] = set()  # the calls (probes, or _IMPORT) already run again because they were starved
    with tempfile.TemporaryDirectory(prefix=f"autograder-{request.exercise}-") as workdir:
        with open(os.path.join(workdir, "console.log"), "w+b") as log:
            while True:
                asked = list(pending)
                events, stopped, isolation, share = _run_worker(request, pending, workdir, log, slow)
                run.isolation = isolation if run.isolation in ("", isolation) else f"{run.isolation}+{isolation}"
                fault = protocol_fault(events, asked)
                if fault is not None:
                    events = events[:fault[0]]
                pending = pending or _declared(events) or []
                current = None
                for event in events:
                    kind = event["event"]
                    if kind == Event.IMPORT_FAILED:
                        run.import_error = _claimed(event.get("error"))
                    elif kind == Event.START:
                        current = event.get("probe")
                    elif kind in REPORTED and event.get("probe") in pending:
                        outcome = ProbeOutcome.from_event(event)
                        if not outcome.ok:
                            outcome = dataclasses.replace(outcome, error=_claimed(outcome.error))
                        run.outcomes[event["probe"]] = outcome
                        pending.remove(event["probe"])
                        current = None
                if fault is not None and run.import_error is None:
                    _blame_protocol(run, pending, events, fault[1])
                    break
                if run.import_error is not None or not stopped:
                    break
                if not any(e["event"] == Event.IMPORTED for e in events):  # stopped before the module loaded
                    if stopped == WorkerEnd.STARVED and _IMPORT not in run_again:
                        run_again.add(_IMPORT)
                        request = stretched(request, share)
                        continue
                    run.import_error = _starved(request, "import") if stopped == WorkerEnd.STARVED else grader_error(
                        GraderStop.WORKER_STOPPED,
                        "while importing the module, " + _describe_stop(stopped, request, "import"))
                    break
                if not pending:
                    break
                if current is None or current not in pending:
                    current = pending[0]
                if stopped == WorkerEnd.STARVED and current not in run_again:
                    run_again.add(current)
                    request = stretched(request, share)
                    continue
                run.outcomes[current] = ProbeOutcome(ok=False, error=_starved(request, "probe") if stopped == WorkerEnd.STARVED
                                                     else grader_error(GraderStop.WORKER_STOPPED,
                                                                       _describe_stop(stopped, request, "probe")))
                pending.remove(current)
                if not pending:
                    break
    return run
