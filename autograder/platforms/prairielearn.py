"""PrairieLearn's externally graded questions: one question folder per assignment, the image they name, and
what runs in that image for every submission.

`build_prairielearn` writes OUT/questions/<assignment>/ (info.json, question.html, and tests/ holding the
grader as the Gradescope zip holds it: engine, course parts with the hidden checks, solutions) and
OUT/image/ (a Dockerfile with Python, the pinned CPU wheels and bubblewrap, and no course code, since
PrairieLearn pulls images from a public registry). For each submission PrairieLearn mounts the job at /grade
and runs tests/run_grader, which grades /grade/student at a seed drawn for it (official_seed.py) through
batch grading's grading step and always leaves /grade/results/results.json, at most 1 MB, then exits 0.
PrairieLearn never shows tests/ to students.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import sys
import tempfile
import time
import tomllib
import traceback
import uuid
from pathlib import Path

from autograder.atomic import write_text_atomically
from autograder.instructor.batch import grade_submission
from autograder.course.model import Course, load_course
from autograder.errors import AutograderError
from autograder.exporters.feedback_html import curve_pairs
from autograder.exporters.prairielearn import curve_images, listed, not_gradable, prairielearn_results, serialised, \
    within_size
from autograder.platforms.gradescope import (DEADLINE_SECONDS, graded_or_explained, grader_files, guarded_entry_point,
                                 hosted_main, read_upload, upload_notes)
from autograder.official_seed import SEED_VARIABLE, replayed_or_drawn
from autograder.run.reference import recorded_curve_references
from autograder.instructor.release import PYPROJECT, course_requirements, minimum_python

__all__ = ["build_prairielearn", "question_info", "question_html", "image_definition", "image_name",
           "grade_student", "run", "main", "TIMEOUT_SECONDS", "ENTRYPOINT"]

PRAIRIELEARN_ROOT = Path("/grade")
ROOT_VARIABLE = "PRAIRIELEARN_ROOT"
ENTRYPOINT = "/grade/tests/run_grader"
# PrairieLearn's largest timeout; the entry point stops grading at DEADLINE_SECONDS (540), within it, so that
# the results.json PrairieLearn reads is ours and says why.
TIMEOUT_SECONDS = 600
# PrairieLearn's grader hosts lend a job 0.9 of a CPU: workers side by side would take no less time, and one
# at a time keeps a run far within the job's 2 GiB.
WORKERS_AT_ONCE = 1
NOT_COUNTED = "This is not a verdict on your code: the submission does not count, and your instructor can see the log."
NOT_GRADED = "Not graded: this submission uses no attempt and changes no points."

RUN_GRADER = guarded_entry_point(
    "# PrairieLearn runs this for every submission, in the question's image, with the question's tests/ at\n"
    "# $ROOT/tests and the student's files at $ROOT/student. It always leaves $ROOT/results/results.json and\n"
    "# exits 0: PrairieLearn reads the results of a grading job only when it exits 0.",
    root=f"${{{ROOT_VARIABLE}:-{PRAIRIELEARN_ROOT}}}", python="${AUTOGRADER_PYTHON:-python3}", folder="tests",
    module="autograder.platforms.prairielearn",
    fallback='{"gradable": false, "message": "%s %s", "tests": []}', note=NOT_COUNTED)


# ---- the question folder and the image, written by the instructor's command ----

def _course_of(course: Course) -> Course:
    """The whole course `course` (one assignment of it) was cut from."""
    return load_course(course.path)


def question_uuid(course: Course) -> str:
    """The same for every export of this course's assignment, so PrairieLearn keeps its submissions."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"autograder:{_course_of(course).id}/{course.id}"))


def _picture_requirements(pyproject: Path = PYPROJECT) -> list[str]:
    """matplotlib, as the instructor extra pins it: results.json carries the loss curves as pictures."""
    extras = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"].get("optional-dependencies", {})
    return [r for r in extras.get("instructor", []) if re.match(r"matplotlib\b", r)]


