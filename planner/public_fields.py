"""Pure checks of what a message says in public and when: https links, weekdays, exact posting times.

Shared by the library loader (front matter) and the operations (forms, API), so both accept the same
input and give the same Vietnamese reasons. Imports neither flask nor sqlalchemy.
"""
from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

from planner.library_schedules import format_weekdays, parse_weekdays
from planner.localtime import TZ

__all__ = ["ALL_WEEKDAYS", "format_weekdays", "link_problem", "parse_post_at", "parse_weekdays",
           "format_post_at", "MAX_POST_TIMES"]

ALL_WEEKDAYS = 0b1111111
MAX_LINK = 500
MAX_POST_TIMES = 100
POST_AT_FORMAT = "%d/%m/%Y %H:%M"


def link_problem(url: str) -> str | None:
    """Why `url` cannot be a message's public link (Vietnamese), or None. Only https, with a host."""
    if len(url) > MAX_LINK:
        return f"Liên kết dài quá {MAX_LINK} ký tự."
    if re.search(r"[\s<>\"'\\\x00-\x1f\x7f]", url):
        return "Liên kết không được chứa khoảng trắng, dấu ngoặc kép hay ký tự điều khiển."
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        return "Liên kết không hợp lệ."
    if parts.scheme.lower() != "https":
        return "Liên kết phải bắt đầu bằng https:// (không nhận http, javascript hay giao thức khác)."
    if not parts.hostname or "." not in parts.hostname or parts.username or parts.password or not port_ok:
        return "Liên kết phải có tên miền hợp lệ, ví dụ https://baohiemxahoi.gov.vn."
    return None


def parse_post_at(values) -> list[dt.datetime]:
    """Local 'dd/mm/yyyy HH:MM' strings (a list, or text with one per line) → sorted aware UTC datetimes.

    Raises ValueError with a Vietnamese reason naming the bad value.
    """
    if isinstance(values, str):
        values = values.replace(";", "\n").splitlines()
    if not isinstance(values, (list, tuple)):
        raise ValueError("cần một danh sách thời điểm dạng dd/mm/yyyy HH:MM")
    times = set()
    for raw in values:
        text = raw.strip() if isinstance(raw, str) else raw
        if text == "" or text is None:
            continue
        if not isinstance(text, str):
            raise ValueError(f"thời điểm '{text}' phải viết dạng chuỗi dd/mm/yyyy HH:MM")
        try:
            local = dt.datetime.strptime(text, POST_AT_FORMAT)
        except ValueError:
            raise ValueError(f"thời điểm '{text}' không hợp lệ (dạng dd/mm/yyyy HH:MM, ví dụ 05/04/2026 19:30)") \
                from None
        if not 2000 <= local.year <= 2100:
            raise ValueError(f"thời điểm '{text}' nằm ngoài khoảng 2000–2100")
        times.add(local.replace(tzinfo=TZ).astimezone(dt.timezone.utc))
    if len(times) > MAX_POST_TIMES:
        raise ValueError(f"tối đa {MAX_POST_TIMES} thời điểm đăng")
    return sorted(times)


def format_post_at(times: list[dt.datetime]) -> list[str]:
    """Aware datetimes as the local 'dd/mm/yyyy HH:MM' strings people type."""
    return [t.astimezone(TZ).strftime(POST_AT_FORMAT) for t in times]
