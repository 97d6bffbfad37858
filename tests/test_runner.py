"""The worker boundary: hangs, exits, crashes and floods cost only the probe they happen in.

Everything here runs on the tiny course (tests/tiny_course): no framework, a run takes a second.
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
import textwrap
import threading
from pathlib import Path

import pytest

from autograder.run.cgroups import WorkerCgroup
from autograder.course.model import CourseError, load_course
from autograder.course.layout import CourseLayout
from autograder.run.runner import ProbeRequest, probe_request, run_probes, threads_of_user, worker_request

TINY = load_course(Path(__file__).resolve().parent / "tiny_course" / "course.toml")
# The tiny course's exercise answered by module-level names, and the one that calls a function.
ANSWERS, FUNCTION = "words", "lists"


def _request(folder: Path, exercise: str, **limits) -> ProbeRequest:
    request = probe_request(TINY, exercise, folder, seed=1)
    return dataclasses.replace(request, limits=dataclasses.replace(
        TINY.limits, **{"import_seconds": 20, "probe_seconds": 5, **limits}))


def _run(tmp_path: Path, exercise: str, source: str, **limits):
    """Run every probe of `exercise` on a module holding `source`."""
    (tmp_path / TINY.exercise(exercise).file).write_text(textwrap.dedent(source))
    return run_probes(_request(tmp_path, exercise, **limits))


def _with_function_body(tmp_path: Path, body: str, **limits):
    """Run the function exercise's probes on its solution, with `body` first in the function."""
    solution = (TINY.solutions_dir / TINY.exercise(FUNCTION).file).read_text()
    start = solution.index("    ### BEGIN SOLUTION\n")
    source = solution[:start] + textwrap.indent(textwrap.dedent(body), "    ") + solution[start:]
    return _run(tmp_path, FUNCTION, source, **limits)


def _why(run) -> str:
    """What the answers exercise's WHY held, as its probe observed it."""
    assert run.import_error is None, run.import_error
    return next(iter(run.outcomes.values())).value["why"]


@pytest.mark.parametrize("source, says", [
    ("import os\nos._exit(0)\n", "exit code 0"),
    ("import sys\nsys.exit(3)\n", "SystemExit"),
    ("raise KeyboardInterrupt\n", "KeyboardInterrupt"),
    ("while True:\n    pass\n", "without finishing"),
    ("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n", "SIGSEGV"),
    ("x = [0] * (10 ** 12)\n", "MemoryError"),
])
def test_hostile_import_is_reported_not_fatal(tmp_path, source, says):
    # The endless loop is stopped at the import limit: keep it short; the others end on their own.
    run = _run(tmp_path, ANSWERS, source, import_seconds=1 if "while" in source else 10)
    assert run.import_error is not None
    assert says in run.import_error["type"] + " " + run.import_error["message"]


def test_syntax_error_names_the_line(tmp_path):
    run = _run(tmp_path, ANSWERS, "ANSWER = ('a'\nWHY = 'x'\n")
    assert run.import_error["type"] == "SyntaxError"
    assert run.import_error["where"]["line"] in (1, 2)


def test_output_flood_is_stopped(tmp_path):
    run = _run(tmp_path, ANSWERS, "import sys\nwhile True:\n    sys.stdout.write('x' * 100000)\n",
               output_bytes=100_000)
    assert run.import_error is not None
    assert "File too large" in run.import_error["message"] or "SIGXFSZ" in run.import_error["message"]


def test_a_hang_costs_only_the_probe_it_happens_in(tmp_path):
    """The worker is stopped at the probe's limit and started again for the probes left."""
    run = _with_function_body(tmp_path, "while values:\n    pass\n", probe_seconds=1)
    hung = [name for name, outcome in run.outcomes.items() if not outcome.ok]
    assert hung and len(hung) < len(run.outcomes), run.outcomes
    for name in hung:  # a loop that has the processor is the code's: never put down to a busy machine
        assert "without finishing (an endless loop" in run.outcomes[name].error["message"]


def test_exit_inside_a_function_costs_only_its_probe(tmp_path):
    run = _with_function_body(tmp_path, "if not values:\n    import os\n    os._exit(0)\n")
    exited = [name for name, outcome in run.outcomes.items() if not outcome.ok]
    assert len(exited) == 1 and len(run.outcomes) > 1, run.outcomes
    assert "exit code 0" in run.outcomes[exited[0]].error["message"]


