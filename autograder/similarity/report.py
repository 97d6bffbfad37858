"""similarity.csv and similarity.html: the ranked pairs, as data and as a page to read.

The page is one self-contained file (inline style, no script, nothing fetched). It opens
with what the numbers mean and what they do not, lists the pairs that stand out with
both texts side by side and what they share marked, then each list's baseline and its
closest pairs. The CSV holds every pair; the page shows only the closest of each list.
"""
from __future__ import annotations

import csv
import html
import io
from pathlib import Path

from autograder.atomic import write_text_atomically
from autograder.similarity.lists import MIN_COMPARED, MIN_SPREAD, STANDS_OUT, Group, Row

__all__ = ["write_report", "similarity_csv", "similarity_html", "CSV_COLUMNS"]

CSV_COLUMNS = ("kind", "item", "submission_a", "submission_b", "score", "baseline", "spread",
               "above_baseline", "stands_out")
# Pairs of each list shown on the page (the CSV has them all), and pairs shown side by side.
SHOWN_PER_LIST = 10
SHOWN_SIDE_BY_SIDE = 40


def _number(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def similarity_csv(rows: list[Row]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow([r.kind, r.item, r.first, r.second, _number(r.score, 3), _number(r.baseline, 3),
                         _number(r.spread, 3), _number(r.above, 1), "yes" if r.stands_out else ""])
    return buffer.getvalue()


_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border: 1px solid #ccc; padding: .25rem .6rem; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.out td { background: #fff4d6; }
.note { background: #eef4fb; border-left: 4px solid #4a78b0; padding: .6rem 1rem; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
pre { background: #f7f7f7; padding: .6rem; overflow-x: auto; font-size: .8rem; white-space: pre-wrap; }
mark { background: #ffd966; }
"""


def _marked(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` escaped, with each span (start, end) wrapped in <mark>."""
    parts, at = [], 0
    for start, end in sorted(spans):
        start = max(start, at)
        if end <= start:
            continue
        parts += [html.escape(text[at:start]), "<mark>", html.escape(text[start:end]), "</mark>"]
        at = end
    return "".join(parts + [html.escape(text[at:])])


def _table(rows: list[Row], with_item: bool) -> str:
    head = (["list"] if with_item else []) + ["submissions", "score", "baseline", "above baseline"]
    lines = ["<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    for r in rows:
        cells = ([html.escape(r.item)] if with_item else []) + [html.escape(f"{r.first} and {r.second}")]
        numbers = [_number(r.score, 2), _number(r.baseline, 2),
                   "no baseline" if r.above is None else f"{r.above:+.1f} spreads"]
        lines.append(f'<tr class="{"out" if r.stands_out else ""}">' + "".join(f"<td>{c}</td>" for c in cells)
                     + "".join(f'<td class="n">{n}</td>' for n in numbers) + "</tr>")
    return "\n".join(lines + ["</table>"])


def _side_by_side(group: Group, row: Row) -> str:
    spans = group.marks(row.first, row.second) if group.marks else ([], [])
    sides = "".join(f"<div><h4>{html.escape(name)}</h4><pre>{_marked(group.texts[name], marked)}</pre></div>"
                    for name, marked in zip((row.first, row.second), spans))
    return (f"<h3>{html.escape(row.item)}: {html.escape(row.first)} and {html.escape(row.second)}</h3>"
            f"<p>Score {row.score:.2f}, {row.above:.1f} spreads above this list's baseline of "
            f"{row.baseline:.2f}. Marked: what the two share"
            f"{' beyond the stub and the course solution' if group.kind == 'code' else ''}.</p>"
            f'<div class="pair">{sides}</div>')


def _list_section(group: Group, rows: list[Row]) -> str:
    mine = [r for r in rows if r.item == group.item]
    what = "code" if group.kind == "code" else "answer"
    summary = f"{len(group.texts)} submissions compared, {len(mine)} pairs"
    if mine and mine[0].baseline is not None:
        summary += f"; baseline {mine[0].baseline:.2f}, spread {mine[0].spread:.2f}"
    elif len(group.texts) < MIN_COMPARED:
        summary += f"; fewer than {MIN_COMPARED} submissions, so no baseline"
    parts = [f"<h3>{html.escape(group.item)} ({what})</h3>", f"<p>{summary}.</p>"]
    if group.left_out:
        left = ", ".join(f"{html.escape(n)} ({html.escape(why)})" for n, why in sorted(group.left_out.items()))
        parts.append(f"<p>Not compared: {left}.</p>")
    if mine:
        parts.append(_table(mine[:SHOWN_PER_LIST], with_item=False))
    return "\n".join(parts)


def similarity_html(title: str, groups: list[Group], rows: list[Row]) -> str:
    out = [r for r in rows if r.stands_out]
    by_item = {g.item: g for g in groups}
    body = [
        f"<h1>Similarity report</h1><p>{html.escape(title)}</p>",
        '<div class="note"><p><strong>This report points at pairs to read; it accuses nobody.</strong> '
        "Short exercises are written alike by honest students, so a pair is only marked when it is far more "
        "alike than the class's other pairs on the same exercise or question. Students who worked together as "
        "allowed, followed the same tutorial, or gave a very short answer can be marked too: only a person who "
        "reads both submissions can judge.</p>"
        "<p>Score: for code, the larger share of one student's own code (beyond the stub) that the other also "
        "has, outside the stub and the course solution (copydetect's winnowing, which ignores names, comments "
        "and order); for answers, the share of word pairs the two texts have in common (the Jaccard index of "
        "their two-word shingles, ignoring case and punctuation). Baseline: the median score of the list's "
        f"pairs. Spread: their median distance from it, scaled to a standard deviation, at least "
        f"{MIN_SPREAD}. A pair stands out at {STANDS_OUT} spreads above the baseline.</p></div>",
        "<h2>Pairs that stand out</h2>",
    ]
    if out:
        body.append(_table(out, with_item=True))
        body += [_side_by_side(by_item[r.item], r) for r in out[:SHOWN_SIDE_BY_SIDE]]
        if len(out) > SHOWN_SIDE_BY_SIDE:
            body.append(f"<p>The first {SHOWN_SIDE_BY_SIDE} are shown side by side; the files of the others "
                        "are in the submissions folder.</p>")
    else:
        body.append("<p>No pair stands out from its class's baseline.</p>")
    body.append(f"<h2>Each list</h2><p>The {SHOWN_PER_LIST} closest pairs of each; similarity.csv has every pair.</p>")
    body += [_list_section(group, rows) for group in groups]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Similarity report: {html.escape(title)}</title><style>{_STYLE}</style></head>"
            "<body>\n" + "\n".join(body) + "\n</body></html>\n")


def write_report(out: Path, title: str, groups: list[Group], rows: list[Row]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomically(out / "similarity.csv", similarity_csv(rows))
    write_text_atomically(out / "similarity.html", similarity_html(title, groups, rows))
