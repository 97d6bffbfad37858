"""Generate the student stubs from the solutions: the solutions are the one source.

A solution region is nbgrader's marker pair, indented like the code it holds:

    ### BEGIN SOLUTION
    # TODO: what the student should write (kept in the stub)
    # PROMPT: Q1_ANSWER = set()   (kept in the stub as code, without "# PROMPT: ")
    ...solution code (dropped)...
    ### END SOLUTION

In the stub a region becomes its `# TODO:` lines, its prompt lines, and
`raise NotImplementedError` when it has no prompt lines. Everything outside
the regions is copied as it is, so docstrings are written once, in solutions/.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from autograder.errors import CourseError

__all__ = ["BEGIN", "END", "Region", "StubError", "regions", "stub_source", "generate_stubs", "stale_stubs"]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
TODO_PREFIX = "# TODO"
PROMPT_PREFIX = "# PROMPT: "
_MARKER = re.compile(r"^(\s*)(### (?:BEGIN|END) SOLUTION)\s*$")


class StubError(CourseError):
    """A solution file's markers are unbalanced or nested."""


@dataclass(frozen=True)
class Region:
    """One marked solution region: where it is and what it holds."""
    start: int  # index of the BEGIN line
    end: int  # index of the END line
    indent: str
    todo: tuple[str, ...]  # the `# TODO` comment lines, stripped
    prompt: tuple[str, ...]  # the stub's own code lines, stripped of "# PROMPT: "
    solution: tuple[str, ...]  # the solution lines, as written (with indentation)


def regions(source: str, name: str = "<solution>") -> list[Region]:
    """The marked regions of `source`, in order; StubError names the line of a bad marker."""
    lines = source.splitlines()
    found: list[Region] = []
    start: int | None = None
    for index, line in enumerate(lines):
        match = _MARKER.match(line)
        if not match:
            continue
        indent, marker = match.groups()
        if marker == BEGIN:
            if start is not None:
                raise StubError(f"{name}:{index + 1}: {BEGIN} inside the region opened at line {start + 1}")
            start = index
        else:
            if start is None:
                raise StubError(f"{name}:{index + 1}: {END} without a {BEGIN}")
            found.append(_region(lines, start, index))
            start = None
    if start is not None:
        raise StubError(f"{name}:{start + 1}: {BEGIN} is never closed by {END}")
    return found


def _region(lines: list[str], start: int, end: int) -> Region:
    indent = _MARKER.match(lines[start]).group(1)
    todo, prompt, solution = [], [], []
    for line in lines[start + 1:end]:
        text = line.strip()
        if text.startswith(PROMPT_PREFIX):
            prompt.append(text[len(PROMPT_PREFIX):])
        elif text.startswith(TODO_PREFIX) and not solution:
            todo.append(text)
        else:
            solution.append(line)
    return Region(start, end, indent, tuple(todo), tuple(prompt), tuple(solution))


def stub_lines(region: Region) -> list[str]:
    """What a region becomes in the stub."""
    body = list(region.todo) + list(region.prompt)
    if not region.prompt:
        body.append("raise NotImplementedError")
    return [region.indent + line for line in body]


def stub_source(source: str, name: str = "<solution>") -> str:
    """The stub of one solution module."""
    lines = source.splitlines()
    out: list[str] = []
    position = 0
    for region in regions(source, name):
        out.extend(lines[position:region.start])
        out.extend(stub_lines(region))
        position = region.end + 1
    out.extend(lines[position:])
    return "\n".join(out) + "\n"


def generate_stubs(solutions: Path, exercises: Path, names: list[str]) -> list[Path]:
    """Write exercises/<name>.py from solutions/<name>.py for every exercise; returns what changed."""
    changed = []
    for name in names:
        source = solutions / f"{name}.py"
        target = exercises / f"{name}.py"
        stub = stub_source(source.read_text(encoding="utf-8"), str(source))
        if not target.is_file() or target.read_text(encoding="utf-8") != stub:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(stub, encoding="utf-8")
            changed.append(target)
    return changed


def stale_stubs(solutions: Path, exercises: Path, names: list[str]) -> list[str]:
    """Names whose stub in `exercises` differs from what its solution generates."""
    stale = []
    for name in names:
        source, target = solutions / f"{name}.py", exercises / f"{name}.py"
        expected = stub_source(source.read_text(encoding="utf-8"), str(source))
        if not target.is_file() or target.read_text(encoding="utf-8") != expected:
            stale.append(name)
    return stale
