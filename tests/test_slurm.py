"""deploy/slurm on a real Slurm: a class graded in three array tasks and merged gets the grades of one `grade`.

The cluster is Debian's munged, slurmctld and slurmd on localhost (slurm_cluster.py); the class is the tiny
course's, graded in seconds. Skipped where Slurm is not installed (.ci/run installs it). The class is graded
again as an ordinary user (nobody), as on a university cluster, with the interpreter in SLURM_TEST_PYTHON
(default: this one; skipped where nobody may not run it, e.g. a Python under /root).
"""
from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pytest
from slurm_cluster import slurm_cluster, unavailable
from test_batch import EXPECTED, TINY, _make_class, _wrong_answer

from autograder.instructor.shards import shard_of

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parent.parent
SUBMIT = REPO_ROOT / "deploy" / "slurm" / "submit.sh"
SHARDS = 3
# test_batch's class (solutions, a zip, stubs, a hostile member, a link) and three more, so each shard has some.
CLASS = (*EXPECTED, "fay", "hana", "ivan")
CLASS_FILES = ("grades.csv", "answers.csv", "report.md", "report.html")  # none of them holds a timing
JOB_SECONDS = 180


@pytest.fixture(scope="module")
def cluster():
    why = unavailable()
    if why is not None:
        pytest.skip(why)
    # A short folder: munged's and slurmd's sockets are in it, and a socket's path has at most 107 bytes.
    with tempfile.TemporaryDirectory(prefix="slurm-") as folder, slurm_cluster(Path(folder)) as running:
        yield running


def _make_slurm_class(root: Path) -> Path:
    _make_class(root)
    words, lists = (next(e.file for e in TINY.exercises if e.id == name) for name in ("words", "lists"))
    fay = shutil.copytree(TINY.solutions_dir, root / "fay", ignore=shutil.ignore_patterns("__pycache__"))
    (fay / words).write_text(_wrong_answer(TINY))
    hana = shutil.copytree(TINY.solutions_dir, root / "hana", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(TINY.exercises_dir / words, hana / words)
    with zipfile.ZipFile(root / "ivan.zip", "w") as archive:
        archive.write(TINY.exercises_dir / lists, f"ivan/{lists}")
        archive.write(TINY.solutions_dir / words, f"ivan/{words}")
    assert sorted(entry.name.removesuffix(".zip") for entry in root.iterdir()) == sorted(CLASS)
    assert {shard_of(name, SHARDS) for name in CLASS} == set(range(SHARDS)), "every shard has work"
    return root


def _job_ids(printed: str) -> tuple[str, str]:
    return (re.search(r"^grading: job (\d+)", printed, re.M).group(1),
            re.search(r"^merge: job (\d+)", printed, re.M).group(1))


def _assert_same_class_files(out: Path, other: Path) -> None:
    """The class's files in `out` and `other` are byte for byte the same (their grades.csv shown if not)."""
    both = "".join(f"\n{folder / 'grades.csv'}:\n{(folder / 'grades.csv').read_text()}" for folder in (out, other))
    for name in CLASS_FILES:
        assert (out / name).read_bytes() == (other / name).read_bytes(), f"{name} differs{both}"


def _as_user(user: pwd.struct_passwd, *command: str) -> list[str]:
    return ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", *command]


def _runs_as(user: pwd.struct_passwd, python: str) -> bool:
    """Whether `user` can run `python` and import the grader with it (not from a private folder like /root).
    Through the user's own shell: setpriv, started by root, still runs a program the user may not reach."""
    if shutil.which("setpriv") is None:
        return False
    tried = subprocess.run(_as_user(user, "/bin/sh", "-c", 'exec "$0" -c "import autograder"', python), cwd="/",
                           capture_output=True)
    return tried.returncode == 0


def _logs(out: Path) -> str:
    return "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
                     for path in sorted((out / "slurm").glob("*.out")))


@pytest.fixture(scope="module")
def graded_on_slurm(cluster, tmp_path_factory):
    """The class submitted with submit.sh (3 shards, 2 at once) and merged: (class, OUT, array id, seconds)."""
    root = _make_slurm_class(tmp_path_factory.mktemp("class"))
    out = tmp_path_factory.mktemp("slurm-out") / "out"
    env = {**cluster.env, "PYTHON": sys.executable, "COURSE": str(TINY.path)}
    env.pop("SEED", None)
    started = time.monotonic()
    submitted = subprocess.run([str(SUBMIT), str(root), str(out), str(SHARDS), "2"], env=env, cwd=out.parent,
                               capture_output=True, text=True, timeout=120)
    assert submitted.returncode == 0, submitted.stdout + submitted.stderr
    array, merge = _job_ids(submitted.stdout)
    [merged] = cluster.wait_for(merge, JOB_SECONDS)
    seconds = time.monotonic() - started
    print(f"\nsubmit to merged grades: {seconds:.1f} s")
    tasks = cluster.jobs(array)
    assert [task["JobState"] for task in tasks] == ["COMPLETED"] * SHARDS, _logs(out) + cluster.logs()
    assert merged["JobState"] == "COMPLETED", _logs(out) + cluster.logs()
    return root, out, array, seconds


