"""Messages a student reads (issue 12, items 7 to 11): each is proved on hand-made observations
run through the course's own checks exactly as `pytest autograder` runs them (`grade_check`), and,
where the engine words it, on the tiny course with a real worker (seconds, no framework).
"""
from __future__ import annotations

import copy
import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.checking import Observed, grade_check
from autograder.course.model import Course, CourseError, load_course
from autograder.course.code import check_functions, display_name
from autograder.exporters.feedback import feedback_markdown
from autograder.run.observations import ExerciseRun, ProbeOutcome
from autograder.results import CheckResult, RunResult
from autograder.run.runner import probe_request, run_probes

REPO_ROOT = Path(__file__).resolve().parent.parent
COURSE = load_course(REPO_ROOT / "course.toml")
TINY = load_course(Path(__file__).resolve().parent / "tiny_course" / "course.toml")


def recorded(course: Course, exercise_id: str) -> ExerciseRun:
    """The course's own recording of the reference: a correct student's observations to start from."""
    data = json.loads(course.layout.recording(exercise_id).read_text(encoding="utf-8"))
    return ExerciseRun.from_json(data["run"])


def changed(run: ExerciseRun, probe: str, value: dict | None = None, error: dict | None = None) -> ExerciseRun:
    """A copy of `run` in which one probe observed `value`, or failed with `error`."""
    student = copy.deepcopy(run)
    student.outcomes[probe] = (ProbeOutcome(ok=True, value=value) if error is None
                               else ProbeOutcome(ok=False, error=error))
    return student


def grade(course: Course, exercise_id: str, student: ExerciseRun, show_hints: bool = True) -> dict[str, CheckResult]:
    """check id -> result for every check of the exercise, the reference being the course's recording."""
    exercise = course.exercise(exercise_id)
    reference = recorded(course, exercise_id)
    results = {}
    for check_id, function in check_functions(course, exercise).items():
        observed = Observed(exercise, student, lambda: reference)
        results[check_id] = grade_check(exercise, exercise.check(check_id), function, display_name(function),
                                        lambda: observed, **({} if show_hints else {"show_hints": False}))
    return results


def failed(results: dict[str, CheckResult]) -> dict[str, CheckResult]:
    return {check_id: result for check_id, result in results.items() if not result.passed}


# ---- item 7: an answer written as words ----

def _answering(number: int, answer: dict | None = None, why: str | None = None) -> ExerciseRun:
    run = recorded(COURSE, "concepts")
    value = copy.deepcopy(run.outcomes["answers"].value)
    question = value["questions"][f"q{number}"]
    if answer is not None:
        question["answer"] = answer
    if why is not None:
        question["why"] = why
    return changed(run, "answers", value)


@pytest.mark.parametrize("text, word", [("a and d", "and"), ("A or D", "or"), ("a, d and f", "and")])
def test_an_answer_written_as_words_names_the_word_that_is_not_an_option_letter(text, word):
    results = failed(grade(COURSE, "concepts", _answering(3, {"type": "str", "items": [text]})))
    assert "q3_answer_form" in results
    message = results["q3_answer_form"].message
    assert f"could not read {word!r} as an option letter" in message, message
    assert "does not offer" not in message  # the old reading, letter by letter: "chooses ['n']"


@pytest.mark.parametrize("text", ["ABD", "a, b, d", "a b d", "a;b/d"])
def test_letters_in_one_word_or_separated_are_read_as_letters(text):
    results = grade(COURSE, "concepts", _answering(3, {"type": "str", "items": [text]}))
    assert results["q3_answer_form"].passed, results["q3_answer_form"].message


# ---- item 8: "1 word" ----

@pytest.mark.parametrize("why, words", [("Deployment.", "1 word:"), ("Deployment wins.", "2 words:")])
def test_a_short_reason_counts_its_words_in_plain_english(why, words):
    message = failed(grade(COURSE, "concepts", _answering(2, why=why)))["q2_why"].message
    assert message.startswith(f"Q2_WHY has {words}"), message


# ---- item 9: a Keras model that is not built ----

def _keras_student(build_model: dict, forward: dict) -> ExerciseRun:
    run = recorded(COURSE, "keras_xor")
    facts = {**run.outcomes["build_model"].value, **build_model}
    for key in [k for k, v in build_model.items() if v is None]:
        del facts[key]
    return changed(changed(run, "build_model", facts), "build_model_forward", forward)


