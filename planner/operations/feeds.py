"""iCal feeds of a unit's or a target's schedule, behind a signed URL that phone calendars can subscribe to."""
from __future__ import annotations

import datetime as dt

from itsdangerous import BadSignature, URLSafeTimedSerializer
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from planner.channels import CHANNEL_LABELS
from planner.models.delivery import DELIVERY_LABELS
from planner.models import (Delivery, DeliveryStatus, FeedKey, MessageVersion, Occurrence, OccurrenceSource, Target,
                            Unit, User)
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


@dataclass(frozen=True)
class FeedWindow:
    """The bounded span a feed covers, and what its content is stamped with (ETag, Last-Modified)."""

    lo: dt.datetime
    hi: dt.datetime
    etag: str
    last_modified: dt.datetime


def feed_window(session: Session, target_ids: list[int], *, now: dt.datetime, past_days: int,
                future_days: int) -> FeedWindow:
    """The window from local midnight `past_days` back to `future_days` ahead, and a validator of its content
    from one aggregate query (count, ids, row versions, last delivery change), so a 304 builds nothing."""
    from planner import localtime

    today = localtime.today(now)
    lo = localtime.local_day_bounds(today - dt.timedelta(days=past_days))[0]
    hi = localtime.local_day_bounds(today + dt.timedelta(days=future_days))[1]
    count, max_id, versions, changed, created = (0, 0, 0, None, None)
    for i in range(0, len(target_ids), 500):
        row = session.execute(
            select(func.count(), func.max(Occurrence.id), func.sum(Occurrence.row_version + Occurrence.id),
                   func.max(Delivery.updated_at), func.max(Occurrence.created_at))
            .join(Delivery, Delivery.occurrence_id == Occurrence.id)
            .where(Occurrence.target_id.in_(target_ids[i:i + 500]), Occurrence.starts_at >= lo,
                   Occurrence.starts_at < hi)).one()
        count, max_id, versions = count + row[0], max(max_id, row[1] or 0), versions + (row[2] or 0)
        changed = max(filter(None, (changed, _aware(row[3]))), default=None)
        created = max(filter(None, (created, _aware(row[4]))), default=None)
    stamp = max(filter(None, (changed, created)), default=lo)
    etag = f'W/"{today:%Y%m%d}-{count}-{max_id}-{versions}-{stamp.timestamp():.6f}"'
    return FeedWindow(lo, hi, etag, stamp.replace(microsecond=0))


def _aware(value):
    """Aggregates bypass the column type: SQLite gives naive UTC (or text), PostgreSQL aware datetimes."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value


def event_summary(title: str, target_name: str, source: OccurrenceSource, is_ad_hoc: bool) -> str:
    """What a phone calendar shows: emergencies and ad hoc sessions say so first."""
    marks = (["[Tin khẩn]"] if source is OccurrenceSource.EMERGENCY else []) + (
        ["[Phiên đột xuất]"] if is_ad_hoc else [])
    return " ".join([*marks, f"{title} ({target_name})"])


def build_ical(session: Session, title: str, target_ids: list[int], *, now: dt.datetime, lo: dt.datetime,
               hi: dt.datetime, host: str = "planner") -> bytes:
    """An iCalendar document (RFC 5545) with every non-cancelled occurrence at the targets between `lo` and `hi`.

    Written directly rather than through icalendar's object model, which took seconds for a commune's
    half-year; the texts repeat (titles × targets), so their escaped and folded lines are cached.
    """
    stamp = _utc(now)
    out = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//planner//lich truyen thong//VI",
           _line("X-WR-CALNAME", f"Lịch truyền thông – {title}"), "X-WR-TIMEZONE:Asia/Ho_Chi_Minh"]
    for i in range(0, len(target_ids), 500):
        rows = session.execute(
            select(Occurrence.id, Occurrence.starts_at, Occurrence.duration_seconds, Occurrence.source,
                   Occurrence.is_ad_hoc, MessageVersion.title, Target.name, Target.channel, Delivery.status)
            .join(Delivery, Delivery.occurrence_id == Occurrence.id)
            .join(MessageVersion, MessageVersion.id == Occurrence.message_version_id)
            .join(Target, Target.id == Occurrence.target_id)
            .where(Occurrence.target_id.in_(target_ids[i:i + 500]), Occurrence.starts_at >= lo,
                   Occurrence.starts_at < hi, Delivery.status != DeliveryStatus.CANCELLED)
            .order_by(Occurrence.starts_at))
        for occ_id, starts_at, duration, source, ad_hoc, version_title, target_name, channel, status in rows:
            out += ["BEGIN:VEVENT", f"UID:occurrence-{occ_id}@{host}", f"DTSTAMP:{stamp}",
                    f"DTSTART:{_utc(starts_at)}",
                    f"DTEND:{_utc(starts_at + dt.timedelta(seconds=max(duration, 60)))}",
                    _line("SUMMARY", event_summary(version_title, target_name, source, ad_hoc)),
                    _line("DESCRIPTION", f"{CHANNEL_LABELS.get(channel, channel)} · {DELIVERY_LABELS[status]}"),
                    "END:VEVENT"]
    out.append("END:VCALENDAR")
    return ("\r\n".join(out) + "\r\n").encode()


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


@lru_cache(maxsize=8192)
def _line(name: str, text: str) -> str:
    """`NAME:text` with TEXT escaping, folded at 75 octets without splitting a UTF-8 character."""
    # A bare CR (or CRLF) in a title would end the content line in some readers: any line break is TEXT's \n.
    value = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    value = value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")
    line = f"{name}:{value}"
    if len(line.encode()) <= 75:
        return line
    parts, current, size = [], [], 0
    for char in line:
        width = len(char.encode())
        if size + width > (75 if not parts else 74):
            parts.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts)