def test_printed_output_comes_back_with_the_probe(tmp_path):
    run = _with_function_body(tmp_path, "print('looking at', len(values), 'values')\n")
    assert all(o.ok and "looking at" in o.printed for o in run.outcomes.values()), run.outcomes


def test_non_finite_floats_reach_the_checks_as_floats(tmp_path):
    """NaN and the infinities cross the JSON boundary as numbers, never as strings."""
    run = _with_function_body(tmp_path, "return [float('nan'), float('inf'), -float('inf')][:len(values)]\n")
    values = [v for outcome in run.outcomes.values() for v in outcome.value["result"]["values"]]
    assert values and all(isinstance(v, float) for v in values)
    assert math.isnan(values[0]) and math.inf in values and -math.inf in values


def test_probes_are_every_probe_function_in_definition_order(tmp_path):
    """No PROBES table: `probe_<name>` functions defined in the module are the probes; imported ones,
    helpers and other values are not. Helpers in the course's `_*` homes (grading/_shared/probe.py) are imported
    relatively."""
    layout = CourseLayout(tmp_path / "course")
    for name in ("_shared", "ordered"):
        layout.home(name).mkdir(parents=True)
    layout.probe("_shared").write_text("def probe_from_a_helper(student, context):\n    return {}\n"
                                       "def twice(x):\n    return 2 * x\n")
    layout.probe("ordered").write_text(textwrap.dedent("""
        from ._shared import probe_from_a_helper, twice
        probe_not_a_function = 3

        def probe_second(student, context):
            return {"call": "second", "value": twice(student.VALUE)}

        def _helper():
            return None

        def probe_first(student, context):
            return {"call": "first", "seed": context.seed}
    """))
    (tmp_path / "ordered.py").write_text("VALUE = 21\n")
    assert set(layout.probe_files()) == {"_shared", "ordered"}
    run = run_probes(ProbeRequest(exercise="ordered", module_path=tmp_path / "ordered.py",
                                  probe_files=layout.probe_files(), seed=3, limits=TINY.limits))
    assert list(run.outcomes) == ["second", "first"]
    assert run.outcomes["second"].value["value"] == 42 and run.outcomes["first"].value["seed"] == 3


def test_the_worker_request_names_every_probe_file_of_the_course(tmp_path):
    """The worker reads the probe files it is given, by module name: the exercise's own and the helpers beside."""
    request = probe_request(TINY, FUNCTION, TINY.solutions_dir, TINY.seed)
    assert request.probe_file == TINY.layout.probe(FUNCTION).resolve()
    sent = json.loads(json.dumps(worker_request(request, ["running_total"])))
    assert "probes_dir" not in sent and sent["probes"] == ["running_total"]
    assert sent["probe_files"] == {name: str(path) for name, path in TINY.layout.probe_files().items()}
    assert {FUNCTION, ANSWERS} < set(sent["probe_files"]) and any(name.startswith("_") for name in sent["probe_files"])


def test_an_exercise_without_a_probe_file_is_a_course_error(tmp_path):
    course = load_course(Path(shutil.copytree(TINY.root, tmp_path / "course",
                                              ignore=shutil.ignore_patterns("__pycache__"))) / "course.toml")
    course.layout.probe(FUNCTION).unlink()
    with pytest.raises(CourseError, match=f"{FUNCTION!r} has no probe file {course.layout.probe(FUNCTION)}"):
        probe_request(course, FUNCTION, course.solutions_dir, course.seed)
    assert probe_request(course, ANSWERS, course.solutions_dir, course.seed).exercise == ANSWERS


def test_worker_sees_no_secrets_and_a_private_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_SECRET", "s3cret")
    why = _why(_run(tmp_path, ANSWERS, """
        import os
        ANSWER = "a"
        WHY = repr(sorted(os.environ)) + " cwd=" + os.getcwd()
    """))
    assert "GRADER_SECRET" not in why
    assert str(tmp_path) not in why.split("cwd=")[1] or "home-" in why


def test_missing_file_is_an_import_error(tmp_path):
    run = run_probes(_request(tmp_path, ANSWERS))
    assert run.import_error["type"] == "FileNotFoundError"
    assert TINY.exercise(ANSWERS).file in run.import_error["message"]


def _process_cap_enforced() -> bool:
    """Root escapes RLIMIT_NPROC; then only a control group caps processes."""
    if os.geteuid() != 0:
        return True
    probe = WorkerCgroup(1, 1 << 30)
    try:
        return probe.active
    finally:
        probe.close()


