"""Grades an LMS imports: Canvas's gradebook export comes back with one column added or filled, Moodle gets its
grade import CSV; unmatched submissions stop the export, students with no submission get no grade (never a 0).

The rosters in tests/lms/ are laid out as the LMSs export them (Canvas: lib/gradebook_exporter.rb, with its
"Manual Posting" and "Points Possible" rows and read-only totals; Moodle: grade/export/txt). The files written
are read back here with the rules of the LMSs' importers (Canvas: lib/gradebook_importer.rb; Moodle:
grade/import/csv/classes/load_data.php). One tiny class is graded for real, once; the rest is copying records.
"""
from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest

from autograder import __main__ as cli
from autograder.instructor.batch import grade_class, rebuild_gradebook
from autograder.course.model import load_course
from autograder.exporters.lms import LmsError, export_grades, read_totals
from autograder.instructor.intake import collect

HERE = Path(__file__).resolve().parent
TINY = load_course(HERE / "tiny_course" / "course.toml")
CANVAS_ROSTER = HERE / "lms" / "canvas_gradebook_export.csv"
MOODLE_ROSTER = HERE / "lms" / "moodle_grades_export.csv"
COLUMN = f"{TINY.title} ({TINY.id})"  # the column's default name
POINTS = f"{TINY.max_points:g}"
CODE = next(e for e in TINY.exercises if not e.answer_key_probes)  # grace.hopper loses this exercise's points
MANUAL = "1.5"  # the instructor's manual points for grace.hopper's reason
# The class, named by SIS login: mallory is in no roster; the roster's margaret and sean handed nothing in.
TOTALS = {"ada.lovelace": POINTS, "alan.turing": "0",
          "grace.hopper": f"{TINY.max_points - CODE.max_points + float(MANUAL):g}"}
CANVAS_IDS = {"ada.lovelace": "1201", "alan.turing": "1202", "grace.hopper": "1203"}
NO_SUBMISSION_IDS = ("1204", "1205", "1299")  # Margaret Hamilton, Seán Ó Briain, and Canvas's Test Student
# Canvas's importer drops any column whose header contains one of these (NON_ASSIGNMENT_COLUMN_HEADERS).
CANVAS_TOTALS = ("Current Score", "Current Points", "Current Grade", "Final Score", "Final Points", "Final Grade",
                 "Override Score", "Override Grade", "Override Status")


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    """OUT of the tiny class: ada.lovelace graded for real by `grade`; the others are her record with checks
    failed (alan.turing all of them, grace.hopper the code exercise's), and mallory a copy. grace.hopper has
    manual points for her reason."""
    root = tmp_path_factory.mktemp("lms")
    shutil.copytree(TINY.solutions_dir, root / "submissions" / "ada.lovelace",
                    ignore=shutil.ignore_patterns("__pycache__"))
    out = root / "out"
    grade_class(root / "submissions", out, jobs=1, course_file=TINY.path)
    record = json.loads((out / "ada.lovelace" / "record.json").read_text())
    failing = {"alan.turing": {e.id for e in TINY.exercises}, "grace.hopper": {CODE.id}, "mallory": set()}
    for name, exercises in failing.items():
        checks = [{**check, "passed": check["passed"] and check["exercise"] not in exercises}
                  for check in record["result"]["checks"]]
        (out / name).mkdir()
        (out / name / "record.json").write_text(json.dumps({**record, "result": {**record["result"],
                                                                                 "checks": checks}}))
    (out / "answers.csv").write_text(f"submission,manual_points\ngrace.hopper,{MANUAL}\n")  # as typed in
    rebuild_gradebook(out, TINY)
    return out


