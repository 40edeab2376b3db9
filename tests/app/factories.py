"""Small factories for app tests."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from planner.models import (Delivery, DeliveryStatus, Message, Occurrence, OccurrenceSource, Plan, Target, Unit,  # noqa: F401
                            User)


def plan(db, code: str) -> Plan:
    return db.scalar(select(Plan).where(Plan.code == code))


def message(db, plan_code: str, code: str) -> Message:
    return db.scalar(select(Message).join(Plan).where(Plan.code == plan_code, Message.code == code))


def user(db, username: str) -> User:
    return db.scalar(select(User).where(User.username == username))


def village_target(db, village_code: str = "thon-07") -> Target:
    unit = db.scalar(select(Unit).where(Unit.code == village_code))
    return db.scalar(select(Target).where(Target.unit_id == unit.id, Target.channel == "loudspeaker"))


def occurrence(db, *, target: Target, msg: Message, at: dt.datetime, status=DeliveryStatus.PLANNED,
               duration: int = 90) -> Delivery:
    """An occurrence of the message's approved version at `at`, with its delivery."""
    occ = Occurrence(plan_id=msg.plan_id, message_version_id=msg.approved.id, target_id=target.id,
                     session_starts_at=at, starts_at=at, duration_seconds=duration, is_pinned=False,
                     source=OccurrenceSource.AUTO)
    db.add(occ)
    db.flush()
    delivery = Delivery(occurrence_id=occ.id, channel=target.channel, due_at=at, status=status)
    db.add(delivery)
    db.commit()
    return delivery
