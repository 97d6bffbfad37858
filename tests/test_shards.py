"""A class graded in shards and merged gets exactly the files one `grade` of the whole class writes.

Runs on the tiny course (seconds). tests/test_slurm.py drives the same options
through a real Slurm job array.
"""
from __future__ import annotations

import argparse
import json
import threading
from pathlib import Path

import pytest

from autograder.__main__ import main
from autograder.instructor.batch import grade_class, merge_class
from autograder.errors import GraderError
from autograder.official_seed import SEED_FILE, batch_seed
from autograder.instructor.shards import Shard, parse_shard, shard_of

from test_batch import TINY, _make_class

CLASS_FILES = ("grades.csv", "answers.csv", "report.md", "report.html")
SUBMISSION_FILES = ("feedback.md", "feedback.html", "results.json", "record.json")


def test_a_shard_is_written_k_of_n_counted_from_zero():
    assert parse_shard("0/3") == Shard(0, 3) and parse_shard("2/3") == Shard(2, 3)
    for wrong in ("3/3", "-1/2", "1/0", "a/b", "3", "1/2/3"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_shard(wrong)


def test_a_submissions_shard_depends_on_its_name_alone():
    names = [f"student{i:03}" for i in range(60)]
    before = {name: shard_of(name, 3) for name in names}
    assert {name: shard_of(name, 3) for name in [*names, "late_student"]
            if name != "late_student"} == before  # a late submission moves no one
    assert sorted(set(before.values())) == [0, 1, 2]  # every shard has work
    # the same in every process and on every machine: no salted hash()
    assert [shard_of(name, 7) for name in ("alice", "bob", "carl")] == [1, 1, 6]


def test_shards_started_at_once_into_one_folder_agree_on_the_seed(tmp_path):
    seeds, start = [], threading.Barrier(12)

    def shard():
        start.wait()
        seeds.append(batch_seed(tmp_path))

    threads = [threading.Thread(target=shard) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(seeds)) == 1
    assert json.loads((tmp_path / SEED_FILE).read_text()) == {"seed": seeds[0]}
    assert [p.name for p in tmp_path.iterdir()] == [SEED_FILE]  # no staging file left


def _without_isolation(data: bytes, where: tuple[str, ...]) -> bytes:
    """A JSON file with the isolation label at `where` set aside: under load, a fork server that cannot take a
    request in time leaves it to a fresh bubblewrap worker (by design, the same grades), and the label says
    which ran ("fork-server" or "bwrap+fork-server"). Every other byte must be the same."""
    parsed = json.loads(data)
    holder = parsed
    for key in where[:-1]:
        holder = holder[key]
    assert set(holder.pop(where[-1]).split("+")) <= {"fork-server", "bwrap", "basic"}
    return json.dumps(parsed, sort_keys=True).encode()


_ISOLATION_AT = {"record.json": ("result", "isolation"), "results.json": ("extra_data", "isolation")}


def _class_files(out: Path) -> dict[str, bytes]:
    files = {name: (out / name).read_bytes() for name in CLASS_FILES}
    for record in out.glob("*/record.json"):
        for name in SUBMISSION_FILES:
            data = (record.parent / name).read_bytes()
            files[f"{record.parent.name}/{name}"] = (_without_isolation(data, _ISOLATION_AT[name])
                                                     if name in _ISOLATION_AT else data)
    return files


def _assert_same_files(got: dict[str, bytes], expected: dict[str, bytes]) -> None:
    """Names the files that differ first: a whole diff of every page (pictures inlined) hides them."""
    assert sorted(got) == sorted(expected)
    assert [name for name in expected if got[name] != expected[name]] == []


@pytest.fixture(scope="module")
def tiny_class(tmp_path_factory):
    return _make_class(tmp_path_factory.mktemp("shards") / "class")


@pytest.fixture(scope="module")
def whole_class(tiny_class, tmp_path_factory):
    """The tiny class, and what one `grade` of it writes at seed 5."""
    out = tmp_path_factory.mktemp("whole")
    grade_class(tiny_class, out, jobs=2, seed=5, course_file=TINY.path)
    return tiny_class, _class_files(out)


@pytest.mark.slow
def test_shards_in_one_folder_merge_into_the_whole_class_grades(whole_class, tmp_path):
    submissions, whole = whole_class
    out = tmp_path / "shared"
    graded = []
    for index in range(3):
        results = grade_class(submissions, out, jobs=2, seed=5, course_file=TINY.path, shard=Shard(index, 3))
        assert all(shard_of(name, 3) == index for name in results)
        graded += results
        assert not (out / "grades.csv").exists()  # a shard writes no class file
    assert len(graded) == len(set(graded)) == len(list(submissions.iterdir()))
    merged = merge_class(submissions, out, course_file=TINY.path)
    assert not merged.missing and not merged.stale
    _assert_same_files(_class_files(out), whole)


@pytest.mark.slow
def test_shards_in_their_own_folders_merge_into_the_whole_class_grades(whole_class, tmp_path):
    submissions, whole = whole_class
    shard_outs = [tmp_path / f"shard{index}" for index in range(3)]
    for index, folder in enumerate(shard_outs):
        grade_class(submissions, folder, jobs=2, seed=5, course_file=TINY.path, shard=Shard(index, 3))
    assert main(["grade", str(submissions), "--out", str(tmp_path / "merged"), "--course", str(TINY.path),
                 "--merge", *map(str, shard_outs)]) == 0
    _assert_same_files(_class_files(tmp_path / "merged"), whole)


def test_a_merge_names_what_no_shard_graded_and_refuses_mixed_seeds(tiny_class, tmp_path, capsys):
    submissions = tiny_class
    first, second = tmp_path / "first", tmp_path / "second"
    graded = grade_class(submissions, first, jobs=2, seed=5, course_file=TINY.path, shard=Shard(0, 3))
    assert main(["grade", str(submissions), "--out", str(tmp_path / "merged"), "--course", str(TINY.path),
                 "--merge", str(first)]) == 1
    error = capsys.readouterr().err
    left_out = sorted(name.removesuffix(".zip") for name in (p.name for p in submissions.iterdir())
                      if name.removesuffix(".zip") not in graded)
    assert f"{len(left_out)} submission(s) graded by no shard" in error and ", ".join(left_out) in error
    grade_class(submissions, second, jobs=2, seed=6, course_file=TINY.path, shard=Shard(1, 3))
    with pytest.raises(GraderError, match="different seeds"):
        merge_class(submissions, tmp_path / "again", [first, second], course_file=TINY.path)


def test_a_merge_before_any_shard_graded_draws_no_seed_of_its_own(tiny_class, tmp_path):
    out, shard = tmp_path / "out", tmp_path / "shard"
    early = merge_class(tiny_class, out, course_file=TINY.path)  # every task failed, the merge ran anyway
    assert early.missing and not early.results and not (out / SEED_FILE).exists()
    grade_class(tiny_class, shard, jobs=2, seed=5, course_file=TINY.path, shard=Shard(0, 1))
    merged = merge_class(tiny_class, out, [shard], course_file=TINY.path)  # not refused for another seed
    assert not merged.missing and json.loads((out / SEED_FILE).read_text()) == {"seed": 5}
