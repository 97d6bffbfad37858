"""Attacks that do no real work, graded for real at a seed other than the course's: they must keep nothing.

Each case of tests/submissions/forgery/ replaces every function a student writes with an attack (forging
the worker's channel, rewriting the probes, hard-coding the release's recorded outputs, lazy bodies, an
XOR-shaped network, a forged GraderStarved verdict). Forging happens inside the worker, so the corpus
replay (test_corpus.py) cannot express these cases: they are graded here through both official paths, batch
grading (with and without fork servers) and the Gradescope runner, at SEED, with the live reference.

Done when (issue 16): every attack keeps at most 10% of each exercise it attacks, a forged GraderStarved is
graded as failed (never "not graded"), and the solutions score full marks at the same seed.

`python tests/test_forgery.py --embed` writes the release's current recordings into the cases that carry them.
"""
from __future__ import annotations

import base64
import inspect
import json
import re
import shutil
import sys
import tomllib
import zipfile
import zlib
from pathlib import Path

import pytest

from submission_tools import CORPUS, build_submission, submission_files

from autograder.instructor.batch import grade_class
from autograder.course.model import load_course
from autograder.platforms.gradescope import build_gradescope_zip, run as gradescope_run

COURSE = load_course()
# Not the course seed (2202), whose recordings the student release ships; fixed, so a failure replays.
SEED = 777
FORGERY = CORPUS / "forgery"
CASES = sorted(p for p in FORGERY.iterdir() if p.is_dir())
KEPT_AT_MOST = 0.10  # of each attacked exercise's points
PATHS = ("batch-fork-servers", "batch-fresh-workers", "gradescope")
SOLUTIONS = "solutions"
EMBED_COMMAND = ".venv/bin/python tests/test_forgery.py --embed"
_BLOB_LINE = re.compile(r'^_RECORDED = "[^"\n]*"$', re.M)


def attacked(case: Path) -> tuple[str, ...]:
    """The exercises whose files the case ships, in course order."""
    files = {path.name for path in case.glob("*.py")}
    return tuple(e.id for e in COURSE.exercises if e.file in files)


def assignment_of(case: Path) -> str:
    (assignment,) = {a.id for a in COURSE.assignments for e in attacked(case) if e in a.exercise_ids}
    return assignment


def must_fail(case: Path) -> list[str]:
    return tomllib.loads((case / "expect.toml").read_text(encoding="utf-8"))["must_fail"]


def _id(case: Path) -> str:
    return case.name


# ---- the recordings the forging cases carry ----

def recorded_values(exercise: str) -> dict:
    """probe -> value, as the release's recording of `exercise` holds them."""
    recording = json.loads(COURSE.layout.recording(exercise).read_text(encoding="utf-8"))
    return {name: outcome["value"] for name, outcome in recording["run"]["outcomes"].items()}


def _blob(exercise: str) -> str:
    text = json.dumps(recorded_values(exercise), separators=(",", ":"))
    return base64.b64encode(zlib.compress(text.encode(), 9)).decode()


def _carriers() -> list[Path]:
    return [path for case in CASES for path in sorted(case.glob("*.py"))
            if _BLOB_LINE.search(path.read_text(encoding="utf-8"))]


def embed() -> None:
    for path in _carriers():
        text = path.read_text(encoding="utf-8")
        path.write_text(_BLOB_LINE.sub(lambda _: f'_RECORDED = "{_blob(path.stem)}"', text, count=1),
                        encoding="utf-8")
        print(f"embedded {COURSE.layout.relative(COURSE.layout.recording(path.stem))} in {path.relative_to(CORPUS)}")


def test_every_case_names_only_checks_of_the_exercises_it_attacks():
    assert CASES
    for case in CASES:
        assert attacked(case), f"{case.name} attacks no exercise"
        assignment_of(case)  # one assignment: one class per assignment grades them all
        checks = {f"{e}.{c.id}" for e in attacked(case) for c in COURSE.exercise(e).checks}
        assert must_fail(case) and set(must_fail(case)) <= checks, f"{case.name}: {set(must_fail(case)) - checks}"


def test_the_cases_carry_the_release_s_current_recordings():
    """A forgery with stale values would lose points for the staleness, not for the seed."""
    assert _carriers()
    for path in _carriers():
        blob = _BLOB_LINE.search(path.read_text(encoding="utf-8")).group(0).split('"')[1]
        carried = json.loads(zlib.decompress(base64.b64decode(blob))) if blob else None
        assert carried == recorded_values(path.stem), \
            f"{path.relative_to(CORPUS)} carries other values than the release's recording: run `{EMBED_COMMAND}`"


# ---- grading for real ----

def _by_number(checks: list[dict]) -> dict:
    return {c["number"]: c for c in checks}


def _from_run_result(result) -> dict[str, dict]:
    return _by_number([{"number": f"{c.exercise}.{c.check}", "score": c.score, "possible": c.possible,
                          "graded": c.graded, "passed": c.passed, "message": c.message} for c in result.checks])


def _from_gradescope(results: dict) -> dict[str, dict]:
    return _by_number([{"number": t["number"], "score": t["score"], "possible": t["max_score"],
                          "graded": "status" in t, "passed": t.get("status") == "passed",
                          "message": t.get("output", "")} for t in results["tests"]])


def _members(assignment: str) -> dict[str, Path | None]:
    return {SOLUTIONS: None, **{case.name: case for case in CASES if assignment_of(case) == assignment}}