def image_definition(course: Course, pyproject: Path = PYPROJECT) -> str:
    """The Dockerfile: the oldest Python requires-python allows, bubblewrap, and the pins of pyproject.toml
    installed with the course's pip options (the same words as Gradescope's setup.sh), plus matplotlib."""
    major, minor = minimum_python(pyproject)
    words = (*course.pip_options, *course_requirements(course, pyproject), *_picture_requirements(pyproject))
    install = " ".join(shlex.quote(word) for word in words)
    return f"""\
# The grading image of the PrairieLearn questions of: {_course_of(course).title}
# Python {major}.{minor}, the grader's pinned dependencies (CPU wheels) and matplotlib for the loss-curve
# pictures; bubblewrap for the workers' sandbox where the container allows it. No course code: each
# question's tests/ brings the grader, so this image may live in a public registry.
# Written from pyproject.toml and course.toml by `python -m autograder prairielearn`: edit those, not this.
FROM python:{major}.{minor}-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \\
    MPLCONFIGDIR=/opt/grader/matplotlib PATH=/opt/grader/venv/bin:$PATH
RUN apt-get update \\
    && apt-get install -y --no-install-recommends bubblewrap \\
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/grader/venv \\
    && /opt/grader/venv/bin/python -m pip install --upgrade pip \\
    && /opt/grader/venv/bin/python -m pip install {install} \\
    && /opt/grader/venv/bin/python -c "import matplotlib.font_manager"
"""


def image_name(course: Course, repository: str | None = None) -> str:
    """repository:tag, the tag drawn from the Dockerfile, so new pins name a new image and PrairieLearn pulls it."""
    repository = repository or re.sub(r"[^a-z0-9._-]+", "-", _course_of(course).id.lower()) + "-grader"
    return f"{repository}:{hashlib.sha256(image_definition(course).encode()).hexdigest()[:12]}"


def question_info(course: Course, image: str) -> dict:
    return {
        "uuid": question_uuid(course),
        "title": course.title,
        "topic": _course_of(course).title,
        "type": "v3",
        "gradingMethod": "External",
        "singleVariant": True,
        "externalGradingOptions": {
            "enabled": True,
            "image": image,
            "entrypoint": ENTRYPOINT,
            "serverFilesCourse": [],  # the question holds its whole grader in tests/
            "timeout": TIMEOUT_SECONDS,
            "enableNetworking": False,
        },
    }


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def question_html(course: Course) -> str:
    """The upload for exactly the assignment's files, and the grader's results once graded."""
    files = ", ".join(name.replace(",", "\\,") for name in course.exercise_files)
    rows = "\n".join(f"    <li><code>{_html(e.file)}</code>: {_html(e.title)} ({e.max_points:g} points)</li>"
                     for e in course.exercises)
    return f"""\
<pl-question-panel>
  <p>{_html(course.title)}: upload your exercise files.</p>
  <ul>
{rows}
  </ul>
  <p>Each file is graded in its own sandbox, at a seed drawn for this submission.</p>
  <pl-file-upload file-names="{_html(files)}"></pl-file-upload>
</pl-question-panel>

<pl-submission-panel>
  <pl-external-grader-results></pl-external-grader-results>
  <pl-file-preview></pl-file-preview>
</pl-submission-panel>
"""


def _readme(course: Course, image: str) -> str:
    return f"""\
PrairieLearn questions of: {_course_of(course).title}

questions/<assignment>/ is one externally graded question per assignment: copy it into your PrairieLearn
course's questions/ folder. Its tests/ holds the grader, hidden checks and solutions included (PrairieLearn
never shows tests/ to students); its info.json names the image {image}.

Build and push the image (it holds no course code), then sync the course:

    docker build -t {image} image/
    docker push {image}

To push it under your own Docker Hub account, export again with --image ACCOUNT/NAME. The tag follows the
Dockerfile, so new pins give a new tag that PrairieLearn pulls. Each submission is graded at a seed drawn for
it, shown in the results; grading stops after {DEADLINE_SECONDS} s, within the question's timeout of
{TIMEOUT_SECONDS} s.
"""


