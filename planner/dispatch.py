"""Claim due online deliveries, hand them to their channel, record the outcome.

The database is the source of truth: a claim is a conditional update committed before the external
call (PostgreSQL also locks with FOR UPDATE SKIP LOCKED, so two workers never take the same row); the
outcome is committed after. A call whose outcome is unknown becomes `unknown` and is never re-sent.
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from planner.channels import REGISTRY, ChannelError, ChannelSettings, OutcomeUnknown
from planner.channels.base import ContentItem, TargetInfo
from planner.markup import plain_text, render_markdown
from planner.models import Delivery, DeliveryStatus, Occurrence
from planner.operations.audit import record

log = logging.getLogger(__name__)
ONLINE = tuple(code for code, channel in REGISTRY.items() if channel.is_online)


def expire_late(session: Session, *, now: dt.datetime, lateness_s: int) -> int:
    """Online deliveries older than the lateness window become `expired` (shown to editors, never sent)."""
    cutoff = now - dt.timedelta(seconds=lateness_s)
    result = session.execute(
        update(Delivery).where(Delivery.status == DeliveryStatus.PLANNED, Delivery.channel.in_(ONLINE),
                               Delivery.due_at < cutoff)
        .values(status=DeliveryStatus.EXPIRED, finished_at=now, updated_at=now,
                error="Quá thời hạn gửi (hệ thống gửi tin ngừng hoạt động); không tự gửi lại."))
    return result.rowcount or 0


def claim_due(session: Session, *, now: dt.datetime, worker_id: str, limit: int) -> list[int]:
    """Atomically claim up to `limit` due online deliveries for this worker; commits the claim."""
    stmt = (select(Delivery.id).where(Delivery.status == DeliveryStatus.PLANNED, Delivery.channel.in_(ONLINE),
                                      Delivery.due_at <= now).order_by(Delivery.due_at, Delivery.id).limit(limit))
    if session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    ids = list(session.scalars(stmt))
    if not ids:
        session.commit()
        return []
    session.execute(update(Delivery).where(Delivery.id.in_(ids), Delivery.status == DeliveryStatus.PLANNED)
                    .values(status=DeliveryStatus.DISPATCHED, claimed_by=worker_id, claimed_at=now, updated_at=now))
    claimed = list(session.scalars(select(Delivery.id).where(
        Delivery.id.in_(ids), Delivery.claimed_by == worker_id, Delivery.claimed_at == now,
        Delivery.status == DeliveryStatus.DISPATCHED)))
    session.commit()
    return claimed


def deliver_claimed(session: Session, ids: list[int], settings: dict, *, now: dt.datetime) -> dict[str, int]:
    """Hand each claimed delivery to its channel; each outcome is committed on its own."""
    counts = {"delivered": 0, "failed": 0, "unknown": 0, "retry": 0}
    channel_settings = ChannelSettings(settings)
    rows = session.scalars(select(Delivery).where(Delivery.id.in_(ids)).options(
        selectinload(Delivery.occurrence).selectinload(Occurrence.version),
        selectinload(Delivery.occurrence).selectinload(Occurrence.target))).all()
    for delivery in rows:
        outcome = _deliver_one(session, delivery, channel_settings, now, settings["DISPATCH_LATENESS_SECONDS"])
        counts[outcome] += 1
        session.commit()
    return counts


def _deliver_one(session: Session, delivery: Delivery, settings: ChannelSettings, now: dt.datetime, lateness_s: int) -> str:
    occ = delivery.occurrence
    version = occ.version
    item = ContentItem(title=version.title, body_md=version.body_md, plain_text=plain_text(version.body_md),
                       html=render_markdown(version.body_md), audio_seconds=version.audio_seconds)
    target = TargetInfo(name=occ.target.name, external_id=occ.target.external_id)
    old = delivery.status
    try:
        receipt = REGISTRY[delivery.channel].deliver(item, target, settings, now=now)
    except OutcomeUnknown as exc:
        delivery.status, delivery.error, outcome = DeliveryStatus.UNKNOWN, str(exc), "unknown"
    except ChannelError as exc:
        late = (now - delivery.due_at).total_seconds() > lateness_s
        if exc.retryable and not late:
            delivery.status, delivery.error, outcome = DeliveryStatus.PLANNED, str(exc), "retry"
        else:
            delivery.status, delivery.error, outcome = DeliveryStatus.FAILED, str(exc), "failed"
    else:
        delivery.status, delivery.external_id, outcome = DeliveryStatus.DELIVERED, receipt.external_id, "delivered"
        delivery.error = ""
    if outcome != "retry":
        delivery.finished_at = now
    log.info("delivery %s via %s: %s", delivery.id, delivery.channel, outcome)
    record(session, user=None, actor="worker", action="delivery.dispatch", entity=delivery,
           from_state=old, to_state=delivery.status, external_id=delivery.external_id, error=delivery.error)
    return outcome

