"""feedback.html and report.html: self-contained pages whose pictures a real browser shows.

A small class of the tiny course is graded once (seconds); its pages are opened
in headless Chromium and the screenshot must hold each picture's own colour
(the student's curve, the reference, the parting mark, the histogram, the pass
rates). The same page with its images broken must not: that control proves the
pixels come from the pictures. One slow test does the same on the real course.
"""
from __future__ import annotations

import base64
import colorsys
import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from autograder.instructor.batch import grade_class
from autograder.course.model import CourseError, load_course
from autograder.course.code import check_names
from autograder.exporters import plots
from autograder.exporters.feedback_html import curve_pairs, feedback_html, parting_index
from autograder.exporters.gradescope import gradescope_results
from autograder.exporters.report_html import report_html
from autograder.results import CheckResult, RunResult

TINY = load_course(Path(__file__).resolve().parent / "tiny_course" / "course.toml")
CODE = next(e for e in TINY.exercises if e.curves)  # the exercise whose observations include a curve
CURVE = CODE.curves[0]
CURVE_CHECK = CODE.check(CURVE.check)
# bob's code agrees with the reference for three steps, then doubles each value, printing as it goes.
DRIFTS = 3
BOB = f'''def running_total(values):
    totals, total = [], 0.0
    for step, value in enumerate(values):
        total += value if step < {DRIFTS} else 2 * value
        print(f"step {{step}}: <b>{{total}}</b>")
        totals.append(total)
    return totals
'''
IN_CI = bool(os.environ.get("CI"))
# Pixels of one picture's colour a rendered page must show (a curve 2 px wide over ~400 px is well above).
SHOWN = 150


def _chromium() -> str:
    binary = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if binary is None:
        if IN_CI:
            pytest.fail("Chromium is needed in CI to render the pages (apt-get install chromium)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    return binary


def _screenshot(page: Path, target: Path, height: int, width: int = 1000) -> np.ndarray:
    """The page as headless Chromium draws it, as RGB pixels."""
    command = [_chromium(), "--headless", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
               f"--user-data-dir={target.parent / 'chromium-profile'}", f"--screenshot={target}",
               f"--window-size={width},{height}", page.resolve().as_uri()]
    if os.geteuid() == 0:  # Chromium's own sandbox refuses root
        command.insert(1, "--no-sandbox")
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    return np.asarray(Image.open(target).convert("RGB"))


def _pixels_of(screenshot: np.ndarray, colour: str) -> int:
    """Pixels of `colour`'s hue, vivid enough not to be text, grey or white (a line drawn half transparent
    over white keeps its hue)."""
    hue = colorsys.rgb_to_hsv(*(int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)))[0] * 255
    hsv = np.asarray(Image.fromarray(np.ascontiguousarray(screenshot)).convert("HSV")).astype(np.int16)
    distance = np.abs(hsv[..., 0] - round(hue))
    near = np.minimum(distance, 255 - distance) <= 6
    return int((near & (hsv[..., 1] > 76) & (hsv[..., 2] > 76)).sum())


def _broken(page: Path, target: Path) -> Path:
    """The same page with every picture's data cut short: what a browser shows when images are broken."""
    target.write_text(re.sub(r"base64,[A-Za-z0-9+/=]+", "base64,AAAA", page.read_text()))
    return target


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    """bob: a curve that parts from the reference, and prints; carl: a file that does not load."""
    root = tmp_path_factory.mktemp("class")
    for name in ("bob", "carl"):
        shutil.copytree(TINY.solutions_dir, root / name)
    (root / "bob" / CODE.file).write_text(BOB)
    (root / "carl" / CODE.file).write_text("def broken(:\n")
    out = tmp_path_factory.mktemp("out")
    grade_class(root, out, jobs=2, course_file=TINY.path)
    return out


def _images(text: str) -> list[bytes]:
    return [base64.b64decode(data) for data in re.findall(r'<img src="data:image/png;base64,([^"]+)"', text)]


