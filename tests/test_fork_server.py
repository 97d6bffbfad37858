"""Fork servers: faster batch grading that seals each worker off as a fresh one, and changes no grade.

On the tiny course (a zygote starts in a fraction of a second): grades through the fork servers equal
grades from fresh workers; a submission graded beside its victim can see, signal, trace or reach
nothing of it; a zygote killed mid-batch leaves every grade right and no process behind.
The whole corpus of the real course through fork servers is in tests/test_corpus.py.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from autograder.instructor import batch
from autograder.instructor.batch import grade_class
from autograder.course.model import load_course
from autograder.run.fork_server import FORK_ISOLATION, ForkServers, unavailable
from autograder.run.sandbox import isolation_level

TESTS = Path(__file__).resolve().parent
REPO_ROOT = TESTS.parent
TINY = load_course(TESTS / "tiny_course" / "course.toml")
# What a worker may read of the course: its probe files (grading/<name>/probe.py), resolved.
PROBE_FILES = {str(path) for path in TINY.layout.probe_files().values()}
FUNCTION = "lists"
needs_fork_servers = pytest.mark.skipif(unavailable(TINY) is not None, reason=str(unavailable(TINY)))
pytestmark = [needs_fork_servers, pytest.mark.slow]  # zygotes and batches: seconds each


def _submission(folder: Path, body: str = "", top: str = "") -> Path:
    """The tiny solutions, with `top` at the top of the function exercise's module and `body` first in its function."""
    shutil.copytree(TINY.solutions_dir, folder, ignore=shutil.ignore_patterns("__pycache__"))
    module = folder / TINY.exercise(FUNCTION).file
    source = module.read_text()
    start = source.index("    ### BEGIN SOLUTION\n")
    source = source[:start] + textwrap.indent(textwrap.dedent(body), "    ") + source[start:]
    future = "from __future__ import annotations\n"
    module.write_text(source.replace(future, future + textwrap.dedent(top), 1))
    return folder


@pytest.fixture(autouse=True)
def own_temporary_folder(tmp_path, monkeypatch) -> Path:
    """Every temporary folder of the test's grading under its own: the zygotes' and the workers' command
    lines name their files there, so that the processes of this test are told from any other grading's."""
    folder = tmp_path / "temporary"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _zygotes_and_workers(folder: Path, kind: bytes = b"") -> list[int]:
    """Processes running the grader's zygote (or any forked from it) or worker code on files in `folder`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if (any(part.endswith((b"zygote.py", b"worker.py")) for part in command)
                and any(str(folder).encode() in part for part in command) and kind in b" ".join(command)):
            found.append(int(entry.name))
    return found


CLASS = {  # name -> (what it is, function body, module top)
    "right": ("the solutions", "", ""),
    "wrong": ("a running total that skips the first value", "values = list(values)[1:]\n", ""),
    "raises": ("a function that raises", "raise ValueError('no')\n", ""),
    "exits": ("a module that exits at import", "", "import sys\nsys.exit(3)\n"),
    "kills_itself": ("a function that kills its own process", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n",
                     ""),
    "prints": ("a function that prints", "print('hello from', values)\n", ""),
}


def _class(root: Path) -> Path:
    for name, (_, body, top) in CLASS.items():
        _submission(root / name, body, top)
    return root


def _verdicts(results) -> dict[str, dict[str, str]]:
    return {name: {f"{c.exercise}.{c.check}": c.message for c in result.checks if not c.passed}
            for name, result in results.items()}


def test_the_fork_servers_grade_as_fresh_workers_do(tmp_path, own_temporary_folder):
    _class(tmp_path / "class")
    forked = grade_class(tmp_path / "class", tmp_path / "forked", jobs=2, course_file=TINY.path, seed=TINY.seed)
    fresh = grade_class(tmp_path / "class", tmp_path / "fresh", jobs=2, course_file=TINY.path, fork_servers=False, seed=TINY.seed)
    assert {n: r.score for n, r in forked.items()} == {n: r.score for n, r in fresh.items()}
    assert _verdicts(forked) == _verdicts(fresh)
    assert forked["right"].score == TINY.max_points and forked["wrong"].score < TINY.max_points
    assert {r.isolation for r in forked.values()} == {FORK_ISOLATION}
    assert FORK_ISOLATION not in {r.isolation for r in fresh.values()}
    for name in forked:  # the path is on record where Gradescope's format keeps it
        extra = json.loads((tmp_path / "forked" / name / "results.json").read_text())["extra_data"]
        assert extra["isolation"] == FORK_ISOLATION
    assert "hello from" in json.dumps(json.loads((tmp_path / "forked" / "prints" / "record.json").read_text()))
    assert not _zygotes_and_workers(own_temporary_folder)


ATTACK = """
import ctypes, errno, json, os, signal, socket, time

