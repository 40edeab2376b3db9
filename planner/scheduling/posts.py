"""Exact posting times (`post_at`) of online messages: which become pinned items, and why others cannot."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from planner.scheduling.calendar import TZ, window_dates
from planner.scheduling.specs import FixedItem, ScheduleIssue


def exact_posts(messages, target_ids, windows, fixed, start: date, end: date, *, now: datetime,
                min_lead_s: int, max_lead_days: int, duration_s: int = 60) -> tuple[list[FixedItem], list]:
    """The messages' post_at times inside local days start..end, at every target, as pinned items.

    Times already placed (same version, target and time among `fixed`) are not placed twice. A time that
    cannot be honoured gives one ScheduleIssue saying why (kind 'post_at_far' when it is further ahead than the
    platform lets a post be scheduled — possible in a later run —, else 'post_at'); it is never moved elsewhere.
    """
    blackout = window_dates(windows, "blackout", start, end)
    have = {(f.target_id, f.session_start, f.message_id) for f in fixed}
    posts, issues = [], []
    for spec in messages:
        for when in getattr(spec, "post_at", ()):
            day = when.astimezone(TZ).date()
            if not start <= day <= end:
                continue
            why = _why_not(spec, when, day, blackout, now, min_lead_s, max_lead_days)
            if why:
                label = when.astimezone(TZ).strftime("%d/%m/%Y %H:%M")
                # Too far ahead is not a fault of the message: it becomes possible later, so it is its own kind.
                kind = "post_at_far" if when - now > timedelta(days=max_lead_days) else "post_at"
                issues.append(ScheduleIssue(kind, spec.id, None, day,
                                            f"Tin '{spec.title or spec.id}' không đăng được lúc {label}: {why}."))
                continue
            posts += [FixedItem(t, when, spec.id, duration_s) for t in target_ids if (t, when, spec.id) not in have]
    return posts, issues


def _why_not(spec, when: datetime, day: date, blackout: set, now: datetime, min_lead_s: int,
             max_lead_days: int) -> str | None:
    if when - now < timedelta(seconds=min_lead_s):
        return f"đã qua hoặc còn chưa tới {max(min_lead_s // 60, 1)} phút (nền tảng cần đặt lịch trước)"
    if when - now > timedelta(days=max_lead_days):
        return f"xa hơn {max_lead_days} ngày, nền tảng chưa cho đặt lịch; hãy lập lịch lại gần ngày đó"
    if (spec.valid_from and day < spec.valid_from) or (spec.valid_to and day > spec.valid_to):
        return "ngoài thời gian hiệu lực của tin"
    if not spec.weekdays >> day.weekday() & 1:
        return "không thuộc các ngày trong tuần của tin"
    if day in blackout:
        return "rơi vào ngày cấm phát/đăng (ngày lễ hoặc đợt tạm dừng)"
    return None