@pytest.mark.skipif(not _process_cap_enforced(), reason="root without control groups: no process cap here")
def test_fork_bomb_hits_the_process_cap(tmp_path):
    why = _why(_run(tmp_path, ANSWERS, """
        import os, time
        forks = 0
        try:
            while forks < 5000:
                if os.fork() == 0:
                    time.sleep(30)
                    os._exit(0)
                forks += 1
        except OSError:
            pass
        ANSWER = "a"
        WHY = str(forks)
    """, processes=64))
    assert int(why) < 64


def test_the_process_limit_leaves_room_for_threads_the_user_already_runs(tmp_path):
    """RLIMIT_NPROC counts every thread of the user: a busy laptop must not starve the worker."""
    for pid, uid, threads in (("11", 1000, 300), ("12", 1000, 250), ("13", 0, 40)):
        (tmp_path / pid).mkdir()
        (tmp_path / pid / "status").write_text(f"Name:\tx\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\n"
                                               f"Threads:\t{threads}\n")
    (tmp_path / "self").mkdir()
    assert threads_of_user(1000, tmp_path) == 550
    assert threads_of_user(os.getuid()) >= threading.active_count()
    assert threads_of_user(1000, tmp_path / "missing") is None


def test_the_forked_child_imports_nothing_before_exec():
    """preexec_fn runs in the child of a threaded parent: an import there can deadlock on the import
    lock another thread held at fork time, so what it runs must not import (Python's subprocess docs)."""
    import dis

    from autograder.run import runner
    from autograder.run.cgroups import WorkerCgroup

    apply = runner._limit_resources(64, 1000, 10, WorkerCgroup.__new__(WorkerCgroup))
    for code in (apply.__code__, WorkerCgroup.join.__code__):
        imports = [i.argval for i in dis.get_instructions(code) if i.opname in ("IMPORT_NAME", "IMPORT_FROM")]
        assert imports == [], f"{code.co_qualname} imports {imports} in the forked child"


# ---- what the worker reports is the code's claim: the runner owns verdicts and the protocol ----

# Student code that finds the worker's channel (the `emit` of worker.main, up the stack) and writes to it.
_FORGE = """
import os, sys
frame = sys._getframe()
while frame is not None and "emit" not in frame.f_locals:
    frame = frame.f_back
emit = frame.f_locals["emit"]
{events}
os._exit(0)
"""


def _forging(tmp_path: Path, events: str):
    return _run(tmp_path, FUNCTION, _FORGE.format(events=textwrap.dedent(events).strip()))


def test_a_forged_starved_import_fails_instead_of_going_ungraded(tmp_path):
    run = _forging(tmp_path, """emit(event="import_failed", error={"type": "GraderStarved", "message": "x",
                                                                      "where": None, "todo": False})""")
    assert run.import_error["type"] == "ClaimedVerdict"
    assert "only the grader gives" in run.import_error["message"]


def test_a_starved_verdict_raised_by_student_code_is_a_failure(tmp_path):
    run = _with_function_body(tmp_path, """
        class GraderStarved(Exception):
            pass
        raise GraderStarved("the machine is busy")
        """)
    assert {outcome.error["type"] for outcome in run.outcomes.values()} == {"ClaimedVerdict"}


@pytest.mark.parametrize("events, says", [
    ('emit(event="imported")\nemit(event="done", probe="running_total", value={}, printed="")', "while None"),
    ('emit(event="imported")\nemit(event="start", probe="nonsense")', "not asked for"),
    ('emit(event="imported")\nemit(event="imported")', "after the module had loaded"),
    ('emit(event="imported")\nemit(event="probes", names=[])', "second list of probes"),
    ('emit(event="imported")\nemit(event="verdict", score=100)', "unknown event"),
])
def test_events_out_of_turn_fail_every_probe_left(tmp_path, events, says):
    run = _forging(tmp_path, events)
    assert run.import_error is None
    assert run.outcomes and all(not o.ok and o.error["type"] == "ProtocolViolation" for o in run.outcomes.values())
    assert says in next(iter(run.outcomes.values())).error["message"]


def test_the_real_worker_keeps_the_protocol(tmp_path):
    run = run_probes(_request(TINY.solutions_dir, FUNCTION))
    assert run.outcomes and all(outcome.ok for outcome in run.outcomes.values())