REACH_OUT = True  # signal and trace what it sees; the unsealed control below only looks


def _attack():
    # Sets: on an unsealed machine one pass meets every folder of /tmp and /work (thousands under load,
    # when pytest's own folders pile up), and the search must stay one pass long, not grow with their square.
    seen = {"pids": set(), "signalled": [], "traced": [], "files": set(), "writable": set(), "network": []}
    libc = ctypes.CDLL(None, use_errno=True)
    mine = os.path.realpath(__file__)
    ends = time.monotonic() + 4  # long enough to overlap the victim's worker
    while time.monotonic() < ends:
        for name in os.listdir("/proc"):
            if name.isdigit() and int(name) != os.getpid():
                seen["pids"].add(int(name))
                if REACH_OUT and libc.ptrace(0x4206, int(name), 0, 0) == 0:  # PTRACE_SEIZE: attach, stop nothing
                    seen["traced"].append(int(name))
                    libc.ptrace(17, int(name), 0, 0)  # PTRACE_DETACH
        try:  # signal 0 sends nothing, but succeeds if this process may signal any other but its init
            if REACH_OUT:
                os.kill(-1, 0)
                seen["signalled"].append("kill(-1, 0) reached someone")
        except OSError:
            pass
        for top in ("/tmp", "/var/tmp", "/root", "/home", "/work", "/srv", "/dev/shm"):
            for folder, dirs, files in os.walk(top):
                dirs[:] = [d for d in dirs if d not in (".venv", "site-packages", ".git")]
                if os.access(folder, os.W_OK):
                    seen["writable"].add(folder)
                if "lists.py" in files:
                    path = os.path.realpath(os.path.join(folder, "lists.py"))
                    if path != mine:
                        seen["files"].add(path)
        try:
            socket.create_connection(("127.0.0.1", 22), timeout=0.2)
            seen["network"].append("connected")
        except OSError:
            pass
        time.sleep(0.05)
    return {key: sorted(found) for key, found in seen.items()}

FOUND = _attack()
"""


def _found_by_the_attack(out: Path) -> dict:
    """What the attacker's search printed; a worker that never reached its probe says why instead."""
    observed = json.loads((out / "attacker" / "record.json").read_text())["observations"][FUNCTION]
    assert "running_total" in observed["outcomes"], observed["import_error"]
    printed = observed["outcomes"]["running_total"]["printed"]
    return json.loads(printed.split("FOUND ", 1)[1].splitlines()[0])


def test_a_submission_graded_beside_its_victim_can_reach_nothing_of_it(tmp_path, own_temporary_folder):
    """Both in one batch, two at a time: the victim's worker sleeps at import, so that it is alive
    while the attacker looks for it, tries to signal everything it may (with signal 0, which harms
    nothing should the sandbox fail), traces what it sees and walks the disk."""
    _submission(tmp_path / "class" / "victim", top="import time\ntime.sleep(3)\n")
    _submission(tmp_path / "class" / "attacker", body="print('FOUND', json.dumps(FOUND))\n", top=ATTACK)
    results = grade_class(tmp_path / "class", tmp_path / "out", jobs=2, course_file=TINY.path, seed=TINY.seed)
    assert results["victim"].score == TINY.max_points and results["victim"].isolation == FORK_ISOLATION
    assert results["attacker"].score <= TINY.max_points
    found = _found_by_the_attack(tmp_path / "out")
    assert found["pids"] == [1], found  # its own namespace: only its init, never another worker
    assert not found["traced"] and not found["signalled"] and not found["network"], found
    assert all(path in PROBE_FILES for path in found["files"]), found  # no lists.py but the course's own
    assert all(folder.startswith(("/tmp", "/dev/shm")) for folder in found["writable"]), found
    assert not _zygotes_and_workers(own_temporary_folder)