NOT_BUILT = _keras_student({"built": False, "weight_shapes": [], "parameter_count": None, "input_shape": None,
                            "output_shape": None}, {"call": "build_model()", "weight_shapes": []})


def test_an_unbuilt_model_gets_one_clear_message_and_the_checks_it_blocks_say_why_they_could_not_run():
    results = failed(grade(COURSE, "keras_xor", NOT_BUILT))
    architecture = results.pop("build_model_architecture")
    assert architecture.message.startswith("build_model() returned a model that is not built")
    assert "start with keras.Input(shape=(2,))" in architecture.message
    assert architecture.hint == COURSE.exercise("keras_xor").check("build_model_architecture").hint
    assert set(results) == {"build_model_forward", "build_model_compiled"}  # the optimizer needs no weights
    for check_id, result in results.items():
        assert result.message.startswith("could not run because build_model() returned a model that is not built"), \
            (check_id, result.message)
        assert not result.hint, (check_id, result.hint)  # an activation or loss hint would invent a second fault
        for leak in ("could not read", "weights have shapes", "compile"):
            assert leak not in result.message.replace("is not built", ""), (check_id, result.message)


def test_a_model_of_other_shapes_fails_its_architecture_and_blocks_the_experiments_with_the_grader_weights():
    shapes = [[2, 8], [8], [8, 1], [1]]
    student = _keras_student({"weight_shapes": shapes, "parameter_count": 33},
                             {"call": "build_model()", "weight_shapes": shapes})
    results = failed(grade(COURSE, "keras_xor", student))
    assert "[[2, 8], [8], [8, 1], [1]]" in results.pop("build_model_architecture").message
    assert set(results) == {"build_model_forward", "build_model_compiled"}
    for result in results.values():
        assert result.message.startswith("could not run because build_model()'s weights have shapes [[2, 8]")
        assert "could not read" not in result.message and not result.hint


def test_something_that_is_not_a_model_is_the_architecture_check_fault_only():
    student = _keras_student({"is_model": False, "type": "NoneType"}, {"call": "build_model()", "weight_shapes": []})
    results = failed(grade(COURSE, "keras_xor", student))
    assert results.pop("build_model_architecture").message == "build_model() returned a NoneType, not a keras Model"
    assert set(results) == {"build_model_forward", "build_model_compiled", "build_model_optimizer"}
    assert all(r.message.startswith("could not run because build_model() returned a NoneType") and not r.hint
               for r in results.values())


# ---- item 10: no hint for code not written yet; hints an instructor can turn off ----

TODO_ERROR = {"type": "NotImplementedError", "message": "", "todo": True, "todo_text": "TODO: keep a sum.",
              "where": {"line": 8, "code": "raise NotImplementedError", "function": "running_total"}}


def _lists_student(result: list[float] | None = None) -> ExerciseRun:
    """The tiny course's lists exercise: not written yet, or written and returning `result`."""
    run = recorded(TINY, "lists")
    if result is None:
        return changed(changed(run, "running_total", error=TODO_ERROR), "running_total_empty", error=TODO_ERROR)
    value = copy.deepcopy(run.outcomes["running_total"].value)
    value["result"]["values"] = result
    return changed(run, "running_total", value)


def test_a_function_not_written_yet_says_so_and_shows_no_hint():
    results = failed(grade(TINY, "lists", _lists_student()))
    assert set(results) == {c.id for c in TINY.exercise("lists").checks}
    for result in results.values():
        assert "is not written yet" in result.message and "Your TODO: keep a sum." in result.message
        assert result.hint == "", result.hint


def test_answers_left_as_the_stub_has_them_say_so_and_show_no_hint():
    student = recorded(COURSE, "concepts")
    value = copy.deepcopy(student.outcomes["answers"].value)
    for question in value["questions"].values():
        question.update(answer={"type": "set", "items": []}, why="")
    results = failed(grade(COURSE, "concepts", changed(student, "answers", value)))
    assert set(results) == {c.id for c in COURSE.exercise("concepts").checks}
    for check_id, result in results.items():
        assert "is still empty" in result.message and result.hint == "", (check_id, result)


def test_code_that_runs_but_is_wrong_keeps_its_hint_unless_the_course_hides_hints():
    wrong = _lists_student([0.0] * TINY.exercise("lists").params.rows)
    shown = failed(grade(TINY, "lists", wrong))["running_total_values"]
    assert shown.hint == TINY.exercise("lists").check("running_total_values").hint != ""
    hidden = failed(grade(TINY, "lists", wrong, show_hints=False))["running_total_values"]
    assert hidden.message == shown.message and hidden.hint == ""


