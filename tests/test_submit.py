"""submit: what a student is told before the zip is packed, read from the files, never by running them."""
from __future__ import annotations

import ast
import shutil
import zipfile
from pathlib import Path

from autograder import __main__ as cli
from autograder.course.model import load_course
from autograder.submit import quick_check, unanswered

HERE = Path(__file__).resolve().parent
COURSE = load_course()
TINY = load_course(HERE / "tiny_course" / "course.toml")


def _unanswered(source: str) -> list[str]:
    return unanswered(ast.parse(source))


def test_empty_answers_are_named():
    source = ('Q1_ANSWER: set[str] = set()\nQ1_WHY = ""\nQ2_ANSWER = {"a"}\nQ2_WHY = "   "\n'
              "LETTERS = []\nTABLE = {}\nPAIR = ()\nNAMES = frozenset()\n")
    assert _unanswered(source) == ["Q1_ANSWER", "Q1_WHY", "Q2_WHY", "LETTERS", "TABLE", "PAIR", "NAMES"]


def test_answered_constants_and_the_codes_own_state_are_left_alone():
    source = ('ANSWER = "b"\nWHY = "a list is written in square brackets"\nhistory = []\n'
              "LIMIT = 0\nNOTHING = None\nQ1_ANSWER = set()\nQ1_ANSWER = {'a'}\n"  # the last assignment wins
              "def f():\n    INNER = ''\n")
    assert _unanswered(source) == []


def test_the_course_stubs_answers_are_all_reported_empty():
    """The course's own stubs: every answer a stub hands out empty is caught (this course's names appear
    only here, in a test, never in the engine)."""
    answers = [e for e in COURSE.exercises if e.free_text]
    assert answers
    for exercise in answers:
        stub = (COURSE.exercises_dir / exercise.file).read_text(encoding="utf-8")
        constants = [node.target.id for node in ast.parse(stub).body if isinstance(node, ast.AnnAssign)] + \
            [target.id for node in ast.parse(stub).body if isinstance(node, ast.Assign) for target in node.targets]
        assert len(constants) >= 2 * len(exercise.free_text)  # an answer and a reason per question
        assert sorted(_unanswered(stub)) == sorted(constants)
        assert not _unanswered((COURSE.solutions_dir / exercise.file).read_text(encoding="utf-8"))


def test_submit_warns_of_empty_answers_and_still_packs(tmp_path, capsys):
    exercises = shutil.copytree(TINY.solutions_dir, tmp_path / "exercises",
                                ignore=shutil.ignore_patterns("__pycache__"))
    answer_file = next(e.file for e in TINY.exercises if e.file == "words.py")
    shutil.copy(TINY.exercises_dir / answer_file, exercises / answer_file)  # the stub's empty ANSWER and WHY
    out = tmp_path / "hand-in.zip"
    assert cli.main(["submit", "--course", str(TINY.path), "--exercises", str(exercises), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert f"{answer_file}: ANSWER, WHY are still empty" in said
    with zipfile.ZipFile(out) as archive:
        assert answer_file in archive.namelist()


def test_no_note_for_answered_files(tmp_path):
    assert not [line for line in quick_check(TINY, TINY.solutions_dir) if "still empty" in line]
