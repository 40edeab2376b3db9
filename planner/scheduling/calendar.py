"""Local calendar: windows, public holidays, grid inheritance and expansion of grids into sessions."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from planner.scheduling.specs import GridSpec, WindowSpec

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
UTC = timezone.utc


def fmt_day(day: date) -> str:
    """Vietnamese display of a date: dd/mm/yyyy."""
    return day.strftime("%d/%m/%Y")


def fmt_span(first: date, last: date) -> str:
    """Vietnamese display of a date range, e.g. 30/03–05/04."""
    return f"{first:%d/%m}–{last:%d/%m}"


def to_utc(epoch: int) -> datetime:
    """Aware UTC datetime from epoch seconds."""
    return datetime.fromtimestamp(epoch, UTC)


def to_epoch(moment: datetime) -> int:
    """Epoch seconds of an aware datetime."""
    return int(moment.timestamp())


def local_day(epoch: int) -> date:
    """Local (Asia/Ho_Chi_Minh) date of an epoch second."""
    return datetime.fromtimestamp(epoch, TZ).date()


def _shift_year(day: date, years: int) -> date | None:
    """The same day and month `years` later, or None for 29/02 in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return None


def window_spans(window: WindowSpec, start: date, end: date) -> list[tuple[date, date]]:
    """The window's concrete (first, last) spans that meet [start, end]; yearly ones repeat."""
    if not window.is_yearly:
        shifts = [0]
    else:
        shifts = range(start.year - window.ends_on.year - 1, end.year - window.starts_on.year + 1)
    spans = []
    for years in shifts:
        first, last = _shift_year(window.starts_on, years), _shift_year(window.ends_on, years)
        first = first or window.starts_on.replace(year=window.starts_on.year + years, day=28)
        last = last or window.ends_on.replace(year=window.ends_on.year + years, day=28)
        if first <= end and last >= start:
            spans.append((max(first, start), min(last, end)))
    return spans


def window_dates(windows, kind: str, start: date, end: date) -> set[date]:
    """All dates in [start, end] covered by windows of `kind` ('peak' or 'blackout')."""
    days: set[date] = set()
    for window in windows:
        if window.kind != kind:
            continue
        for first, last in window_spans(window, start, end):
            days.update(first + timedelta(n) for n in range((last - first).days + 1))
    return days


def holiday_spans(first_year: int, last_year: int) -> list[tuple[date, date, str]]:
    """Runs of consecutive public holidays as (first, last, Vietnamese name of the first day)."""
    import holidays  # imported here: only callers that want the calendar pay for it

    days = holidays.country_holidays("VN", years=range(first_year, last_year + 1), language="vi")
    spans: list[tuple[date, date, str]] = []
    for day in sorted(days):
        if spans and spans[-1][1] + timedelta(1) == day:
            spans[-1] = (spans[-1][0], day, spans[-1][2])
        else:
            spans.append((day, day, days[day]))
    return spans


def holiday_windows(first_year: int, last_year: int, *, first_id: int = -1) -> list[WindowSpec]:
    """Blackout windows for each run of public holidays; ids count down from `first_id`."""
    return [WindowSpec(first_id - n, "blackout", first, last)
            for n, (first, last, _name) in enumerate(holiday_spans(first_year, last_year))]


def resolve_grids(target_unit_chain: list[int], grids_by_unit: dict[int, list[GridSpec]],
                  target_grids: list[GridSpec]) -> tuple[GridSpec, ...]:
    """Grids for a target: its own win, else those of the nearest unit in the chain (village first)."""
    if target_grids:
        return canonical_grids(target_grids)
    for unit_id in target_unit_chain:
        if grids_by_unit.get(unit_id):
            return canonical_grids(grids_by_unit[unit_id])
    return ()


def canonical_grids(grids) -> tuple[GridSpec, ...]:
    """Grids in a stable order (start time, weekdays, id) so equal sets compare equal."""
    return tuple(sorted(set(grids), key=lambda g: (g.start, g.end, g.weekdays, g.id)))


def capacity_of(grid: GridSpec) -> int:
    """Usable seconds of a session: its capacity, never more than the session's length."""
    length = (datetime.combine(date.min, grid.end) - datetime.combine(date.min, grid.start)).seconds
    return min(grid.capacity_s, length)


def expand_sessions(grid: GridSpec, start: date, end: date,
                    blackout_days: set[date]) -> list[tuple[int, int, int]]:
    """Sessions of one grid in [start, end] off blackout days: (UTC epoch start, day ordinal, capacity)."""
    first = max(start, grid.valid_from or start)
    last = min(end, grid.valid_to or end)
    capacity = capacity_of(grid)
    sessions = []
    for ordinal in range(first.toordinal(), last.toordinal() + 1):
        if not grid.weekdays >> ((ordinal + 6) % 7) & 1:
            continue
        day = date.fromordinal(ordinal)
        if day in blackout_days:
            continue
        moment = datetime.combine(day, grid.start, tzinfo=TZ)
        sessions.append((int(moment.timestamp()), ordinal, capacity))
    return sessions


class SessionTable:
    """Sessions of one grid tuple in time order, as parallel lists (no object per session)."""

    __slots__ = ("starts", "days", "caps", "slots", "day_range", "index")

    def __init__(self, grids: tuple[GridSpec, ...], start: date, end: date, blackout_days: set[date]):
        rows = []
        for slot, grid in enumerate(grids):
            rows.extend((epoch, ordinal, cap, slot) for epoch, ordinal, cap in
                        expand_sessions(grid, start, end, blackout_days))
        rows.sort()
        self.starts = [r[0] for r in rows]
        self.days = [r[1] for r in rows]
        self.caps = [r[2] for r in rows]
        self.slots = [r[3] for r in rows]
        self.index = {epoch: i for i, epoch in enumerate(self.starts)}
        self.day_range: dict[int, tuple[int, int]] = {}
        for index, ordinal in enumerate(self.days):
            lo, _ = self.day_range.get(ordinal, (index, index))
            self.day_range[ordinal] = (lo, index + 1)

    def __len__(self) -> int:
        return len(self.starts)

    def span(self, first: int, last: int) -> tuple[int, int]:
        """Index range [lo, hi) of sessions on day ordinals first..last."""
        lo = hi = None
        for ordinal in range(first, last + 1):
            if ordinal in self.day_range:
                a, b = self.day_range[ordinal]
                lo = a if lo is None else lo
                hi = b
        return (lo, hi) if lo is not None else (0, 0)