def test_every_graded_submission_gets_a_self_contained_feedback_page(graded):
    for name in ("bob", "carl"):
        text = (graded / name / "feedback.html").read_text()
        assert not re.search(r"<script|<link|(src|href)=\"(?!data:)|url\(", text), name  # nothing fetched
        assert "default-src 'none'" in text
        for png in _images(text):
            assert png.startswith(b"\x89PNG\r\n\x1a\n")
    bob = (graded / "bob" / "feedback.html").read_text()
    assert len(_images(bob)) == len(CODE.curves)
    assert f"parts from the reference at {CURVE.x} {DRIFTS + 1}:" in bob
    assert html.escape(CURVE_CHECK.hint) in bob
    assert "step 0: &lt;b&gt;" in bob and "<b>" not in bob  # what the code printed, shown as text
    assert f"{CODE.file} did not load (SyntaxError)" in (graded / "carl" / "feedback.html").read_text()


def test_report_page_ranks_checks_and_says_who_could_not_be_graded(graded):
    text = (graded / "report.html").read_text()
    assert len(_images(text)) == 3  # histogram, pass rates, the curves of those who lost a check
    rows = re.findall(r"<tr><td>([^<]+)</td><td class=\"points\">(\d+) of (\d+)</td></tr>", text)
    shares = [int(passed) / int(judged) for _, passed, judged in rows]
    assert shares == sorted(shares) and shares[-1] == 1  # worst first
    assert html.unescape(rows[0][0]) == f"{CODE.id}: {check_names(TINY, CODE)[CURVE.check]}"
    assert rows[0][1:] == ("0", "2")  # both lost the curve's check: bob's curve parts, carl's file did not load
    assert html.escape(f"{CODE.id}: {CURVE.name}: bob, carl (not drawn: {CODE.file} did not load") in text
    assert re.search(rf"<td>carl</td><td>{re.escape(CODE.file)} did not load: SyntaxError", text)
    assert "<td>bob</td>" not in text


def _side_by_side(pages: list[Path], target: Path, width: int = 1000, height: int = 1600) -> Path:
    """One page that frames `pages` side by side, each `width` wide: one browser start renders them all."""
    frames = "".join(f'<iframe src="{page.resolve().as_uri()}" style="width:{width}px;height:{height}px;border:0">'
                     "</iframe>" for page in pages)
    target.write_text(f'<!DOCTYPE html><html><body style="margin:0;display:flex">{frames}</body></html>')
    return target


def test_a_browser_shows_every_picture(graded, tmp_path):
    pages = [graded / "bob" / "feedback.html", graded / "report.html",
             _broken(graded / "bob" / "feedback.html", tmp_path / "broken.html")]
    shot = _screenshot(_side_by_side(pages, tmp_path / "pages.html"), tmp_path / "pages.png", 1600, 3000)
    feedback, report, broken = (shot[:, i * 1000:(i + 1) * 1000] for i in range(3))
    for colour in (plots.STUDENT, plots.REFERENCE, plots.PARTING):
        assert _pixels_of(feedback, colour) > SHOWN, colour
    for colour in (plots.HISTOGRAM, plots.PASS_RATE, plots.REFERENCE, plots.OTHERS):
        assert _pixels_of(report, colour) > SHOWN, colour
    # The control: with its images broken, the same page shows none of those colours.
    for colour in (plots.STUDENT, plots.REFERENCE, plots.PARTING):
        assert _pixels_of(broken, colour) < SHOWN // 10, colour


def test_a_curve_that_follows_the_reference_says_so():
    result, mine, reference, _ = _result_and_observations()
    text = feedback_html(result, curve_pairs(TINY, reference, reference))
    assert "Your curve follows the reference at every" in text and len(_images(text)) == len(CODE.curves)


def test_curves_part_where_the_grading_tolerance_ends():
    assert parting_index([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], 1e-4, 1e-5) is None
    assert parting_index([1.0, 2.00001, 3.0], [1.0, 2.0, 3.0], 1e-4, 1e-5) is None
    assert parting_index([1.0, 2.1, 3.0], [1.0, 2.0, 3.0], 1e-4, 1e-5) == 1
    assert parting_index([1.0, float("nan")], [1.0, 2.0], 1e-4, 1e-5) == 1
    assert parting_index([1.0, 2.0], [1.0, 2.0, 3.0], 1e-4, 1e-5) == 2  # one curve ends early


