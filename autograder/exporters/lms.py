"""Grades an LMS imports: Canvas's gradebook CSV with one column added or filled, or Moodle's grade import CSV.

The roster is the LMS's own export. Canvas gets that export back with only our
column changed: every other cell keeps its bytes (quotes, line ends, a BOM), so
its import previews no change but ours. Rows are matched to submissions by one
roster column, read the way `grade` names a submission folder. A student with
no submission gets no grade, never a 0; a submission that matches nobody is
reported, never dropped in silence; and when fewer than half of them match,
the key column is taken to be the wrong one and nothing is written. Nothing
here decides a score: the totals are grades.csv's, manual points included.

The rules followed are the LMSs' own code. Canvas (lib/gradebook_importer.rb):
the header starts Student, ID (SIS User ID, SIS Login ID), Section; a row whose
first cell holds "Points Possible" sets each assignment's points, and "(read
only)" there marks a column it ignores; a header holding "Current Score",
"Final Grade" and the like is a total, never imported; "Title (123)" names
assignment 123, any other new title creates an assignment; a blank cell is no
score. Moodle (grade/import/csv): one row per user, found by the mapped key
column, which must not be blank; "-" is no grade, while a blank cell mapped to a
new grade item is stored as 0.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from autograder.atomic import write_text_atomically
from autograder.errors import AutograderError
from autograder.instructor.intake import safe_name as submission_folder_name

__all__ = ["LMS_NAMES", "DEFAULT_MATCH_COLUMN", "MIN_MATCHED_SHARE", "LmsError", "LmsExport", "read_totals",
           "canvas_gradebook", "moodle_grades", "export_grades", "summary_lines"]

LMS_NAMES = ("canvas", "moodle")
DEFAULT_MATCH_COLUMN = {"canvas": "SIS Login ID", "moodle": "Email address"}
# Canvas's student columns, and the total columns its importer drops (any header that contains one of these).
CANVAS_STUDENT_COLUMNS = ("Student", "LastName", "FirstName", "ID", "SIS User ID", "SIS Login ID", "Integration ID",
                          "Root Account", "Section")
CANVAS_TOTALS = ("Current Score", "Current Points", "Current Grade", "Final Score", "Final Points", "Final Grade",
                 "Override Score", "Override Grade", "Override Status")
POINTS_POSSIBLE = "Points Possible"
# Fewer submissions than this share matching a roster row means the key column is the wrong one: refused even
# with --allow-unmatched, which is for a few stragglers (a late enrolment, a folder named by hand).
MIN_MATCHED_SHARE = 0.5
MOODLE_NO_GRADE = "-"
_HIDDEN_ROW = re.compile(r"^\s*(Muted|Manual Posting.*)?\s*$", re.IGNORECASE)  # Canvas's "Manual Posting" row
_TITLE_AND_ID = re.compile(r"\A(.*)\s\((\d+)\)\Z", re.DOTALL)  # Canvas's "Title (assignment id)"
_READ_ONLY = re.compile(r"read\s+only")


class LmsError(AutograderError):
    """The roster or the options do not make a file the LMS would import as meant."""


@dataclass
class LmsExport:
    """The file's text, and who got what: the command line reports it, the tests check it."""
    text: str
    column: str
    graded: list[str] = field(default_factory=list)  # roster students given a grade
    missing: list[str] = field(default_factory=list)  # roster students with no submission: no grade
    provisional: list[str] = field(default_factory=list)  # matched, but not fully graded yet: no grade
    unmatched: list[str] = field(default_factory=list)  # submissions that match no roster row
    left_out: list[str] = field(default_factory=list)  # roster rows the file cannot name (Moodle: blank key)


# ---- CSV that keeps every byte it does not change ----

@dataclass
class _Record:
    fields: list[str]  # raw, as in the file, quotes included
    end: str  # the line ending that closed it ("" at the end of the file)

    @property
    def blank(self) -> bool:
        return self.fields == [""]

    @property
    def values(self) -> list[str]:
        return [_unquote(raw) for raw in self.fields]


def _unquote(raw: str) -> str:
    if not raw.startswith('"'):
        return raw
    return raw[1:-1 if len(raw) > 1 and raw.endswith('"') else None].replace('""', '"')


def _quoted(value: str, delimiter: str) -> str:
    """One cell as the csv module writes it: quoted only when it must be."""
    if any(c in value for c in (delimiter, '"', "\r", "\n")):
        return '"' + value.replace('"', '""') + '"'
    return value