def test_a_zygote_killed_mid_batch_leaves_every_grade_right_and_no_process_behind(tmp_path, monkeypatch,
                                                                                   own_temporary_folder):
    _class(tmp_path / "class")
    expected = grade_class(tmp_path / "class", tmp_path / "fresh", jobs=2, course_file=TINY.path, fork_servers=False, seed=TINY.seed)
    grade_and_export = batch._grade_and_export
    killed = []

    def kill_the_zygotes_after_the_first(*args, **kwargs):
        exported = grade_and_export(*args, **kwargs)
        if not killed:
            for pid in _zygotes_and_workers(own_temporary_folder, b"zygote.py"):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
        return exported
    monkeypatch.setattr(batch, "_grade_and_export", kill_the_zygotes_after_the_first)
    results = grade_class(tmp_path / "class", tmp_path / "forked", jobs=1, course_file=TINY.path, seed=TINY.seed)
    assert killed
    assert _verdicts(results) == _verdicts(expected)
    assert {n: r.score for n, r in results.items()} == {n: r.score for n, r in expected.items()}
    isolation = {r.isolation for r in results.values()}
    assert FORK_ISOLATION in isolation and isolation - {FORK_ISOLATION}  # before the kill, and after it
    time.sleep(0.5)
    assert not _zygotes_and_workers(own_temporary_folder)


def test_without_root_or_with_basic_isolation_there_is_no_fork_server():
    import dataclasses
    basic = dataclasses.replace(TINY, limits=dataclasses.replace(TINY.limits, isolation="basic"))
    with ForkServers(basic) as servers:
        assert servers.folder_in_use == "" and set(servers.problems) == {e.id for e in TINY.exercises}
        assert servers.notes() == [f"workers of {', '.join(e.id for e in TINY.exercises)} start fresh, with no "
                                   "fork server: course.toml asks for basic isolation"]


def test_the_attack_finds_what_an_unsealed_worker_can_reach(tmp_path):
    """The control of the test above: the same search from a worker with basic isolation (a process and
    limits only) does see other processes and the grader's files, so the test above can fail. It only
    looks: such a worker runs as the grader's own user, root here, and must not signal or trace anyone."""
    course = Path(shutil.copytree(TINY.root, tmp_path / "course", ignore=shutil.ignore_patterns("__pycache__")))
    settings = (course / "course.toml").read_text()
    (course / "course.toml").write_text(settings.replace("[limits]\n", '[limits]\nisolation = "basic"\n', 1))
    looking_only = ATTACK.replace("REACH_OUT = True", "REACH_OUT = False")  # a worker that is root here
    _submission(tmp_path / "class" / "attacker", top=looking_only,  # the first few: printed output is kept short
                body="print('FOUND', json.dumps({key: FOUND[key][:8] for key in ('pids', 'files')}))\n")
    grade_class(tmp_path / "class", tmp_path / "out", jobs=1, course_file=course / "course.toml")
    record = json.loads((tmp_path / "out" / "attacker" / "record.json").read_text())
    assert record["result"]["isolation"] == "basic"
    found = _found_by_the_attack(tmp_path / "out")
    assert len(found["pids"]) > 5 and any(path not in PROBE_FILES for path in found["files"]), found


