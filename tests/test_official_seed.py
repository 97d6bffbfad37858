"""Official grades run at a seed no student could know in advance, kept with the grades, replayable."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from autograder.instructor.batch import grade_class, read_records
from autograder.course.model import load_course
from autograder.official_seed import SEED_FILE, batch_seed, draw_seed

TINY = load_course(Path(__file__).resolve().parent / "tiny_course" / "course.toml")


def test_drawn_seeds_differ_and_are_positive():
    seeds = {draw_seed() for _ in range(20)}
    assert len(seeds) > 15 and all(0 < seed < 2**31 - 1 for seed in seeds)


def test_a_batch_keeps_its_seed_and_a_chosen_one_replaces_it(tmp_path):
    first = batch_seed(tmp_path)
    assert json.loads((tmp_path / SEED_FILE).read_text()) == {"seed": first}
    assert batch_seed(tmp_path) == first
    assert batch_seed(tmp_path, 12) == 12 and batch_seed(tmp_path) == 12


def _class(root: Path) -> Path:
    shutil.copytree(TINY.solutions_dir, root / "alice")
    return root


def test_grade_draws_a_seed_per_batch_records_it_and_resumes_at_it(tmp_path, capsys):
    _class(tmp_path / "class")
    first = grade_class(tmp_path / "class", tmp_path / "one", jobs=1, course_file=TINY.path, fork_servers=False)
    second = grade_class(tmp_path / "class", tmp_path / "two", jobs=1, course_file=TINY.path, fork_servers=False)
    seeds = [first["alice"].seed, second["alice"].seed]
    assert seeds[0] != seeds[1] and TINY.seed not in seeds
    assert f"seed {seeds[0]}" in capsys.readouterr().err
    assert read_records(tmp_path / "one")["alice"]["result"]["seed"] == seeds[0]
    assert first["alice"].score == first["alice"].possible  # the reference runs live at the drawn seed
    resumed = grade_class(tmp_path / "class", tmp_path / "one", jobs=1, course_file=TINY.path, fork_servers=False)
    assert resumed["alice"].seed == seeds[0]


def test_a_seed_given_replays_a_batch_exactly(tmp_path):
    _class(tmp_path / "class")
    first = grade_class(tmp_path / "class", tmp_path / "one", jobs=1, course_file=TINY.path, fork_servers=False)
    seed = first["alice"].seed
    replay = grade_class(tmp_path / "class", tmp_path / "two", jobs=1, course_file=TINY.path, fork_servers=False,
                         seed=seed)
    assert replay["alice"].to_json() | {"submission": ""} == first["alice"].to_json() | {"submission": ""}