def _files(case: Path | None, course) -> dict[str, bytes]:
    files = ({name: (COURSE.solutions_dir / name).read_bytes() for name in COURSE.exercise_files}
             if case is None else submission_files(case))
    return {name: data for name, data in files.items() if name in course.exercise_files}


def _grade_batch(assignment: str, root: Path, fork_servers: bool) -> dict[str, dict[str, dict]]:
    course = COURSE.assignment(assignment)
    for name, case in _members(assignment).items():
        folder = root / "class" / name
        if case is None:
            shutil.copytree(COURSE.solutions_dir, folder, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            build_submission(case, folder)
    results = grade_class(root / "class", root / "out", jobs=2, seed=SEED, assignment=assignment,
                          course_file=COURSE.path, fork_servers=fork_servers)
    assert all(r.seed == SEED for r in results.values())
    assert set(results) == set(_members(assignment)), course.id
    return {name: _from_run_result(result) for name, result in results.items()}


def _grade_gradescope(assignment: str, root: Path) -> dict[str, dict[str, dict]]:
    """Each member uploaded on its own to the assignment's zip, laid out as Gradescope's /autograder."""
    course = COURSE.assignment(assignment)
    archive = build_gradescope_zip(course, root / "autograder.zip")
    source = root / "source"
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(source)
    takes_seed = "seed" in inspect.signature(gradescope_run).parameters
    graded = {}
    for name, case in _members(assignment).items():
        upload = root / name
        (upload / "submission").mkdir(parents=True)
        (upload / "results").mkdir()
        for file, data in _files(case, course).items():
            (upload / "submission" / file).write_bytes(data)
        results = (gradescope_run(upload, source / "course.toml", seed=SEED) if takes_seed
                   else gradescope_run(upload, source / "course.toml"))
        assert results.get("tests"), f"{name}: {results.get('output')}"
        if takes_seed:
            assert results["extra_data"]["seed"] == SEED
        graded[name] = _from_gradescope(results)
    return graded


_GRADED: dict[tuple[str, str], dict[str, dict[str, dict]]] = {}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """(path, assignment) -> member -> check number -> how it went; each class graded once, when first asked."""
    def grade(path: str, assignment: str) -> dict[str, dict[str, dict]]:
        key = (path, assignment)
        if key not in _GRADED:
            root = tmp_path_factory.mktemp(f"{path}-{assignment}")
            _GRADED[key] = (_grade_gradescope(assignment, root) if path == "gradescope"
                            else _grade_batch(assignment, root, fork_servers=path == "batch-fork-servers"))
            print(f"\n{path}, {assignment}, seed {SEED}:\n{points_table(_GRADED[key], assignment)}")
        return _GRADED[key]
    return grade


def kept_points(checks: dict[str, dict], exercise: str) -> tuple[float, float]:
    mine = [c for number, c in checks.items() if number.split(".")[0] == exercise]
    return sum(c["score"] for c in mine), sum(c["possible"] for c in mine)


def points_table(by_member: dict[str, dict[str, dict]], assignment: str) -> str:
    exercises = [e.id for e in COURSE.assignment(assignment).exercises]
    rows = [f"| member | {' | '.join(exercises)} |", "|---|" + "---|" * len(exercises)]
    for name, checks in by_member.items():
        cells = []
        for exercise in exercises:
            kept, possible = kept_points(checks, exercise)
            not_graded = sum(1 for n, c in checks.items() if n.startswith(exercise + ".") and not c["graded"])
            cells.append(f"{kept:g}/{possible:g}" + (f" ({not_graded} not graded)" if not_graded else ""))
        rows.append(f"| {name} | {' | '.join(cells)} |")
    return "\n".join(rows)


@pytest.mark.slow
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("assignment", COURSE.assignment_ids)
def test_the_solutions_score_full_marks_at_the_same_seed(graded, path: str, assignment: str):
    checks = graded(path, assignment)[SOLUTIONS]
    lost = {n: c["message"] for n, c in checks.items() if c["score"] < c["possible"] or not c["graded"]}
    assert not lost, f"the solutions lost points at seed {SEED} ({path}): {lost}"


@pytest.mark.slow
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("case", CASES, ids=_id)
def test_an_attack_keeps_at_most_a_tenth_of_each_exercise_it_attacks(graded, path: str, case: Path):
    checks = graded(path, assignment_of(case))[case.name]
    too_much = {}
    for exercise in attacked(case):
        kept, possible = kept_points(checks, exercise)
        if kept > KEPT_AT_MOST * possible:
            passed = sorted(n for n, c in checks.items() if n.startswith(exercise + ".") and c["passed"])
            too_much[exercise] = f"{kept:g}/{possible:g} (passed: {', '.join(passed) or 'none'})"
    assert not too_much, f"{case.name} keeps more than {KEPT_AT_MOST:.0%} at seed {SEED} ({path}): {too_much}"


@pytest.mark.slow
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("case", CASES, ids=_id)
def test_an_attack_is_graded_and_fails_every_check_it_must_lose(graded, path: str, case: Path):
    """Graded (not "not graded": the grader's own verdicts are not the worker's to give) and failed."""
    checks = graded(path, assignment_of(case))[case.name]
    not_graded = sorted(n for n in must_fail(case) if not checks[n]["graded"])
    assert not not_graded, f"{case.name} ({path}): left not graded: {not_graded}"
    passed = sorted(n for n in must_fail(case) if checks[n]["passed"])
    assert not passed, f"{case.name} ({path}): these checks passed but must fail at seed {SEED}: {passed}"


if __name__ == "__main__":
    if sys.argv[1:] == ["--embed"]:
        embed()
    else:
        sys.exit(f"usage: {EMBED_COMMAND}")
