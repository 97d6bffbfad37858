"""Gradescope's autograder zip, and what runs inside it for every upload.

The zip holds the engine and the course's own parts under autograder/ (probes,
checks with the hidden ones, recordings), course.toml and pyproject.toml, beside
Gradescope's two entry points: setup.sh installs the pinned dependencies once,
when Gradescope builds the image; run_autograder grades /autograder/submission
through the batch pipeline's grading step (intake, then the same isolated
`pytest autograder`) and writes /autograder/results/results.json, and nothing
else. Each upload is graded at a seed drawn for it (official_seed.py), so the
zip holds the assignment's solutions/: the reference runs live at that seed.
Students never see the zip; the student release holds no solution.
"""
from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
import traceback
import zipfile
from pathlib import Path
from typing import Callable

import tomlkit

from autograder.atomic import write_json_atomically
from autograder.instructor.batch import grade_submission
from autograder.course.model import Course, Gradescope, load_course
from autograder.exporters.gradescope import gradescope_results
from autograder.instructor.intake import Submission, collect
from autograder.official_seed import SEED_VARIABLE, replayed_or_drawn
from autograder.instructor.release import PYPROJECT, assignment_toml, course_grading_files, course_requirements, engine_files, python_range

__all__ = ["build_gradescope_zip", "grader_files", "guarded_entry_point", "setup_script", "container_settings",
           "read_upload", "upload_notes", "grade_upload", "run", "main"]

GRADESCOPE_ROOT = Path("/autograder")

# Gradescope's default container: 768 MB, 0.5 CPU. What a course's grading run takes is measured
# by benchmarks/gradescope_memory.py and noted in course.toml ([gradescope] measured_peak_mib).
DEFAULT_CONTAINER_MB = 768
# Seconds run_autograder grants one upload: under Gradescope's default 10-minute timeout,
# so results.json is written by us and not replaced by Gradescope's bare failure.
DEADLINE_SECONDS = 540


def guarded_entry_point(header: str, root: str, python: str, folder: str, module: str, fallback: str,
                        note: str) -> str:
    """A platform's script for one upload: `python -m MODULE run --root $ROOT` in $ROOT/FOLDER within the
    deadline, then always a results.json and status 0. Where the grader wrote none, `fallback` is written: a
    printf format (JSON) whose first %s is why and whose second is `note`."""
    return f"""\
#!/usr/bin/env bash
{header}
ROOT="{root}"
PYTHON="{python}"
DEADLINE="${{AUTOGRADER_DEADLINE:-{DEADLINE_SECONDS}}}"
RESULTS="$ROOT/results/results.json"
mkdir -p "$ROOT/results"
rm -f "$RESULTS"
(cd "$ROOT/{folder}" &&
    exec timeout --kill-after=10 "$DEADLINE" "$PYTHON" -m {module} run --root "$ROOT")
status=$?
if [ ! -s "$RESULTS" ]; then
    if [ "$status" -eq 124 ] || [ "$SECONDS" -ge "$DEADLINE" ]; then
        message="Grading did not finish within $DEADLINE seconds, so no check could be scored."
    else
        message="The autograder stopped (exit status $status; 137: out of memory) before it could score this upload."
    fi
    printf '{fallback}\\n' "$message" \\
        "{note}" > "$RESULTS"
fi
exit 0
"""


RUN_AUTOGRADER = guarded_entry_point(
    "# Gradescope runs this for every upload. It grades $ROOT/submission and always leaves\n"
    "# $ROOT/results/results.json, even when the grader cannot start or runs out of time.",
    root="${GRADESCOPE_ROOT:-/autograder}", python="${AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}", folder="source",
    module="autograder.platforms.gradescope", fallback='{"score": 0, "output": "%s %s", "tests": []}',
    note="This is not a verdict on your code: your instructor can see the log.")


def setup_script(course: Course, pyproject: Path = PYPROJECT) -> str:
    """setup.sh: the Python versions and the dependency pins from pyproject.toml (their one home),
    installed with the course's pip options ([setup] pip_options in course.toml).

    The image's python3 serves when requires-python allows it (Ubuntu 24.04: 3.12); an older one gets
    the oldest allowed version from apt (Ubuntu 22.04: 3.10, so 3.11); a newer one is refused with the
    reason, since the pins publish no wheels for it."""
    (major, minor), below = python_range(pyproject)
    install = " ".join(shlex.quote(word) for word in (*course.pip_options, *course_requirements(course, pyproject)))
    too_new = (f"""
if version_at_least "$("$PYTHON" -c "$VERSION")" {below[0]}.{below[1]}; then
    echo "setup.sh: this image's Python is $("$PYTHON" -c "$VERSION"); the grader's pinned dependencies install on" \\
         "Python {major}.{minor} up to (not including) {below[0]}.{below[1]}: choose the Ubuntu 22.04 or 24.04 base image" >&2
    exit 1
fi""" if below else "")
    return f"""\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image on its Ubuntu base image.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
ROOT="${{GRADESCOPE_ROOT:-/autograder}}"
VERSION='import sys; print("%d.%d" % sys.version_info[:2])'
version_at_least() {{ [ "$(printf '%s\\n%s\\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]; }}
apt-get update
# bubblewrap gives each worker its sandbox (the grader falls back to basic isolation where it cannot run).
apt-get install -y --no-install-recommends python3 python3-venv bubblewrap ca-certificates
PYTHON=python3
if ! version_at_least "$(python3 -c "$VERSION")" {major}.{minor}; then
    # An older python3 (Ubuntu 22.04 ships 3.10): install the oldest version the grader allows beside it.
    apt-get install -y --no-install-recommends python{major}.{minor} python{major}.{minor}-venv
    PYTHON=python{major}.{minor}
fi{too_new}
"$PYTHON" -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install --upgrade pip
# The pins of pyproject.toml, after the pip options of course.toml's [setup] table.
"$ROOT/venv/bin/python" -m pip install {install}
"""


