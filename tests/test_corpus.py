"""The corpus: each wrong submission loses points in the right checks and nowhere else; each
hostile one scores no more than its honest work; each correct variant gets full marks, at the
course seed and at two others.

A case is graded only in the exercises it changes (its other files are the solutions, whose
full marks tests/test_grading.py proves). The checks replay recorded observations in-process
(tests/corpus_recordings.py); the slow tests grade every hostile case and a few others per
exercise for real, as a class, and prove the replay gives the same verdicts.
"""
from __future__ import annotations

import dataclasses
import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import tomlkit
from corpus_recordings import (RECORD_COMMAND, RECORDINGS, Entry, changed_exercises, entry_files, entry_request,
                               graded_exercises, recorded_run, recording_path, reference_for, replay, replayed,
                               seeds_of, wanted_entries)
from submission_tools import CORPUS_KINDS, build_submission, case_files, case_name, corpus_cases, expectation

from autograder.instructor.batch import grade_class
from autograder.run.sandbox import isolation_level
from autograder.run.fork_server import FORK_ISOLATION, ForkServers, unavailable
from autograder.run.observations import ExerciseRun
from autograder.run.runner import run_probes
from autograder.course.model import load_course

COURSE = load_course()
ALL_CHECKS = {f"{e.id}.{c.id}" for e in COURSE.exercises for c in e.checks}
WRONG = corpus_cases("wrong") + corpus_cases("hostile")
RIGHT = corpus_cases("right")
HOSTILE = corpus_cases("hostile")


def _id(case: Path) -> str:
    return f"{case.parent.name}--{case.name}"


def _replayed(case: Path, seed: int) -> dict[str, str]:
    """`exercise.check` -> message for every check the case fails, replayed in the exercises it changes."""
    return replayed(COURSE, case, seed)


def _gated_behind(failed: dict[str, str]) -> set[str]:
    """Checks that course.toml gates on a check that failed, and that say so ("not checked: depends on"):
    losing them is the gate's design, not a second fault read into the mistake."""
    gated = set()
    for name, message in failed.items():
        exercise, check_id = name.split(".")
        requires = COURSE.exercise(exercise).check(check_id).requires
        if message.startswith("not checked: depends on") and any(f"{exercise}.{r}" in failed for r in requires):
            gated.add(name)
    return gated


def assert_loses_exactly_its_points(case: Path, failed: dict[str, str]) -> None:
    expected = expectation(case)
    must, may = set(expected["must_fail"]), set(expected.get("may_fail", [])) | _gated_behind(failed)
    assert must <= set(failed), f"{case.name}: these checks passed but must fail: {sorted(must - set(failed))}"
    assert set(failed) <= must | may, f"{case.name}: unexpected failures {sorted(set(failed) - must - may)}"
    for number in failed:  # every lost point is explained by the check itself: no traceback, no crashed check
        message = failed[number]
        assert message and "Traceback" not in message and not message.startswith("the check stopped on"), \
            f"{case.name}: {number}: {message!r}"


def test_corpus_names_only_real_checks():
    assert WRONG and RIGHT
    for case in WRONG:
        expected = expectation(case)
        named = set(expected["must_fail"]) | set(expected.get("may_fail", []))
        assert expected["must_fail"] or case.parent.name == "hostile", case.name
        assert named <= ALL_CHECKS, f"{case.name}: unknown checks {named - ALL_CHECKS}"
        graded = {f"{e}.{c.id}" for e in graded_exercises(COURSE, case) for c in COURSE.exercise(e).checks}
        assert named <= graded, f"{case.name}: names checks of exercises it does not change: {sorted(named - graded)}"


def test_every_case_changes_something():
    for kind in CORPUS_KINDS:
        for case in corpus_cases(kind):
            assert changed_exercises(COURSE, case) or case_files(case), \
                f"{case_name(case)} changes nothing: add a file or a DELETE"


def test_recordings_belong_to_cases():
    """A recording whose case was removed or renamed is dead weight: the recorder removes it."""
    current = {recording_path(case) for kind in CORPUS_KINDS for case in corpus_cases(kind)} | {recording_path(None)}
    stray = sorted(str(p.relative_to(RECORDINGS)) for p in RECORDINGS.rglob("*.json") if p not in current)
    assert not stray, f"recordings of no case: {stray}; `{RECORD_COMMAND}` removes them"


@pytest.mark.parametrize("case", WRONG, ids=_id)
def test_wrong_submission_loses_exactly_its_points(case: Path):
    assert_loses_exactly_its_points(case, _replayed(case, COURSE.seed))


@pytest.mark.parametrize("case", [(c, s) for c in RIGHT for s in seeds_of(COURSE, c)],
                         ids=lambda cs: f"{_id(cs[0])}-seed{cs[1]}")
def test_correct_variant_gets_full_marks(case):
    case, seed = case
    assert _replayed(case, seed) == {}


# Real workers where they matter: every hostile case, and a few right and wrong ones per exercise.

def _graded_for_real() -> list[Path]:
    """Every hostile case, then per exercise the first and last (by name) of the right and of the wrong
    cases that change only that exercise: a spread over what they change, chosen without naming any."""
    chosen = list(HOSTILE)
    for exercise in COURSE.exercises:
        for cases in (RIGHT, corpus_cases("wrong")):
            alone = [c for c in cases if changed_exercises(COURSE, c) == (exercise.id,)]
            chosen += [c for c in dict.fromkeys(alone[:1] + alone[-1:]) if c not in chosen]
    return chosen


