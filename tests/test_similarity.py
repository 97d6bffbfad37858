"""The similarity report: does it point at copies, and only at them?

A small class (tests/similarity/class) of independent correct solutions, written as
different students write them, holds one renamed and reordered copy of a distinctive
solution, one lightly edited copy of another student's reasons, and untouched stubs;
tests/similarity/copies.toml says who copied whom. The comparison is static (files are
parsed, never run), so these tests take a second or two.
"""
from __future__ import annotations

import csv
import json
import shutil
import tomllib
from pathlib import Path

import pytest

from autograder.__main__ import main
from autograder.course.model import CourseError, load_course
from autograder.errors import AutograderError
from autograder.similarity.ranking import STANDS_OUT, need, rank, similarity_groups, write_similarity
from autograder.similarity.code import UNTOUCHED
from autograder.similarity.report import CSV_COLUMNS
from autograder.similarity.text import literal_constants

HERE = Path(__file__).resolve().parent
CLASS = HERE / "similarity" / "class"
COPIES = tomllib.loads((HERE / "similarity" / "copies.toml").read_text(encoding="utf-8"))
# The class was written for the exercises it holds: an exercise added to the course later is not compared here.
COURSE = load_course().only([e.id for e in load_course().exercises
                             if all((folder / e.file).is_file() for folder in CLASS.iterdir())])
TINY_FILE = HERE / "tiny_course" / "course.toml"


def _exercise_of(file: str):
    return next(e for e in COURSE.exercises if e.file == file)


def _lists(rows) -> dict[str, list]:
    """item -> its rows, in report order (most similar first)."""
    lists: dict[str, list] = {}
    for row in rows:
        lists.setdefault(row.item, []).append(row)
    return lists


def _untouched() -> set[str]:
    """Students whose every file is the stub as given."""
    return {folder.name for folder in CLASS.iterdir()
            if all((folder / e.file).read_bytes() == (COURSE.exercises_dir / e.file).read_bytes()
                   for e in COURSE.exercises)}


@pytest.fixture(scope="module")
def report():
    groups = similarity_groups(COURSE, CLASS)
    return groups, rank(groups)


def test_the_class_covers_what_the_report_compares():
    assert COPIES["code"] and COPIES["reasons"]
    for copy in COPIES["code"]:
        assert _exercise_of(copy["file"]).compare_code
    for copy in COPIES["reasons"]:
        assert _exercise_of(copy["file"]).free_text
    assert len(_untouched()) >= 2  # so that a pair of untouched stubs could be reported


def test_a_renamed_and_reordered_copy_of_a_distinctive_solution_tops_its_exercise(report):
    _, rows = report
    lists = _lists(rows)
    for copy in COPIES["code"]:
        top = lists[_exercise_of(copy["file"]).id][0]
        assert {top.first, top.second} == {copy["original"], copy["copy"]}
        assert top.stands_out and top.above >= STANDS_OUT


def test_a_lightly_edited_copy_of_reasons_tops_every_question(report):
    _, rows = report
    lists = _lists(rows)
    for copy in COPIES["reasons"]:
        exercise = _exercise_of(copy["file"])
        for column in exercise.free_text:
            top = lists[f"{exercise.id}: {column}"][0]
            assert {top.first, top.second} == {copy["original"], copy["copy"]}, column
            assert top.stands_out, column


def test_independent_solutions_and_answers_do_not_stand_out(report):
    groups, rows = report
    expected = {(_exercise_of(c["file"]).id, frozenset((c["original"], c["copy"]))) for c in COPIES["code"]}
    expected |= {(f"{_exercise_of(c['file']).id}: {column}", frozenset((c["original"], c["copy"])))
                 for c in COPIES["reasons"] for column in _exercise_of(c["file"]).free_text}
    marked = {(r.item, frozenset((r.first, r.second))) for r in rows if r.stands_out}
    assert marked == expected
    # canonical code is compared (not dropped), and written alike: it scores, but stays within its baseline
    code_lists = [g for g in groups if g.kind == "code"]
    assert {g.item for g in code_lists} == {e.id for e in COURSE.exercises if e.compare_code}
    assert all(len(g.texts) >= len(list(CLASS.iterdir())) - len(_untouched()) for g in code_lists)