def _split(text: str, delimiter: str) -> list[_Record]:
    """The records of `text`, each field as it is written in the file."""
    records, fields, start, quoted, i = [], [], 0, False, 0
    while i < len(text):
        c = text[i]
        if quoted:
            if c == '"' and text.startswith('""', i):
                i += 1
            elif c == '"':
                quoted = False
        elif c == '"':
            quoted = True
        elif c == delimiter:
            fields.append(text[start:i])
            start = i + 1
        elif c in "\r\n":
            end = i + (2 if text.startswith("\r\n", i) else 1)
            records.append(_Record([*fields, text[start:i]], text[i:end]))
            fields, start, i = [], end, end
            continue
        i += 1
    if fields or start < len(text):
        records.append(_Record([*fields, text[start:]], ""))
    return records


def _delimiter(text: str, what: str) -> str:
    """Comma, semicolon or tab: the one that splits the first lines into the same number of cells, the most."""
    head = [line for line in text.lstrip("\ufeff").splitlines()[:3] if line.strip()]

    def width(delimiter: str) -> int:
        widths = {len(next(csv.reader([line], delimiter=delimiter))) for line in head}
        return widths.pop() if len(widths) == 1 else 0
    best = max(",;\t", key=width)
    if width(best) < 2:
        raise LmsError(f"{what} is not a CSV file with columns")
    return best


@dataclass
class _Table:
    records: list[_Record]
    delimiter: str
    header: list[str]  # the header's values, trimmed (and without a BOM)
    what: str

    def column(self, name: str, option: str) -> int:
        if name not in self.header:
            raise LmsError(f"{self.what} has no column {name!r} (it has {', '.join(map(repr, self.header))}): "
                           f"name one with {option}")
        return self.header.index(name)

    def rows(self) -> list[int]:
        """The indices of the records after the header that hold anything, each as wide as the header."""
        rows = [i for i, record in enumerate(self.records) if i and not record.blank]
        for i in rows:
            if len(self.records[i].fields) != len(self.header):
                raise LmsError(f"{self.what}: line {i + 1} has {len(self.records[i].fields)} cells and the header "
                               f"{len(self.header)}; export the file again rather than editing it")
        return rows


def _read_table(text: str, what: str) -> _Table:
    delimiter = _delimiter(text, what)
    records = _split(text, delimiter)
    try:  # the csv module must read every cell as we do, or a cell we keep might not be what it seems
        theirs = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as error:
        raise LmsError(f"{what} is not a well-formed CSV file ({error})") from None
    if theirs != [[] if record.blank else record.values for record in records]:
        raise LmsError(f"{what} is not a well-formed CSV file (its quotes do not pair up)")
    header = [value.lstrip("\ufeff").strip() for value in records[0].values] if records else []
    return _Table(records, delimiter, header, what)


# ---- matching submissions to roster rows ----

def _match(table: _Table, rows: list[int], key: int, totals: dict[str, str | None],
           match_column: str) -> tuple[dict[int, str], list[str]]:
    """Roster row -> submission name, by the key column read as `grade` names a folder; and the unmatched."""
    by_key: dict[str, list[int]] = {}
    for i in rows:
        value = table.records[i].values[key].strip()
        if value:
            by_key.setdefault(submission_folder_name(value).casefold(), []).append(i)
    matched, unmatched = {}, []
    for name in sorted(totals):
        found = by_key.get(name.casefold(), [])
        if len(found) > 1:
            raise LmsError(f"submission {name!r} matches {len(found)} roster rows by {match_column!r} "
                           f"(lines {', '.join(str(i + 1) for i in found)}): match by another --match-column")
        if not found:
            unmatched.append(name)
        elif found[0] in matched:
            raise LmsError(f"submissions {matched[found[0]]!r} and {name!r} both match line {found[0] + 1} of "
                           f"{table.what} by {match_column!r}: rename one, or match by another --match-column")
        else:
            matched[found[0]] = name
    _refuse_a_key_that_matches_too_few(table, rows, key, len(totals) - len(unmatched), unmatched, match_column)
    return matched, unmatched


def _refuse_a_key_that_matches_too_few(table: _Table, rows: list[int], key: int, matched: int,
                                       unmatched: list[str], match_column: str) -> None:
    """LmsError when fewer than MIN_MATCHED_SHARE of the submissions match a roster row, --allow-unmatched or not.

    A few unmatched submissions are a roster's stragglers; most of them are a key column that names students
    otherwise than the submission folders do, and every student who handed work in would be listed as having
    handed nothing in."""
    if not unmatched or matched >= MIN_MATCHED_SHARE * (matched + len(unmatched)):
        return
    roster_value = next((table.records[i].values[key].strip() for i in rows if table.records[i].values[key].strip()),
                        None)
    example = (f"roster value {roster_value!r} (read as folder {submission_folder_name(roster_value)!r})"
               if roster_value else "no roster row with a value there")
    raise LmsError(f"only {matched} of {matched + len(unmatched)} submissions match a roster row by column "
                   f"{match_column!r}: for example, submission {unmatched[0]!r} and {example}. This column does "
                   f"not name students as the submission folders do, so --allow-unmatched cannot help: match "
                   f"by another --match-column, or rename the submission folders to its values")


