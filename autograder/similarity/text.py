"""Free-text answers across a class: what each submission wrote, and how alike two answers are.

An answer is where course.toml's `[exercises.free_text]` says: a path in a probe's
observations. Given `graded` (a `grade` OUT folder), it is read from each submission's
record.json, which is what grading saw. Otherwise, and for a submission not graded
there, the file is parsed, never imported: its module-level constants that are plain
literals make a namespace, which the course's own probe reads as it reads a module. So
no student code runs here; a text the student's code builds at import is not seen
(grade first, then pass the graded folder).

Two answers are compared as their words (case, width and punctuation dropped), by the
Jaccard index of their word pairs (shingles of two words, as near-duplicate detection
does): answers in their own words share the lesson's vocabulary but few of its word
pairs, while a lightly edited copy keeps most of them, in any sentence order.
"""
from __future__ import annotations

import ast
import contextlib
import io
import json
import re
import sys
import unicodedata
from pathlib import Path
from types import SimpleNamespace

from autograder.course.model import Course, CourseError, Exercise
from autograder.instructor.intake import Submission
from autograder.similarity.lists import Group, given_stub
from autograder.run.worker import PROBE_PACKAGE, load_probe_module, probe_seed, probes_of

__all__ = ["text_groups", "literal_constants", "static_observations", "text_at", "words", "shingles",
           "jaccard", "SHINGLE"]

# Words per shingle: two keep some word order without letting one changed word hide a whole phrase.
SHINGLE = 2


def literal_constants(source: str) -> dict[str, object]:
    """NAME -> value for each module-level `NAME = <literal>` of `source` (the last one wins)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    constants: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            names, value = [t.id for t in node.targets if isinstance(t, ast.Name)], node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            names, value = [node.target.id], node.value
        else:
            continue
        try:
            literal = _literal(value)
        except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
            continue
        constants.update(dict.fromkeys(names, literal))
    return constants


def _literal(node: ast.expr) -> object:
    """ast.literal_eval, and "text" + "text" too (a long answer split across lines)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal(node.left), _literal(node.right)
        if isinstance(left, str) and isinstance(right, str):
            return left + right
    return ast.literal_eval(node)


@contextlib.contextmanager
def _course_probes(course: Course):
    """The course's probe package, loaded here and forgotten after (another course may load its own)."""
    def forget() -> None:
        for name in [n for n in sys.modules if n == PROBE_PACKAGE or n.startswith(PROBE_PACKAGE + ".")]:
            del sys.modules[name]
        sys.meta_path[:] = [f for f in sys.meta_path if getattr(f, "package", None) != PROBE_PACKAGE]
    forget()
    files = {name: str(path) for name, path in course.layout.probe_files().items()}
    try:
        yield lambda exercise_id: probes_of(load_probe_module(files, exercise_id))
    finally:
        forget()


def static_observations(course: Course, exercise: Exercise, probes: dict, source: str,
                        wanted: set[str]) -> dict[str, object]:
    """probe -> value for the `wanted` probes, each run on the literal constants of `source`."""
    student = SimpleNamespace(**{k: v for k, v in literal_constants(source).items() if not k.startswith("__")})
    values = {}
    for name in wanted:
        context = SimpleNamespace(seed=course.seed, params=dict(exercise.params), reference=False,
                                  probe_seed=probe_seed(course.seed, name))
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                values[name] = probes[name](student, context)
        except Exception:  # a probe that needs running code: this answer is not read statically
            continue
    return values


def _recorded(graded: Path | None, name: str, exercise: Exercise) -> dict[str, object] | None:
    """probe -> value that grading saw, from graded/<name>/record.json; None if it was not graded there."""
    if graded is None:
        return None
    try:
        record = json.loads((Path(graded) / name / "record.json").read_text(encoding="utf-8"))
        outcomes = record["observations"][exercise.id]["outcomes"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return {probe: outcome.get("value") for probe, outcome in outcomes.items() if isinstance(outcome, dict)}


def text_at(values: dict[str, object], path: str) -> str:
    """The text at "probe/key/..." in probe -> value; "" where there is none."""
    probe, *keys = path.split("/")
    value = values.get(probe)
    try:
        for key in keys:
            value = value[key]
    except (KeyError, IndexError, TypeError):
        return ""
    return value if isinstance(value, str) else ""


def words(text: str) -> list[tuple[str, tuple[int, int]]]:
    """(normalized word, its span in `text`) for each word: compared without case, width or punctuation."""
    return [(unicodedata.normalize("NFKC", m.group()).casefold(), m.span()) for m in re.finditer(r"\w+", text)]


def shingles(said: list[str]) -> set[tuple[str, ...]]:
    """Every run of SHINGLE words (a shorter answer is its own one shingle)."""
    return {tuple(said[i:i + SHINGLE]) for i in range(len(said) - SHINGLE + 1)} or {tuple(said)}


def jaccard(first: set, second: set) -> float:
    return len(first & second) / len(first | second) if first | second else 0.0


def text_groups(course: Course, exercise: Exercise, everyone: list[Submission], graded: Path | None) -> list[Group]:
    """One scored list per free-text column of `exercise`; empty and untouched answers are left out."""
    wanted = {path.split("/")[0] for path in exercise.free_text.values()}
    with _course_probes(course) as probes_for:
        probes = probes_for(exercise.id)
        missing = wanted - set(probes)
        if missing:
            raise CourseError(f"{course.path}: [exercises.free_text] of {exercise.id!r} names probe "
                              f"{sorted(missing)[0]!r}, which {course.layout.probe(exercise.id)} does not define")
        stub = static_observations(course, exercise, probes, given_stub(course, exercise), wanted)
        seen = {}
        for submission in everyone:
            recorded = _recorded(graded, submission.name, exercise)
            if recorded is not None:
                seen[submission.name] = recorded
            elif exercise.file in submission.files:
                source = submission.files[exercise.file].decode("utf-8", errors="replace")
                seen[submission.name] = static_observations(course, exercise, probes, source, wanted)
    return [_group(exercise, column, path, everyone, seen, text_at(stub, path))
            for column, path in exercise.free_text.items()]


def _group(exercise: Exercise, column: str, path: str, everyone: list[Submission], seen: dict, given: str) -> Group:
    group = Group("text", f"{exercise.id}: {column}")
    given_words = [w for w, _ in words(given)]
    for submission in everyone:
        text = text_at(seen.get(submission.name, {}), path)
        said = [w for w, _ in words(text)]
        if not said:
            group.left_out[submission.name] = "no answer"
        elif said == given_words:
            group.left_out[submission.name] = "the stub's own text"
        else:
            group.texts[submission.name] = text
    sets = {name: shingles([w for w, _ in words(text)]) for name, text in group.texts.items()}
    group.score_all(lambda a, b: jaccard(sets[a], sets[b]))
    group.marks = lambda a, b: (_shared_spans(group.texts[a], sets[b]), _shared_spans(group.texts[b], sets[a]))
    return group


def _shared_spans(text: str, other: set[tuple[str, ...]]) -> list[tuple[int, int]]:
    """Spans of `text` covered by a shingle that `other` has too."""
    found = words(text)
    said = [w for w, _ in found]
    if len(said) < SHINGLE:
        return [(found[0][1][0], found[-1][1][1])] if found and tuple(said) in other else []
    return [(found[i][1][0], found[i + SHINGLE - 1][1][1]) for i in range(len(said) - SHINGLE + 1)
            if tuple(said[i:i + SHINGLE]) in other]