def test_untouched_stubs_never_count(report):
    groups, rows = report
    stubs = _untouched()
    for group in groups:
        assert stubs <= set(group.left_out), group.item
        assert not stubs & set(group.texts), group.item
    assert not any({r.first, r.second} & stubs for r in rows)
    code = next(g for g in groups if g.kind == "code")
    assert all(code.left_out[name] == UNTOUCHED for name in stubs)


def test_a_stub_with_its_todos_deleted_is_still_untouched(tmp_path):
    exercise = next(e for e in COURSE.exercises if e.compare_code)
    stub = (COURSE.exercises_dir / exercise.file).read_text(encoding="utf-8")
    tidied = "\n".join(line for line in stub.splitlines() if "# TODO" not in line).replace("    ", "\t")
    for name, text in {"kim": stub, "lou": tidied}.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / exercise.file).write_text(text, encoding="utf-8")
    (tmp_path / "max").mkdir()
    shutil.copy(CLASS / COPIES["code"][0]["original"] / exercise.file, tmp_path / "max" / exercise.file)
    group = next(g for g in similarity_groups(COURSE.only([exercise.id]), tmp_path) if g.item == exercise.id)
    assert group.left_out == {"kim": UNTOUCHED, "lou": UNTOUCHED}
    assert group.scores == {}


