"""console_text: what a student's code printed reads in feedback as it read in their terminal."""
from __future__ import annotations

import json
import re

from corpus_recordings import recording_path, reference_for
from submission_tools import CORPUS

from autograder.checking import Observed, describe_failure, grade_check
from autograder.console_text import rendered
from autograder.course.model import load_course
from autograder.course.code import check_functions, display_name
from autograder.exporters.feedback import feedback_markdown
from autograder.exporters.feedback_html import feedback_html
from autograder.run.observations import ExerciseRun, ProbeOutcome
from autograder.results import RunResult

COURSE = load_course()
# Keras' progress bar, as `fit(verbose=1)` writes it: colours, backspaces, a carriage return that redraws.
KERAS_LINE = ("\r\x1b[1m1/1\x1b[0m \x1b[32m━━━━\x1b[0m\x1b[37m\x1b[0m \x1b[1m0s\x1b[0m 89ms/step - loss: 0.7077"
              + "\b" * 30 + "\r\x1b[1m1/1\x1b[0m \x1b[32m━━━━\x1b[0m\x1b[37m\x1b[0m \x1b[1m0s\x1b[0m 99ms/step"
              " - loss: 0.7077\n")


def _unprintable(text: str) -> list[str]:
    return [c for c in text if c in "\x1b\r\b\x07" or c == "\x9b"]


def test_colour_codes_are_dropped():
    assert rendered("\x1b[31mred\x1b[0m and \x1b[1;32mbold green\x1b[m\n") == "red and bold green\n"


def test_a_title_or_link_sequence_is_dropped_with_its_text():
    assert rendered("\x1b]0;window title\x07a \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ b") == "a link b"


def test_a_carriage_return_redraws_the_line_over_what_was_there():
    assert rendered("10%\r50%\r100%\ndone") == "100%\ndone"
    assert rendered("loss: 0.123456\rloss: 9") == "loss: 9.123456"  # as a terminal leaves it


def test_backspaces_step_back_and_later_text_overwrites():
    assert rendered("abc\b\bXY\n") == "aXY\n"
    assert rendered("\b\bok") == "ok"  # never before the start of the line


def test_windows_line_ends_and_plain_text_are_kept():
    assert rendered("one\r\ntwo\r\n") == "one\ntwo\n"
    assert rendered("tab\there  ✓\n\n") == "tab\there  ✓\n\n"


def test_keras_progress_bar_keeps_its_last_state():
    assert rendered("Epoch 1/3\n" + KERAS_LINE) == "Epoch 1/3\n1/1 ━━━━ 0s 99ms/step - loss: 0.7077\n"


def test_a_workers_printed_text_and_error_message_arrive_rendered():
    done = ProbeOutcome.from_event({"event": "done", "probe": "p", "value": {}, "printed": KERAS_LINE})
    assert done.printed == "1/1 ━━━━ 0s 99ms/step - loss: 0.7077\n"
    failed = ProbeOutcome.from_event({"event": "failed", "probe": "p", "printed": "",
                                      "error": {"type": "RuntimeError", "message": "\x1b[31mshape mismatch\x1b[0m"}})
    assert failed.error["message"] == "shape mismatch"
    assert failed.error["type"] == "RuntimeError"


def test_an_error_message_is_shown_without_its_colour_codes():
    message = describe_failure("m.py", "f()", {"type": "RuntimeError", "message": "\x1b[1m\x1b[31mboom\x1b[0m"})
    assert message == "f() raised RuntimeError in m.py: boom"


def test_feedback_shows_a_verbose_fit_as_the_terminal_showed_it():
    """The recorded keras_train_verbose_1 case: fit(verbose=1) printed Keras' progress bar."""
    case = CORPUS / "wrong" / "keras_train_verbose_1"
    runs = json.loads(recording_path(case).read_text())["runs"]
    student = ExerciseRun.from_json(next(run["run"] for run in runs if run["exercise"] == "keras_xor"))
    exercise = COURSE.exercise("keras_xor")
    reference = reference_for(COURSE, "keras_xor", COURSE.seed)
    result = RunResult(course_title="T", submission="s", seed=COURSE.seed,
                       exercise_titles={exercise.id: exercise.title}, exercise_possible={exercise.id: 10.0})
    for check_id, function in check_functions(COURSE, exercise).items():
        observed = Observed(exercise, student, lambda: reference)
        result.checks.append(grade_check(exercise, exercise.check(check_id), function, display_name(function),
                                         lambda: observed))
    printed = [c.printed for c in result.checks if not c.passed and c.printed]
    assert printed, "the case's failed check should show what fit() printed"
    assert all(not _unprintable(text) and "[1m" not in text for text in printed), printed
    # The bar's last state, one line per epoch (its timing is the recording machine's).
    assert re.search(r"^1/1 ━{20} \d+s \d+ms/step - accuracy: [\d.]+ - loss: [\d.]+$", printed[0], re.M), printed[0]
    for page in (feedback_markdown(result), feedback_html(result)):
        assert not _unprintable(page.replace("\r", "")) and "[1m" not in page and "[0m" not in page
        assert "Epoch 3/3" in page
