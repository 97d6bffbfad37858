"""Fair at every seed: official grades draw a fresh seed, so the solutions must earn full marks at any.

The solutions are graded as a submission against a live reference run at each seed: every check,
gates included, must pass. (A probe may observe more of a submission than of the reference, such as
tf_pipeline loading a student's export where the reference's own model gives the expected values,
so the reference run cannot stand in for the submission's.) The seeds are
fixed, so a failure replays; 1 and 12345 are seeds at which the reference once learned XOR from
too few starts for the old convergence check.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from autograder.course.model import load_course
from autograder.run.runner import probe_request, run_probes

from corpus_recordings import replay

COURSE = load_course()
SEEDS = (1, 12345, 3, 7, 42, 99, 256, 1000, 4321, 8191, 31337, 65537, 99991, 123457, 271828, 314159, 500000,
         1048576, 7777777, 2147483646)


@pytest.mark.slow
@pytest.mark.parametrize("exercise", [e.id for e in COURSE.exercises])
def test_the_solutions_earn_every_point_at_twenty_seeds(exercise):
    assert len(SEEDS) >= 20 and COURSE.seed not in SEEDS

    def graded(seed: int) -> dict[str, str]:
        student = run_probes(probe_request(COURSE, exercise, COURSE.solutions_dir, seed))
        reference = run_probes(probe_request(COURSE, exercise, COURSE.solutions_dir, seed, reference=True))
        return replay(COURSE, exercise, student, reference)
    with ThreadPoolExecutor(max_workers=2) as pool:
        lost = {seed: failed for seed, failed in zip(SEEDS, pool.map(graded, SEEDS)) if failed}
    assert not lost, lost