def test_the_merged_class_has_the_grades_and_reports_of_one_grade(graded_on_slurm, tmp_path):
    root, out, _, _ = graded_on_slurm
    seed = json.loads((out / "seed.json").read_text())["seed"]
    single = tmp_path / "single"
    subprocess.run([sys.executable, "-m", "autograder", "grade", str(root), "--out", str(single), "--seed",
                    str(seed), "--course", str(TINY.path)], cwd=tmp_path, check=True, capture_output=True)
    _assert_same_class_files(out, single)
    assert len((out / "grades.csv").read_text().splitlines()) == 1 + len(CLASS)


def test_each_array_task_graded_its_own_shard_and_no_other(graded_on_slurm):
    _, out, array, _ = graded_on_slurm
    for shard in range(SHARDS):
        own = sorted(name for name in CLASS if shard_of(name, SHARDS) == shard)
        graded = sorted(path.parent.name for path in (out / "shards" / str(shard)).glob("*/record.json"))
        assert graded == own
        log = (out / "slurm" / f"grade-{array}_{shard}.out").read_text()
        assert f"shard {shard}/{SHARDS} of " in log and f"graded: {' '.join(own)} " in log, log


def test_the_merge_names_a_submission_no_shard_graded(graded_on_slurm, cluster):
    """A late submission, merged without grading its shard: the merge job fails and says who is missing."""
    root, out, _, _ = graded_on_slurm
    shutil.copytree(TINY.solutions_dir, root / "jack", ignore=shutil.ignore_patterns("__pycache__"))
    try:
        env = {**cluster.env, "CLASS": str(root), "OUT": str(out), "SHARDS": str(SHARDS),
               "PYTHON": sys.executable, "COURSE": str(TINY.path)}
        submitted = subprocess.run(["sbatch", "--parsable", f"--output={out / 'slurm' / 'late-merge.out'}",
                                    str(SUBMIT.with_name("merge.sbatch"))],
                                   env=env, capture_output=True, text=True, check=True, timeout=60)
        [merged] = cluster.wait_for(submitted.stdout.strip().split(";")[0], JOB_SECONDS)
        log = (out / "slurm" / "late-merge.out").read_text()
        assert merged["JobState"] == "FAILED" and merged["ExitCode"] == "1:0", log
        assert "graded by no shard" in log and "jack" in log, log
    finally:
        shutil.rmtree(root / "jack")


def test_an_ordinary_user_s_array_grades_with_fresh_workers_and_the_same_grades(graded_on_slurm, cluster):
    """As on a cluster where jobs run as their user: no fork servers, bubblewrap if user namespaces allow it,
    and the grades of the root run above at its seed."""
    root_class, root_out, _, _ = graded_on_slurm
    nobody = pwd.getpwnam("nobody")
    python = os.environ.get("SLURM_TEST_PYTHON", sys.executable)
    if not _runs_as(nobody, python):
        pytest.skip(f"nobody cannot run {python} with the grader: set SLURM_TEST_PYTHON to one it can")
    with tempfile.TemporaryDirectory(prefix="slurm-user-") as shared:
        home = Path(shared) / "home"
        root = shutil.copytree(root_class, home / "class", symlinks=True)  # eli's link stays a link
        for path in (home, *home.rglob("*")):
            os.lchown(path, nobody.pw_uid, nobody.pw_gid)
        Path(shared).chmod(0o755)
        seed = json.loads((root_out / "seed.json").read_text())["seed"]
        env = {**cluster.env, "PYTHON": python, "COURSE": str(TINY.path), "SEED": str(seed), "HOME": str(home)}
        submitted = subprocess.run(_as_user(nobody, str(SUBMIT), str(root), str(home / "out"), str(SHARDS)),
                                   env=env, cwd=home, capture_output=True, text=True, timeout=120)
        assert submitted.returncode == 0, submitted.stdout + submitted.stderr
        _, merge = _job_ids(submitted.stdout)
        [merged] = cluster.wait_for(merge, JOB_SECONDS)
        out = home / "out"
        assert merged["JobState"] == "COMPLETED", _logs(out) + cluster.logs()
        logs = _logs(out)
        assert logs.count(" as nobody, job ") == SHARDS and "start fresh, with no fork server" in logs, logs
        _assert_same_class_files(out, root_out)
        isolation = json.loads((out / "alice" / "record.json").read_text())["result"]["isolation"]
        assert isolation in ("bwrap", "basic"), isolation  # not "fork-server"
        assert (isolation == "basic") == ("warning: grading with basic isolation" in logs), logs
