"""Collect a class's submissions and copy out only what may be graded.

A submission is a folder or a .zip named by student id. From it, only regular
files with an exercise's name are copied (at its top level, or inside one
folder of a zip); links, paths that climb out (`..`, absolute), oversized
files and duplicates are refused, and everything else is ignored. Each refusal
is kept, with its reason, for the student's feedback.
"""
from __future__ import annotations

import hashlib
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from autograder.errors import AutograderError
from autograder.submit import MAX_FILE_BYTES  # one limit for what a student may pack and what intake accepts

__all__ = ["IntakeError", "Submission", "collect", "safe_name", "MAX_FILE_BYTES"]


class IntakeError(AutograderError):
    """The class folder itself cannot be read: nothing was graded."""


@dataclass
class Submission:
    name: str
    source: Path
    files: dict[str, bytes] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def fingerprint(self, *context: bytes) -> str:
        """Changes exactly when the graded files (or the grading context) change."""
        digest = hashlib.sha256()
        for part in (*context, *(n.encode() + b"\0" + data for n, data in sorted(self.files.items()))):
            digest.update(hashlib.sha256(part).digest())
        return digest.hexdigest()

    def write_to(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in self.files.items():
            (folder / name).write_bytes(data)
        return folder


def safe_name(raw: str) -> str:
    """The name a submission gets from its folder or zip: letters, digits, '.', '_' and '-' only."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", raw).strip("._") or "submission"
    return name[:100]


def collect(folder: Path, allowed: tuple[str, ...]) -> list[Submission]:
    """Every folder and .zip in `folder`, in a stable order, each with its allowed files read."""
    if not Path(folder).is_dir():
        raise IntakeError(f"{folder}: no such folder of submissions")
    submissions, seen = [], set()
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.startswith("."):
            continue
        is_zip = entry.suffix.lower() == ".zip" and entry.is_file() and not entry.is_symlink()
        if not (is_zip or (entry.is_dir() and not entry.is_symlink())):
            continue
        name = safe_name(entry.stem if is_zip else entry.name)
        while name in seen:
            name += "_"
        seen.add(name)
        submission = Submission(name=name, source=entry)
        (_read_zip if is_zip else _read_folder)(submission, allowed)
        submissions.append(submission)
    return submissions


def _keep(submission: Submission, name: str, data: bytes | None, size: int) -> None:
    if name in submission.files:
        submission.refused.append(f"{name}: found more than once; none of the copies was graded")
        submission.files.pop(name)
    elif size > MAX_FILE_BYTES or data is None:
        submission.refused.append(f"{name}: {size} bytes, over the limit of {MAX_FILE_BYTES}")
    else:
        submission.files[name] = data


def _read_folder(submission: Submission, allowed: tuple[str, ...]) -> None:
    for path in sorted(submission.source.iterdir(), key=lambda p: p.name):
        mode = path.lstat().st_mode
        if path.name not in allowed:
            submission.ignored.append(path.name)
        elif stat.S_ISLNK(mode):
            submission.refused.append(f"{path.name}: is a link; only regular files are graded")
        elif not stat.S_ISREG(mode):
            submission.refused.append(f"{path.name}: is not a regular file")
        else:
            size = path.lstat().st_size
            _keep(submission, path.name, path.read_bytes() if size <= MAX_FILE_BYTES else None, size)


def _read_zip(submission: Submission, allowed: tuple[str, ...]) -> None:
    try:
        archive = zipfile.ZipFile(submission.source)
    except (zipfile.BadZipFile, OSError) as error:
        submission.refused.append(f"{submission.source.name}: not a readable zip ({error})")
        return
    with archive:
        for member in archive.infolist():
            path = PurePosixPath(member.filename.replace("\\", "/"))
            if member.is_dir():
                continue
            if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", member.filename):
                submission.refused.append(f"{member.filename}: a path that leaves the archive")
            elif stat.S_ISLNK(member.external_attr >> 16):
                submission.refused.append(f"{member.filename}: is a link; only regular files are graded")
            elif path.name not in allowed or len(path.parts) > 2:
                submission.ignored.append(member.filename)
            elif member.file_size > MAX_FILE_BYTES:
                _keep(submission, path.name, None, member.file_size)
            else:
                with archive.open(member) as handle:
                    data = handle.read(MAX_FILE_BYTES + 1)  # never trust the declared size
                _keep(submission, path.name, data if len(data) <= MAX_FILE_BYTES else None, len(data))
