"""The PrairieLearn export: the question folder and image written, then run_grader run in a simulated /grade.

The shape of results.json is tried on made-up results (fast); run_grader's paths run on the tiny course's
question (seconds each); slow tests grade the real assignment's solutions and stubs in its question.
"""
from __future__ import annotations

import base64
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import uuid
from html.parser import HTMLParser
from pathlib import Path

import pytest

from autograder import __main__ as cli
from autograder.course.model import Course, Curve, Gradescope, load_course
from autograder.errors import AutograderError
from autograder.exporters.feedback_html import CurvePair
from autograder.exporters.prairielearn import (SIZE_LIMIT, TRUNCATED, curve_images, not_gradable,
                                               prairielearn_results, serialised, within_size)
from autograder.platforms.gradescope import grader_files
from autograder.platforms.prairielearn import ENTRYPOINT, TIMEOUT_SECONDS, build_prairielearn, image_definition
from autograder.instructor.release import course_requirements, pinned_dependencies
from autograder.results import CheckResult, RunResult

COURSE = load_course(Path(__file__).resolve().parent.parent / "course.toml")
XOR = COURSE.assignment("xor_frameworks")
TINY = load_course(Path(__file__).resolve().parent / "tiny_course" / "course.toml")
PNG = b"\x89PNG\r\n\x1a\n"
# What PrairieLearn's schema for a question's info.json allows (additionalProperties: false in both).
INFO_KEYS = {"comment", "uuid", "type", "title", "topic", "tags", "authors", "clientFiles", "clientTemplates",
             "template", "gradingMethod", "singleVariant", "showCorrectAnswer", "partialCredit", "options",
             "externalGradingOptions", "dependencies", "workspaceOptions", "sharingSets", "sharePublicly",
             "shareSourcePublicly", "preferences"}
GRADING_KEYS = {"comment", "enabled", "image", "entrypoint", "serverFilesCourse", "timeout", "enableNetworking",
                "environment"}


# ---- results.json from results (no grading) ----

def _result() -> RunResult:
    result = RunResult(course_title="A course", submission="submission", seed=4242,
                       exercise_titles={"one": "Exercise one", "two": "Exercise two"},
                       exercise_possible={"one": 5.0, "two": 3.0})
    result.checks = [
        CheckResult("one", "passes", "f() returns the sum", 2.0, True),
        CheckResult("one", "fails", "f() leaves its input alone", 3.0, False, message="f([1, 2]) changed its input",
                    hint="Copy the list first.", printed="debug line\n"),
        CheckResult("two", "secret", "g() matches the key", 2.0, False, message="g() said 'b', the key says 'c'",
                    hint="SECRET HINT", hidden=True),
        CheckResult("two", "slow", "g() answers in time", 1.0, False, message="starved", graded=False),
    ]
    return result


def test_results_json_has_prairielearns_fields_and_leaves_unlisted_hidden_checks_out():
    results = prairielearn_results(_result(), Gradescope(), notes=["Graded: one.py, two.py."])
    assert results["gradable"] is True and results["score"] == pytest.approx(2 / 8)
    assert "(seed 4242)" in results["message"] and "1 check(s) worth 2 points" in results["message"]
    assert "incomplete" in results["message"] and results["output"] == "Graded: one.py, two.py."
    assert results["autograder"] == {"seed": 4242, "isolation": "basic", "complete": False}
    tests = {t["name"]: t for t in results["tests"]}
    assert set(tests) == {"f() returns the sum", "f() leaves its input alone", "g() answers in time"}
    for test in tests.values():
        assert {"name", "points", "max_points", "message", "output"} <= set(test)
    passed, failed, starved = (tests[n] for n in ("f() returns the sum", "f() leaves its input alone",
                                                  "g() answers in time"))
    assert (passed["points"], passed["max_points"], passed["message"]) == (2.0, 2.0, "Passed.")
    assert (failed["points"], failed["max_points"]) == (0.0, 3.0)
    assert "changed its input" in failed["message"] and "Hint: Copy the list first." in failed["message"]
    assert "debug line" in failed["output"]
    assert starved["points"] == 0 and "not graded" in starved["message"]
    text = serialised(results).decode()
    assert "SECRET HINT" not in text and "the key says" not in text and "g() matches the key" not in text

    shown = prairielearn_results(_result(), Gradescope(hidden_visibility="visible"))
    assert "g() matches the key" in {t["name"] for t in shown["tests"]}
    assert "not listed" not in shown["message"]


