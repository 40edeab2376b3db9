"""Bulk writes of schedule placements: Core executemany on SQLite (never the ORM unit of work)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import insert
from sqlalchemy.orm import Session

from planner.models import Delivery, DeliveryStatus, Occurrence, OccurrenceSource


def insert_placements(session: Session, *, plan_id: int, channel: str, columns: dict, reasons: list[str],
                      now: dt.datetime) -> int:
    """Insert occurrences and their planned deliveries from the core's columnar placements; returns the count."""
    utc = dt.timezone.utc
    moments: dict[int, dt.datetime] = {}
    rows = []
    for tid, mid, start, off, dur, why in zip(columns["target_id"], columns["message_id"], columns["session_start"],
                                              columns["offset_s"], columns["duration_s"], reasons):
        session_start = moments.get(start) or moments.setdefault(start, dt.datetime.fromtimestamp(start, utc))
        rows.append({"plan_id": plan_id, "message_version_id": mid, "target_id": tid,
                     "session_starts_at": session_start, "starts_at": session_start + dt.timedelta(seconds=off),
                     "duration_seconds": dur, "is_pinned": False, "source": OccurrenceSource.AUTO,
                     "reason": why, "created_at": now})
    for i in range(0, len(rows), 5000):
        chunk = rows[i:i + 5000]
        ids = session.scalars(insert(Occurrence).returning(Occurrence.id, sort_by_parameter_order=True),
                              chunk).all()
        session.execute(insert(Delivery), [
            {"occurrence_id": oid, "channel": channel, "due_at": row["starts_at"], "status": DeliveryStatus.PLANNED,
             "updated_at": now} for oid, row in zip(ids, chunk)])
    return len(rows)
