"""People's time: Asia/Ho_Chi_Minh for display and input, dd/mm/yyyy dates, Vietnamese weekdays."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MIN_YEAR, MAX_YEAR = 2000, 2100  # dates people may type; keeps time arithmetic far from datetime's limits
WEEKDAYS = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật"]
WEEKDAYS_SHORT = ["T2", "T3", "T4", "T5", "T6", "T7", "CN"]


def to_local(value: dt.datetime) -> dt.datetime:
    """An aware datetime in Vietnam time."""
    return value.astimezone(TZ)


def local_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """UTC start (inclusive) and end (exclusive) of a local calendar day."""
    start = dt.datetime.combine(day, dt.time(0), TZ)
    return start.astimezone(dt.timezone.utc), (start + dt.timedelta(days=1)).astimezone(dt.timezone.utc)


def local_range_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """UTC bounds covering local days first..last inclusive."""
    return local_day_bounds(first)[0], local_day_bounds(last)[1]


def local_datetime(day: dt.date, at: dt.time) -> dt.datetime:
    """A local wall-clock time as an aware UTC datetime."""
    return dt.datetime.combine(day, at, TZ).astimezone(dt.timezone.utc)


def today(now: dt.datetime) -> dt.date:
    """The local date at `now`."""
    return to_local(now).date()


def fmt_date(value: dt.date | dt.datetime | None) -> str:
    """dd/mm/yyyy (datetimes are converted to local time first)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = to_local(value).date()
    return value.strftime("%d/%m/%Y")


def fmt_datetime(value: dt.datetime | None) -> str:
    """dd/mm/yyyy HH:MM in local time."""
    return "" if value is None else to_local(value).strftime("%d/%m/%Y %H:%M")


def fmt_time(value: dt.datetime | dt.time | None) -> str:
    """HH:MM (local time for datetimes)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = to_local(value).time()
    return value.strftime("%H:%M")


def fmt_duration(seconds: int | None) -> str:
    """m:ss."""
    seconds = int(seconds or 0)
    return f"{seconds // 60}:{seconds % 60:02d}"


def parse_date(text: str) -> dt.date:
    """Parse dd/mm/yyyy (or ISO yyyy-mm-dd, as sent by date inputs); ValueError in Vietnamese."""
    text = (text or "").strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            day = dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            raise ValueError(f"Ngày '{text}' nằm ngoài khoảng {MIN_YEAR}–{MAX_YEAR}")
        return day
    raise ValueError(f"Ngày '{text}' không hợp lệ (dạng dd/mm/yyyy)")


def weekday_label(day: dt.date) -> str:
    """Thứ Hai … Chủ nhật."""
    return WEEKDAYS[day.weekday()]
