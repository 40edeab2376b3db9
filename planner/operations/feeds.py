"""iCal feeds of a unit's or a target's schedule, behind a signed URL that phone calendars can subscribe to."""
from __future__ import annotations

import datetime as dt

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from planner.channels import CHANNEL_LABELS
from planner.models import Delivery, DeliveryStatus, FeedKey, MessageVersion, Occurrence, Target, Unit, User
from planner.operations.audit import record

FEED_SALT = "planner.ical-feed.v2"


class FeedError(ValueError):
    """A forged, expired, rotated or unknown feed link."""


def make_feed_token(secret: str, kind: str, object_id: int, generation: int = 0) -> str:
    """A signed, timestamped token naming a unit ('u') or a target ('t') and its link generation."""
    return URLSafeTimedSerializer(secret, salt=FEED_SALT).dumps([kind, object_id, generation])


def read_feed_token(secret: str, token: str, *, max_age_days: int | None = None) -> tuple[str, int, int]:
    """The (kind, id, generation) a token names; FeedError if forged or older than `max_age_days`."""
    try:
        kind, object_id, generation = URLSafeTimedSerializer(secret, salt=FEED_SALT).loads(
            token, max_age=None if max_age_days is None else max_age_days * 86400)
    except (BadSignature, ValueError, TypeError):
        raise FeedError("Liên kết lịch không hợp lệ hoặc đã hết hạn.") from None
    if kind not in ("u", "t") or not isinstance(object_id, int) or not isinstance(generation, int):
        raise FeedError("Liên kết lịch không hợp lệ.")
    return kind, object_id, generation


def feed_generation(session: Session, kind: str, object_id: int) -> int:
    """The current link generation of a unit's or target's feed (0 until first rotated)."""
    return session.scalar(select(FeedKey.generation).where(FeedKey.kind == kind, FeedKey.object_id == object_id)) or 0


def current_feed_token(session: Session, secret: str, kind: str, object_id: int) -> str:
    """A fresh token for the feed's current generation (what the calendar page shows)."""
    return make_feed_token(secret, kind, object_id, feed_generation(session, kind, object_id))


def check_feed_token(session: Session, secret: str, token: str, *, max_age_days: int) -> tuple[str, int]:
    """The (kind, id) of a valid, unexpired, not rotated link; FeedError otherwise."""
    kind, object_id, generation = read_feed_token(secret, token, max_age_days=max_age_days)
    if generation != feed_generation(session, kind, object_id):
        raise FeedError("Liên kết lịch đã được thay bằng liên kết mới.")
    return kind, object_id


def rotate_feed(session: Session, unit: Unit, *, user: User | None, now: dt.datetime) -> int:
    """Void every earlier iCal link of the unit's feed; returns the new generation. Flushes."""
    key = session.scalar(select(FeedKey).where(FeedKey.kind == "u", FeedKey.object_id == unit.id))
    if key is None:
        key = FeedKey(kind="u", object_id=unit.id, generation=0)
        session.add(key)
    key.generation, key.rotated_at = key.generation + 1, now
    session.flush()
    record(session, user=user, action="ical.rotate", entity=unit, to_state=str(key.generation))
    session.flush()
    return key.generation


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
