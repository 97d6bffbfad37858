"""`pytest autograder`: the grader as a pytest plugin.

Every check of every exercise in course.toml becomes one pytest item, in course
order. Workers start once deselection (`-k`, `--exercise`) has left the checks
to run; each check waits only for its own exercise's observations. A check that
does not pass prints its message and its hint (when the course shows hints); the
run ends with a score table and writes results.json, a record or a feedback page on request.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from autograder.atomic import write_json_atomically, write_text_atomically
from autograder.checking import Observed, grade_check
from autograder.course.model import Check, Course, CourseError, Exercise, load_course
from autograder.course.code import check_functions, display_name
from autograder.exporters.feedback_html import curve_pairs, feedback_html
from autograder.exporters.gradescope import gradescope_results
from autograder.exporters.score_table import score_table
from autograder.grade import checked_seed, handed_in, with_workers_at_once
from autograder.results import CheckResult, RunResult
from autograder.run.sandbox import isolation_level
from autograder.run.session import GradingSession

HELP_SUBMISSION = "folder holding the submission's exercise files (default: the course's exercises/)"
HELP_SOLUTIONS = "folder holding the reference solutions (default: the course's solutions/)"
HELP_SEED = "seed of every experiment of the run, 0 or more (default: [course] seed in course.toml)"
HELP_RESULTS = "write the run as a Gradescope results.json to this file"
HELP_COURSE = ("course file (default: the nearest course.toml above the working folder, else the one beside "
               "the grader)")
HELP_RECORD = "write the run's results and the submission's observations, as plain JSON, to this file"
HELP_EXERCISE = "grade only this exercise (repeat for several; default: every exercise in course.toml)"
HELP_ASSIGNMENT = ("grade only this assignment of course.toml (default: every assignment whose files are in the "
                   "submission)")
HELP_WORKERS = "workers that may run at once, 0 for all (default: [limits] workers_at_once; 1 keeps memory lowest)"
HELP_REFERENCE_CACHE = "folder where reference observations for other seeds are kept between runs"
HELP_FORK_SERVER = ("folder of a batch's fork servers (written by `python -m autograder grade`); workers are forked "
                    "from them, sealed off as fresh ones are, where they answer")
HELP_FEEDBACK_HTML = ("write the run as a web page to this file, with your curves drawn over the reference's "
                      "(pictures need matplotlib)")

course_key = pytest.StashKey[Course]()
skipped_key = pytest.StashKey[list[str]]()
session_key = pytest.StashKey[GradingSession]()
result_key = pytest.StashKey[RunResult]()
PLUGIN_FILE = Path(__file__).resolve()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("autograder")
    group.addoption("--submission", default=None, help=HELP_SUBMISSION)
    group.addoption("--solutions", default=None, help=HELP_SOLUTIONS)
    group.addoption("--seed", type=int, default=None, help=HELP_SEED)
    group.addoption("--results", default=None, help=HELP_RESULTS)
    group.addoption("--course", default=None, help=HELP_COURSE)
    group.addoption("--reference-cache", default=None, help=HELP_REFERENCE_CACHE)
    group.addoption("--record", default=None, help=HELP_RECORD)
    group.addoption("--exercise", action="append", default=None, help=HELP_EXERCISE)
    group.addoption("--assignment", default=None, help=HELP_ASSIGNMENT)
    group.addoption("--workers-at-once", type=int, default=None, help=HELP_WORKERS)
    # Not --html: pytest-html owns that name, and two plugins adding one option stop pytest before it starts.
    group.addoption("--feedback-html", default=None, metavar="FILE", help=HELP_FEEDBACK_HTML)
    group.addoption("--fork-server", default="", metavar="DIR", help=HELP_FORK_SERVER)


def _chosen_course(config: pytest.Config) -> Course:
    """The course file, cut to --assignment and --exercise, with --workers-at-once applied."""
    course = load_course(config.getoption("--course"))
    assignment = config.getoption("--assignment")
    if assignment:
        course = course.assignment(assignment)
    chosen = config.getoption("--exercise")
    if chosen:
        course = course.only(chosen)
    return with_workers_at_once(course, config.getoption("--workers-at-once"))


def pytest_configure(config: pytest.Config) -> None:
    if os.name == "nt":
        raise pytest.UsageError("the grader runs on Linux and macOS; on Windows, use WSL "
                                "(https://learn.microsoft.com/windows/wsl/install)")
    try:
        course = _chosen_course(config)
    except CourseError as error:
        raise pytest.UsageError(str(error)) from None
    submission = Path(config.getoption("--submission") or course.exercises_dir)
    solutions = Path(config.getoption("--solutions") or course.solutions_dir)
    if not submission.is_dir():
        raise pytest.UsageError(f"--submission {submission}: no such folder")
    _refuse_the_submissions_own_plugins(config, submission)
    course, config.stash[skipped_key] = handed_in(course, submission)
    try:
        for exercise in course.exercises:
            check_functions(course, exercise)
    except CourseError as error:
        raise pytest.UsageError(str(error)) from None
    config.option.reportchars = ""  # the score table and each check's message say it all
    try:
        seed = checked_seed(course, config.getoption("--seed"), solutions)
    except CourseError as error:
        raise pytest.UsageError(str(error)) from None
    config.stash[course_key] = course
    cache = config.getoption("--reference-cache")
    config.stash[session_key] = GradingSession(course, submission.resolve(), solutions.resolve(), seed,
                                               Path(cache).resolve() if cache else None,
                                               fork_server=config.getoption("--fork-server"))
    config.stash[result_key] = RunResult.for_course(course, str(submission), seed,
                                                    isolation_level(course.limits.isolation))


def _refuse_the_submissions_own_plugins(config: pytest.Config, submission: Path) -> None:
    """`--submission DIR` (with a space) reaches pytest before it knows the option, so it reads DIR as a
    test path and loads DIR/conftest.py into this process. Never grade a run such a file could change."""
    inside = [Path(plugin.__file__) for plugin in config.pluginmanager.get_plugins()
              if isinstance(getattr(plugin, "__file__", None), str)
              and Path(plugin.__file__).resolve().is_relative_to(submission.resolve())]
    if inside:
        raise pytest.UsageError(f"pytest loaded {inside[0]} from the submission folder: not grading. Write "
                                f"--submission={submission} (with '='), or grade submissions with "
                                "`python -m autograder grade`, which copies only the exercise files")


def pytest_report_header(config: pytest.Config) -> list[str]:
    result = config.stash[result_key]
    isolation = ("bubblewrap sandbox" if result.isolation == "bwrap" else
                 "basic (separate process and limits; install bubblewrap on Linux for a sandbox)")
    return [f"autograder: {result.course_title}",
            f"autograder: grading {result.submission} with --seed={result.seed}",
            f"autograder: isolation {isolation}",
            *(f"autograder: {line}" for line in config.stash[skipped_key])]


class CheckNotPassed(Exception):
    """Raised by a check item that did not pass, carrying its result for the report."""

    def __init__(self, result: CheckResult) -> None:
        super().__init__(result.message)
        self.result = result


class CheckItem(pytest.Item):
    """One check of one exercise: waits for its exercise's observations, then runs the check on them."""

    def __init__(self, *, exercise: Exercise, check: Check, function, **kwargs) -> None:
        super().__init__(**kwargs)
        self.exercise, self.check, self.function = exercise, check, function
        self.shown_name = display_name(function)

    def _observed(self) -> Observed:
        grading = self.config.stash[session_key]
        exercise_id = self.exercise.id
        limit = self.config.stash[course_key].limits.probe_seconds

        def tell_student_we_wait(kind: str) -> None:
            """A call ran past half its limit: say why the grader waits, rather than sit silent, and
            blame the code only when it had the processor (session.GradingSession.student)."""
            reporter = self.config.pluginmanager.getplugin("terminalreporter")
            capture = self.config.pluginmanager.getplugin("capturemanager")
            why = ("this machine is too busy to give the grader much processor time, so grading is slow "
                   "(not a verdict on your code)" if kind == "starved" else
                   f"a call in it is slow or stuck; each call is stopped after {limit:g} s")
            if reporter is not None and capture is not None:
                with capture.global_and_fixture_disabled():
                    reporter.write_line(f"\nstill grading {self.exercise.file}: {why}")
        student = grading.student(exercise_id, tell_student_we_wait)
        return Observed(self.exercise, student, lambda: grading.reference(exercise_id))

    def runtest(self) -> None:
        result = grade_check(self.exercise, self.check, self.function, self.shown_name, self._observed,
                             show_hints=self.config.stash[course_key].show_hints)
        self.config.stash[result_key].checks.append(result)
        if not result.graded:  # neither passed nor failed: the score table lists it
            pytest.skip(result.message)
        if not result.passed:
            raise CheckNotPassed(result)

    def repr_failure(self, excinfo, style=None):
        if not isinstance(excinfo.value, CheckNotPassed):
            return super().repr_failure(excinfo, style)
        result = excinfo.value.result
        lines = [result.name, f"  {result.message}"]
        if result.hint:
            lines.append(f"  Hint: {result.hint}")
        if result.printed:
            lines.append("  Your code printed:\n" + "\n".join(f"    | {line}" for line in result.printed.splitlines()))
        return "\n".join(lines)

    def reportinfo(self):
        return self.function.__code__.co_filename, self.function.__code__.co_firstlineno - 1, \
            f"{self.exercise.id}: {self.shown_name}"


