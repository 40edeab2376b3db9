"""Unknown outcomes resolve themselves where the platform can tell (run by the worker before claiming).

Every online post carries an invisible marker with its delivery id (`channels/marker.py`). An
`unknown` delivery — a timeout after sending, or a claim a killed worker never recorded — is looked
up on the platform once RECONCILE_GRACE_SECONDS have passed (the platform may still be processing
the call): found → `delivered` with the platform's id; certainly absent → back to `planned`, which
is safe because it was never published (the usual lateness window still applies); the platform
cannot tell → stays `unknown` for a person, asked again every RECONCILE_INTERVAL_SECONDS. Each
automatic decision is audited as `delivery.reconcile_auto`.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session

from planner import dispatch
from planner.channels import REGISTRY, ChannelSettings, ContentItem, TargetInfo
from planner.models import AuditEntry, ConfirmedVia, Delivery, DeliveryStatus, MessageVersion, Occurrence, Target

log = logging.getLogger(__name__)
BATCH = 2000
SLACK = dt.timedelta(minutes=10)  # clocks differ: read the page from a little before the claim
FOUND_REASON = "Đối soát tự động: bài đã có trên nền tảng."
ABSENT_ERROR = "Đối soát tự động: bài chưa lên nền tảng, đã đưa lại hàng chờ gửi."


def reconcile_unknown(session: Session, settings: dict, *, now: dt.datetime) -> dict[str, int]:
    """Ask the platforms about due-for-checking `unknown` posts; commits. Counts of each decision."""
    counts = {"found": 0, "absent": 0, "unsure": 0}
    rows = _due_for_check(session, settings, now)
    if not rows:
        return counts
    channel_settings = ChannelSettings(settings)
    by_target: dict[tuple, list] = defaultdict(list)
    for row in rows:
        by_target[(row.channel, row.target_id, row.target_name, row.target_external_id)].append(row)
    items: dict[int, ContentItem] = {}
    for (channel, _, name, external_id), group in by_target.items():
        since = min(r.claimed_at or r.due_at for r in group) - SLACK
        references = {r.id: items.get(r.version_id) or items.setdefault(r.version_id, dispatch.content_of(r))
                      for r in group}
        try:
            found = REGISTRY[channel].find_posts(TargetInfo(name=name, external_id=external_id), channel_settings,
                                                 references=references, since=since)
        except Exception as exc:  # noqa: BLE001 — a lookup bug must not stop dispatch; a person decides
            log.error("reconciling %s target %s: unexpected %s", channel, external_id, type(exc).__name__)
            found = None
        _record(session, group, found, now, counts)
        session.commit()
    if counts["found"] or counts["absent"]:
        log.info("automatic reconciliation: %s", counts)
    return counts


def _due_for_check(session: Session, settings: dict, now: dt.datetime) -> list:
    """Unknown online deliveries past the grace period, not checked within the interval, on pages not
    backing off from a rate limit."""
    online = tuple(code for code, channel in REGISTRY.items() if channel.is_online)
    grace = dt.timedelta(seconds=settings.get("RECONCILE_GRACE_SECONDS", 120))
    interval = dt.timedelta(seconds=settings.get("RECONCILE_INTERVAL_SECONDS", 900))
    rows = session.execute(
        select(Delivery.id, Delivery.channel, Delivery.claimed_at, Delivery.due_at, Target.id.label("target_id"),
               Target.name.label("target_name"), Target.external_id.label("target_external_id"),
               *dispatch.version_columns())
        .join(Occurrence, Delivery.occurrence_id == Occurrence.id).join(Target, Occurrence.target_id == Target.id)
        .join(MessageVersion, Occurrence.message_version_id == MessageVersion.id)
        .where(Delivery.status == DeliveryStatus.UNKNOWN, Delivery.channel.in_(online),
               Delivery.finished_at <= now - grace,
               or_(Delivery.checked_at.is_(None), Delivery.checked_at <= now - interval),
               or_(Target.backoff_until.is_(None), Target.backoff_until <= now))   # a rate-limited page rests
        .order_by(Delivery.id).limit(BATCH)).all()
    session.commit()    # no transaction is held while the platforms answer
    return rows


def _record(session: Session, group: list, found: dict[int, str | None] | None, now: dt.datetime,
            counts: dict) -> None:
    """Write one target's decisions; only rows still `unknown` change (a person may have settled one)."""
    still_unknown = (Delivery.status == DeliveryStatus.UNKNOWN)
    audit = []
    for row in group:
        if found is None or (row.id in found and found[row.id] is None):
            session.execute(update(Delivery).where(Delivery.id == row.id, still_unknown).values(checked_at=now))
            counts["unsure"] += 1
            continue
        if row.id in found:
            values = dict(status=DeliveryStatus.DELIVERED, external_id=found[row.id][:200], error="",
                          reason=FOUND_REASON, confirmed_via=ConfirmedVia.PLATFORM, finished_at=now)
            key, detail = "found", {"external_id": found[row.id]}
        else:
            values = dict(status=DeliveryStatus.PLANNED, claimed_by="", claimed_at=None, finished_at=None,
                          error=ABSENT_ERROR, checked_at=None)   # a fresh send starts with a fresh check
            key, detail = "absent", {"error": ABSENT_ERROR}
        changed = session.execute(update(Delivery).where(Delivery.id == row.id, still_unknown)
                                  .values(**{"checked_at": now, "updated_at": now, **values})).rowcount
        if changed:
            counts[key] += 1
            audit.append({"entity_id": row.id, "from_state": DeliveryStatus.UNKNOWN.value,
                          "to_state": values["status"].value, "detail": detail})
    if audit:
        session.execute(insert(AuditEntry), [{"user_id": None, "actor": "worker", "action": "delivery.reconcile_auto",
                                              "entity_type": Delivery.__tablename__, **entry} for entry in audit])
