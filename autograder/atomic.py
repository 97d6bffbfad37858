"""Write files whole or not at all: a crash or Ctrl-C never leaves half a grade behind."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

__all__ = ["write_text_atomically", "write_json_atomically"]


def write_text_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, flush it to disk, then rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.chmod(temporary, 0o644)
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def write_json_atomically(data: dict, path: Path) -> None:
    write_text_atomically(path, json.dumps(data, indent=2) + "\n")