def test_the_csv_and_the_page_list_the_pairs_most_similar_first(tmp_path):
    rows = write_similarity(COURSE, CLASS, tmp_path)
    with open(tmp_path / "similarity.csv", encoding="utf-8", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert tuple(table[0]) == CSV_COLUMNS
    assert len(table) == len(rows)
    above = [float(r["above_baseline"]) for r in table]
    assert above == sorted(above, reverse=True)
    for item in {r["item"] for r in table}:  # within a list, the most similar pair first
        scores = [float(r["score"]) for r in table if r["item"] == item]
        assert scores == sorted(scores, reverse=True)
    marked = [r for r in table if r["stands_out"]]
    assert marked == table[:len(marked)] and all(float(r["above_baseline"]) >= STANDS_OUT for r in marked)
    page = (tmp_path / "similarity.html").read_text(encoding="utf-8")
    assert "accuses nobody" in page
    assert "<script" not in page and "http" not in page and "src=" not in page  # nothing fetched
    for row in marked:
        assert f"{row['submission_a']} and {row['submission_b']}" in page
    assert page.count("<mark>") > len(marked)  # the shared parts of each pair are marked


def test_the_command_writes_the_report(tmp_path, capsys):
    assert main(["similarity", str(CLASS), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "similarity.html").is_file() and (tmp_path / "out" / "similarity.csv").is_file()
    assert "stand out" in capsys.readouterr().out


def test_answers_come_from_a_graded_folder_when_given(tmp_path):
    """What grading saw wins over the file's constants; a submission not graded there is read statically."""
    exercise = next(e for e in COURSE.exercises if e.free_text)
    copy = next(c for c in COPIES["reasons"] if c["file"] == exercise.file)
    column, path = next(iter(exercise.free_text.items()))
    probe, *keys = path.split("/")
    seen = "an answer that only the grading run saw, built by code when the module was imported"
    value: object = seen
    for key in reversed(keys):
        value = {key: value}
    record = {"observations": {exercise.id: {"outcomes": {probe: {"value": value}}}}}
    (tmp_path / copy["copy"]).mkdir()
    (tmp_path / copy["copy"] / "record.json").write_text(json.dumps(record), encoding="utf-8")
    groups = similarity_groups(COURSE.only([exercise.id]), CLASS, graded=tmp_path)
    group = next(g for g in groups if g.item == f"{exercise.id}: {column}")
    assert group.texts[copy["copy"]] == seen
    assert copy["original"] in group.texts


def test_student_files_are_parsed_never_run(tmp_path):
    exercise = next(e for e in COURSE.exercises if e.free_text)
    source = (CLASS / COPIES["reasons"][0]["original"] / exercise.file).read_text(encoding="utf-8")
    sentinel = tmp_path / "ran"
    hostile = f"open({str(sentinel)!r}, 'w').close()\nraise SystemExit(1)\n" + source
    for name in ("ran_code", "other"):
        (tmp_path / "class" / name).mkdir(parents=True)
    (tmp_path / "class" / "ran_code" / exercise.file).write_text(hostile, encoding="utf-8")
    (tmp_path / "class" / "other" / exercise.file).write_text(source, encoding="utf-8")
    groups = similarity_groups(COURSE.only([exercise.id]), tmp_path / "class")
    assert not sentinel.exists()
    assert all(set(g.texts) == {"ran_code", "other"} and g.scores[("other", "ran_code")] == 1.0 for g in groups)


def test_literal_constants_read_only_plain_literals():
    constants = literal_constants('A = "one " "two"\nB: str = "x" + "y"\nC = compute()\nD = {"a", "b"}\n'
                                  'E = "z" * 10**9\nA = A + "!"\n')
    assert constants == {"A": "one two", "B": "xy", "D": {"a", "b"}}


def test_compare_code_must_be_true_or_false(tmp_path):
    text = TINY_FILE.read_text(encoding="utf-8").replace('id = "lists"\n', 'id = "lists"\ncompare_code = "yes"\n')
    (tmp_path / "course.toml").write_text(text, encoding="utf-8")
    with pytest.raises(CourseError, match="compare_code"):
        load_course(tmp_path / "course.toml")
    assert not any(e.compare_code for e in load_course(TINY_FILE).exercises)  # off unless a course says so


def test_a_missing_instructor_tool_says_how_to_install_it():
    with pytest.raises(AutograderError, match=r'pip install -e "\.\[instructor\]"'):
        need("no_such_instructor_tool")


@pytest.mark.slow  # three real grading runs (about five seconds)
def test_grade_with_similarity_reads_the_answers_grading_saw(tmp_path, capsys):
    """`grade --similarity` on the tiny course: the report follows the grading, from the same records."""
    tiny = load_course(TINY_FILE)
    exercise = next(e for e in tiny.exercises if e.free_text)
    solution = (tiny.solutions_dir / exercise.file).read_text(encoding="utf-8")
    reasons = {"amy": "Square brackets make a list in Python, parentheses make a tuple and braces a set.",
               "ben": "Square brackets make a list in Python, parentheses make a tuple, braces make a set.",
               "cy": "Only the first one can grow with append, so it is the list of the three."}
    for name, why in reasons.items():
        folder = shutil.copytree(tiny.solutions_dir, tmp_path / "class" / name)
        (folder / exercise.file).write_text(_with_reason(solution, why), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["grade", str(tmp_path / "class"), "--out", str(out), "--course", str(TINY_FILE),
                 "--similarity"]) == 0
    assert "stand out" in capsys.readouterr().out
    with open(out / "similarity.csv", encoding="utf-8", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert {table[0]["submission_a"], table[0]["submission_b"]} == {"amy", "ben"}
    assert (out / "similarity.html").is_file() and (out / "grades.csv").is_file()


def _with_reason(source: str, why: str) -> str:
    """`source` with the module-level constant that holds a sentence set to `why`."""
    sentence = next(v for v in literal_constants(source).values() if isinstance(v, str) and " " in v)
    quoted = next(q for q in (repr(sentence), f'"{sentence}"') if q in source)
    return source.replace(quoted, repr(why))


def _course_with_exercises_filled_in(tmp_path: Path):
    """This course as an instructor has it after trying it as a student: exercises/ holds the solutions."""
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(COURSE.path, root / COURSE.path.name)
    shutil.copytree(COURSE.solutions_dir, root / "solutions")
    shutil.copytree(COURSE.solutions_dir, root / "exercises")
    (root / "grading").symlink_to(COURSE.layout.grading_dir, target_is_directory=True)
    return load_course(root / COURSE.path.name).only(e.id for e in COURSE.exercises)


def test_an_exercises_folder_filled_in_changes_nothing_but_is_warned_of(tmp_path, capsys, report):
    """The stub is the one the solutions generate, not exercises/ as the instructor left it."""
    filled_in = _course_with_exercises_filled_in(tmp_path)
    groups = similarity_groups(filled_in, CLASS)
    assert [(r.item, r.first, r.second, round(r.score, 6)) for r in rank(groups)] == \
        [(r.item, r.first, r.second, round(r.score, 6)) for r in report[1]]
    assert any(r.stands_out for r in rank(groups))
    warned = capsys.readouterr().err
    compared = [e for e in filled_in.exercises if e.compare_code or e.free_text]
    assert compared and all(f"warning: exercises/{e.file} differs from the stub" in warned for e in compared)


def test_no_warning_when_exercises_holds_the_generated_stubs(capsys, report):
    similarity_groups(COURSE, CLASS)
    assert "warning" not in capsys.readouterr().err
