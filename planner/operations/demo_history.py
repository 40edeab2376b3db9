"""Demo history: four past weeks of Ngọc Lặc broadcasts with realistic outcomes, so dashboards have data.

Used by `planner demo-history` (run by `make run`); it never runs on its own and does nothing when the
plan already has past broadcasts, so a second run changes nothing.
"""
from __future__ import annotations

import datetime as dt
import zlib

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from planner import localtime
from planner.models import ConfirmedVia, Delivery, DeliveryStatus, Occurrence, Plan, Unit
from planner.operations.schedule import schedule_plan

REASONS = ["Mất điện", "Loa hỏng", "Thời tiết xấu", "Có thông báo khẩn khác"]


def add_demo_history(session: Session, *, now: dt.datetime, settings: dict, weeks: int = 4) -> int:
    """Schedule the past `weeks` for the commune's villages and record outcomes; returns broadcasts added."""
    plan = session.scalar(select(Plan).where(Plan.code == "ngoc-lac-asxh-2026"))
    unit = session.scalar(select(Unit).where(Unit.code == "xa-ngoc-lac"))
    if plan is None or unit is None:
        return 0
    past = session.scalar(select(func.count()).select_from(Occurrence)
                          .where(Occurrence.plan_id == plan.id, Occurrence.starts_at < now))
    if past:
        return 0
    today = localtime.today(now)
    first, last = today - dt.timedelta(days=7 * weeks), today - dt.timedelta(days=1)
    then = localtime.local_datetime(first, dt.time(0, 0))
    outcome = schedule_plan(session, plan, unit=unit, channel="loudspeaker", start=first, end=last, now=then,
                            settings=settings)
    rows = session.execute(select(Delivery.id, Delivery.due_at).join(Occurrence)
                           .where(Occurrence.plan_id == plan.id, Delivery.due_at < now)).all()
    for delivery_id, due_at in rows:
        _settle(session, delivery_id, due_at)
    return outcome.placed


def _settle(session: Session, delivery_id: int, due_at: dt.datetime) -> None:
    """A deterministic outcome: most aired and confirmed, some failed with a reason, a few never confirmed."""
    roll = zlib.crc32(str(delivery_id).encode()) % 100
    if roll < 84:
        values = dict(status=DeliveryStatus.DELIVERED, confirmed_via=ConfirmedVia.QR_LINK,
                      confirmed_by_name="Trưởng thôn", finished_at=due_at + dt.timedelta(minutes=20))
    elif roll < 93:
        values = dict(status=DeliveryStatus.FAILED, confirmed_via=ConfirmedVia.QR_LINK, confirmed_by_name="Trưởng thôn",
                      reason=REASONS[roll % len(REASONS)], finished_at=due_at + dt.timedelta(minutes=30))
    else:
        values = dict(status=DeliveryStatus.MISSED, confirmed_via=ConfirmedVia.SYSTEM, is_replaced=True,
                      reason="Không có xác nhận trong ngày phát", finished_at=due_at + dt.timedelta(hours=20))
    session.execute(update(Delivery).where(Delivery.id == delivery_id).values(**values))
