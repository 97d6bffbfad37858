"""A starved machine is not a stuck student: judged by processor time, retried, never a failed check.

The machine is starved on purpose with a cgroup v1 CPU quota on the workers only (tests/throttled_workers.py);
everything runs on the tiny course (tests/tiny_course), so it takes seconds.
"""
from __future__ import annotations

import copy
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from throttled_workers import ENVIRONMENT, can_throttle, cpu_quota, throttle, unthrottle

from autograder.run import runner
from autograder.instructor.batch import Graded, export_submission
from autograder.checking import Observed, grade_check
from autograder.course.model import load_course
from autograder.course.code import check_functions
from autograder.exporters.feedback import feedback_markdown
from autograder.exporters.gradescope import gradescope_results
from autograder.exporters.score_table import score_table
from autograder.instructor.intake import Submission
from autograder.run.observations import STARVED, ExerciseRun, ProbeOutcome
from autograder.run.reference import reference_run
from autograder.results import RunResult
from autograder.run.runner import probe_request, run_probes
from autograder.run.session import GradingSession
from autograder.run.worker_clock import Use, process_tree

TESTS = Path(__file__).resolve().parent
TINY = load_course(TESTS / "tiny_course" / "course.toml")
FUNCTION = "lists"  # the tiny exercise that calls a function of the student's
NOT_A_VERDICT = "the grader ran out of time on this machine, not a verdict on your code"
needs_quota = pytest.mark.skipif(not can_throttle(), reason="needs root and a writable cgroup v1 cpu hierarchy")


def _tiny(**limits):
    return dataclasses.replace(TINY, limits=dataclasses.replace(TINY.limits, **limits))


def _request(folder: Path, exercise: str = FUNCTION, **limits):
    course = _tiny(**limits)
    return probe_request(course, exercise, folder, seed=TINY.seed)


def _with_function_body(tmp_path: Path, body: str) -> Path:
    """The tiny solutions, with `body` first in the function exercise's function."""
    folder = tmp_path / "submission"
    shutil.copytree(TINY.solutions_dir, folder)
    module = folder / TINY.exercise(FUNCTION).file
    source = module.read_text()
    start = source.index("    ### BEGIN SOLUTION\n")
    module.write_text(source[:start] + textwrap.indent(textwrap.dedent(body), "    ") + source[start:])
    return folder


def _grade(run: ExerciseRun, exercise: str = FUNCTION) -> list:
    """Every check of `exercise` on the student's `run`, against the recorded reference."""
    course_exercise = TINY.exercise(exercise)
    reference = reference_run(probe_request(TINY, exercise, TINY.solutions_dir, TINY.seed, reference=True),
                              TINY.layout.recording(exercise))
    return [grade_check(course_exercise, course_exercise.check(check_id), function, check_id,
                        lambda: Observed(course_exercise, run, lambda: reference))
            for check_id, function in check_functions(TINY, course_exercise).items()]


@pytest.mark.parametrize("ran, waited, verdict", [(6.0, 0.5, "working"), (0.5, 8.0, "starved"),
                                                  (0.1, 0.2, "waiting"), (3.0, 7.0, "working")])
def test_a_window_is_judged_by_how_the_worker_spent_it(ran, waited, verdict):
    assert Use(seconds=10.0, ran=ran, waited=waited).verdict == verdict


def test_a_call_that_sleeps_is_the_codes_doing_not_the_machines(tmp_path):
    """Little processor time and no waiting for it: not starved, so a verdict, worded for what it did."""
    run = run_probes(_request(_with_function_body(tmp_path, "import time\nif values:\n    time.sleep(60)\n"),
                              probe_seconds=1))
    stopped = [outcome.error for outcome in run.outcomes.values() if not outcome.ok]
    assert len(stopped) == 1 and stopped[0]["type"] != STARVED, run.outcomes
    assert "stopped after 1 s without finishing: it sat waiting" in stopped[0]["message"]


def test_a_probe_starved_twice_is_not_graded_and_the_others_still_run(tmp_path, monkeypatch):
    """The runner's bookkeeping, with the worker's stops scripted: once starved, run again; twice, not graded."""
    names = list(run_probes(_request(TINY.solutions_dir)).outcomes)
    first, rest = names[0], names[1:]
    declared = [{"event": "probes", "names": names}, {"event": "imported"}]
    finishing = [event for name in rest for event in ({"event": "start", "probe": name},
                                                      {"event": "done", "probe": name, "value": {}})]
    stops = iter([(declared + [{"event": "start", "probe": first}], "starved", "basic", None)] * 2
                 + [(declared + finishing, None, "basic", None)])
    asked = []

    def scripted_worker(request, probes, workdir, log, slow=None):
        asked.append(list(probes))
        return copy.deepcopy(next(stops))  # fresh events, as a real worker's
    monkeypatch.setattr(runner, "_run_worker", scripted_worker)
    run = run_probes(_request(TINY.solutions_dir))
    assert asked == [[], names, rest]  # the starved probe ran twice, then the worker went on without it
    assert run.outcomes[first].error["type"] == STARVED and NOT_A_VERDICT in run.outcomes[first].error["message"]
    assert all(run.outcomes[name].ok for name in rest)