def _tiny_with(tmp_path: Path, curves: str, grading: str = "rtol = 1e-9\natol = 1e-9\n") -> Path:
    text = TINY.path.read_text()
    text = re.sub(r"\[exercises\.curves\]\n(?:[^\[\n].*\n|\n)*", f"[exercises.curves]\n{curves}\n\n", text, count=1)
    text = text.replace("rtol = 1e-9\natol = 1e-9\n", grading, 1)
    path = tmp_path / "course.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("curves, grading, error", [
    ('a = { value = "p/k", colour = "red" }', None, "unknown key 'colour'"),
    ('a = { value = "p/k", check = "nope" }', None, "check = 'nope' is not a check of this exercise"),
    ('a = "p"', None, "should be \"probe/key\""),
    ('a = { check = "running_total_values" }', None, "should be \"probe/key\""),
    ('a = 3', None, "should be \"probe/path\" or a table"),
    ('a = "p/k"', "atol = 1e-9\n", "curves need rtol in [exercises.grading]"),
])
def test_a_curves_table_with_a_mistake_is_refused_by_name(tmp_path, curves, grading, error):
    with pytest.raises(CourseError, match=re.escape(error)):
        load_course(_tiny_with(tmp_path, curves, grading or "rtol = 1e-9\natol = 1e-9\n"))


def test_a_curve_may_be_given_by_its_value_alone(tmp_path):
    course = load_course(_tiny_with(tmp_path, 'steps = "probe/key/deeper"'))
    curve = course.exercise(CODE.id).curves[0]
    assert (curve.name, curve.probe, curve.path, curve.check, curve.x) == ("steps", "probe", ("key", "deeper"), "",
                                                                          "epoch")


def _result_and_observations() -> tuple[RunResult, dict, dict, int]:
    """A run of CODE whose curve parts from the recorded reference's at its last step (returned, from 1)."""
    recording = json.loads(TINY.layout.recording(CODE.id).read_text())["run"]
    mine = json.loads(json.dumps(recording))
    values = mine["outcomes"][CURVE.probe]["value"]
    for key in CURVE.path:
        values = values[key]
    values[-1] += 1.0
    result = RunResult.for_course(TINY, "someone", TINY.seed)
    result.checks = [CheckResult(CODE.id, c.id, c.id, c.points, c.id != CURVE.check, "wrong", printed="hi")
                     for c in CODE.checks]
    return result, {CODE.id: mine}, {CODE.id: recording}, len(values)


def test_without_matplotlib_the_pages_are_written_and_say_why(monkeypatch):
    for module in ("matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, module, None)  # `import` of either now fails, as when not installed
    result, mine, reference, last = _result_and_observations()
    pairs = curve_pairs(TINY, mine, reference)
    for text in (feedback_html(result, pairs), report_html(TINY, {"someone": result}, {"someone": pairs}, {})):
        assert "<img" not in text
        assert 'This page has no pictures: the pictures are drawn with matplotlib, which is not installed here: ' \
               'pip install -e ".[instructor]"' in html.unescape(text)
    assert f"parts from the reference at {CURVE.x} {last}:" in feedback_html(result, pairs)


def test_grading_and_the_student_plugin_never_import_matplotlib():
    code = ("import sys, autograder.conftest, autograder.instructor.batch, autograder.platforms.gradescope\n"
            "assert 'matplotlib' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parent.parent)


def test_pytest_autograder_writes_the_page_and_prints_its_path(tmp_path):
    submission = shutil.copytree(TINY.solutions_dir, tmp_path / "mine")
    (submission / CODE.file).write_text(BOB)
    page = tmp_path / "page.html"
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "autograder", f"--course={TINY.path}", f"--submission={submission}",
         "--feedback-html", str(page), "-p", "no:cacheprovider"],
        cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, timeout=120)
    assert f"Feedback page: {page.resolve()}" in completed.stdout, completed.stdout[-2000:]
    assert len(_images(page.read_text())) == len(CODE.curves)


