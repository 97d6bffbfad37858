"""The Gradescope zip: built, unzipped the way Gradescope lays it out, and run on uploads students make.

run_autograder's paths run on the tiny course's zip (seconds); one slow test grades the
real course's solutions in its zip, with the frameworks it installs.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

import autograder.instructor.batch
from autograder.course.model import Course, load_course
from autograder.platforms.gradescope import build_gradescope_zip, grade_upload, setup_script
from autograder.instructor.release import course_grading_files, course_requirements, engine_files, pinned_dependencies

REPO_ROOT = Path(__file__).resolve().parent.parent
COURSE = load_course(REPO_ROOT / "course.toml")
TINY = load_course(Path(__file__).resolve().parent / "tiny_course" / "course.toml")


def _hidden(course: Course) -> set[str]:
    return {f"{e.id}.{c.id}" for e in course.exercises for c in e.checks if c.hidden}


@dataclass
class Run:
    results: dict
    stdout: str

    def lost(self) -> set[str]:
        return {t["number"] for t in self.results["tests"] if t["score"] < t["max_score"]}


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    """The tiny course's zip."""
    return build_gradescope_zip(TINY, tmp_path_factory.mktemp("zip") / "autograder.zip")


def _lay_out(archive: Path, root: Path) -> Path:
    """A folder laid out as Gradescope's /autograder: source/ (the unzipped zip), submission/, results/."""
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(root / "source")
    (root / "submission").mkdir()
    (root / "results").mkdir()
    return root


@pytest.fixture
def gradescope(tmp_path: Path, archive: Path) -> Path:
    return _lay_out(archive, tmp_path)


def _upload(course: Course, folder: Path, target: Path, names=None) -> None:
    for name in names or course.exercise_files:
        shutil.copy(folder / name, target / name)


