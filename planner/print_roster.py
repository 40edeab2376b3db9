"""Pure layout of broadcast rosters: a village's rows cut into week sheets (one A4 page each in the
normal case), and the pages of a rendered batch attributed back to their villages.

No WeasyPrint and no database here; planner.printing renders the sheets, the worker stores them.
"""
from __future__ import annotations

import datetime as dt

from planner.print_documents import roster_days

SHEET_DAYS = 7          # one sheet per week of the period
NOTE_CHARS = 90         # a script excerpt keeps to about one line, so a week fits one page
VILLAGE_ANCHOR = "village-"  # id of each village's first sheet: "village-<index>"
QR_MASK = 0  # the roster QR's mask pattern, fixed: segno's search for the best of eight is 6× the encoding
             # (≈ 13 ms a village); any mask is a valid code that every reader decodes


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:.–-") + "…"


def period_label(first: dt.date, last: dt.date) -> str:
    return f"{first:%d/%m/%Y} – {last:%d/%m/%Y}"


def week_ranges(first: dt.date, last: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The period cut into 7-day sheets from `first` (the last one may be shorter)."""
    ranges, start = [], first
    while start <= last:
        end = min(start + dt.timedelta(days=SHEET_DAYS - 1), last)
        ranges.append((start, end))
        start = end + dt.timedelta(days=1)
    return ranges


def roster_weeks(rows: list[dict], first: dt.date | None = None, last: dt.date | None = None,
                 label: str = "") -> list[dict]:
    """A village's rows as week sheets, each with its period label and its rows grouped by date.

    Rows carry `day` (a date) to be cut by week; without `first`/`last` they make one sheet labelled `label`.
    """
    def sheet(chunk: list[dict], text: str) -> dict:
        days = roster_days([{**row, "note": _clip(row.get("note") or row.get("script_excerpt") or "", NOTE_CHARS)}
                            for row in chunk])
        return {"period_label": text, "days": days}

    if first is None or last is None:
        return [sheet(rows, label)]
    sheets, rest = [], list(rows)
    for start, end in week_ranges(first, last):
        chunk = [row for row in rest if start <= row["day"] <= end]
        sheets.append(sheet(chunk, period_label(start, end)))
    return sheets


def village_of_pages(page_anchors: list[set[str]]) -> list[int]:
    """For each page (the set of element ids on it), the index of the village its sheet belongs to."""
    owners, current = [], 0
    for anchors in page_anchors:
        starts = [int(a[len(VILLAGE_ANCHOR):]) for a in anchors
                  if a.startswith(VILLAGE_ANCHOR) and a[len(VILLAGE_ANCHOR):].isdigit()]
        if starts:
            current = max(starts)
        owners.append(current)
    return owners


def page_ranges(owners: list[int], villages: int) -> list[tuple[int, int]]:
    """(first page, end page) of each village, 0-based and end-exclusive, from village_of_pages()."""
    ranges = []
    for index in range(villages):
        pages = [n for n, owner in enumerate(owners) if owner == index]
        if not pages:
            raise ValueError(f"village {index} has no page")
        ranges.append((pages[0], pages[-1] + 1))
    return ranges