REAL = _graded_for_real()


def _course_of(exercises: tuple[str, ...], folder: Path) -> Path:
    """A course file that grades only `exercises`, beside links to the course's own folders: the
    batch path grades what its course file lists, so the other exercises cost nothing."""
    document = tomlkit.parse(COURSE.path.read_text(encoding="utf-8"))
    document.pop("assignments", None)  # the exercises kept are one assignment, whichever they came from
    tables = document["exercises"]
    for index in reversed(range(len(tables))):
        if tables[index]["id"] not in exercises:
            del tables[index]
    folder.mkdir(parents=True)
    (folder / "course.toml").write_text(tomlkit.dumps(document), encoding="utf-8")
    for part in (COURSE.exercises_dir, COURSE.solutions_dir, COURSE.layout.grading_dir):
        (folder / part.name).symlink_to(part, target_is_directory=True)
    assert tuple(e.id for e in load_course(folder / "course.toml").exercises) == exercises
    return folder / "course.toml"


@pytest.fixture(scope="module")
def real_failures(tmp_path_factory) -> dict[Path, dict[str, str]]:
    """Each chosen case graded by `grade_class` at the course seed, grouped by the exercises it changes."""
    groups: dict[tuple[str, ...], list[Path]] = {}
    for case in REAL:
        groups.setdefault(graded_exercises(COURSE, case), []).append(case)
    failures = {}
    for number, (exercises, cases) in enumerate(groups.items()):
        root = tmp_path_factory.mktemp(f"real-{number}")
        for case in cases:
            build_submission(case, root / "class" / _id(case))
        results = grade_class(root / "class", root / "out", jobs=2, course_file=_course_of(exercises, root / "course"),
                              seed=COURSE.seed)  # the seed the replay was recorded at
        for case in cases:
            assert {c.exercise for c in results[_id(case)].checks} == set(exercises)
            failures[case] = {f"{c.exercise}.{c.check}": c.message for c in results[_id(case)].checks if not c.passed}
    return failures


@pytest.mark.slow
@pytest.mark.parametrize("case", REAL, ids=_id)
def test_real_grading_agrees_with_the_replay(case: Path, real_failures):
    failed = real_failures[case]
    if case.parent.name == "right":
        assert failed == {}
    else:
        assert_loses_exactly_its_points(case, failed)
    assert set(failed) == set(_replayed(case, COURSE.seed)), f"{case.name}: the replay is not faithful"


def _unnumbered(failed: dict[str, str]) -> dict[str, str]:
    """Failed checks and their messages, numbers blanked: a progress bar's "2ms/step" makes the count of
    characters a verbose fit() printed differ from run to run, on either path."""
    return {check: re.sub(r"\d+", "#", message) for check, message in failed.items()}


def _forked_run(entry: Entry, fork_servers: Path, scratch: Path) -> ExerciseRun:
    """The entry's probes run by a worker the fork servers fork, as a batch's runs are."""
    folder = Path(tempfile.mkdtemp(dir=scratch))
    for name, data in entry_files(entry).items():
        (folder / name).write_bytes(data)
    request = dataclasses.replace(entry_request(COURSE, entry, folder), fork_server=str(fork_servers))
    return run_probes(request)


@pytest.mark.slow
@pytest.mark.skipif(unavailable(COURSE) is not None, reason=str(unavailable(COURSE)))
def test_the_fork_servers_grade_the_whole_corpus_as_fresh_workers_did(tmp_path):
    """Every recorded run (each case's exercises at each of its seeds, the reference at the other seeds),
    run again through fork servers: the same observations, so the same grades, on either path."""
    entries = wanted_entries(COURSE)
    with ForkServers(COURSE) as servers, ThreadPoolExecutor(max_workers=2) as pool:
        assert not servers.problems
        runs = list(pool.map(lambda entry: _forked_run(entry, servers.folder, tmp_path), entries))
    differing, fresh = [], []
    for entry, run in zip(entries, runs):
        missing = run.import_error is not None and run.import_error.get("type") == "FileNotFoundError"
        if missing:
            assert run.isolation == "", entry.name  # no file: no worker at all
        elif run.isolation != FORK_ISOLATION:  # a zygote that could not answer in time: a fresh worker, by design
            assert run.isolation == isolation_level(COURSE.limits.isolation), entry.name
            fresh.append(entry.name)
        recorded = recorded_run(COURSE, entry)
        if entry.case is None:  # the reference: its observations themselves
            same = run.to_json() == recorded.to_json()
        else:  # the same checks fail, with the same messages but for numbers that time may change
            reference = reference_for(COURSE, entry.exercise, entry.seed)
            same = _unnumbered(replay(COURSE, entry.exercise, run, reference)) == \
                _unnumbered(replay(COURSE, entry.exercise, recorded, reference))
        if not same:
            differing.append(entry.name)
    assert not differing, f"graded differently through the fork servers: {differing}"
    # On a loaded machine a zygote may miss a request's deadline and the runner starts that worker fresh (the
    # same grade either way); the fork path itself must still carry nearly every run.
    assert len(fresh) <= len(entries) // 50, f"started fresh instead of forked: {fresh}"