def test_a_starved_check_is_neither_passed_nor_failed_anywhere(tmp_path):
    """What the student and the instructor read: no lost check, no hint, an incomplete run graded again."""
    run = run_probes(_request(TINY.solutions_dir))
    starved = next(iter(run.outcomes))
    run.outcomes[starved] = ProbeOutcome(ok=False, error={"type": STARVED, "message": NOT_A_VERDICT + "."})
    results = _grade(run)
    not_graded = [r for r in results if not r.graded]
    assert not_graded and all(not r.passed and not r.hint and NOT_A_VERDICT in r.message for r in not_graded)
    result = RunResult.for_course(TINY, "s", TINY.seed)
    result.checks += results
    assert not result.complete
    gradescope = gradescope_results(result)
    for test in gradescope["tests"]:
        if NOT_A_VERDICT in test["output"]:
            assert "status" not in test  # neither passed nor failed
    assert "incomplete" in gradescope["output"]
    assert "not graded /" in feedback_markdown(result) and "✗" not in feedback_markdown(result)
    assert any(NOT_A_VERDICT in line for line in score_table(result))
    record = export_submission(Graded(result), Submission("s", tmp_path), tmp_path / "out", TINY, "fingerprint")
    assert record["fingerprint"] == "incomplete"  # a batch grades it again next time


class _NoControlGroup:
    """As for a student who is not root, or in a container that lends no cgroup: the worker's process tree counts."""
    active = False

    def __init__(self, *limits) -> None:
        self.paths = []

    def join(self) -> None:
        pass

    def close(self) -> None:
        pass


@needs_quota
@pytest.mark.parametrize("threads_of", ["control group", "process tree"])
def test_a_starved_start_is_run_again_and_then_graded_in_full(threads_of, monkeypatch):
    """The first worker gets 1% of a processor and cannot even start within the limit: before its first
    word no student code has run, so that is the machine's doing. Run again at full speed, it passes."""
    if threads_of == "process tree":
        monkeypatch.setattr(runner, "WorkerCgroup", _NoControlGroup)
    with cpu_quota(0.01) as group:
        started = throttle(group, workers=1)
        try:
            run = run_probes(_request(TINY.solutions_dir, import_seconds=1, probe_seconds=1))
        finally:
            unthrottle()
    assert len(started) == 2 and run.import_error is None, run.import_error
    assert all(result.passed for result in _grade(run))


@pytest.mark.parametrize("events, verdict", [([], "starved"), ([{"event": "probes", "names": []}], "waiting")])
def test_a_window_before_the_workers_first_word_is_the_machines(events, verdict):
    """Whatever the clock says (here: it sat waiting), no student code ran before the first event."""
    class Waiting:
        def verdict(self) -> str:
            return "waiting"
    assert runner._verdict(events, Waiting()) == verdict


def test_a_workers_process_tree_is_found_from_proc():
    """Where no control group holds a worker, its threads are found through /proc, children and all."""
    child = subprocess.Popen([sys.executable, "-c", "import subprocess, sys; "
                              "subprocess.run([sys.executable, '-c', 'import time; time.sleep(30)'])"])
    try:
        for _ in range(100):
            tree = process_tree(os.getpid())
            if len(tree) >= 3:
                break
            time.sleep(0.05)
        assert tree[0] == os.getpid() and child.pid in tree and len(tree) >= 3, tree
    finally:
        for pid in process_tree(child.pid)[::-1]:
            os.kill(pid, signal.SIGKILL)
        child.wait()




@needs_quota
@pytest.mark.slow  # at 1% of a processor, the stretched windows grade in full: about 20 s
def test_a_correct_submission_on_a_starved_machine_is_never_failed(tmp_path):
    """`pytest autograder` with every worker at 1% of a processor and 1 s limits: every check is passed or says
    it was not graded (a starved window runs again stretched, within the check's outer limit), and no "slow or
    stuck" notice blames the code."""
    course = Path(shutil.copytree(TINY.root, tmp_path / "course"))
    toml = course / "course.toml"
    toml.write_text(toml.read_text().replace(f"import_seconds = {TINY.limits.import_seconds:g}", "import_seconds = 1")
                    .replace(f"probe_seconds = {TINY.limits.probe_seconds:g}", "probe_seconds = 1"))
    assert load_course(toml).limits.import_seconds == 1
    results = tmp_path / "results.json"
    with cpu_quota(0.01) as group:
        completed = subprocess.run(
            [sys.executable, "-m", "pytest", "autograder", f"--submission={TINY.solutions_dir}",
             f"--course={toml}", f"--results={results}", "-p", "no:cacheprovider", "-p", "throttled_workers"],
            cwd=TESTS.parent, capture_output=True, text=True, timeout=300,
            env={**os.environ, ENVIRONMENT: str(group), "PYTHONPATH": str(TESTS)})
    assert results.is_file(), completed.stdout[-3000:] + completed.stderr[-3000:]
    tests = json.loads(results.read_text())["tests"]
    assert len(tests) == sum(len(exercise.checks) for exercise in TINY.exercises)
    for test in tests:
        assert test.get("status") != "failed", test
        assert test.get("status") == "passed" or NOT_A_VERDICT in test["output"], test
    assert "slow or stuck" not in completed.stdout and "without finishing" not in completed.stdout


