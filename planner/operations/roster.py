"""Roster rows: a target's occurrences of a plan over a date range, ready for a page or a PDF."""
from __future__ import annotations

import datetime as dt
import functools

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from planner import localtime
from planner.markup import plain_text
from planner.models import Delivery, DeliveryStatus, Occurrence, Plan, Target


def occurrence_marks(source: str, is_ad_hoc: bool) -> list[str]:
    """Labels shown next to a broadcast wherever it appears: an emergency, an extra session outside the grid."""
    return (["Tin khẩn"] if source == "emergency" else []) + (["Phiên đột xuất"] if is_ad_hoc else [])


@functools.lru_cache(maxsize=128)
def _excerpt(body_md: str) -> str:
    """A message's script as one line of plain text (cached: a batch shows the same few messages in every
    village, and Markdown is most of a roster's row cost)."""
    return plain_text(body_md).replace("\n", " ")


def roster_rows(session: Session, plan: Plan, target: Target, first: dt.date, last: dt.date) -> list[dict]:
    """One row per broadcast: date, weekday, session, title, duration, status and a script excerpt."""
    lo, hi = localtime.local_range_bounds(first, last)
    occs = session.scalars(
        select(Occurrence).join(Delivery, Delivery.occurrence_id == Occurrence.id)
        .where(Occurrence.plan_id == plan.id, Occurrence.target_id == target.id, Occurrence.starts_at >= lo,
               Occurrence.starts_at < hi, Delivery.status != DeliveryStatus.CANCELLED)
        .options(selectinload(Occurrence.version), selectinload(Occurrence.delivery))
        .order_by(Occurrence.starts_at)).all()
    rows = []
    for occ in occs:
        local = localtime.to_local(occ.starts_at)
        end = occ.starts_at + dt.timedelta(seconds=occ.duration_seconds)
        excerpt = _excerpt(occ.version.body_md)
        rows.append({
            "day": local.date(), "date": localtime.fmt_date(occ.starts_at), "weekday": localtime.weekday_label(local.date()),
            "session": f"{localtime.fmt_time(occ.starts_at)}–{localtime.fmt_time(end)}",
            "title": occ.version.title, "marks": occurrence_marks(occ.source.value, occ.is_ad_hoc), "duration": localtime.fmt_duration(occ.duration_seconds),
            "status": occ.delivery.status_label, "note": excerpt[:160] + ("…" if len(excerpt) > 160 else ""),
        })
    return rows


def village_days(session: Session, target_id: int, first: dt.date, last: dt.date) -> list[tuple[dt.date, list]]:
    """A village's broadcasts (all plans, not cancelled) for each local day in range, for its phone page."""
    lo, hi = localtime.local_range_bounds(first, last)
    rows = session.scalars(
        select(Delivery).join(Occurrence, Occurrence.id == Delivery.occurrence_id)
        .where(Occurrence.target_id == target_id, Occurrence.starts_at >= lo, Occurrence.starts_at < hi,
               Delivery.status != DeliveryStatus.CANCELLED)
        .options(selectinload(Delivery.occurrence).selectinload(Occurrence.version))
        .order_by(Occurrence.starts_at)).all()
    days = {first + dt.timedelta(days=n): [] for n in range((last - first).days + 1)}
    for delivery in rows:
        days[localtime.to_local(delivery.occurrence.starts_at).date()].append(delivery)
    return list(days.items())
