"""The seed of an official grade: drawn fresh, kept where the grade is, never shipped.

A student release holds the reference's observations at the course seed, the
public one that `pytest autograder` uses for practice. A grade that counts runs
at a seed no student could know in advance: `grade` draws one per batch and keeps
it in OUT (resuming or regrading the batch reuses it), the Gradescope runner one
per upload. Every result records its seed, and `--seed N` replays any of them
exactly.
"""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from autograder.atomic import write_json_atomically

__all__ = ["draw_seed", "batch_seed", "held_seed", "SEED_FILE", "SEED_VARIABLE", "replayed_or_drawn"]

SEED_FILE = "seed.json"
# Set to replay an official grade at its recorded seed (Gradescope's runner, nbgrader's autograde).
SEED_VARIABLE = "AUTOGRADER_SEED"
_LARGEST = 2**31 - 2  # workers derive each probe's seed modulo 2**31 - 1


def draw_seed() -> int:
    """A seed from the operating system's random source."""
    return secrets.randbelow(_LARGEST) + 1


def replayed_or_drawn() -> int:
    """The seed in AUTOGRADER_SEED when it is set (a replay), else a fresh one."""
    replay = os.environ.get(SEED_VARIABLE, "").strip()
    return int(replay) if replay else draw_seed()


def batch_seed(out: Path, chosen: int | None = None) -> int:
    """The seed of the batch graded into `out`: `chosen` when given, else the one `out` already holds,
    else a fresh one. Whichever it is, `out` keeps it, so a resumed batch grades at the same seed. Shards
    of one class started at once into one shared `out` agree: the first to write the fresh seed wins."""
    path = Path(out) / SEED_FILE
    if chosen is not None:
        write_json_atomically({"seed": chosen}, path)
        return chosen
    held = held_seed(out)
    return held if held is not None else _first_seed(path, draw_seed())


def held_seed(out: Path) -> int | None:
    """The seed the batch in `out` was graded at, or None if `out` holds none."""
    try:
        return int(json.loads((Path(out) / SEED_FILE).read_text(encoding="utf-8"))["seed"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _first_seed(path: Path, fresh: int) -> int:
    """`fresh`, written to `path` only if no seed is there yet (a hard link never replaces a file); else
    the seed another shard wrote first."""
    staging = path.with_name(f".{SEED_FILE}.{os.getpid()}.{fresh}")
    write_json_atomically({"seed": fresh}, staging)
    try:
        os.link(staging, path)
    except FileExistsError:
        held = held_seed(path.parent)
        if held is not None:
            return held
        write_json_atomically({"seed": fresh}, path)  # an unreadable file there: this batch's seed replaces it
    finally:
        staging.unlink(missing_ok=True)
    return fresh
