"""The month calendar's per-day totals (summed in Python, no longer in the template)."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from planner.operations.calendar import CalendarItem, CalendarSession, DayInfo, month_days

DAY = dt.date(2026, 12, 7)
AT = dt.datetime(2026, 12, 7, 0, 30, tzinfo=dt.timezone.utc)


def _item(title: str, marks: list[str], duration: int = 60) -> CalendarItem:
    return CalendarItem(1, 1, title, AT, duration, "planned", "Chưa phát", False, True, marks)


def test_a_day_sums_every_target_and_lists_each_title_once_in_first_seen_order():
    a, b = SimpleNamespace(id=1), SimpleNamespace(id=2)
    morning = CalendarSession(AT, "06:00–06:30", 600, [_item("Tin B", []), _item("Tin A", ["Tin khẩn"])])
    extra = CalendarSession(AT, "07:00 · Phiên đột xuất", 0, [_item("Tin A", ["Phiên đột xuất"], 120)])
    other = CalendarSession(AT, "06:00–06:30", 600, [_item("Tin C", ["Tin khẩn", "Phiên đột xuất"])])
    data = {1: {DAY: [morning, extra]}, 2: {DAY: [other]}}
    days = [DayInfo(DAY, [], []), DayInfo(DAY + dt.timedelta(days=1), [], [])]
    out = month_days([a, b], data, days)
    first = out[DAY]
    assert (first.count, first.used, first.cap) == (4, 300, 1200)
    assert first.titles == ["Tin B", "Tin A", "Tin C"]
    assert (first.urgent, first.adhoc) == (2, 2)
    empty = out[DAY + dt.timedelta(days=1)]
    assert (empty.count, empty.cap, empty.titles) == (0, 0, [])