def test_a_file_that_does_not_load_shows_no_hint():
    student = ExerciseRun("lists", "", import_error={"type": "SyntaxError", "message": "invalid syntax", "todo": False,
                                                     "where": {"line": 3, "code": "def f(:", "function": "<module>"}})
    assert all(r.hint == "" and "syntax error at line 3" in r.message
               for r in failed(grade(TINY, "lists", student)).values())


def _tiny_copy(folder: Path, show_hints: str) -> Path:
    """A copy of the tiny course whose [course] table sets `show_hints = <show_hints>`."""
    shutil.copytree(TINY.root, folder, ignore=shutil.ignore_patterns("__pycache__"))
    text = (folder / "course.toml").read_text()
    (folder / "course.toml").write_text(text.replace("seed = 7\n", f"seed = 7\nshow_hints = {show_hints}\n", 1))
    return folder / "course.toml"


def test_show_hints_is_a_course_setting_true_by_default(tmp_path):
    assert TINY.show_hints and COURSE.show_hints
    assert not load_course(_tiny_copy(tmp_path / "off", "false")).show_hints
    with pytest.raises(CourseError, match="show_hints = 'no' should be true or false"):
        load_course(_tiny_copy(tmp_path / "bad", '"no"'))


@pytest.mark.parametrize("show_hints", ["true", "false"])
def test_every_report_follows_show_hints(show_hints, tmp_path):
    """The pytest report, results.json (Gradescope) and feedback.md, from one real grading run."""
    course = load_course(_tiny_copy(tmp_path / "course", show_hints))
    submission = tmp_path / "mine"
    shutil.copytree(course.solutions_dir, submission)
    lists = submission / "lists.py"  # running_total written but wrong; words.py is the solution
    lists.write_text(lists.read_text().replace("def running_total(", "def _right_total(") +
                     "\n\ndef running_total(values):\n    return [0.0 for _ in values]\n")
    shutil.copy(course.exercises_dir / "words.py", submission / "words.py")  # words: stub answers, not a TODO error
    record, results = tmp_path / "record.json", tmp_path / "results.json"
    completed = subprocess.run([sys.executable, "-m", "pytest", "autograder", f"--course={course.path}",
                                f"--submission={submission}", f"--record={record}", f"--results={results}"],
                               cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    run = RunResult.from_json(json.loads(record.read_text())["result"])
    lost = [c for c in run.checks if not c.passed]
    assert {c.check for c in lost} >= {"running_total_values", "answer_form"}, completed.stdout[-2000:]
    tests = json.loads(results.read_text())["tests"]
    feedback = feedback_markdown(run)
    if show_hints == "true":
        hint = course.exercise("lists").check("running_total_values").hint
        assert f"Hint: {hint}" in completed.stdout and f"Hint: {hint}" in feedback
        assert any(f"Hint: {hint}" in t["output"] for t in tests)
    else:
        assert not any(c.hint for c in run.checks)
        assert "Hint:" not in completed.stdout + feedback + results.read_text()


def test_no_hint_spells_out_code():
    """A hint points at the idea: no call of a framework function or method, no keyword argument."""
    code = re.compile(r"\w\.\w+\(|\b\w+=\S|\(\)\.\w")
    for exercise in COURSE.exercises:
        for check in exercise.checks:
            assert not code.search(check.hint), f"{exercise.id}.{check.id}: {check.hint}"


# ---- item 11: an empty exercise file ----

@pytest.mark.parametrize("text", ["", "\n\n", "# TODO: everything\n# more notes\n", '"""Only a docstring."""\n'])
def test_an_empty_file_is_reported_once_as_empty_not_as_each_missing_function(text, tmp_path):
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "lists.py").write_text(text)
    run = run_probes(probe_request(TINY, "lists", folder, TINY.seed))
    assert run.import_error and run.import_error["type"] == "EmptyFile" and not run.outcomes
    messages = {r.message for r in failed(grade(TINY, "lists", run)).values()}
    assert messages == {"lists.py is empty (it defines nothing): start again from the stub you were given"}


def test_a_file_with_code_is_not_empty_and_a_syntax_error_is_still_a_syntax_error(tmp_path):
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "lists.py").write_text("import math\n")
    assert run_probes(probe_request(TINY, "lists", folder, TINY.seed)).import_error is None
    (folder / "lists.py").write_text("# a comment\ndef running_total(:\n")
    assert run_probes(probe_request(TINY, "lists", folder, TINY.seed)).import_error["type"] == "SyntaxError"