def _tally(export: LmsExport, rows: list[int], matched: dict[int, str], totals: dict[str, str | None],
           who: Callable[[int], str]) -> None:
    for i in rows:
        name = matched.get(i)
        if name is None:
            export.missing.append(who(i))
        elif totals[name] is None:
            export.provisional.append(name)
        else:
            export.graded.append(who(i))


# ---- Canvas ----

def _canvas_number(text: str) -> float | None:
    """A number as Canvas's importer reads it (a decimal comma is a point); None if it is none."""
    if re.fullmatch(r"-?[0-9.,]+", text):
        *whole, last = re.split(r"[,.]", text)
        text = f"{''.join(whole)}.{last}" if whole else last
    try:
        return float(text)
    except ValueError:
        return None


def _check_canvas_column_name(column: str) -> None:
    if not column.strip() or "\n" in column or "\r" in column:
        raise LmsError(f"{column!r} cannot name a Canvas column: give --assignment a one-line name")
    if column.strip() in CANVAS_STUDENT_COLUMNS:
        raise LmsError(f"{column!r} is one of Canvas's student columns: give --assignment another name")
    total = next((t for t in CANVAS_TOTALS if t in column), None)
    if total:
        raise LmsError(f"Canvas ignores every column whose name contains {total!r} (its totals): "
                       f"give --assignment a name without it")


def _canvas_target(header: list[str], column: str) -> int | None:
    """The column to fill: named exactly so, or "<column> (<assignment id>)" as Canvas exports it; None: add one."""
    found = [i for i, name in enumerate(header) if name == column]
    if not found:
        found = [i for i, name in enumerate(header) if (m := _TITLE_AND_ID.match(name)) and m.group(1) == column]
    if len(found) > 1:
        raise LmsError(f"the roster has {len(found)} columns for {column!r} "
                       f"({', '.join(repr(header[i]) for i in found)}): name one, id included, with --assignment")
    return found[0] if found else None


def canvas_gradebook(roster_text: str, totals: dict[str, str | None], column: str, points: float,
                     match_column: str = DEFAULT_MATCH_COLUMN["canvas"]) -> LmsExport:
    """Canvas's gradebook export with `column` filled: submissions' totals (None: not fully graded, no grade)."""
    table = _read_table(roster_text, "the Canvas roster")
    head = table.header
    if not (len(head) > 3 and ("Student" in head[0] and "ID" in head[1] or head[:3] == ["LastName", "FirstName", "ID"])
            and "Section" in head):
        raise LmsError("the roster is not a gradebook exported from Canvas (its columns start Student, ID, ... "
                       "Section): in Canvas, Grades > Export > Export Entire Gradebook")
    _check_canvas_column_name(column)
    key = table.column(match_column, "--match-column")
    rows = table.rows()
    points_row = next((i for i in rows if POINTS_POSSIBLE in table.records[i].values[0]), None)
    if points_row is None:
        raise LmsError(f"the Canvas roster has no {POINTS_POSSIBLE!r} row: export it from Canvas again")
    students = [i for i in rows if i != points_row
                and not all(_HIDDEN_ROW.match(value) for value in table.records[i].values)]
    target = _canvas_target(head, column)
    cells = {}
    if target is None:
        cells = {i: "" for i in rows}
        cells[0], cells[points_row] = column, f"{points:g}"
    else:
        given = table.records[points_row].values[target].strip()
        if _READ_ONLY.search(given) or not given:
            raise LmsError(f"Canvas's column {head[target]!r} is no assignment (its {POINTS_POSSIBLE!r} cell is "
                           f"{given or 'blank'}): give --assignment an assignment's name")
        if _canvas_number(given) != points:
            raise LmsError(f"{head[target]!r} is worth {given} points in Canvas and the course {points:g}: "
                           f"set the assignment's points in Canvas to {points:g}, export the gradebook again, "
                           f"and run this again")
    matched, unmatched = _match(table, students, key, totals, match_column)
    for i, name in matched.items():
        if totals[name] is not None:
            cells[i] = totals[name]
    names = head.index("Student") if "Student" in head else None
    export = LmsExport("", head[target] if target is not None else column, unmatched=unmatched)
    _tally(export, students, matched, totals,
           lambda i: table.records[i].values[names] if names is not None else " ".join(table.records[i].values[:2]))
    lines = []
    for i, record in enumerate(table.records):
        fields = list(record.fields)
        if i in cells:
            cell = _quoted(cells[i], table.delimiter)
            fields = [*fields, cell] if target is None else [*fields[:target], cell, *fields[target + 1:]]
        lines.append(table.delimiter.join(fields) + record.end)
    export.text = "".join(lines)
    return export