def container_settings(settings: Gradescope) -> str:
    """What to choose in Gradescope's Autograder Settings, from the run measured for this course."""
    if not settings.measured_peak_mib:
        return ("no grading run of this course has been measured yet: run benchmarks/gradescope_memory.py and note "
                "its peak in course.toml ([gradescope] measured_peak_mib) before choosing the container")
    peak_mb = settings.measured_peak_mib * 1.048576
    timing = f"half a CPU is enough (about {settings.measured_seconds_at_half_cpu:g} s per upload)"
    if peak_mb <= DEFAULT_CONTAINER_MB:
        return (f"the default container fits: a grading run peaks at {settings.measured_peak_mib} MiB "
                f"({peak_mb:.0f} MB) with {settings.workers_at_once or 'every'} worker(s) at a time "
                f"([gradescope] workers_at_once); {timing}")
    needed_mb = peak_mb * 1.25
    return (f"a grading run peaks at {settings.measured_peak_mib} MiB, over the default container's "
            f"{DEFAULT_CONTAINER_MB} MB: choose at least {-(-needed_mb // 256) * 256:.0f} MB of memory in "
            f"Autograder Settings; {timing}")


def _readme(course: Course) -> str:
    return f"""\
Gradescope autograder for: {course.title}

Upload this zip unchanged on the assignment's Configure Autograder page (Ubuntu 22.04 or 24.04 base image).

Settings: {container_settings(course.gradescope)}.

Students upload {', '.join(course.exercise_files)}: the files themselves, or a zip holding them
(at its top or inside one folder). A missing file costs only its exercise's points.
Hidden checks are shown to students "{course.gradescope.hidden_visibility}", the others
"{course.gradescope.visibility}"; the grader's console is "{course.gradescope.stdout_visibility}"
(all three from [gradescope] in course.toml).
run_autograder stops an upload after {DEADLINE_SECONDS} s (AUTOGRADER_DEADLINE in run_autograder), within
Gradescope's default 10-minute timeout, so every upload gets a results.json with a reason.
"""