def test_a_call_well_within_its_limit_is_not_announced(tmp_path):
    """However long the whole run, the notice is about one call: a correct slow call is not stuck."""
    submission = _with_function_body(tmp_path, "import time\ntime.sleep(0.6)\n")
    session = GradingSession(_tiny(probe_seconds=2), submission, TINY.solutions_dir, TINY.seed)
    told = []
    try:
        run = session.student(FUNCTION, on_slow=told.append)
    finally:
        session.close()
    assert told == [] and all(outcome.ok for outcome in run.outcomes.values())


@pytest.mark.slow  # the run must outlast the 15 s after which the grader used to announce any run
def test_a_long_run_of_correct_calls_is_not_announced(tmp_path):
    """As on a slow laptop: the whole run takes long, each call well within its limit. No notice."""
    seconds = 8.0
    course = Path(shutil.copytree(TINY.root, tmp_path / "course"))
    toml = course / "course.toml"
    toml.write_text(toml.read_text().replace(f"probe_seconds = {TINY.limits.probe_seconds:g}",
                                             f"probe_seconds = {4 * seconds:g}"))
    submission = _with_function_body(tmp_path, f"import time\ntime.sleep({seconds})\n")
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "autograder", f"--submission={submission}", f"--course={toml}",
         f"--results={tmp_path / 'results.json'}", "-p", "no:cacheprovider", "--exercise", FUNCTION],
        cwd=TESTS.parent, capture_output=True, text=True, timeout=300)
    assert json.loads((tmp_path / "results.json").read_text())["score"] == TINY.exercise(FUNCTION).max_points
    assert "still grading" not in completed.stdout


def test_time_held_by_a_cpu_quota_counts_as_starved(tmp_path):
    """Some kernels do not count a throttled thread's time as waiting: the quota's own counter says it."""
    from autograder.run.worker_clock import Use, throttled
    proc, root = tmp_path / "proc", tmp_path / "cgroup"
    (proc / "41").mkdir(parents=True)
    (proc / "41" / "cgroup").write_text("4:memory:/grader\n1:cpu:/grader/quota\n0::/unified\n")
    (root / "cpu" / "grader" / "quota").mkdir(parents=True)
    (root / "cpu" / "grader" / "quota" / "cpu.stat").write_text("nr_periods 10\nnr_throttled 9\nthrottled_time 900000000\n")
    (root / "unified").mkdir()
    (root / "unified" / "cpu.stat").write_text("usage_usec 5\nthrottled_usec 250000\n")
    assert sorted(throttled([41, 99], proc, root).values()) == [250_000_000, 900_000_000]
    assert Use(seconds=1.0, ran=0.01, waited=0.0, throttled=0.9).verdict == "starved"
    assert Use(seconds=1.0, ran=0.01, waited=0.0, throttled=0.0).verdict == "waiting"
    assert Use(seconds=1.0, ran=0.5, waited=0.0, throttled=0.9).verdict == "working"


def test_a_starved_window_is_run_again_stretched_by_the_share_the_worker_got():
    request = _request(TINY.solutions_dir, import_seconds=2, probe_seconds=1)
    wider = runner.stretched(request, 0.2)
    assert (wider.limits.import_seconds, wider.limits.probe_seconds) == pytest.approx((10, 5))
    capped = runner.stretched(request, 0.0001)  # never past the check's outer limit
    assert capped.limits.import_seconds == pytest.approx(request.limits.check_seconds)
    assert runner.stretched(request, None) == request and runner.stretched(request, 0.9) != request


@needs_quota
def test_a_correct_submission_at_a_fifth_of_a_processor_is_graded_in_full(tmp_path):
    """Each call needs 0.4 s of processor time: 2 s at a fifth of one, past its 1 s window. Starved, it runs
    again in a window stretched by the share it got, and every check is graded: passed, not "not graded"."""
    submission = _with_function_body(tmp_path, """
        import time
        end = time.process_time() + 0.4
        while time.process_time() < end:
            pass
        """)
    with cpu_quota(0.2) as group:
        started = throttle(group)
        try:
            run = run_probes(_request(submission, import_seconds=10, probe_seconds=1))
        finally:
            unthrottle()
    assert len(started) > 1, "the first window did not starve: nothing was tested"
    assert run.import_error is None and all(outcome.ok for outcome in run.outcomes.values()), run.outcomes
    assert all(result.passed for result in _grade(run))
