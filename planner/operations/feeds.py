"""iCal feeds of a unit's or a target's schedule, behind a signed URL that phone calendars can subscribe to."""
from __future__ import annotations

import datetime as dt

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from planner.channels import CHANNEL_LABELS
from planner.models import Delivery, DeliveryStatus, MessageVersion, Occurrence, Target, Unit

FEED_SALT = "planner.ical-feed.v1"


class FeedError(ValueError):
    """A forged or unknown feed link."""


def make_feed_token(secret: str, kind: str, object_id: int) -> str:
    """A signed token naming a unit ('u') or a target ('t')."""
    return URLSafeSerializer(secret, salt=FEED_SALT).dumps([kind, object_id])


def read_feed_token(secret: str, token: str) -> tuple[str, int]:
    """The (kind, id) a token names; FeedError if forged."""
    try:
        kind, object_id = URLSafeSerializer(secret, salt=FEED_SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        raise FeedError("Liên kết lịch không hợp lệ.") from None
    if kind not in ("u", "t") or not isinstance(object_id, int):
        raise FeedError("Liên kết lịch không hợp lệ.")
    return kind, object_id


def feed_targets(session: Session, kind: str, object_id: int) -> tuple[str, list[int]]:
    """The feed's title and the target ids it covers."""
    if kind == "t":
        target = session.get(Target, object_id)
        if target is None:
            raise FeedError("Không tìm thấy điểm phát.")
        return target.name, [target.id]
    unit = session.get(Unit, object_id)
    if unit is None:
        raise FeedError("Không tìm thấy đơn vị.")
    ids = list(session.scalars(select(Target.id).join(Unit, Unit.id == Target.unit_id)
                               .where(Unit.path.startswith(unit.path, autoescape=True))))
    return unit.name, ids


def build_ical(session: Session, title: str, target_ids: list[int], *, now: dt.datetime, past_days: int = 14,
               future_days: int = 90, host: str = "planner") -> bytes:
    """An iCalendar document with every non-cancelled occurrence at the targets in the window."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//planner//lich truyen thong//VI")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"Lịch truyền thông – {title}")
    cal.add("x-wr-timezone", "Asia/Ho_Chi_Minh")
    lo, hi = now - dt.timedelta(days=past_days), now + dt.timedelta(days=future_days)
    for i in range(0, len(target_ids), 500):
        rows = session.scalars(
            select(Occurrence).join(Delivery, Delivery.occurrence_id == Occurrence.id)
            .where(Occurrence.target_id.in_(target_ids[i:i + 500]), Occurrence.starts_at >= lo,
                   Occurrence.starts_at < hi, Delivery.status != DeliveryStatus.CANCELLED)
            .options(selectinload(Occurrence.version).selectinload(MessageVersion.message),
                     selectinload(Occurrence.target), selectinload(Occurrence.delivery))
            .order_by(Occurrence.starts_at))
        for occ in rows:
            event = Event()
            event.add("uid", f"occurrence-{occ.id}@{host}")
            event.add("summary", f"{occ.version.title} ({occ.target.name})")
            event.add("dtstart", occ.starts_at)
            event.add("dtend", occ.starts_at + dt.timedelta(seconds=max(occ.duration_seconds, 60)))
            event.add("dtstamp", now)
            event.add("description", f"{CHANNEL_LABELS.get(occ.target.channel, occ.target.channel)} · "
                                     f"{occ.delivery.status_label}")
            cal.add_component(event)
    return cal.to_ical()
