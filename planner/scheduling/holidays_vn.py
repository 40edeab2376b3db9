"""Vietnamese public holidays (Labour Code art. 112, lunar dates via `holidays.VN`) as blackout windows."""
from __future__ import annotations

from datetime import date, timedelta

from planner.scheduling.specs import WindowSpec


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
