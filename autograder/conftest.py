"""`pytest autograder`: the grader as a pytest plugin.

Collects autograder/checks/<id>.py for every exercise in course.toml, starts the
workers as collection begins, turns CheckFailed into a short message with
its hint, prints the score table and writes results.json on request.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from autograder.checking import GraderError, Observed
from autograder.course import REPO_ROOT, Course, CourseError, load_course
from autograder.atomic import write_json_atomically
from autograder.exporters.gradescope import gradescope_results
from autograder.exporters.score_table import score_table
from autograder.observations import CheckFailed
from autograder.results import CheckResult, RunResult
from autograder.sandbox import isolation_level
from autograder.session import GradingSession

CHECKS_DIR = Path(__file__).resolve().parent / "checks"

HELP_SUBMISSION = "folder holding the submission's exercise files (default: exercises/)"
HELP_SOLUTIONS = "folder holding the reference solutions (default: solutions/)"
HELP_SEED = "seed of every experiment of the run (default: [course] seed in course.toml)"
HELP_RESULTS = "write the run as a Gradescope results.json to this file"
HELP_COURSE = "course file (default: course.toml at the repository root)"
HELP_RECORD = "write the run's results and the submission's observations, as plain JSON, to this file"
HELP_EXERCISE = "grade only this exercise (repeat for several; default: every exercise in course.toml)"
HELP_WORKERS = "workers that may run at once (default: [limits] workers_at_once; 1 keeps memory lowest)"
HELP_REFERENCE_CACHE = "folder where reference observations for other seeds are kept between runs"

course_key = pytest.StashKey[Course]()
session_key = pytest.StashKey[GradingSession]()
result_key = pytest.StashKey[RunResult]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("autograder")
    group.addoption("--submission", default=str(REPO_ROOT / "exercises"), help=HELP_SUBMISSION)
    group.addoption("--solutions", default=str(REPO_ROOT / "solutions"), help=HELP_SOLUTIONS)
    group.addoption("--seed", type=int, default=None, help=HELP_SEED)
    group.addoption("--results", default=None, help=HELP_RESULTS)
    group.addoption("--course", default=str(REPO_ROOT / "course.toml"), help=HELP_COURSE)
    group.addoption("--reference-cache", default=None, help=HELP_REFERENCE_CACHE)
    group.addoption("--record", default=None, help=HELP_RECORD)
    group.addoption("--exercise", action="append", default=None, help=HELP_EXERCISE)
    group.addoption("--workers-at-once", type=int, default=None, help=HELP_WORKERS)


def pytest_configure(config: pytest.Config) -> None:
    if os.name == "nt":
        raise pytest.UsageError("the grader runs on Linux and macOS; on Windows, use WSL "
                                "(https://learn.microsoft.com/windows/wsl/install)")
    try:
        course = load_course(config.getoption("--course"))
    except CourseError as error:
        raise pytest.UsageError(str(error)) from None
    submission = Path(config.getoption("--submission"))
    if not submission.is_dir():
        raise pytest.UsageError(f"--submission {submission}: no such folder")
    chosen = config.getoption("--exercise")
    if chosen:
        unknown = sorted(set(chosen) - {e.id for e in course.exercises})
        if unknown:
            raise pytest.UsageError(f"--exercise {unknown[0]}: course.toml has no such exercise "
                                    f"(it has {', '.join(e.id for e in course.exercises)})")
        course = dataclasses.replace(course, exercises=tuple(e for e in course.exercises if e.id in chosen))
    workers = config.getoption("--workers-at-once")
    if workers is not None:
        course = dataclasses.replace(course, limits=dataclasses.replace(course.limits, workers_at_once=workers))
    config.option.reportchars = ""  # the score table and each check's message say it all
    seed = config.getoption("--seed")
    seed = course.seed if seed is None else seed
    if seed != course.seed and not Path(config.getoption("--solutions")).is_dir():
        raise pytest.UsageError(f"--seed {seed}: this copy of the grader holds the reference for the course seed "
                                f"({course.seed}) only; run without --seed")
    config.stash[course_key] = course
    cache = config.getoption("--reference-cache")
    config.stash[session_key] = GradingSession(course, submission.resolve(),
                                               Path(config.getoption("--solutions")).resolve(), seed,
                                               Path(cache).resolve() if cache else None)
    config.stash[result_key] = RunResult(
        course_title=course.title, submission=str(submission), seed=seed,
        exercise_titles={e.id: e.title for e in course.exercises},
        exercise_possible={e.id: e.max_points for e in course.exercises},
        isolation=isolation_level(course.limits.isolation), hidden_elsewhere=course.hidden_points)


def pytest_report_header(config: pytest.Config) -> list[str]:
    result = config.stash[result_key]
    isolation = ("bubblewrap sandbox" if result.isolation == "bwrap" else
                 "basic (separate process and limits; install bubblewrap on Linux for a sandbox)")
    return [f"autograder: {result.course_title}",
            f"autograder: grading {result.submission} with --seed={result.seed}",
            f"autograder: isolation {isolation}"]


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if file_path.parent == CHECKS_DIR and file_path.suffix == ".py" and not parent.session.isinitpath(file_path):
        if file_path.stem in {e.id for e in parent.config.stash[course_key].exercises}:
            return pytest.Module.from_parent(parent, path=file_path)
    return None


def _exercise_of(item: pytest.Item) -> str:
    return Path(item.fspath).stem


def _check_of(item: pytest.Item) -> str:
    return item.originalname.removeprefix("test_") if isinstance(item, pytest.Function) else item.name


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Order checks as course.toml does, check that code and course.toml agree, set the timeouts."""
    course = config.stash[course_key]
    order = [e.id for e in course.exercises]
    checks = [i for i in items if Path(i.fspath).parent == CHECKS_DIR]
    for exercise in {_exercise_of(i) for i in checks}:
        in_code = {_check_of(i) for i in checks if _exercise_of(i) == exercise}
        in_course = {c.id for c in course.exercise(exercise).checks}
        if in_code != in_course:
            missing, extra = sorted(in_course - in_code), sorted(in_code - in_course)
            raise pytest.UsageError(f"{course.path}: exercise {exercise!r} lists checks that do not match "
                                    f"autograder/checks/{exercise}.py (no function for {missing}; "
                                    f"no [exercises.checks.*] table for {extra})")
    items.sort(key=lambda i: order.index(_exercise_of(i)) if i in checks else len(order))
    for item in checks:
        item.add_marker(pytest.mark.timeout(course.limits.check_seconds))