class CourseChecks(pytest.File):
    """Every check of the course, in course.toml order, collected from the plugin's own file."""

    def collect(self):
        course = self.config.stash[course_key]
        for exercise in course.exercises:
            for check_id, function in check_functions(course, exercise).items():
                item = CheckItem.from_parent(self, name=f"{exercise.id}.{check_id}", exercise=exercise,
                                             check=exercise.check(check_id), function=function)
                item.add_marker(pytest.mark.timeout(course.limits.check_seconds))
                yield item


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if file_path.resolve() == PLUGIN_FILE:
        return CourseChecks.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Start the workers of the exercises whose checks are left once -k, -m and --deselect have chosen."""
    if not config.option.collectonly:
        chosen = {item.exercise.id for item in items if isinstance(item, CheckItem)}
        config.stash[session_key].start([e.id for e in config.stash[course_key].exercises if e.id in chosen])


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    result = config.stash[result_key]
    if not result.checks:
        return
    terminalreporter.section("score")
    for line in score_table(result):
        terminalreporter.write_line(line)
    for line in config.stash[skipped_key]:
        terminalreporter.write_line(f"{line[0].upper()}{line[1:]}: grade it with --assignment "
                                    f"{line.split()[2].rstrip(':')}")
    page = config.getoption("--feedback-html", default=None)
    if page:
        try:
            terminalreporter.write_line(f"Feedback page: {_write_feedback_page(config, Path(page)).resolve()}")
        except OSError as error:
            terminalreporter.write_line(f"Feedback page not written: {page}: {error.strerror or error}")


def _write_feedback_page(config: pytest.Config, path: Path) -> Path:
    """feedback.html for this run, drawn here (never in a worker) from what the workers observed."""
    course, grading, result = config.stash[course_key], config.stash[session_key], config.stash[result_key]
    observed = grading.student_observations()
    ran = {check.exercise for check in result.checks}
    references = {e.id: grading.reference(e.id).to_json() for e in course.exercises
                  if e.curves and e.id in ran and e.id in observed}
    write_text_atomically(path, feedback_html(result, curve_pairs(course, observed, references)))
    return path


def pytest_unconfigure(config: pytest.Config) -> None:
    if session_key not in config.stash:
        return
    grading, result = config.stash[session_key], config.stash[result_key]
    result.isolation = grading.isolation() or result.isolation  # which path graded it, forked or fresh
    path = config.getoption("--results", default=None)
    if path:
        write_json_atomically(gradescope_results(result, config.stash[course_key].gradescope), Path(path))
    record = config.getoption("--record", default=None)
    if record:
        write_json_atomically({"result": result.to_json(), "observations": grading.student_observations()},
                              Path(record))
    grading.close()
