"""Exporters: the score table, feedback.md and Gradescope's results.json read the same RunResult."""
from __future__ import annotations

import json

from autograder.atomic import write_json_atomically
from autograder.exporters.feedback import feedback_markdown
from autograder.exporters.gradescope import gradescope_results
from autograder.exporters.score_table import score_table
from autograder.results import CheckResult, RunResult


def _result() -> RunResult:
    result = RunResult(course_title="T", submission="s", seed=3,
                       exercise_titles={"a": "Alpha", "b": "Beta"}, exercise_possible={"a": 5.0, "b": 2.0})
    result.checks += [CheckResult("a", "one", "one works", 3.0, True),
                      CheckResult("a", "two", "two works", 2.0, False, "two broke", "look at two"),
                      CheckResult("b", "three", "three works", 2.0, True, hidden=True)]
    return result


def test_score_table_rows_and_total():
    lines = score_table(_result())
    assert any(line.startswith("Alpha") and line.endswith("3 / 5") for line in lines)
    assert any(line.startswith("Beta") and line.endswith("2 / 2") for line in lines)
    assert lines[-1].startswith("Total") and lines[-1].endswith("5 / 7")
    result = _result()
    result.hidden_elsewhere = 4
    assert score_table(result)[-1] == "Your instructor's grader also runs hidden checks, worth 4 more points."


def test_score_table_leaves_out_exercises_that_did_not_run():
    result = _result()
    result.checks = [c for c in result.checks if c.exercise == "b"]  # as after `pytest autograder -k three`
    lines = score_table(result)
    assert any(line.startswith("Alpha") and line.endswith("not run") for line in lines)
    assert lines[-1].endswith("2 / 2")


def test_gradescope_results_follow_the_schema():
    data = gradescope_results(_result())
    assert (data["score"], data["max_score"]) == (5.0, 7.0)
    failed = data["tests"][1]
    assert failed == {"name": "two works", "number": "a.two", "score": 0.0, "max_score": 2.0, "status": "failed",
                      "output": "two broke\nHint: look at two", "visibility": "visible", "tags": ["a"]}
    assert data["tests"][0]["output"] == "Passed."
    assert data["tests"][2]["visibility"] == "after_published"  # a hidden check, course.toml's default
    assert "3 / 5 on the checks shown now" in data["output"]  # the hidden check's 2 points stay unsaid


def test_json_is_written_whole_or_not_at_all(tmp_path):
    target = tmp_path / "out" / "results.json"
    write_json_atomically({"score": 1}, target)
    assert json.loads(target.read_text()) == {"score": 1}
    assert [p.name for p in target.parent.iterdir()] == ["results.json"]


def test_feedback_shows_what_a_failed_check_printed_in_a_block_of_its_own():
    result = _result()
    result.checks[1] = CheckResult("a", "two", "two works", 2.0, False, "two broke", "look at two",
                                   printed="step 1\nloss ```nan```\n")
    text = feedback_markdown(result, refused=["x.py: is a link"], ignored=["notes.txt"])
    assert "**Score: 5 / 7**" in text and "- refused: x.py: is a link" in text and "notes.txt" in text
    assert "**two works**: two broke" in text and "> Hint: look at two" in text
    block = text.split("Your code printed:", 1)[1]
    fence = block.split()[0]
    assert fence == "````text"  # longer than any run of backticks in the output, so the block stays whole
    assert "step 1\nloss ```nan```\n````" in block


def test_feedback_shows_no_printed_block_when_nothing_was_printed():
    assert "Your code printed" not in feedback_markdown(_result())