def _replaceable(folder: Path, course: Course) -> bool:
    """A question folder this command may replace: absent, empty, or written by it for this assignment."""
    if not folder.exists():
        return True
    if not folder.is_dir():
        return False
    try:
        return json.loads((folder / "info.json").read_text(encoding="utf-8"))["uuid"] == question_uuid(course)
    except (OSError, ValueError, KeyError, TypeError):
        return not any(folder.iterdir())


def build_prairielearn(course: Course, out: Path, repository: str | None = None) -> Path:
    """Write OUT/questions/<assignment>/ and OUT/image/; return the question folder. A question folder this
    command wrote before is replaced whole; any other folder in the way is refused."""
    course = course.one_assignment(None)
    out = Path(out)
    question = out / "questions" / course.id
    if not _replaceable(question, course):
        raise AutograderError(f"{question} is in the way and was not written by this command for assignment "
                              f"{course.id}: export into another folder")
    image = image_name(course, repository)
    files = grader_files(course)  # everything is read before the first write
    if question.exists():
        shutil.rmtree(question)
    tests = question / "tests"
    for name, data in files:
        (tests / name).parent.mkdir(parents=True, exist_ok=True)
        (tests / name).write_bytes(data)
    (tests / "run_grader").write_text(RUN_GRADER, encoding="utf-8")
    (tests / "run_grader").chmod(0o755)
    (question / "info.json").write_text(json.dumps(question_info(course, image), indent=2) + "\n", encoding="utf-8")
    (question / "question.html").write_text(question_html(course), encoding="utf-8")
    write_text_atomically(out / "image" / "Dockerfile", image_definition(course))
    write_text_atomically(out / "image" / "README.txt", _readme(course, image))
    return question


# ---- what runs in the image for every submission ----

def grade_student(student: Path, course: Course, seed: int | None = None) -> dict:
    """results.json for the files in `student`, graded as batch grading grades a class entry, at `seed` or, by
    default, a seed drawn for this submission alone (replayed from AUTOGRADER_SEED)."""
    allowed = course.exercise_files
    submission = read_upload(student, allowed)
    if not submission.files:
        refused = "".join(f" Not graded: {reason}." for reason in submission.refused)
        return not_gradable(f"No exercise file found in your submission: expected {', '.join(allowed)}.{refused}",
                            NOT_GRADED)
    seed = replayed_or_drawn() if seed is None else seed
    with tempfile.TemporaryDirectory(prefix="autograder-prairielearn-") as cache:
        graded = grade_submission(submission, course, seed, Path(cache), workers_at_once=WORKERS_AT_ONCE)
        references = recorded_curve_references(course, seed, Path(cache))
    result = graded.result
    unlisted = {f"{c.exercise}.{c.check}" for c in result.checks if not listed(c, course.gradescope)}
    images, no_pictures = curve_images(curve_pairs(course, graded.observations, references), result.exercise_titles,
                                       unlisted)
    notes = [*upload_notes(submission, allowed, student), *([no_pictures] if no_pictures else [])]
    return within_size(prairielearn_results(result, course.gradescope, notes, images))


def run(root: Path = PRAIRIELEARN_ROOT, course_file: Path | None = None, seed: int | None = None) -> dict:
    """Grade root/student into root/results/results.json; a crash still leaves a results.json."""
    started = time.monotonic()
    results = graded_or_explained(
        lambda: grade_student(root / "student", load_course(course_file).one_assignment(None), seed),
        lambda error: not_gradable(f"The autograder failed before it could score this submission "
                                   f"({type(error).__name__}). {NOT_COUNTED}", NOT_GRADED))
    write_text_atomically(root / "results" / "results.json", serialised(results).decode("ascii"))
    print(f"graded in {time.monotonic() - started:.0f} s: {root / 'results' / 'results.json'}")
    return results


def main(argv: list[str] | None = None) -> int:
    return hosted_main(argv, sys.modules[__name__], "grade ROOT/student into ROOT/results/results.json (what run_grader calls)",
                       Path(os.environ.get(ROOT_VARIABLE, PRAIRIELEARN_ROOT)), run)


if __name__ == "__main__":
    sys.exit(main())