def run_autograder(root: Path, **environment: str) -> Run:
    """`bash run_autograder` in `root` instead of /autograder, with this interpreter instead of the zip's venv."""
    environment = {"GRADESCOPE_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable, **environment}
    completed = subprocess.run(["bash", str(root / "source" / "run_autograder")], capture_output=True, text=True,
                               env=dict(os.environ, **environment), timeout=600)
    results = root / "results" / "results.json"
    assert results.is_file(), f"no results.json:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
    return Run(json.loads(results.read_text()), completed.stdout)


def test_the_zip_holds_the_engine_the_course_parts_and_the_solutions_for_a_live_reference(archive: Path):
    with zipfile.ZipFile(archive) as opened:
        entries = {info.filename: info for info in opened.infolist()}
        course_toml = opened.read("course.toml")
    for name in ("setup.sh", "run_autograder"):
        assert entries[name].external_attr >> 16 & 0o111 == 0o111, f"{name} is not executable in the zip"
    assert course_toml == TINY.path.read_bytes()
    assert {"pyproject.toml", "README.txt"} <= set(entries)
    # The whole course, hidden checks and answer-key recordings included: the grader needs them all.
    # autograder/ is the engine alone; the course's files sit at the paths the course gives them (grading/...).
    assert {n for n in entries if n.startswith("autograder/")} == {f"autograder/{name}" for name, _ in engine_files()}
    assert {n for n in entries if n.startswith("grading/")} == {name for name, _ in course_grading_files(TINY)}
    assert {f"grading/{e.id}/{role}" for e in TINY.exercises for role in ("probe.py", "check.py", "recording.json")} \
        <= set(entries)
    assert {f"grading/{e.id}/recording.json" for e in TINY.exercises if e.answer_key_probes} <= set(entries)
    for name, path in course_grading_files(TINY):
        assert opened_bytes(archive, name) == path.read_bytes(), name
    # Each upload is graded at its own seed, so the reference runs live: the solutions are in the zip.
    assert {n for n in entries if n.startswith("solutions/")} == {f"solutions/{f}" for f in TINY.exercise_files}
    assert not [n for n in entries if n.startswith(("exercises/", "tests/")) or "__pycache__" in n]


def opened_bytes(archive: Path, name: str) -> bytes:
    with zipfile.ZipFile(archive) as opened:
        return opened.read(name)


@pytest.mark.parametrize("course", [TINY, COURSE], ids=["tiny", "real"])
def test_setup_sh_pins_exactly_the_engines_and_the_courses_requirements_after_its_pip_options(course: Course,
                                                                                             tmp_path):
    setup = tmp_path / "setup.sh"
    setup.write_text(setup_script(course))
    checked = subprocess.run(["bash", "-n", str(setup)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    installs = [shlex.split(line) for line in setup.read_text().splitlines()
                if " -m pip install " in line and "--upgrade pip" not in line]
    assert len(installs) == 1
    words = installs[0]
    assert words[words.index("install") + 1:] == [*course.pip_options, *course_requirements(course)]
    assert course_requirements(course) == [*pinned_dependencies(), *course.requirements]
    frameworks = [word for word in words if re.match(r"(torch|tensorflow(-cpu)?)==", word)]
    assert frameworks == (list(COURSE.requirements) if course is COURSE else []), frameworks


# Stand-ins for an Ubuntu image's tools: they log each call, and python3.X reports the version its name gives.
FAKE_APT = "#!/usr/bin/env bash\necho \"apt-get $*\" >> \"$CALLS\"\n"
FAKE_PYTHON = """#!/usr/bin/env bash
echo "$(basename "$0") $*" >> "$CALLS"
version="VERSION_OF_$(basename "$0" | tr -d .)"
if [ "$1" = "-c" ]; then echo "${!version}"; exit 0; fi
if [ "$1 $2" = "-m venv" ]; then mkdir -p "$3/bin" && cp "$0" "$3/bin/python"; fi
"""


def _setup_on_image(tmp_path: Path, python3: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    """setup.sh on an image whose python3 is `python3` (with apt's python3.11 beside it), all tools faked."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "apt-get").write_text(FAKE_APT)
    for name in ("python3", "python3.11"):
        (bin_dir / name).write_text(FAKE_PYTHON)
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    (tmp_path / "setup.sh").write_text(setup_script(COURSE))
    calls = tmp_path / "calls.log"
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "CALLS": str(calls), "GRADESCOPE_ROOT": str(tmp_path / "root"),
           "VERSION_OF_python3": python3, "VERSION_OF_python311": "3.11"}
    completed = subprocess.run(["bash", str(tmp_path / "setup.sh")], capture_output=True, text=True, env=env,
                               timeout=60)
    return completed, calls.read_text().splitlines() if calls.is_file() else []


@pytest.mark.parametrize("image, python3, serves", [("Ubuntu 22.04", "3.10", "python3.11"),
                                                     ("Ubuntu 24.04", "3.12", "python3")])
def test_setup_sh_installs_on_both_ubuntu_images(tmp_path, image, python3, serves):
    """22.04's python3 is too old, so apt adds the oldest allowed one; 24.04's python3 serves as it is."""
    completed, calls = _setup_on_image(tmp_path, python3)
    assert completed.returncode == 0, completed.stderr
    venv = next(c for c in calls if " -m venv " in c)
    assert venv.startswith(f"{serves} "), (image, calls)
    assert any(c.startswith("python -m pip install") and "--upgrade" not in c for c in calls)
    assert ("apt-get install -y --no-install-recommends python3.11 python3.11-venv" in calls) == (python3 == "3.10")


def test_setup_sh_refuses_a_python_the_pins_have_no_wheels_for(tmp_path):
    completed, calls = _setup_on_image(tmp_path, "3.14")
    assert completed.returncode == 1
    assert "this image's Python is 3.14" in completed.stderr and "Ubuntu 22.04 or 24.04" in completed.stderr
    assert not any(" -m venv " in c for c in calls), "nothing is installed for a Python it cannot serve"


def test_run_autograder_is_valid_bash(gradescope: Path):
    checked = subprocess.run(["bash", "-n", str(gradescope / "source" / "run_autograder")],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_the_solutions_score_full_marks_and_hidden_checks_wait(gradescope: Path):
    _upload(TINY, TINY.solutions_dir, gradescope / "submission")
    results = run_autograder(gradescope).results
    assert results["score"] == results["max_score"] == TINY.max_points
    assert results["stdout_visibility"] == TINY.gradescope.stdout_visibility
    hidden = _hidden(TINY)
    assert hidden
    for test in results["tests"]:
        expected = TINY.gradescope.hidden_visibility if test["number"] in hidden else TINY.gradescope.visibility
        assert test["visibility"] == expected, test["number"]
    assert not list((gradescope / "results").glob("*.md")), "results.json is all Gradescope reads"


def test_every_upload_is_graded_at_its_own_recorded_seed_and_a_rerun_at_it_replays_the_grade(gradescope: Path):
    _upload(TINY, TINY.solutions_dir, gradescope / "submission")
    (gradescope / "submission" / TINY.exercise_files[0]).write_text(_wrong_answer_source())
    first, second = run_autograder(gradescope).results, run_autograder(gradescope).results
    seeds = [first["extra_data"]["seed"], second["extra_data"]["seed"]]
    assert seeds[0] != seeds[1] and TINY.seed not in seeds
    assert f"(seed {seeds[0]})" in first["output"]
    replayed = run_autograder(gradescope, AUTOGRADER_SEED=str(seeds[0])).results
    assert replayed["extra_data"]["seed"] == seeds[0]
    assert [(t["name"], t["score"], t["output"]) for t in replayed["tests"]] == \
        [(t["name"], t["score"], t["output"]) for t in first["tests"]]


def _wrong_answer_source() -> str:
    """The first exercise's solution, broken so that its messages show values that depend on the seed."""
    source = (TINY.solutions_dir / TINY.exercise_files[0]).read_text()
    return source.replace("total += value", "total += 2 * value")


def test_the_stubs_score_zero_and_hidden_messages_stay_out_of_what_students_always_see(gradescope: Path):
    _upload(TINY, TINY.exercises_dir, gradescope / "submission")
    run = run_autograder(gradescope)
    assert run.results["score"] == 0 and run.results["max_score"] == TINY.max_points
    hidden = [t for t in run.results["tests"] if t["number"] in _hidden(TINY)]
    assert hidden
    for test in hidden:
        assert test["output"] not in run.results["output"] and test["output"] not in run.stdout


def test_a_zip_of_one_folder_missing_a_file_loses_only_that_exercise(gradescope: Path):
    missing = TINY.exercises[-1]
    folder = gradescope / "submission" / "my homework"
    folder.mkdir()
    _upload(TINY, TINY.solutions_dir, folder, [e.file for e in TINY.exercises if e is not missing])
    (gradescope / "submission" / "notes.txt").write_text("not graded")
    run = run_autograder(gradescope)
    assert run.results["score"] == TINY.max_points - missing.max_points
    assert run.lost() == {f"{missing.id}.{c.id}" for c in missing.checks}
    assert f"Missing: {missing.file}" in run.results["output"] and "my homework" in run.results["output"]


def test_a_grader_that_crashes_or_cannot_start_still_leaves_a_results_json(gradescope: Path):
    _upload(TINY, TINY.solutions_dir, gradescope / "submission")
    (gradescope / "source" / "course.toml").write_text("[course]\nbogus = 1\n")
    crashed = run_autograder(gradescope)
    assert crashed.results["score"] == 0 and "failed before it could score" in crashed.results["output"]
    missing = run_autograder(gradescope, AUTOGRADER_PYTHON=str(gradescope / "no-such-python"))
    assert missing.results["score"] == 0 and "stopped (exit status 127" in missing.results["output"]


def test_an_upload_that_outlasts_the_deadline_still_gets_a_results_json(gradescope: Path):
    _upload(TINY, TINY.solutions_dir, gradescope / "submission")
    slow = TINY.exercise_files[0]  # its import outlasts the deadline (and stops well within import_seconds)
    (gradescope / "submission" / slow).write_text("import time\ntime.sleep(15)\n")
    late = run_autograder(gradescope, AUTOGRADER_DEADLINE="2")
    assert late.results["score"] == 0 and "did not finish within 2 seconds" in late.results["output"]


def test_an_empty_upload_gets_results_that_say_why_and_no_feedback_file(tmp_path, monkeypatch):
    """The Gradescope runner uses batch grading's grading step only, never its exporting step."""
    def no_export(*args, **kwargs):
        raise AssertionError("grade_upload exported feedback it would throw away")
    monkeypatch.setattr(autograder.instructor.batch, "export_submission", no_export)
    monkeypatch.setattr(autograder.instructor.batch, "feedback_markdown", no_export)
    upload = tmp_path / "submission"
    upload.mkdir()
    results = grade_upload(upload, TINY)
    assert results["score"] == 0 and len(results["tests"]) == sum(len(e.checks) for e in TINY.exercises)
    assert "No exercise file found in your upload" in results["output"]
    assert [p.name for p in tmp_path.rglob("*")] == ["submission"]


@pytest.mark.slow
@pytest.mark.parametrize("assignment", COURSE.assignment_ids)
def test_the_real_zip_grades_the_solutions_full_marks_and_hidden_checks_wait(tmp_path: Path, assignment: str):
    """Each assignment's zip holds its own parts and no other's, and grades its solutions in full."""
    course = COURSE.assignment(assignment)
    root = _lay_out(build_gradescope_zip(course, tmp_path / "autograder.zip"), tmp_path / "gradescope")
    with zipfile.ZipFile(tmp_path / "autograder.zip") as opened:
        names = set(opened.namelist())
        own = {name for name, _ in course_grading_files(course)}
        assert own <= names and {n for n in names if n.startswith("grading/")} == own
        others = {name for name, _ in course_grading_files(COURSE)} - own
        assert others and not others & names
        other_ids = {e.id for e in COURSE.exercises} - {e.id for e in course.exercises}
        assert other_ids and not [n for n in names if n.split("/")[:2] in [["grading", i] for i in other_ids]]
        zipped = tomllib.loads(opened.read("course.toml").decode())
        assert zipped["course"]["id"] == assignment and [e["id"] for e in zipped["exercises"]] == \
            [e.id for e in course.exercises]
    _upload(course, course.solutions_dir, root / "submission")
    results = run_autograder(root).results
    assert results["score"] == results["max_score"] == course.max_points
    assert results["stdout_visibility"] == course.gradescope.stdout_visibility
    hidden = _hidden(course)
    assert hidden and course.gradescope.hidden_visibility == "after_published"
    for test in results["tests"]:
        expected = "after_published" if test["number"] in hidden else course.gradescope.visibility
        assert test["visibility"] == expected, test["number"]
    assert {t["number"] for t in results["tests"] if t["visibility"] == "after_published"} == hidden


def test_one_peak_memory_figure_everywhere():
    """The README, the zip's README and the command's message quote the peaks course.toml notes for each
    assignment, and no other."""
    from autograder.platforms.gradescope import container_settings
    readme = (COURSE.root / "README.md").read_text(encoding="utf-8")
    peaks = set()
    for assignment in COURSE.assignment_ids:
        settings = COURSE.assignment(assignment).gradescope
        peak = settings.measured_peak_mib
        assert peak and f"{peak} MiB" in readme and f"{peak} MiB" in container_settings(settings), assignment
        peaks.add(peak)
    quoted = {int(n) for n in re.findall(r"(\d{3,4}) MiB(?! resident)", readme)}
    assert quoted == peaks, f"the README quotes other peaks: {sorted(quoted - peaks)}"


@pytest.mark.slow
@pytest.mark.parametrize("assignment", [a.id for a in COURSE.assignments])
def test_each_assignment_grades_in_full_within_gradescopes_default_container(assignment: str):
    """The zip's run of the solutions, at a fresh seed with the reference live, in a 768 MB memory cgroup at
    half a CPU (Gradescope's defaults): full marks, no OOM kill, the resident peak within the container."""
    sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
    from gradescope_memory import measure
    run = measure(COURSE.one_assignment(assignment), cpus=0.5, memory_mb=768)
    if run.how != "cgroup":
        pytest.skip("this machine lends no memory cgroup to measure a container by")
    assert run.score == run.max_score and run.seed != COURSE.seed
    assert not run.oom_kills and run.peak_mib < 768 * 1e6 / 2**20