# ---- issue 20, items 6 to 9: one mistake, one lost check, and messages that say what the code did ----

def _with_outputs(run: ExerciseRun, outputs: list[float]) -> ExerciseRun:
    """A hidden layer with the wrong activation: other outputs, and the loss and accuracy Keras measures of them."""
    forward = copy.deepcopy(run.outcomes["build_model_forward"].value)
    targets = forward["targets"]
    forward["output"]["values"] = outputs
    clipped = [min(max(p, 1e-7), 1 - 1e-7) for p in outputs]
    loss = -sum(t * math.log(p) + (1 - t) * math.log(1 - p) for p, t in zip(clipped, targets)) / len(targets)
    accuracy = sum((p > 0.5) == (t > 0.5) for p, t in zip(outputs, targets)) / len(targets)
    forward["evaluated"] = {"loss": loss, "accuracy": accuracy}
    return changed(run, "build_model_forward", forward)


def test_a_wrong_hidden_activation_fails_the_forward_check_alone():
    run = recorded(COURSE, "keras_xor")
    reference = run.outcomes["build_model_forward"].value["output"]["values"]
    student = _with_outputs(run, [0.3 + 0.4 * v for v in reference])
    assert set(failed(grade(COURSE, "keras_xor", student))) == {"build_model_forward"}


def test_a_model_left_uncompiled_fails_the_compile_check_and_the_optimizer_check_says_why_it_could_not_run():
    student = _keras_student({"compiled": False, "optimizer": None, "learning_rate": None, "loss": None},
                             recorded(COURSE, "keras_xor").outcomes["build_model_forward"].value)
    results = failed(grade(COURSE, "keras_xor", student))
    assert "not compiled: call model.compile" in results.pop("build_model_compiled").message
    optimizer = results.pop("build_model_optimizer")
    assert optimizer.message.startswith("could not run because") and not optimizer.hint
    assert not results


def test_a_keras_save_written_elsewhere_is_the_save_checks_fault_not_writes_only_path():
    run = recorded(COURSE, "checkpointing")
    save = copy.deepcopy(run.outcomes["keras_save"].value)
    save["file"] = {"exists": False, "is_file": False}
    save["new_files"] = [save["path"] + ".weights.h5"] if "path" in save else ["model.weights.h5"]
    results = failed(grade(COURSE, "checkpointing", changed(run, "keras_save", save)))
    assert "keras_save_file" in results and "writes_only_path" not in results


def _differences(mistake: str) -> ExerciseRun:
    run = recorded(COURSE, "autodiff")
    facts = copy.deepcopy(run.outcomes["numerical_eps_coarse"].value)
    for name, values in facts["mistakes"][mistake].items():
        facts["result"]["entries"][name]["values"] = values
    return changed(run, "numerical_eps_coarse", facts)


def test_a_one_sided_difference_with_the_eps_given_honours_eps():
    # (the central-difference check, whose probes this leaves alone, is the one that names the mistake)
    results = failed(grade(COURSE, "autodiff", _differences("uses a one-sided (forward) difference")))
    assert "numerical_gradients_honours_eps" not in results


def test_a_hard_coded_small_eps_is_named_as_such_not_as_one_in_particular():
    message = failed(grade(COURSE, "autodiff", _differences("ignores eps (always 1e-6)")))[
        "numerical_gradients_honours_eps"].message
    assert "far smaller than eps=0.1" in message and "always 1e-6" not in message


def test_a_fit_in_mini_batches_is_told_how_many_rows_one_batch_holds():
    run = recorded(COURSE, "keras_xor")
    facts = copy.deepcopy(run.outcomes["train_other_data"].value)
    facts["weights"] = [w + 0.01 for w in facts["weights"]]
    message = failed(grade(COURSE, "keras_xor", changed(run, "train_other_data", facts)))[
        "train_matches_reference"].message
    assert f"({facts['rows']} rows: one batch of all {facts['rows']} per epoch)" in message


def test_a_float32_learning_rate_reads_as_it_was_written():
    run = recorded(COURSE, "checkpointing")
    facts = copy.deepcopy(run.outcomes["keras_resume"].value)
    facts["loaded"]["learning_rate"] = 0.0010000000474974513
    message = failed(grade(COURSE, "checkpointing", changed(run, "keras_resume", facts)))["keras_resume_exact"].message
    assert "learning_rate=0.001)" in message and "0.05)" in message and "0.000000" not in message