# ---- Moodle ----

def moodle_grades(roster_text: str, totals: dict[str, str | None], column: str,
                  match_column: str = DEFAULT_MATCH_COLUMN["moodle"]) -> LmsExport:
    """Moodle's grade import CSV: the key column (`match_column`, as in the roster) and one grade column.

    Every roster student is a row; one with no submission gets "-", Moodle's "no grade" (a blank cell would be 0
    in a new grade item). A student with a blank key is left out: Moodle could not find them."""
    if not column.strip() or "\n" in column or "\r" in column:
        raise LmsError(f"{column!r} cannot name a Moodle grade column: give --assignment a one-line name")
    table = _read_table(roster_text, "the Moodle roster")
    key = table.column(match_column, "--match-column")
    rows = table.rows()
    first, last = (table.header.index(n) if n in table.header else None for n in ("First name", "Last name"))

    def who(i: int) -> str:
        values = table.records[i].values
        name = " ".join(values[j].strip() for j in (first, last) if j is not None).strip()
        return name or values[key].strip() or f"line {i + 1}"
    keyed = [i for i in rows if table.records[i].values[key].strip()]
    matched, unmatched = _match(table, keyed, key, totals, match_column)
    export = LmsExport("", column, unmatched=unmatched, left_out=[who(i) for i in rows if i not in keyed])
    _tally(export, keyed, matched, totals, who)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([table.header[key], column])
    for i in keyed:
        total = totals[matched[i]] if i in matched else None
        writer.writerow([table.records[i].values[key].strip(), MOODLE_NO_GRADE if total is None else total])
    export.text = buffer.getvalue()
    return export


# ---- the file ----

def read_totals(grades_csv: Path) -> dict[str, str]:
    """grades.csv's `total` per submission, as written there (manual points included)."""
    try:
        with Path(grades_csv).open(encoding="utf-8", newline="") as handle:
            return {row["submission"]: row["total"] for row in csv.DictReader(handle)}
    except (OSError, KeyError) as error:
        raise LmsError(f"cannot read the totals in {grades_csv} ({error}): run `gradebook` on a graded folder") \
            from None


def export_grades(lms: str, roster: Path, out: Path, totals: dict[str, str | None], column: str, points: float,
                  match_column: str, allow_unmatched: bool = False) -> LmsExport:
    """Write `out` for `lms` from its exported `roster`; refuse while a submission matches nobody, unless allowed."""
    try:
        text = Path(roster).read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise LmsError(f"{roster} is not UTF-8 text: export it from the LMS again, or save it as CSV UTF-8") from None
    except OSError as error:
        raise LmsError(f"cannot read the roster {roster}: {error.strerror}") from None
    if lms == "canvas":
        export = canvas_gradebook(text, totals, column, points, match_column)
    else:
        export = moodle_grades(text, totals, column, match_column)
    if export.unmatched and not allow_unmatched:
        raise LmsError(f"{len(export.unmatched)} submission(s) match no roster row by {match_column!r}: "
                       f"{', '.join(export.unmatched)}. Rename them or fix the roster, match by another "
                       f"--match-column, or pass --allow-unmatched to leave them out of {out}")
    write_text_atomically(Path(out), export.text)
    return export


def summary_lines(export: LmsExport, lms: str, out: Path, points: float, match_column: str) -> list[str]:
    """What the instructor should know before importing: who got a grade, who did not, and why."""
    lines = [f"wrote {out}: column {export.column!r} ({points:g} points), {len(export.graded)} roster students graded"]
    no_grade = "no grade ('-')" if lms == "moodle" else "no grade"
    if export.missing:
        lines.append(f"no submission, {no_grade}: {'; '.join(export.missing)}")
    if export.provisional:
        lines.append(f"not fully graded yet, {no_grade} (run `grade` again): {', '.join(export.provisional)}")
    if export.left_out:
        lines.append(f"left out, no {match_column!r} in the roster: {'; '.join(export.left_out)}")
    if export.unmatched:
        lines.append(f"left out, matching no roster row: {', '.join(export.unmatched)}")
    if lms == "canvas":
        lines.append("import it in Canvas: Grades > Import")
    else:
        lines.append(f"import it in Moodle: Grades > Import > CSV file; map {match_column!r} to its user field, "
                     f"and {export.column!r} to a grade item out of {points:g}")
    return lines
