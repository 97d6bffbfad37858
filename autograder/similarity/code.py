"""One exercise's code across a class, compared by copydetect's winnowing (as MOSS does).

copydetect's tokenizer already ignores names, comments and layout, and its fingerprints
ignore order, so renaming and reordering change nothing. What it cannot know is what
every student had anyway: the stub, and the course's own solution, which an honest
student writing from the lesson reproduces up to names. Both are boilerplate here, so
what remains of a file is what its author wrote their own way. A pair's score is the
larger of the two shares: of one student's own code (all they wrote beyond the stub),
how much the other has too, outside that boilerplate.
"""
from __future__ import annotations

import io

from autograder.course.model import Course, Exercise
from autograder.instructor.intake import Submission
from autograder.similarity.lists import Group, given_stub, need

__all__ = ["code_group", "UNTOUCHED", "NOT_HANDED_IN"]

UNTOUCHED = "nothing of its own beyond the stub"
NOT_HANDED_IN = "no such file handed in"


def _decoded(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def code_group(course: Course, exercise: Exercise, everyone: list[Submission]) -> Group:
    """Every pair of submissions that wrote code of their own for `exercise`, scored from 0 to 1."""
    copydetect = need("copydetect")
    solution_path = course.solutions_dir / exercise.file

    def fingerprint(source: str, boilerplate: set[int] | None = None):
        # the name only picks copydetect's tokenizer; k and window are its defaults (its noise and guarantee)
        return copydetect.CodeFingerprint(
            exercise.file, copydetect.defaults.NOISE_THRESHOLD,
            copydetect.defaults.GUARANTEE_THRESHOLD - copydetect.defaults.NOISE_THRESHOLD + 1,
            boilerplate=sorted(boilerplate or ()), fp=io.StringIO(source))

    given = fingerprint(given_stub(course, exercise)).hashes
    canonical = set(given)
    if solution_path.is_file():
        canonical |= fingerprint(solution_path.read_text(encoding="utf-8")).hashes
    group = Group("code", exercise.id)
    own, rare = {}, {}
    for submission in everyone:
        if exercise.file not in submission.files:
            group.left_out[submission.name] = NOT_HANDED_IN
            continue
        source = _decoded(submission.files[exercise.file])
        own[submission.name] = fingerprint(source, given)
        if own[submission.name].token_coverage == 0:
            group.left_out[submission.name] = UNTOUCHED
            continue
        group.texts[submission.name] = source
        rare[submission.name] = fingerprint(source, canonical)

    def shared(a: str, b: str) -> float:
        _, (share_a, share_b), _ = copydetect.compare_files(rare[a], rare[b])
        # copydetect's shares are of the code left after the boilerplate: turn them into shares of
        # everything each student wrote, so that a file that is mostly the solution scores low
        return max(float(share_a) * rare[a].token_coverage / own[a].token_coverage,
                   float(share_b) * rare[b].token_coverage / own[b].token_coverage)

    def marks(a: str, b: str):
        _, _, (slices_a, slices_b) = copydetect.compare_files(rare[a], rare[b])
        return [(int(s), int(e)) for s, e in zip(*slices_a)], [(int(s), int(e)) for s, e in zip(*slices_b)]

    group.score_all(shared)
    group.marks = marks
    return group
