"""What crosses the worker's channel, by name: the events a worker writes, and the errors the grader writes itself.

A worker (worker.py) writes one JSON object per line, `{"event": <Event>, ...}`, in the order
`protocol_fault` (runner.py) enforces. worker.py is a file of its own, standard library only and
mounted alone in the sandbox, so it spells these names as text; tests/test_protocol.py holds it to
them. Every line a worker writes is the student's claim. The errors below are the grader's: the
runner writes them from what it measured, and an error of a reserved kind that comes from the worker
is a claim (`ClaimedVerdict`), never a verdict. Standard library only.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["Event", "GraderStop", "WorkerKind", "WorkerEnd", "Exited", "grader_error", "RESERVED_KINDS", "RUNNER_STOPS",
           "LOADED", "REPORTED"]


class Event(str, Enum):
    PROBES = "probes"                # the probes the module defines, before student code: names
    IMPORTED = "imported"            # the submitted module loaded
    IMPORT_FAILED = "import_failed"  # it did not: error; nothing else follows
    START = "start"                  # a probe begins (the runner times it): probe
    DONE = "done"                    # its plain-data observations: probe, value, printed
    FAILED = "failed"                # it raised: probe, error, printed


class WorkerKind(str, Enum):
    """The error kinds a worker names itself, beside the Python exceptions it reports by their own names."""
    EMPTY_FILE = "EmptyFile"  # the submitted module defines nothing


# The events after which the runner times a probe, and those that report one.
LOADED = frozenset({Event.IMPORTED, Event.IMPORT_FAILED})
REPORTED = frozenset({Event.DONE, Event.FAILED})


class WorkerEnd(str, Enum):
    """Why the runner stopped reading a worker before every probe had reported (worker_clock judges a
    window that ran out by how the worker spent it)."""
    WORKING = "working"    # it computed for its whole window: an endless loop, or far too much work
    WAITING = "waiting"    # it sat waiting (a sleep, a lock, another process)
    STARVED = "starved"    # the machine gave it too little processor time: not the code's doing
    FLOOD = "flood"        # it wrote far more than the output limit
    GARBLED = "garbled"    # its channel carried a line that is no event


@dataclass(frozen=True)
class Exited:
    """The worker's process ended before every probe had reported: `code` as Popen reports it (-N: signal N)."""
    code: int | None


class GraderStop(str, Enum):
    """The kinds of error only the grader writes: how a worker stopped, or why it could not be judged."""
    WORKER_STOPPED = "WorkerStopped"          # killed at its limit, or it exited, before it finished
    PROTOCOL_VIOLATION = "ProtocolViolation"  # it wrote what no worker writes, or out of order
    CLAIMED_VERDICT = "ClaimedVerdict"        # it reported a kind below that only the grader gives
    STARVED = "GraderStarved"                 # the machine, not the code, kept it from finishing
    MISSING_FILE = "FileNotFoundError"        # the submission has no file for the exercise
    MISSING_REFERENCE = "MissingReference"    # this copy of the grader holds no reference for the seed


# Verdicts that withhold judgement are the runner's alone: a worker that reports one claims it.
RESERVED_KINDS = frozenset({GraderStop.STARVED.value})
# Stops the runner measured: the checks say the code stopped, not that it computed something wrong.
RUNNER_STOPS = frozenset({GraderStop.WORKER_STOPPED.value, GraderStop.PROTOCOL_VIOLATION.value})


def grader_error(kind: GraderStop, message: str) -> dict:
    """An error as checks read it (the shape worker.describe_error gives a student's), written by the grader."""
    return {"type": kind.value, "where": None, "todo": False, "message": message}
