"""The worker spells the channel's names as text (it is mounted alone, standard library only): they are
exactly protocol.Event's, and the kinds the grader reserves for itself are protocol.GraderStop's."""
from __future__ import annotations

import ast

from autograder.run.protocol import (RESERVED_KINDS, RUNNER_STOPS, Event, Exited, GraderStop, WorkerEnd, WorkerKind,
                                     grader_error)
from autograder.run.runner import protocol_fault
from autograder.run.sandbox import WORKER_FILE


def _emitted_events() -> set[str]:
    """Every `emit(event="...")` of worker.py, and the event names its docstring documents."""
    tree = ast.parse(WORKER_FILE.read_text(encoding="utf-8"))
    return {keyword.value.value for node in ast.walk(tree) if isinstance(node, ast.Call)
            and getattr(node.func, "id", None) == "emit" for keyword in node.keywords
            if keyword.arg == "event" and isinstance(keyword.value, ast.Constant)}


def test_the_worker_writes_every_event_and_no_other():
    assert _emitted_events() == {kind.value for kind in Event}
    documented = ast.get_docstring(ast.parse(WORKER_FILE.read_text(encoding="utf-8")))
    assert all(f'{{"event": "{kind.value}"' in documented for kind in Event)


def test_the_worker_never_writes_a_kind_the_grader_reserves():
    source = WORKER_FILE.read_text(encoding="utf-8")
    assert not [kind.value for kind in GraderStop if f'"{kind.value}"' in source]


def test_the_kinds_the_worker_names_itself_are_protocol_s():
    source = WORKER_FILE.read_text(encoding="utf-8")
    assert all(f'"type": "{kind.value}"' in source for kind in WorkerKind)


def test_grader_errors_read_as_student_errors_do():
    error = grader_error(GraderStop.WORKER_STOPPED, "the process exited")
    assert error == {"type": "WorkerStopped", "where": None, "todo": False, "message": "the process exited"}
    assert RESERVED_KINDS <= {kind.value for kind in GraderStop} and RUNNER_STOPS <= {k.value for k in GraderStop}


def test_a_stop_is_typed_not_a_string_to_split():
    from autograder.run.runner import ProbeRequest, _describe_stop  # the runner's words for each kind of stop
    request = ProbeRequest(exercise="x", module_path=WORKER_FILE, probe_files={}, seed=0)
    assert "signal" not in _describe_stop(Exited(0), request, "probe") and "exit code 0" in \
        _describe_stop(Exited(0), request, "probe")
    assert "SIGKILL" in _describe_stop(Exited(-9), request, "probe")
    assert {_describe_stop(end, request, "probe") for end in WorkerEnd if end != WorkerEnd.STARVED} \
        .isdisjoint({_describe_stop(Exited(1), request, "probe")})


def test_the_order_the_runner_enforces_is_the_events():
    events = [{"event": "probes", "names": ["a"]}, {"event": "imported"}, {"event": "start", "probe": "a"},
              {"event": "done", "probe": "a", "value": {}}]
    assert protocol_fault(events, []) is None
    assert protocol_fault([*events[:2], {"event": "verdict"}], []) == (2, "an unknown event 'verdict'")
