"""Fixtures shared by the tests: a reference cache for the session, and `grade`."""
from __future__ import annotations

from pathlib import Path

import pytest
from submission_tools import Graded, run_grader


@pytest.fixture(scope="session")
def reference_cache(tmp_path_factory) -> Path:
    """One live reference run per seed for the whole test session."""
    return tmp_path_factory.mktemp("reference-cache")


@pytest.fixture
def grade(tmp_path: Path, reference_cache: Path):
    """grade(folder, *pytest_args) -> Graded, writing results into a fresh temporary folder."""
    counter = iter(range(1000))

    def _grade(submission: Path, *extra: str) -> Graded:
        return run_grader(submission, tmp_path / f"results-{next(counter)}.json",
                          "--reference-cache", str(reference_cache), *extra)
    return _grade
