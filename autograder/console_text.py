"""Text a program wrote to a terminal, as the terminal would have shown it.

A training library's progress bar and its error texts are written for a
terminal: colour codes, a carriage return that redraws the line, backspaces that
step back over it. Shown raw in feedback they become boxes and `[1m1/1[0m`. `rendered` keeps
what a reader of the terminal saw: escape sequences dropped, `\\r` and `\\b`
applied, the last state of each line.

Written by hand rather than with a terminal emulator such as pyte: an emulator
needs a screen size and wraps long lines, and only these few controls matter here.
"""
from __future__ import annotations

import re

__all__ = ["rendered"]

# ECMA-48 escape sequences: strings (OSC titles and links, DCS, PM, APC) up to BEL or ST, or the end of
# a text cut short; CSI (colours, cursor moves); the other escapes (charset choice, keypad modes);
# the 8-bit CSI.
_ESCAPE = re.compile(r"\x1b[\]P^_X].*?(?:\x07|\x1b\\|\Z)"
                     r"|\x1b\[[0-?]*[ -/]*[@-~]"
                     r"|\x1b[ -/]*[0-~]"
                     r"|\x9b[0-?]*[ -/]*[@-~]", re.DOTALL)
# Control characters a terminal does not print (tab and the three handled below excepted).
_UNPRINTED = re.compile(r"[\x00-\x07\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _line_as_shown(line: str) -> str:
    """One line after its carriage returns and backspaces: later text overwrites earlier text."""
    cells: list[str] = []
    column = 0
    for char in line:
        if char == "\r":
            column = 0
        elif char == "\b":
            column = max(column - 1, 0)
        else:
            if column < len(cells):
                cells[column] = char
            else:
                cells.append(char)
            column += 1
    return "".join(cells)


def rendered(text: str) -> str:
    """`text` as a terminal would show it once the program stopped writing."""
    if not text:
        return text
    plain = _UNPRINTED.sub("", _ESCAPE.sub("", text).replace("\r\n", "\n"))
    return "\n".join(_line_as_shown(line) for line in plain.split("\n"))
