"""Helpers shared by the XOR probes (imported as `from ._xor import ...`): plain Python, no framework."""
from __future__ import annotations

XOR_X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
XOR_Y = [[0.0], [1.0], [1.0], [0.0]]


def widest_gap_threshold(logits: list[float]) -> float:
    """A threshold between two of the middle sorted logits, at their widest gap: it splits the rows
    so that neither all-zero nor all-one predictions are right, and no output sits at exactly 0.5,
    where `> 0.5`, `>= 0.5` and round() would disagree."""
    ordered = sorted(logits)
    split = max(range(2, len(ordered) - 3), key=lambda i: ordered[i + 1] - ordered[i])
    return (ordered[split] + ordered[split + 1]) / 2