def _renamed(graded: Path, names: dict[str, str], out: Path) -> Path:
    """A copy of `graded` whose submissions carry other names: records and manual points (`gradebook` rebuilds)."""
    for old, new in names.items():
        shutil.copytree(graded / old, out / new)
    with (graded / "answers.csv").open(newline="") as handle:
        rows = [{**row, "submission": names[row["submission"]]} for row in csv.DictReader(handle)
                if row["submission"] in names]
    with (out / "answers.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return out


def _canvas(graded: Path, roster: Path, written: Path, **options) -> None:
    """The Canvas file from `graded`'s grades.csv without the command line (and its rebuild of the gradebook)."""
    export_grades("canvas", roster, written, read_totals(graded / "grades.csv"), options.pop("column", COLUMN),
                  TINY.max_points, options.pop("match_column", "SIS Login ID"), options.pop("allow_unmatched", True))


def _gradebook(out: Path, *options: str) -> list[str]:
    return ["gradebook", str(out), "--course", str(TINY.path), *options]


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def _as_canvas_imports(text: str, custom_columns: tuple[str, ...] = ("Notes",)) -> dict[str, tuple[str, dict]]:
    """What Canvas's importer takes from `text`: {assignment column: (points possible, {student ID: grade})}.

    Its rules: the header starts Student, ID and ends the student columns with Section (custom columns follow);
    the row whose first cell holds "Points Possible" gives points, and "(read only)" there drops the column;
    a row of blanks and "Manual Posting" is skipped; a header that contains a total's name is no assignment."""
    header, *rows = _rows(text)
    assert "Student" in header[0] and "ID" in header[1] and "Section" in header
    points = next(row for row in rows if "Points Possible" in row[0])
    students = [row for row in rows if row and row is not points
                and not all(re.match(r"^\s*(Muted|Manual Posting.*)?\s*$", cell, re.I) for cell in row)]
    return {name: (points[j], {row[1]: row[j] for row in students}) for j, name in enumerate(header)
            if j > header.index("Section") and name not in custom_columns
            and not any(total in name for total in CANVAS_TOTALS) and not re.search(r"read\s+only", points[j])}


def _as_moodle_imports(text: str) -> dict[str, float | None]:
    """What Moodle's grade import takes from `text`, key column mapped to a user field and the other to a grade
    item: {key: grade}, None for "no grade". It aborts on a blank key; a blank grade in a new item is 0, so
    the file must never hold one."""
    header, *rows = _rows(text)
    assert len(header) == 2
    grades = {}
    for key, value in (row for row in rows if len(row) > 1):
        assert key.strip() and value.strip(), (key, value)
        grades[key] = None if value.strip() == "-" else float(value)
    return grades


def _cells(lines: list[str], appended: list[str]) -> str:
    """Each line of the roster with one more cell at its end, before its line ending."""
    ends = [line[len(line.rstrip("\r\n")):] for line in lines]
    return "".join(line.rstrip("\r\n") + "," + cell + end for line, cell, end in zip(lines, appended, ends))


def _expected_new_column() -> list[str]:
    """The cells Canvas should get: header, the Manual Posting row, Points Possible, then each student."""
    by_id = {CANVAS_IDS[name]: total for name, total in TOTALS.items()}
    return [COLUMN, "", POINTS] + [by_id.get(row[1], "") for row in _rows(CANVAS_ROSTER.read_text())[3:]]


def test_canvas_gets_its_own_export_back_with_one_column_added(graded, tmp_path, capsys):
    written = tmp_path / "canvas.csv"
    assert cli.main(_gradebook(graded, "--lms", "canvas", "--roster", str(CANVAS_ROSTER), "--out", str(written),
                               "--allow-unmatched")) == 0
    roster = CANVAS_ROSTER.read_text(encoding="utf-8")
    text = written.read_text(encoding="utf-8")
    # every byte of the export is kept: each line only gains a cell at its end
    assert text == _cells(roster.splitlines(keepends=True), _expected_new_column())
    before, after = _as_canvas_imports(roster), _as_canvas_imports(text)
    assert {k: v for k, v in after.items() if k != COLUMN} == before  # no other assignment changes
    assert after[COLUMN] == (POINTS, {**{CANVAS_IDS[n]: t for n, t in TOTALS.items()},
                                      **{i: "" for i in NO_SUBMISSION_IDS}})  # no submission: blank, never 0
    said = capsys.readouterr().out
    assert "Hamilton, Margaret; Ó Briain, Seán; Student, Test" in said and "mallory" in said


def test_a_bom_and_crlf_line_endings_survive(graded, tmp_path):
    roster = tmp_path / "exported.csv"
    roster.write_bytes(b"\xef\xbb\xbf" + CANVAS_ROSTER.read_bytes().replace(b"\n", b"\r\n"))
    written = tmp_path / "canvas.csv"
    _canvas(graded, roster, written)
    lines = roster.read_bytes().decode("utf-8").splitlines(keepends=True)
    assert written.read_bytes().decode("utf-8") == _cells(lines, _expected_new_column())


def test_canvas_column_of_an_earlier_import_is_filled_and_hand_grades_of_absent_students_kept(graded, tmp_path):
    """After a first import Canvas exports the column as "<title> (<assignment id>)", worth "8.00"."""
    header, *rows = _rows(CANVAS_ROSTER.read_text())
    points = next(i for i, row in enumerate(rows) if "Points Possible" in row[0])
    exported = [header + [f"{COLUMN} (48300)"]] + [row + [""] for row in rows]
    exported[points + 1][-1] = f"{TINY.max_points:.2f}"
    hamilton = next(row for row in exported if row[1] == "1204")
    hamilton[-1] = "7.00"  # handed in on paper, graded by hand in Canvas
    exported[-2][-1] = "2.00"  # Turing's old grade, which the new total replaces
    roster = tmp_path / "exported.csv"
    with roster.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(exported)
    written = tmp_path / "canvas.csv"
    _canvas(graded, roster, written)
    before, after = _rows(roster.read_text()), _rows(written.read_text())
    assert [row[:-1] for row in after] == [row[:-1] for row in before]  # every other column as it was
    by_id = {row[1]: row[-1] for row in after}
    assert {i: by_id[i] for i in CANVAS_IDS.values()} == {CANVAS_IDS[n]: t for n, t in TOTALS.items()}
    assert by_id["1204"] == "7.00" and by_id["1205"] == "" and after[points + 1][-1] == f"{TINY.max_points:.2f}"


def test_what_canvas_would_misread_is_refused(graded, tmp_path, capsys):
    written = tmp_path / "canvas.csv"
    assert cli.main(_gradebook(graded, "--lms", "canvas", "--roster", str(CANVAS_ROSTER), "--out", str(written))) == 1
    error = capsys.readouterr().err  # a submission matching nobody stops the export, naming it
    assert error.startswith("error: ") and "mallory" in error and "--allow-unmatched" in error
    assert cli.main(_gradebook(graded, "--lms", "canvas", "--out", str(written))) == 1
    assert "--roster" in capsys.readouterr().err
    refusals = {  # why -> what the error must say
        "worth 10 in Canvas, 8 here": (CANVAS_ROSTER, {"column": "Lab 1: Python warm-up"}, "10.00 points"),
        "a total Canvas ignores": (CANVAS_ROSTER, {"column": "Final Score"}, "Final Score"),
        "a custom column": (CANVAS_ROSTER, {"column": "Notes"}, "no assignment"),
        "no such column": (CANVAS_ROSTER, {"match_column": "Email"}, "no column 'Email'"),
        "not Canvas's export": (MOODLE_ROSTER, {}, "not a gradebook exported from Canvas"),
    }
    for why, (roster, options, words) in refusals.items():
        with pytest.raises(LmsError, match=re.escape(words)):
            _canvas(graded, roster, written, **options)
    assert not written.exists()


def test_a_run_not_fully_graded_gets_no_grade_yet(graded, tmp_path, capsys):
    out = shutil.copytree(graded, tmp_path / "out")
    record_file = out / "ada.lovelace" / "record.json"
    record = json.loads(record_file.read_text())
    record["result"]["checks"][0]["graded"] = False  # the machine kept the grader from judging one check
    record_file.write_text(json.dumps(record))
    written = tmp_path / "canvas.csv"
    assert cli.main(_gradebook(out, "--lms", "canvas", "--roster", str(CANVAS_ROSTER), "--out", str(written),
                               "--allow-unmatched")) == 0
    assert _as_canvas_imports(written.read_text())[COLUMN][1][CANVAS_IDS["ada.lovelace"]] == ""
    assert "not fully graded yet" in capsys.readouterr().out


@pytest.mark.parametrize("match_column", ["Email address", "ID number"])
def test_moodle_gets_a_key_column_and_one_grade_column(graded, tmp_path, capsys, match_column):
    exported = list(csv.DictReader(io.StringIO(MOODLE_ROSTER.read_text(encoding="utf-8"))))
    people = {row["Email address"].lower().split("@")[0]: row for row in exported}
    keys = {name: people[name][match_column] for name in TOTALS}
    for key in keys.values():  # the class handed in folders named by that key; `grade` named them so:
        (tmp_path / "named" / key).mkdir(parents=True)
    names = {s.source.name: s.name for s in collect(tmp_path / "named", TINY.exercise_files)}
    out = _renamed(graded, {name: names[key] for name, key in keys.items()}, tmp_path / "out")
    written = tmp_path / "moodle.csv"
    assert cli.main(_gradebook(out, "--lms", "moodle", "--roster", str(MOODLE_ROSTER), "--out", str(written),
                               *(["--match-column", match_column] if match_column != "Email address" else []))) == 0
    expected = [[match_column, COLUMN]]
    for row in exported:
        if row[match_column]:  # Moodle aborts on a blank key: Katherine Johnson, who has none, is left out
            name = next((n for n, key in keys.items() if key == row[match_column]), None)
            expected.append([row[match_column], TOTALS[name] if name else "-"])  # keys as exported: Moodle's
    assert _rows(written.read_text()) == expected  # email match is case-sensitive
    assert written.read_text().endswith("\n") and "\r" not in written.read_text()
    assert _as_moodle_imports(written.read_text())["margaret.hamilton@example.edu" if match_column == "Email address"
                                                   else "S1004"] is None  # no grade, never 0
    said = capsys.readouterr().out
    assert "Katherine Johnson" in said and "Margaret Hamilton" in said


@pytest.mark.parametrize("lms, roster, match_column, roster_value", [
    ("moodle", MOODLE_ROSTER, "ID number", "S1004"),  # the class's folders are named by login, not student number
    ("canvas", CANVAS_ROSTER, "SIS User ID", None),
])
def test_a_key_column_that_matches_too_few_submissions_is_refused_even_when_unmatched_are_allowed(
        graded, tmp_path, capsys, lms, roster, match_column, roster_value):
    written = tmp_path / f"{lms}.csv"
    assert cli.main(_gradebook(graded, "--lms", lms, "--roster", str(roster), "--out", str(written),
                               "--match-column", match_column, "--allow-unmatched")) == 1
    error = capsys.readouterr().err
    assert f"by column {match_column!r}" in error and "0 of 4 submissions" in error
    assert "submission 'ada.lovelace'" in error  # an example of each side
    values = [row[match_column] for row in csv.DictReader(io.StringIO(roster.read_text(encoding="utf-8")))
              if row[match_column].strip()]
    assert f"roster value {(roster_value or values[0])!r}" in error
    assert not written.exists()


def test_a_few_unmatched_submissions_are_still_allowed(graded, tmp_path):
    """3 of 4 submissions match (mallory is in no roster): --allow-unmatched leaves her out and writes the file."""
    written = tmp_path / "canvas.csv"
    _canvas(graded, CANVAS_ROSTER, written, allow_unmatched=True)
    assert written.exists()
