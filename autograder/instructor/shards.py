"""A class cut into stable shards, graded anywhere, and gathered back into one gradebook.

A cluster engine (a Slurm job array, a Kubernetes Indexed Job) runs one `grade
--shard K/N` per task. A submission's shard depends only on its name, so a late
submission moves no one else. Shards write into one shared OUT or each into its
own; `grade --merge` then gathers their per-submission folders and writes the
class's files, exactly as one `grade` of the whole class would.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from autograder.errors import GraderError
from autograder.official_seed import SEED_FILE, held_seed
from autograder.run.reference import REFERENCE_CACHE

__all__ = ["Shard", "parse_shard", "shard_of", "merge_shard_folders"]



@dataclass(frozen=True)
class Shard:
    """The `index`-th (from 0, as SLURM_ARRAY_TASK_ID and JOB_COMPLETION_INDEX count) of `count` shards."""
    index: int
    count: int

    def holds(self, name: str) -> bool:
        return shard_of(name, self.count) == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def shard_of(name: str, count: int) -> int:
    """The shard of the submission called `name`: its name's SHA-256, modulo `count` (the same everywhere)."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big") % count


def parse_shard(text: str) -> Shard:
    """An argparse type: "K/N", with 0 <= K < N."""
    index, slash, count = text.partition("/")
    try:
        shard = Shard(int(index), int(count))
    except ValueError:
        shard = None
    if not slash or shard is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not K/N (shard K of N, counted from 0, e.g. 0/4)")
    if shard.count < 1 or not 0 <= shard.index < shard.count:
        raise argparse.ArgumentTypeError(f"{text!r}: K counts from 0 to N-1, and N is 1 or more")
    return shard


def merge_shard_folders(out: Path, shard_outs: list[Path]) -> list[str]:
    """Copy each graded submission's folder from every shard's OUT into `out`, each whole or not at all, and
    the shards' reference cache beside them; return the names copied. The shards must share one seed: a grade
    made at another seed would not be the same class's grade."""
    out = Path(out)
    sources = [Path(folder) for folder in shard_outs if Path(folder).resolve() != out.resolve()]
    seeds = {folder: held_seed(folder) for folder in [out, *sources]}
    for folder in sources:
        if seeds[folder] is None:
            raise GraderError(f"{folder} holds no {SEED_FILE}: it is no folder that `grade --shard` wrote")
    different = {seed for seed in seeds.values() if seed is not None}
    if len(different) > 1:
        listed = ", ".join(f"{folder}: {seed}" for folder, seed in seeds.items() if seed is not None)
        raise GraderError(f"the shards were graded at different seeds ({listed}): grade every shard with "
                          "the same --seed, or into one shared OUT")
    out.mkdir(parents=True, exist_ok=True)
    copied = []
    for folder in sources:
        for record in sorted(folder.glob("*/record.json")):
            _replace_folder(record.parent, out / record.parent.name)
            copied.append(record.parent.name)
        cache = folder / REFERENCE_CACHE
        if cache.is_dir():
            shutil.copytree(cache, out / REFERENCE_CACHE, dirs_exist_ok=True)
        if held_seed(out) is None:
            shutil.copy2(folder / SEED_FILE, out / SEED_FILE)
    return copied


def _replace_folder(source: Path, target: Path) -> None:
    """`target` becomes a copy of `source`: built beside it, then renamed into place."""
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        shutil.copytree(source, staging / "copy")
        if target.exists():
            os.replace(target, staging / "old")
        os.replace(staging / "copy", target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