def test_gradescope_sends_printed_output_as_html_and_the_rest_as_text():
    result, *_ = _result_and_observations()
    result.checks.append(CheckResult(CODE.id, "x", "x", 1.0, False, "a < b", "try & see", printed="<script>"))
    result.checks.append(CheckResult(CODE.id, "y", "y", 1.0, False, "plain", "hint"))
    tests = gradescope_results(result)["tests"]
    printed, plain = tests[-2], tests[-1]
    assert printed["output_format"] == "html"
    assert printed["output"] == ("<p>a &lt; b</p>\n<p>Hint: try &amp; see</p>\n<p>Your code printed:</p>\n"
                                 "<pre>&lt;script&gt;</pre>")
    assert "output_format" not in plain and plain["output"] == "plain\nHint: hint"


@pytest.mark.slow
def test_the_real_course_pages_show_their_curves(tmp_path):
    """A real class: the solutions, and a training loop that never steps (its loss curve stays flat and it
    does not converge). Its page shows its curve over the reference's; the report overlays it."""
    from submission_tools import CORPUS, build_submission
    course = load_course().assignment("xor_frameworks")
    trained = next(e for e in course.exercises if e.curves)
    shutil.copytree(course.solutions_dir, tmp_path / "class" / "alice", ignore=shutil.ignore_patterns("__pycache__"))
    build_submission(CORPUS / "wrong" / "torch_train_no_step", tmp_path / "class" / "bob")
    out = tmp_path / "out"
    grade_class(tmp_path / "class", out, jobs=2, assignment=course.id)
    bob = (out / "bob" / "feedback.html").read_text()
    assert len(_images(bob)) == sum(len(e.curves) for e in course.exercises)
    assert f"parts from the reference at {trained.curves[0].x} " in bob
    feedback = _screenshot(out / "bob" / "feedback.html", tmp_path / "feedback.png", height=6000)
    for colour in (plots.STUDENT, plots.REFERENCE, plots.PARTING):
        assert _pixels_of(feedback, colour) > SHOWN, colour
    report = _screenshot(out / "report.html", tmp_path / "report.png", height=4000)
    for colour in (plots.HISTOGRAM, plots.PASS_RATE, plots.REFERENCE, plots.OTHERS):
        assert _pixels_of(report, colour) > SHOWN, colour


def test_the_reference_curve_shows_even_where_the_students_lies_on_it():
    import io
    values = [0.7 - 0.001 * i ** 1.5 for i in range(100)]
    picture = np.asarray(Image.open(io.BytesIO(plots.curve_png(values, values, None, "t", "epoch", "loss")))
                         .convert("RGB"))
    assert _pixels_of(picture, plots.REFERENCE) > SHOWN and _pixels_of(picture, plots.STUDENT) > SHOWN


def test_the_class_report_draws_no_curve_that_follows_the_reference():
    """A check lost for another reason (other data, another start) with a curve on the reference's: named, not
    drawn, so that the panel shows only curves that say something."""
    from autograder.exporters.feedback_html import CurvePair
    from autograder.exporters.report_html import _panels
    from autograder.results import CheckResult, RunResult
    values = [1.0, 2.0, 3.0]
    results = {}
    for name in ("dana", "evan"):
        result = RunResult.for_course(TINY, name, TINY.seed)
        result.checks.append(CheckResult(CODE.id, CURVE.check, "name", 1.0, False, "lost"))
        results[name] = result
    pairs = {"dana": [CurvePair(CODE.id, CURVE, values, values, "", None, 0.0, 0.0)],
             "evan": [CurvePair(CODE.id, CURVE, [1.0, 5.0, 9.0], values, "", 1, 0.0, 0.0)]}
    (panel, names), = [p for p in _panels(TINY, results, pairs) if p[0].title.startswith(f"{CODE.id}: {CURVE.name}")]
    assert panel.curves == [[1.0, 5.0, 9.0]]
    assert names == [("dana", "it follows the reference: the check was lost elsewhere"), ("evan", "")]
