"""The worker boundary: hangs, exits, crashes and floods cost only the probe they happen in."""
from __future__ import annotations

import os
import textwrap
import threading
from pathlib import Path

import pytest

from autograder.cgroups import WorkerCgroup
from autograder.course import Limits
from autograder.probes import probe_names
from autograder.runner import ProbeRequest, run_probes, threads_of_user

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"



def _run(tmp_path: Path, exercise: str, source: str, **limits) -> object:
    module = tmp_path / f"{exercise}.py"
    module.write_text(textwrap.dedent(source))
    request = ProbeRequest(exercise=exercise, module_path=module, probes=probe_names(exercise), seed=1,
                           params={"convergence_starts": 1, "convergence_epochs": 5, "convergence_lr": 0.01},
                           limits=Limits(**{"import_seconds": 60, "probe_seconds": 5, **limits}))
    return run_probes(request)


@pytest.mark.parametrize("source, says", [
    ("import os\nos._exit(0)\n", "exit code 0"),
    ("import sys\nsys.exit(3)\n", "SystemExit"),
    ("raise KeyboardInterrupt\n", "KeyboardInterrupt"),
    ("while True:\n    pass\n", "without finishing"),
    ("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n", "SIGSEGV"),
    ("x = [0] * (10 ** 12)\n", "MemoryError"),
])
def test_hostile_import_is_reported_not_fatal(tmp_path, source, says):
    run = _run(tmp_path, "concepts", source, import_seconds=5)
    assert run.import_error is not None
    assert says in run.import_error["type"] + " " + run.import_error["message"]


def test_syntax_error_names_the_line(tmp_path):
    run = _run(tmp_path, "concepts", "Q1_ANSWER = {'a'\nQ1_WHY = 'x'\n")
    assert run.import_error["type"] == "SyntaxError"
    assert run.import_error["where"]["line"] in (1, 2)


def test_output_flood_is_stopped(tmp_path):
    run = _run(tmp_path, "concepts", "import sys\nwhile True:\n    sys.stdout.write('x' * 100000)\n",
               import_seconds=20, output_bytes=100_000)
    assert run.import_error is not None
    assert "File too large" in run.import_error["message"] or "SIGXFSZ" in run.import_error["message"]


def test_hang_in_one_function_costs_only_its_probes(tmp_path):
    source = (SOLUTIONS / "torch_xor.py").read_text()
    source = source.replace("    loss_fn = nn.BCELoss()\n", "    while True:\n        pass\n    loss_fn = nn.BCELoss()\n")
    run = _run(tmp_path, "torch_xor", source, probe_seconds=3)
    train_probes = {"train_xor", "train_lr", "train_lr_zero", "train_other_data", "converges"}
    for name, outcome in run.outcomes.items():
        if name in train_probes:
            assert not outcome.ok and "without finishing" in outcome.error["message"], name
        else:
            assert outcome.ok, (name, outcome.error)


def test_exit_inside_a_function_costs_only_its_probe(tmp_path):
    source = (SOLUTIONS / "torch_xor.py").read_text()
    source = source.replace('    """Return 0/1 float predictions shaped like model(X), without tracking gradients."""\n',
                            '    """Exit."""\n    import os\n    os._exit(0)\n')
    run = _run(tmp_path, "torch_xor", source)
    assert not run.outcomes["predict"].ok
    assert "exit code 0" in run.outcomes["predict"].error["message"]
    assert all(o.ok for n, o in run.outcomes.items() if n != "predict")


def test_worker_sees_no_secrets_and_a_private_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_SECRET", "s3cret")
    run = _run(tmp_path, "concepts", """
        import os
        Q1_ANSWER = {"a"}
        Q1_WHY = repr(sorted(os.environ)) + " cwd=" + os.getcwd()
    """)
    why = run.outcomes["answers"].value["questions"]["q1"]["why"]
    assert "GRADER_SECRET" not in why
    assert str(tmp_path) not in why.split("cwd=")[1] or "home-" in why


def test_missing_file_is_an_import_error(tmp_path):
    request = ProbeRequest(exercise="concepts", module_path=tmp_path / "concepts.py",
                           probes=probe_names("concepts"), seed=1)
    run = run_probes(request)
    assert run.import_error["type"] == "FileNotFoundError"


def _process_cap_enforced() -> bool:
    """Root escapes RLIMIT_NPROC; then only a control group caps processes."""
    if os.geteuid() != 0:
        return True
    probe = WorkerCgroup(1, 1 << 30)
    try:
        return probe.active
    finally:
        probe.close()


@pytest.mark.skipif(not _process_cap_enforced(), reason="root without control groups: no process cap here")
def test_fork_bomb_hits_the_process_cap(tmp_path):
    run = _run(tmp_path, "concepts", """
        import os, time
        forks = 0
        try:
            while forks < 5000:
                if os.fork() == 0:
                    time.sleep(30)
                    os._exit(0)
                forks += 1
        except OSError:
            pass
        Q1_ANSWER = {"a"}
        Q1_WHY = str(forks)
    """, processes=64)
    assert int(run.outcomes["answers"].value["questions"]["q1"]["why"]) < 64


def test_the_process_limit_leaves_room_for_threads_the_user_already_runs(tmp_path):
    """RLIMIT_NPROC counts every thread of the user: a busy laptop must not starve the worker."""
    for pid, uid, threads in (("11", 1000, 300), ("12", 1000, 250), ("13", 0, 40)):
        (tmp_path / pid).mkdir()
        (tmp_path / pid / "status").write_text(f"Name:\tx\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\nThreads:\t{threads}\n")
    (tmp_path / "self").mkdir()
    assert threads_of_user(1000, tmp_path) == 550
    assert threads_of_user(os.getuid()) >= threading.active_count()
    assert threads_of_user(1000, tmp_path / "missing") is None
