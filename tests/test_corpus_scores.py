"""Every bar of grades holds across a change of the engine: the whole corpus scores as it did.

tests/submissions/scores.json holds, for every case at each seed it is graded at, the checks it
fails and the points it loses, replayed from its recorded observations. A change to the engine's
shape (where files live, how a run is started) must leave it exactly as it is; a change meant to
alter grades rewrites it with `python tests/test_corpus_scores.py` and shows the difference in review.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from corpus_recordings import replayed, seeds_of
from submission_tools import CORPUS_KINDS, case_name, corpus_cases

from autograder.course.model import load_course

SCORES = Path(__file__).parent / "submissions" / "scores.json"


def corpus_scores() -> dict[str, dict[str, dict]]:
    """case -> seed -> the checks it fails and the points those carry, replayed in the exercises it changes."""
    course = load_course()
    scores: dict[str, dict[str, dict]] = {}
    for kind in CORPUS_KINDS:
        for case in corpus_cases(kind):
            for seed in seeds_of(course, case):
                failed = replayed(course, case, seed)
                lost = sum(course.exercise(name.split(".")[0]).check(name.split(".")[1]).points for name in failed)
                scores.setdefault(case_name(case), {})[str(seed)] = {"failed": sorted(failed), "points_lost": lost}
    return scores


def test_the_corpus_scores_as_it_did():
    expected = json.loads(SCORES.read_text())
    actual = corpus_scores()
    assert actual.keys() == expected.keys(), f"cases added or removed: rewrite {SCORES.name} and review it"
    changed = {case: {"was": expected[case], "now": actual[case]} for case in actual if actual[case] != expected[case]}
    assert not changed, f"{len(changed)} corpus cases grade differently: {json.dumps(changed, indent=1)[:3000]}"


if __name__ == "__main__":
    SCORES.write_text(json.dumps(corpus_scores(), indent=1, sort_keys=True) + "\n")
    sys.exit(0)
