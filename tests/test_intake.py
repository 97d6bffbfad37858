"""Intake: only regular exercise files are copied out of a submission; the rest is refused or ignored."""
from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import pytest

from autograder.course.model import load_course
from autograder.instructor.intake import MAX_FILE_BYTES, IntakeError, collect

# Intake knows only the course's file names: the tiny course's two stand for any.
ALLOWED = load_course(Path(__file__).resolve().parent / "tiny_course" / "course.toml").exercise_files
FIRST, SECOND = ALLOWED[:2]


def _zip(path: Path, members: dict[str, bytes], links: dict[str, str] = {}) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for name, target in links.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return path


def test_folder_keeps_exercise_files_and_ignores_the_rest(tmp_path):
    student = tmp_path / "class" / "ann"
    student.mkdir(parents=True)
    (student / SECOND).write_text("ANSWER = 'a'\n")
    (student / "conftest.py").write_text("raise SystemExit\n")
    (student / f"{Path(FIRST).stem}_old.py").write_text("")
    [submission] = collect(tmp_path / "class", ALLOWED)
    assert submission.name == "ann" and set(submission.files) == {SECOND}
    assert sorted(submission.ignored) == sorted(["conftest.py", f"{Path(FIRST).stem}_old.py"])


def test_links_and_oversized_files_are_refused(tmp_path):
    student = tmp_path / "class" / "ben"
    student.mkdir(parents=True)
    os.symlink("/etc/passwd", student / FIRST)
    (student / SECOND).write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    [submission] = collect(tmp_path / "class", ALLOWED)
    assert submission.files == {}
    assert any(f"{FIRST}: is a link" in r for r in submission.refused)
    assert any(SECOND in r and "over the limit" in r for r in submission.refused)


def test_zip_slip_absolute_paths_and_links_are_refused(tmp_path):
    (tmp_path / "class").mkdir()
    _zip(tmp_path / "class" / "cat.zip",
         {f"../{FIRST}": b"x", f"/abs/{SECOND}": b"y", f"cat/{SECOND}": b"ANSWER = 'a'\n"},
         links={FIRST: "/etc/passwd"})
    [submission] = collect(tmp_path / "class", ALLOWED)
    assert submission.name == "cat" and set(submission.files) == {SECOND}
    assert len(submission.refused) == 3
    assert not (tmp_path / FIRST).exists()


def test_zip_bomb_is_cut_at_the_limit(tmp_path):
    (tmp_path / "class").mkdir()
    path = tmp_path / "class" / "dan.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(FIRST, b"0" * (50 * MAX_FILE_BYTES))
    [submission] = collect(tmp_path / "class", ALLOWED)
    assert submission.files == {} and "over the limit" in submission.refused[0]


def test_duplicates_and_broken_archives(tmp_path):
    (tmp_path / "class").mkdir()
    _zip(tmp_path / "class" / "eve.zip", {FIRST: b"a", f"eve/{FIRST}": b"b"})
    (tmp_path / "class" / "fay.zip").write_bytes(b"not a zip")
    eve, fay = collect(tmp_path / "class", ALLOWED)
    assert eve.files == {} and "more than once" in eve.refused[0]
    assert fay.files == {} and "not a readable zip" in fay.refused[0]


def test_binary_and_non_utf8_files_are_copied_as_bytes(tmp_path):
    student = tmp_path / "class" / "gus"
    student.mkdir(parents=True)
    (student / SECOND).write_bytes(b"\xff\xfe\x00binary")
    [submission] = collect(tmp_path / "class", ALLOWED)
    assert submission.files[SECOND] == b"\xff\xfe\x00binary"


def test_names_are_made_safe_and_unique(tmp_path):
    (tmp_path / "class" / "a b").mkdir(parents=True)
    (tmp_path / "class" / "a_b").mkdir()
    (tmp_path / "class" / "notes.txt").write_text("not a submission")
    names = [s.name for s in collect(tmp_path / "class", ALLOWED)]
    assert names == ["a_b", "a_b_"]


def test_a_class_folder_that_is_not_there_is_an_error_that_says_so(tmp_path):
    with pytest.raises(IntakeError, match="no such folder of submissions"):
        collect(tmp_path / "nobody", ALLOWED)