def pytest_collection(session: pytest.Session) -> None:
    """Start the workers before collecting: they need a few seconds, collection needs none of them."""
    if not session.config.option.collectonly:
        session.config.stash[session_key].start([e.id for e in session.config.stash[course_key].exercises])


@pytest.fixture
def observed(request: pytest.FixtureRequest) -> Observed:
    """The student's and the reference's observations for this check's exercise."""
    exercise = Path(request.node.fspath).stem
    grading = request.config.stash[session_key]
    limit = request.config.stash[course_key].limits.probe_seconds

    def tell_student_we_wait() -> None:
        """A stuck call is stopped only after its time limit: say so, rather than sit silent."""
        reporter = request.config.pluginmanager.getplugin("terminalreporter")
        capture = request.config.pluginmanager.getplugin("capturemanager")
        if reporter is not None and capture is not None:
            with capture.global_and_fixture_disabled():
                reporter.write_line(f"\nstill grading {exercise}.py: a call in it is slow or stuck; "
                                    f"each call is stopped after {limit:g} s")
    return Observed(grading.student(exercise, tell_student_we_wait), lambda: grading.reference(exercise),
                    request.config.stash[course_key].thresholds)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if Path(item.fspath).parent != CHECKS_DIR or (call.when != "call" and not report.failed):
        return report
    course = item.config.stash[course_key]
    check = course.exercise(_exercise_of(item)).check(_check_of(item))
    name = (item.function.__doc__ or item.name).strip().splitlines()[0]
    message = ""
    if call.excinfo is not None:
        if call.excinfo.errisinstance(CheckFailed):
            message = call.excinfo.value.message
            report.longrepr = f"{name}\n  {message}\n  Hint: {check.hint}" if check.hint else f"{name}\n  {message}"
        elif call.excinfo.errisinstance(GraderError):
            message = f"the grader could not run this check ({call.excinfo.value}); tell your instructor"
            report.longrepr = f"{name}\n  {message}"
        else:
            message = f"the check stopped on {call.excinfo.typename}: {call.excinfo.value}"
    item.config.stash[result_key].checks.append(CheckResult(
        exercise=_exercise_of(item), check=check.id, name=name, possible=check.points,
        passed=report.passed, message=message, hint=check.hint if not report.passed else "", hidden=check.hidden))
    return report


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    result = config.stash[result_key]
    if not result.checks:
        return
    terminalreporter.section("score")
    for line in score_table(result):
        terminalreporter.write_line(line)


def pytest_unconfigure(config: pytest.Config) -> None:
    if session_key not in config.stash:
        return
    grading, result = config.stash[session_key], config.stash[result_key]
    path = config.getoption("--results", default=None)
    if path:
        write_json_atomically(gradescope_results(result, config.stash[course_key].gradescope), Path(path))
    record = config.getoption("--record", default=None)
    if record:
        write_json_atomically({"result": result.to_json(), "observations": grading.student_observations()},
                              Path(record))
    grading.close()