def test_a_fork_server_that_would_fork_a_running_thread_refuses_and_workers_start_fresh(tmp_path):
    """A preload that starts a thread (a thread alive at fork time may hold a lock forever in the child):
    that exercise's fork server never serves, its workers start fresh, and the grades are the same."""
    course = Path(shutil.copytree(TINY.root, tmp_path / "course", ignore=shutil.ignore_patterns("__pycache__")))
    helper = load_course(course / "course.toml").layout.probe("_starts_a_thread")
    helper.parent.mkdir()
    helper.write_text("import threading, time\nthreading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n")
    settings = (course / "course.toml").read_text()
    (course / "course.toml").write_text(settings.replace(f'id = "{FUNCTION}"\n', f'id = "{FUNCTION}"\n'
                                                         'preload = ["course_probes._starts_a_thread"]\n', 1))
    changed = load_course(course / "course.toml")
    with ForkServers(changed) as servers:
        assert set(servers.problems) == {FUNCTION} and "threads run" in servers.problems[FUNCTION]
        assert servers.folder_in_use  # the other exercise's fork server serves
    _submission(tmp_path / "class" / "right")
    results = grade_class(tmp_path / "class", tmp_path / "out", jobs=1, course_file=course / "course.toml")
    assert results["right"].score == TINY.max_points
    assert set(results["right"].isolation.split("+")) == {FORK_ISOLATION, isolation_level("auto")}


def test_a_course_kept_under_tmp_is_seen_by_its_forked_workers(tmp_path):
    """A worker's private /tmp is mounted before the read-only folders it is given, so a course (or an
    interpreter) that lives under /tmp stays visible: a clone in /tmp grades as any other."""
    course = Path(shutil.copytree(TINY.root, tmp_path / "course", ignore=shutil.ignore_patterns("__pycache__")))
    assert str(course).startswith("/tmp/")  # where pytest keeps tmp_path here, as CI may keep its clone
    home = load_course(course / "course.toml").layout.home(FUNCTION)  # its probe file is read from disk by the
    assert str(home).startswith("/tmp/")                                 # worker, as an interpreter's files are
    _submission(tmp_path / "class" / "right", top=f"import os\nSEEN = sorted(os.listdir({str(home)!r}))\n",
                body="print('SEEN', SEEN)\n")
    results = grade_class(tmp_path / "class", tmp_path / "out", jobs=1, course_file=course / "course.toml")
    assert results["right"].score == TINY.max_points and results["right"].isolation == FORK_ISOLATION
    record = json.loads((tmp_path / "out" / "right" / "record.json").read_text())
    assert "probe.py" in record["observations"][FUNCTION]["outcomes"]["running_total"]["printed"]


def _parent_of(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _gone_within(seconds: float, left) -> list:
    """What `left()` still finds after waiting up to `seconds` for it to find nothing."""
    deadline = time.monotonic() + seconds
    while (found := left()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


@pytest.mark.parametrize("killed", ["grade alone", "grade and its runners"])
def test_the_fork_servers_die_with_a_batch_killed_mid_way(killed, tmp_path, own_temporary_folder):
    """`grade` killed with SIGKILL while a worker sleeps at import: its zygotes die and its folder of sockets goes.
    Killed with its runners (its process group, as a terminal's kill does), the worker they asked for goes too."""
    _submission(tmp_path / "class" / "alice")
    _submission(tmp_path / "class" / "zed", top="import time\ntime.sleep(20)\n")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "autograder", "grade", str(tmp_path / "class"), "--out", str(out),
               "--jobs", "2", "--course", str(TINY.path)]
    grade = subprocess.Popen(command, cwd=REPO_ROOT, start_new_session=True, env={**os.environ},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not (out / "alice" / "record.json").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # zed's worker sleeps at import
        zygotes = [pid for pid in _zygotes_and_workers(own_temporary_folder, b"zygote.py")
                   if _parent_of(pid) == grade.pid]
        folders = list(own_temporary_folder.glob("autograder-fork-servers-*"))
        assert len(zygotes) == len(TINY.exercises) and len(folders) == 1
        assert len(_zygotes_and_workers(own_temporary_folder, b"zygote.py")) > len(zygotes)  # zed's worker
        if killed == "grade alone":
            os.kill(grade.pid, signal.SIGKILL)
            left = lambda: [pid for pid in zygotes if _parent_of(pid) is not None]  # noqa: E731
        else:
            os.killpg(grade.pid, signal.SIGKILL)
            left = lambda: _zygotes_and_workers(own_temporary_folder, b"zygote.py")  # noqa: E731
        grade.wait()
        assert _gone_within(5, left) == []
        assert _gone_within(5, lambda: [f for f in folders if f.exists()]) == []
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(grade.pid, signal.SIGKILL)  # the runners `grade alone` leaves: their workers end with them
