"""The pictures of the HTML pages, as PNG bytes: the one place that imports matplotlib.

matplotlib is an instructor tool (pip extra `instructor`): it is imported only
when a picture is drawn, so grading, Gradescope and a student's `pytest
autograder` never load it. Pictures are drawn in the trusted process, from
observations that are plain numbers; the student's code never draws. Each
figure gets its own Agg canvas (no pyplot, no display, no global backend
switch), and one lock keeps matplotlib's shared font caches to one thread.
"""
from __future__ import annotations

import io
import math
import threading
from dataclasses import dataclass
from typing import Sequence

from autograder.errors import AutograderError

__all__ = ["PlotsUnavailable", "Panel", "curve_png", "histogram_png", "pass_rates_png", "panels_png",
           "STUDENT", "REFERENCE", "PARTING", "HISTOGRAM", "PASS_RATE", "OTHERS"]

# One colour per kind of mark, so that a screenshot shows which pictures were drawn.
STUDENT = "#e8590c"
REFERENCE = "#1c5fc4"
PARTING = "#c2255c"
HISTOGRAM = "#2f9e44"
PASS_RATE = "#7048e8"
OTHERS = STUDENT  # the class report's curves of the submissions that lost a check
DPI = 100
_LOCK = threading.Lock()


class PlotsUnavailable(AutograderError):
    """matplotlib is not installed: the pages are written without pictures, and say so."""


def _figure(width: float, height: float):
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise PlotsUnavailable('the pictures are drawn with matplotlib, which is not installed here: '
                               'pip install -e ".[instructor]"') from None
    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()


def _steps(values: Sequence[float]) -> list[int]:
    """Step numbers from 1, as a person counts epochs."""
    return list(range(1, len(values) + 1))


def _steps_axis(axes) -> None:
    """Whole steps on the x axis (there is no epoch 1.5), and a light grid."""
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.grid(True, color="#dddddd", linewidth=0.6)


def _log_when_far_apart(axes, values: Sequence[float]) -> None:
    """A log scale when positive values span more than a hundredfold: a diverging curve would otherwise
    flatten the reference into a line along the bottom."""
    finite = _finite(values)
    if finite and min(finite) > 0 and max(finite) / min(finite) > 100:
        axes.set_yscale("log")


def _finite(values: Sequence[float]) -> list[float]:
    return [v for v in values if isinstance(v, (int, float)) and math.isfinite(v)]


def curve_png(student: Sequence[float] | None, reference: Sequence[float] | None, parting: int | None,
              title: str, x_label: str, y_label: str) -> bytes:
    """The student's curve and the reference's on the same axes, the reference dashed and drawn last, so that
    it shows even where the two lie on each other; a dotted line where they part."""
    with _LOCK:
        figure = _figure(6.4, 3.2)
        axes = figure.add_subplot()
        if student:
            axes.plot(_steps(student), student, color=STUDENT, linewidth=3, linestyle="-", marker="o",
                      markersize=3 if len(student) <= 60 else 0, label="yours")
        if reference:
            axes.plot(_steps(reference), reference, color=REFERENCE, linewidth=1.8, linestyle=(0, (5, 3)),
                      label="reference", zorder=3)
        if parting is not None:
            axes.axvline(parting + 1, color=PARTING, linestyle=":", linewidth=1.5,
                         label=f"they part at {x_label} {parting + 1}")
        if student and not _finite(student):
            axes.text(0.5, 0.5, "your values are not finite numbers", transform=axes.transAxes, ha="center")
        axes.set(title=title, xlabel=x_label, ylabel=y_label)
        _steps_axis(axes)
        _log_when_far_apart(axes, [*(student or []), *(reference or [])])
        axes.legend(loc="best", fontsize="small")
        return _png(figure)


def histogram_png(totals: Sequence[float], possible: float) -> bytes:
    """How many submissions scored in each tenth of the points (each point, when there are fewer than 10)."""
    with _LOCK:
        figure = _figure(6.4, 2.8)
        axes = figure.add_subplot()
        top = possible if possible > 0 else max([*totals, 1.0])
        bins = max(1, min(10, math.ceil(top)))
        edges = [top * i / bins for i in range(bins + 1)]
        axes.hist(list(totals), bins=edges, color=HISTOGRAM, edgecolor="white")
        axes.set(xlabel=f"score (of {possible:g})", ylabel="submissions", xlim=(0, top))
        axes.yaxis.get_major_locator().set_params(integer=True)
        return _png(figure)


def pass_rates_png(rates: Sequence[tuple[str, float]]) -> bytes:
    """One horizontal bar per check, in the order given (the caller sorts them worst first, on top)."""
    with _LOCK:
        figure = _figure(7.5, 0.6 + 0.26 * max(len(rates), 1))
        axes = figure.add_subplot()
        labels = [label if len(label) <= 70 else label[:69] + "…" for label, _ in rates]
        positions = list(range(len(rates)))
        axes.barh(positions, [100 * rate for _, rate in rates], color=PASS_RATE, height=0.7)
        axes.set_yticks(positions, labels, fontsize="small")
        axes.invert_yaxis()
        axes.set(xlim=(0, 100), xlabel="passed by (% of the submissions it judged)")
        axes.grid(True, axis="x", color="#dddddd", linewidth=0.6)
        return _png(figure)


@dataclass(frozen=True)
class Panel:
    """One small multiple: the reference's curve, and the curves of the submissions it is about."""
    title: str
    reference: Sequence[float] | None
    curves: Sequence[Sequence[float]]
    x_label: str
    y_label: str


def panels_png(panels: Sequence[Panel], columns: int = 2) -> bytes:
    """Small multiples side by side, each with its own axes: many curves overlaid, the reference on top."""
    with _LOCK:
        columns = max(1, min(columns, len(panels)))
        rows = math.ceil(len(panels) / columns)
        figure = _figure(4.2 * columns, 3.0 * rows)
        for index, panel in enumerate(panels):
            axes = figure.add_subplot(rows, columns, index + 1)
            for number, curve in enumerate(panel.curves):
                axes.plot(_steps(curve), curve, color=OTHERS, linewidth=1.2, alpha=0.55,
                          label=f"submissions ({len(panel.curves)})" if number == 0 else None)
            if panel.reference:
                axes.plot(_steps(panel.reference), panel.reference, color=REFERENCE, linewidth=2.5,
                          label="reference")
            if panel.curves or panel.reference:
                axes.legend(loc="best", fontsize="small")
            axes.set_title(panel.title, fontsize="medium")
            axes.set(xlabel=panel.x_label, ylabel=panel.y_label)
            _steps_axis(axes)
        return _png(figure)