def test_not_gradable_says_why_and_scores_nothing():
    results = not_gradable("No exercise file found in your submission.", "Not graded.")
    assert results["gradable"] is False and "score" not in results
    assert "No exercise file found" in results["message"] and results["format_errors"] == [
        "No exercise file found in your submission."]


def test_an_oversized_result_is_cut_to_1_mb_with_a_visible_note_and_every_check_kept():
    results = prairielearn_results(_result(), Gradescope(hidden_visibility="visible"))
    for index, test in enumerate(results["tests"]):  # escapes count: \u0000 and non-ASCII take 6 bytes each
        test["output"] = ("é\x00 printed line\n" if index % 2 else "x" * 80 + "\n") * 40_000
    results["output"] = "y" * 3_000_000
    assert len(serialised(results)) > 4 * SIZE_LIMIT
    fitted = within_size(results)
    assert len(serialised(fitted)) <= SIZE_LIMIT
    assert [(t["name"], t["points"], t["max_points"]) for t in fitted["tests"]] == \
        [(t["name"], t["points"], t["max_points"]) for t in results["tests"]]
    assert fitted["score"] == results["score"]
    note = TRUNCATED.split("{count}")[1]
    assert note in fitted["output"] and all(note in t["output"] for t in fitted["tests"])
    small = prairielearn_results(_result())
    assert within_size(small) is small, "results within the limit are left as they are"


def test_pictures_go_before_the_texts_get_short():
    results = prairielearn_results(_result(), Gradescope())
    results["images"] = [{"label": "big", "url": "data:image/png;base64," + "A" * 700_000}] * 2
    fitted = within_size(results)
    assert len(serialised(fitted)) <= SIZE_LIMIT and fitted["images"] == []
    assert "pictures were left out" in fitted["message"]
    assert fitted["tests"] == results["tests"], "short texts are kept whole"


def test_curves_are_data_uris_and_a_curve_of_an_unlisted_check_is_not_drawn():
    pairs = [CurvePair("one", Curve("loss", "train", ("losses",), check="fails"), [1.0, 0.5, 0.2], [1.0, 0.4, 0.1],
                       "", 1, 1e-6, 1e-6),
             CurvePair("two", Curve("key curve", "key", ("values",), check="secret"), [1.0], [2.0], "", 0, 0, 0)]
    images, why = curve_images(pairs, {"one": "Exercise one", "two": "Exercise two"}, unlisted={"two.secret"})
    assert why == "" and len(images) == 1 and "loss" in images[0]["label"]
    head, data = images[0]["url"].split(",", 1)
    assert head == "data:image/png;base64" and base64.b64decode(data).startswith(PNG)


# ---- the question folder and the image (no grading) ----