def _add_text(archive: zipfile.ZipFile, name: str, text: str | bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    archive.writestr(info, text)


def grader_files(course: Course) -> list[tuple[str, bytes]]:
    """(path, contents) of the grader a hosted platform runs for one assignment: its course.toml, pyproject.toml,
    autograder/ with the engine and, beside it, the course's grading/ homes (hidden checks and answer keys included),
    and the assignment's solutions/, the reference run live at each upload's own seed. course.toml sits next to
    autograder/, so the course's folders are where `Course` looks for them."""
    course = course.one_assignment(None)
    return [("course.toml", (tomlkit.dumps(assignment_toml(course)).rstrip() + "\n").encode()),
            ("pyproject.toml", PYPROJECT.read_bytes()),
            *((f"autograder/{name}", path.read_bytes()) for name, path in engine_files()),
            *((name, path.read_bytes()) for name, path in course_grading_files(course)),
            *((f"solutions/{name}", (course.solutions_dir / name).read_bytes()) for name in course.exercise_files)]


def build_gradescope_zip(course: Course, out: Path) -> Path:
    """Write the zip Gradescope's Configure Autograder page takes (its two entry points beside grader_files);
    say which container settings it needs."""
    course = course.one_assignment(None)
    out = Path(out)
    script = setup_script(course)  # a bad pyproject.toml refuses before anything is written
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        _add_text(archive, "setup.sh", script, executable=True)
        _add_text(archive, "run_autograder", RUN_AUTOGRADER, executable=True)
        _add_text(archive, "README.txt", _readme(course))
        for name, data in grader_files(course):
            _add_text(archive, name, data)
    print(f"Gradescope settings: {container_settings(course.gradescope)}")
    return out


def read_upload(upload: Path, allowed: tuple[str, ...]) -> Submission:
    """The upload read as intake reads one class entry; failing that, its one folder or zip holding exercise files.

    Gradescope puts uploaded files in /autograder/submission and extracts an uploaded zip
    there, so a student's files may sit at the top or inside the one folder they zipped.
    """
    upload = upload.resolve()
    top = next((s for s in collect(upload.parent, allowed) if s.source.resolve() == upload), None)
    if top is None:
        return Submission(name="submission", source=upload, refused=[f"{upload.name}: not a readable folder"])
    if top.files or top.refused:
        return top
    inner = [s for s in collect(upload, allowed) if s.files or s.refused]
    if len(inner) != 1:
        return top
    chosen = inner[0]
    chosen.ignored = [f"{chosen.source.name}/{name}" for name in chosen.ignored]
    chosen.ignored += [name for name in top.ignored if name != chosen.source.name]
    return chosen


def upload_notes(submission: Submission, allowed: tuple[str, ...], upload: Path) -> list[str]:
    """What the student needs to know about the upload itself, above the checks."""
    notes = []
    if not submission.files:
        notes.append(f"No exercise file found in your upload: expected {', '.join(allowed)}, "
                     "as files or in a zip (at its top or inside one folder).")
    else:
        where = "" if submission.source.resolve() == upload.resolve() else f" (found in {submission.source.name}/)"
        notes.append(f"Graded: {', '.join(sorted(submission.files))}{where}.")
        missing = [name for name in allowed if name not in submission.files]
        if missing:
            notes.append(f"Missing: {', '.join(missing)}: the checks that need it score 0.")
    notes += [f"Not graded: {reason}" for reason in submission.refused]
    if submission.ignored:
        shown = submission.ignored[:10]
        more = f" and {len(submission.ignored) - len(shown)} more" if len(submission.ignored) > len(shown) else ""
        notes.append(f"Ignored (not an exercise file): {', '.join(shown)}{more}.")
    return notes


def grade_upload(upload: Path, course: Course, seed: int | None = None) -> dict:
    """Gradescope's results.json for one upload, graded exactly as batch grading grades a class entry
    (the grading step only: no feedback file is written, results.json is all Gradescope reads), at `seed`
    or, by default, a seed drawn for this upload alone. The seed is in results.json: `run --seed N` replays it."""
    allowed = course.exercise_files
    submission = read_upload(upload, allowed)
    seed = replayed_or_drawn() if seed is None else seed
    result = grade_submission(submission, course, seed, workers_at_once=course.gradescope.workers_at_once).result
    results = gradescope_results(result, course.gradescope)
    # No total here: students always see this text, and before the hidden checks are shown a
    # total would tell them how those went. Gradescope shows the score when visibility allows.
    results["output"] = "\n".join([f"{course.title} (seed {result.seed})",
                                   *upload_notes(submission, allowed, upload)])
    results["extra_data"].update(refused=submission.refused, ignored=submission.ignored, seed=result.seed)
    return results


def _could_not_grade(error: BaseException) -> dict:
    return {"score": 0, "tests": [],
            "output": f"The autograder failed before it could score this upload ({type(error).__name__}). "
                      "This is not a verdict on your code: your instructor can see the log and regrade it."}


def graded_or_explained(grade: Callable[[], dict], explain: Callable[[BaseException], dict]) -> dict:
    """grade(), or explain(error) whatever went wrong: a hosted platform must get results that say so."""
    try:
        return grade()
    except Exception as error:
        traceback.print_exc(file=sys.stdout)
        return explain(error)


def run(root: Path = GRADESCOPE_ROOT, course_file: Path | None = None, seed: int | None = None) -> dict:
    """Grade root/submission into root/results/results.json; a crash still leaves a results.json."""
    started = time.monotonic()
    results = graded_or_explained(
        lambda: grade_upload(root / "submission", load_course(course_file).one_assignment(None), seed), _could_not_grade)
    results["execution_time"] = round(time.monotonic() - started)
    write_json_atomically(results, root / "results" / "results.json")
    # Nothing about the checks: stdout may be shown to students, before the hidden checks are.
    print(f"graded in {results['execution_time']} s: {root / 'results' / 'results.json'}")
    return results


def hosted_main(argv: list[str] | None, module, what: str, root: Path,
                run_one: Callable[[Path, Path | None, int | None], dict]) -> int:
    """The command line a hosted platform's entry script calls: `run [--root ROOT] [--course FILE] [--seed N]`."""
    parser = argparse.ArgumentParser(prog=f"python -m {module.__spec__.name}", description=module.__doc__)
    verbs = parser.add_subparsers(dest="verb", required=True)
    grading = verbs.add_parser("run", help=what)
    grading.add_argument("--root", type=Path, default=root)
    grading.add_argument("--course", type=Path, default=None, help="default: course.toml beside the grader")
    grading.add_argument("--seed", type=int, default=None,
                         help=f"grade at this seed, to replay a submission (default: {SEED_VARIABLE}, else a fresh "
                              "seed for each submission)")
    args = parser.parse_args(argv)
    run_one(args.root, args.course, args.seed)
    return 0


def main(argv: list[str] | None = None) -> int:
    return hosted_main(argv, sys.modules[__name__], "grade ROOT/submission into ROOT/results/results.json (what run_autograder "
                       "calls)", Path(os.environ.get("GRADESCOPE_ROOT", GRADESCOPE_ROOT)), run)


if __name__ == "__main__":
    sys.exit(main())
