"""Placing by hand: schedule one approved message at a chosen time (changing one: operations/moves.py)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from planner.operations.plan_state import message_locked_reason, not_active_reason
from planner import localtime
from planner.channels import get_channel
from planner.models import (Delivery, DeliveryStatus, Message, Occurrence, OccurrenceSource, Target, User)
from planner.operations.audit import record
from planner.operations.schedule import grid_specs_for, message_duration


class PlacementError(ValueError):
    """The placement is not allowed (Vietnamese message)."""


class OutsideWindow(PlacementError):
    """An online post asked for a time Facebook would not schedule: sooner than FACEBOOK_MIN_LEAD_SECONDS
    (10 minutes) or further than FACEBOOK_MAX_LEAD_DAYS (30 days) ahead. Refused when scheduling, never held."""


def _parse_when(day: str, at: str) -> dt.datetime:
    try:
        local_day = localtime.parse_date(day)
    except ValueError as exc:
        raise PlacementError(str(exc)) from None
    try:
        clock = dt.datetime.strptime((at or "").strip(), "%H:%M").time()
    except ValueError:
        raise PlacementError("Giờ không hợp lệ (dạng HH:MM).") from None
    return localtime.local_datetime(local_day, clock)


def _session_for(session: Session, target: Target, when: dt.datetime) -> tuple[dt.datetime, int | None]:
    """The grid session containing `when` at the target (start, capacity), or (when, None) outside any."""
    local = localtime.to_local(when)
    for g in grid_specs_for(session, [target], target.channel)[target.id]:
        if g.weekdays >> local.weekday() & 1 and g.start <= local.time() < g.end:
            return localtime.local_datetime(local.date(), g.start), g.capacity_s
    return when, None


def _check_time(target: Target, when: dt.datetime, now: dt.datetime, settings: dict) -> None:
    if when <= now:
        raise PlacementError("Thời điểm đã qua; vui lòng chọn thời điểm trong tương lai.")
    if get_channel(target.channel).is_online:
        lead = (when - now).total_seconds()
        if lead < settings["FACEBOOK_MIN_LEAD_SECONDS"]:
            minutes = settings["FACEBOOK_MIN_LEAD_SECONDS"] // 60
            raise OutsideWindow(f"Bài đăng trực tuyến phải được lên lịch trước ít nhất {minutes} phút.")
        if lead > settings["FACEBOOK_MAX_LEAD_DAYS"] * 86400:
            raise OutsideWindow(f"Chỉ lên lịch trước tối đa {settings['FACEBOOK_MAX_LEAD_DAYS']} ngày.")


def _check_capacity(session: Session, target: Target, session_start: dt.datetime, capacity: int | None,
                    duration: int, exclude_id: int | None = None) -> int:
    """Offset of the new item inside its session; raises when the session would overflow."""
    stmt = (select(func.coalesce(func.sum(Occurrence.duration_seconds), 0))
            .join(Delivery, Delivery.occurrence_id == Occurrence.id)
            .where(Occurrence.target_id == target.id, Occurrence.session_starts_at == session_start,
                   Delivery.status != DeliveryStatus.CANCELLED))
    if exclude_id is not None:
        stmt = stmt.where(Occurrence.id != exclude_id)
    used = session.scalar(stmt) or 0
    if capacity is not None and used + duration > capacity:
        raise PlacementError(f"Phiên {localtime.fmt_datetime(session_start)} đã đầy "
                             f"({localtime.fmt_duration(used)}/{localtime.fmt_duration(capacity)}).")
    return used if capacity is not None else 0


def _check_daily_quota(session: Session, target: Target, when: dt.datetime, settings: dict,
                       exclude_id: int | None = None) -> None:
    """Zalo OA: each follower may receive at most ZALO_MAX_BROADCASTS_PER_DAY broadcasts a day."""
    if target.channel != "zalo":
        return
    count = _broadcasts_on(session, target, localtime.to_local(when).date(), exclude_id)
    limit = settings["ZALO_MAX_BROADCASTS_PER_DAY"]
    if count >= limit:
        raise PlacementError(f"Zalo OA chỉ cho gửi tối đa {limit} tin/ngày tới mỗi người theo dõi; "
                             f"ngày {localtime.fmt_date(when)} đã đủ.")


def _broadcasts_on(session: Session, target: Target, day: dt.date, exclude_id: int | None = None) -> int:
    lo, hi = localtime.local_day_bounds(day)
    return session.scalar(select(func.count()).select_from(Occurrence)
                          .join(Delivery, Delivery.occurrence_id == Occurrence.id)
                          .where(Occurrence.target_id == target.id, Occurrence.starts_at >= lo,
                                 Occurrence.starts_at < hi, Delivery.status != DeliveryStatus.CANCELLED,
                                 Occurrence.id != (exclude_id or 0))) or 0


def daily_quota(session: Session, target: Target, *, today: dt.date, settings: dict, days: int = 7) -> list[dict]:
    """Zalo OA: broadcasts used and allowed on each of the next `days` days (shown before scheduling); [] otherwise."""
    if target.channel != "zalo":
        return []
    limit = settings["ZALO_MAX_BROADCASTS_PER_DAY"]
    out = []
    for n in range(days):
        day = today + dt.timedelta(days=n)
        out.append({"date": day, "used": _broadcasts_on(session, target, day), "limit": limit})
    return out


def place_message(session: Session, message: Message, target: Target, day: str, at: str, *, user: User,
                  now: dt.datetime, settings: dict) -> Occurrence:
    """Place the approved version of `message` at `target` at a local day/time; the result is pinned."""
    _check_message(message, target)
    return place_message_at(session, message, target, _parse_when(day, at), user=user, now=now, settings=settings)


def _check_message(message: Message, target: Target) -> None:
    reason = not_active_reason(message.plan, "lên lịch") or message_locked_reason(message, "lên lịch")
    if reason:
        raise PlacementError(reason)
    version = message.approved
    if version is None:
        raise PlacementError("Chỉ lên lịch được tin bài đã duyệt.")
    if target.channel != version.channel:    # the channel it was approved for, not the working copy
        raise PlacementError("Trang/điểm phát không thuộc kênh của tin bài.")


def place_message_at(session: Session, message: Message, target: Target, when: dt.datetime, *, user: User,
                     now: dt.datetime, settings: dict) -> Occurrence:
    """Place the approved version of `message` at `target` at an aware moment (pinned), with every check."""
    _check_message(message, target)
    version = message.approved
    _check_time(target, when, now, settings)
    duration = message_duration(message, version, settings)
    session_start, capacity = _session_for(session, target, when)
    offset = _check_capacity(session, target, session_start, capacity, duration)
    _check_daily_quota(session, target, when, settings)
    # A broadcast airs in its session's running order; an online post goes out at the time chosen.
    in_order = capacity is not None and not get_channel(target.channel).is_online
    starts_at = session_start + dt.timedelta(seconds=offset) if in_order else when
    occ = Occurrence(plan_id=message.plan_id, message_version_id=version.id, target_id=target.id,
                     session_starts_at=session_start, starts_at=starts_at, duration_seconds=duration,
                     is_pinned=True, source=OccurrenceSource.MANUAL, created_at=now,
                     reason=f"Đặt thủ công bởi {user.full_name if user else 'hệ thống'} lúc {localtime.fmt_datetime(now)}; đã ghim.")
    session.add(occ)
    session.flush()
    session.add(Delivery(occurrence_id=occ.id, channel=target.channel, due_at=starts_at,
                         status=DeliveryStatus.PLANNED, updated_at=now))
    session.flush()
    record(session, user=user, action="occurrence.place", entity=occ, to_state="planned",
           at=starts_at.isoformat(), target=target.code)
    return occ