class _Elements(HTMLParser):
    def __init__(self, text: str):
        super().__init__()
        self.found: list[tuple[str, dict]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


@pytest.fixture(scope="module")
def xor_export(tmp_path_factory) -> Path:
    return build_prairielearn(XOR, tmp_path_factory.mktemp("prairielearn"))


def test_info_json_is_an_external_grading_question_prairielearn_accepts(xor_export: Path):
    info = json.loads((xor_export / "info.json").read_text())
    assert set(info) <= INFO_KEYS and {"uuid", "type", "title", "topic"} <= set(info)
    assert uuid.UUID(info["uuid"]).version == 5
    assert (info["type"], info["gradingMethod"], info["singleVariant"], info["title"]) == \
        ("v3", "External", True, XOR.title)
    options = info["externalGradingOptions"]
    assert set(options) <= GRADING_KEYS
    assert options["enabled"] is True and options["enableNetworking"] is False
    assert options["serverFilesCourse"] == [] and options["entrypoint"] == ENTRYPOINT
    assert isinstance(options["timeout"], int) and 0 < options["timeout"] <= 600 and options["timeout"] == \
        TIMEOUT_SECONDS
    repository, tag = options["image"].rsplit(":", 1)
    assert repository == "dl_frameworks-grader" and len(tag) == 12
    assert options["image"] in (xor_export.parent.parent / "image" / "README.txt").read_text()
    # The entry point is the question's own tests/run_grader, seen at /grade/tests in the container.
    assert (xor_export / "tests" / Path(ENTRYPOINT).relative_to("/grade/tests")).stat().st_mode & 0o111


def test_question_html_uploads_exactly_the_assignments_files_and_shows_the_graders_results(xor_export: Path):
    elements = _Elements((xor_export / "question.html").read_text())
    tags = [tag for tag, _ in elements.found]
    uploads = [attrs for tag, attrs in elements.found if tag == "pl-file-upload"]
    assert len(uploads) == 1
    assert [name.strip() for name in uploads[0]["file-names"].split(",")] == list(XOR.exercise_files)
    assert {"pl-external-grader-results", "pl-submission-panel"} <= set(tags)
    assert tags.index("pl-submission-panel") < tags.index("pl-external-grader-results")


def test_tests_holds_the_grader_as_the_gradescope_zip_does(xor_export: Path):
    tests = xor_export / "tests"
    written = {p.relative_to(tests).as_posix(): p.read_bytes() for p in tests.rglob("*") if p.is_file()}
    expected = dict(grader_files(XOR))
    assert written == {**expected, "run_grader": written.get("run_grader", b"missing")}
    assert {f"solutions/{name}" for name in XOR.exercise_files} <= set(written)
    assert {f"grading/{e.id}/{role}" for e in XOR.exercises for role in ("probe.py", "check.py")} <= set(written)
    others = {name for name in dict(grader_files(COURSE.assignment("why_frameworks")))
              if name.startswith("grading/") and name not in expected}
    assert others and not others & set(written), "another assignment's parts stay out"
    checked = subprocess.run(["bash", "-n", str(tests / "run_grader")], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_the_image_is_python_3_11_with_the_pinned_wheels_and_bubblewrap_and_no_course_code(xor_export: Path):
    dockerfile = (xor_export.parent.parent / "image" / "Dockerfile").read_text()
    assert dockerfile == image_definition(XOR)
    lines = [line.strip() for line in dockerfile.replace("\\\n", " ").splitlines() if not line.startswith("#")]
    assert lines[0] == "FROM python:3.11-slim-bookworm"
    assert not [line for line in lines if line.split(" ", 1)[0] in ("COPY", "ADD")], "no course code in the image"
    assert any("apt-get install" in line and "bubblewrap" in line for line in lines)
    installs = [shlex.split(command) for line in lines for command in line.split("&&")
                if " pip install " in command and "--upgrade pip" not in command]
    assert len(installs) == 1
    words = installs[0][installs[0].index("install") + 1:]
    assert words[:len(COURSE.pip_options)] == list(COURSE.pip_options)
    assert words[len(COURSE.pip_options):-1] == course_requirements(XOR) and words[-1].startswith("matplotlib")
    # The engine's pins, then the course's frameworks (course.toml [setup] requirements).
    assert course_requirements(XOR) == [*pinned_dependencies(), *COURSE.requirements]
    assert len([word for word in words if re.match(r"(torch|tensorflow(-cpu)?)==", word)]) == 2


def test_a_re_export_keeps_the_uuid_and_another_assignment_gets_its_own(xor_export: Path, tmp_path):
    first = json.loads((xor_export / "info.json").read_text())
    (xor_export / "tests" / "stale.txt").write_text("left from before")
    again = build_prairielearn(XOR, xor_export.parent.parent)
    assert json.loads((again / "info.json").read_text()) == first and not (again / "tests" / "stale.txt").exists()
    other = build_prairielearn(COURSE.assignment("why_frameworks"), tmp_path)
    assert json.loads((other / "info.json").read_text())["uuid"] != first["uuid"]


def test_a_folder_the_export_did_not_write_is_never_replaced(tmp_path):
    mine = tmp_path / "questions" / TINY.id
    mine.mkdir(parents=True)
    (mine / "question.html").write_text("my own question")
    with pytest.raises(AutograderError, match="in the way"):
        build_prairielearn(TINY, tmp_path)
    assert (mine / "question.html").read_text() == "my own question"


def test_the_command_writes_the_question_of_the_assignment_asked_for(tmp_path, capsys):
    assert cli.main(["prairielearn", str(tmp_path / "one"), "--assignment", "why_frameworks"]) == 0
    assert (tmp_path / "one" / "questions" / "why_frameworks" / "info.json").is_file()
    assert (tmp_path / "one" / "image" / "Dockerfile").is_file()
    assert cli.main(["prairielearn", str(tmp_path / "two")]) == 1
    assert "--assignment" in capsys.readouterr().err
    assert cli.main(["prairielearn", str(tmp_path / "three"), "--image", "someone/xor", "--course",
                     str(TINY.path)]) == 0
    info = json.loads((tmp_path / "three" / "questions" / TINY.id / "info.json").read_text())
    assert info["externalGradingOptions"]["image"].startswith("someone/xor:")


# ---- run_grader in a simulated /grade ----

@pytest.fixture(scope="module")
def tiny_question(tmp_path_factory) -> Path:
    return build_prairielearn(TINY, tmp_path_factory.mktemp("tiny"))


def _grade_root(question: Path, root: Path, student_files: dict[str, str] | None = None) -> Path:
    """A folder laid out as PrairieLearn's /grade: tests/ (the question's), student/, data/; no results/ yet."""
    shutil.copytree(question / "tests", root / "tests")
    (root / "student").mkdir()
    (root / "data").mkdir()
    (root / "data" / "data.json").write_text("{}")
    for name, text in (student_files or {}).items():
        (root / "student" / name).write_text(text)
    return root


def _files(course: Course, folder: Path) -> dict[str, str]:
    return {name: (folder / name).read_text() for name in course.exercise_files}


def run_grader(root: Path, **environment: str) -> dict:
    """`bash tests/run_grader` with `root` as /grade and this interpreter as the image's; its status must be 0."""
    environment = {"PRAIRIELEARN_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable, **environment}
    completed = subprocess.run(["bash", str(root / "tests" / "run_grader")], capture_output=True, text=True,
                               env=dict(os.environ, **environment), timeout=900)
    results = root / "results" / "results.json"
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert results.is_file(), f"no results.json:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
    assert len(results.read_bytes()) <= SIZE_LIMIT
    return json.loads(results.read_text())


def _assert_pictures_are_data_uris(results: dict, course: Course) -> None:
    hidden = {(e.id, c.id) for e in course.exercises for c in e.checks if c.hidden}
    drawn = sum(1 for e in course.exercises for curve in e.curves if (e.id, curve.check) not in hidden)
    assert drawn and len(results["images"]) == drawn
    for image in results["images"]:
        head, data = image["url"].split(",", 1)
        assert head == "data:image/png;base64" and base64.b64decode(data).startswith(PNG), image["label"]


def test_the_solutions_score_1_with_their_curves_and_the_hidden_check_unlisted(tiny_question, tmp_path):
    root = _grade_root(tiny_question, tmp_path, _files(TINY, TINY.solutions_dir))
    results = run_grader(root)
    assert results["gradable"] is True and results["score"] == 1.0
    hidden = {(e.id, c.id) for e in TINY.exercises for c in e.checks if c.hidden}
    assert hidden and len(results["tests"]) == sum(len(e.checks) for e in TINY.exercises) - len(hidden)
    assert all(t["points"] == t["max_points"] > 0 for t in results["tests"])
    _assert_pictures_are_data_uris(results, TINY)
    seed = results["autograder"]["seed"]
    assert f"(seed {seed})" in results["message"] and seed != TINY.seed, "an official grade is never at the " \
                                                                          "course's public seed"


def test_the_stubs_score_0(tiny_question, tmp_path):
    results = run_grader(_grade_root(tiny_question, tmp_path, _files(TINY, TINY.exercises_dir)))
    assert results["gradable"] is True and results["score"] == 0
    assert all(t["points"] == 0 and t["message"] != "Passed." for t in results["tests"])


def test_a_file_that_does_not_load_loses_its_own_exercise_and_the_rest_is_graded(tiny_question, tmp_path):
    broken = TINY.exercises[0]
    files = {**_files(TINY, TINY.solutions_dir), broken.file: "def running_total(values:\n"}
    results = run_grader(_grade_root(tiny_question, tmp_path, files))
    assert results["gradable"] is True
    assert results["score"] == pytest.approx((TINY.max_points - broken.max_points) / TINY.max_points)
    lost = [t for t in results["tests"] if t["points"] < t["max_points"]]
    assert lost and all(f"({broken.id}." in t["description"] for t in lost)
    assert all(f"{broken.file} has a syntax error" in t["message"] for t in lost), lost


@pytest.mark.parametrize("upload", [{}, {"notes.txt": "my answers are in my head"}],
                         ids=["nothing", "no-exercise-file"])
def test_a_submission_without_any_exercise_file_is_not_gradable_and_says_why(tiny_question, tmp_path, upload):
    results = run_grader(_grade_root(tiny_question, tmp_path, upload))
    assert results["gradable"] is False and "score" not in results
    for name in TINY.exercise_files:
        assert name in results["message"]
    assert "No exercise file found in your submission" in results["message"]
    assert results["format_errors"] and "No exercise file" in results["format_errors"][0]


def test_a_submission_that_prints_megabytes_still_gets_results_within_1_mb(tiny_question, tmp_path):
    noisy = ("import sys\n"
             "for _ in range(2000):\n    print('é\\x00 chatter ' * 50)\n"
             "def running_total(values):\n"
             "    for _ in range(3000):\n        print('x' * 300, file=sys.stderr)\n        print('y' * 300)\n"
             "    return [0.0] * len(values)\n")
    files = {**_files(TINY, TINY.solutions_dir), TINY.exercises[0].file: noisy}
    results = run_grader(_grade_root(tiny_question, tmp_path, files))  # run_grader asserts the size
    assert results["gradable"] is True and 0 < results["score"] < 1


def test_each_submission_is_graded_at_its_own_seed_and_a_replay_at_it_gives_the_same_results(tiny_question,
                                                                                              tmp_path):
    lists = TINY.exercises[0].file
    wrong = (TINY.solutions_dir / lists).read_text().replace("total += value", "total += 2 * value")
    assert wrong != (TINY.solutions_dir / lists).read_text()
    files = {**_files(TINY, TINY.solutions_dir), lists: wrong}  # its messages quote values drawn from the seed
    first, second = (run_grader(_grade_root(tiny_question, tmp_path / name, files)) for name in ("one", "two"))
    assert first["autograder"]["seed"] != second["autograder"]["seed"] and first["tests"] != second["tests"]
    seed = first["autograder"]["seed"]
    replayed = run_grader(_grade_root(tiny_question, tmp_path / "replay", files), AUTOGRADER_SEED=str(seed))
    assert replayed["autograder"]["seed"] == seed and f"(seed {seed})" in replayed["message"]
    assert 0 < replayed["score"] < 1 and replayed["tests"] == first["tests"]


def test_a_grader_that_crashes_cannot_start_or_runs_late_leaves_a_not_gradable_result(tiny_question, tmp_path):
    crashed = _grade_root(tiny_question, tmp_path / "crash", _files(TINY, TINY.solutions_dir))
    (crashed / "tests" / "course.toml").write_text("[course]\nbogus = 1\n")
    results = run_grader(crashed)
    assert results["gradable"] is False and "failed before it could score" in results["message"]
    assert "not a verdict on your code" in results["message"]
    missing = run_grader(_grade_root(tiny_question, tmp_path / "missing"),
                         AUTOGRADER_PYTHON=str(tmp_path / "no-such-python"))
    assert missing["gradable"] is False and "stopped (exit status 127" in missing["message"]
    late = _grade_root(tiny_question, tmp_path / "late", {**_files(TINY, TINY.solutions_dir),
                                                          TINY.exercise_files[0]: "import time\ntime.sleep(15)\n"})
    results = run_grader(late, AUTOGRADER_DEADLINE="2")
    assert results["gradable"] is False and "did not finish within 2 seconds" in results["message"]


@pytest.mark.slow
@pytest.mark.parametrize("folder, score", [("solutions", 1.0), ("exercises", 0.0)])
def test_the_real_question_grades_its_solutions_1_and_its_stubs_0(xor_export: Path, tmp_path, folder, score):
    """xor_frameworks' question, its reference run live at a fresh seed: every check of the solutions passes,
    with each loss curve drawn; the stubs pass none."""
    results = run_grader(_grade_root(xor_export, tmp_path, _files(XOR, XOR.root / folder)))
    assert results["gradable"] is True and results["score"] == score
    hidden = sum(c.hidden for e in XOR.exercises for c in e.checks)
    assert hidden and len(results["tests"]) == sum(len(e.checks) for e in XOR.exercises) - hidden
    if score:
        _assert_pictures_are_data_uris(results, XOR)
    else:
        assert all(t["points"] == 0 for t in results["tests"])
