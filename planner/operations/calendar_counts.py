"""Calendars above the commune: one row per child unit with the number of broadcasts/posts per day, never
thousands of target rows (a province has ~4,000 villages). Each row links to that unit's own calendar."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from planner import localtime
from planner.models import Delivery, DeliveryStatus, MessageVersion, Occurrence, Plan, Target, Unit
from planner.operations.calendar import for_audience, in_sessions
from planner.vnsort import vietnamese_key


@dataclass
class UnitCountRow:
    """A child unit (or the unit's own targets) with its targets and occurrences per day."""

    unit: Unit
    targets: int = 0
    days: dict[dt.date, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.days.values())


def count_targets(session: Session, unit: Unit, channels: list[str]) -> int:
    """Active targets of the channels at the unit or below (decides rows of targets or of child units)."""
    return session.scalar(select(func.count(Target.id)).join(Unit, Unit.id == Target.unit_id)
                          .where(Target.channel.in_(channels), Target.is_active,
                                 Unit.path.startswith(unit.path, autoescape=True))) or 0


def child_unit_counts(session: Session, plan: Plan, unit: Unit, channels: list[str], first: dt.date, last: dt.date,
                      *, statuses: set | None = None, message_id: int | None = None,
                      audience_id: int | None = None) -> list[UnitCountRow]:
    """Per child unit (in Vietnamese order, then the unit itself if it has targets of its own), how many
    non-cancelled occurrences of the plan each day. Grouped in SQL by target unit and local day."""
    units = session.execute(select(Unit.id, Unit.path).where(Unit.path.startswith(unit.path, autoescape=True))).all()
    children = list(session.scalars(select(Unit).where(Unit.parent_id == unit.id)))
    child_of_path = {c.path: c for c in children}
    rows = {c.id: UnitCountRow(c) for c in children}
    own = UnitCountRow(unit)
    row_of_unit: dict[int, UnitCountRow] = {}
    depth = unit.path.count("/")
    for unit_id, path in units:
        prefix = "/".join(path.split("/")[:depth + 1]) + "/"
        child = child_of_path.get(prefix)
        row_of_unit[unit_id] = rows[child.id] if child is not None else own
    for unit_id, n in session.execute(
            select(Target.unit_id, func.count()).join(Unit, Unit.id == Target.unit_id)
            .where(Target.channel.in_(channels), Target.is_active, Unit.path.startswith(unit.path, autoescape=True))
            .group_by(Target.unit_id)):
        row_of_unit[unit_id].targets += n
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    bucket = case(*[(Occurrence.session_starts_at < localtime.local_day_bounds(d)[1], i)
                    for i, d in enumerate(days)], else_=len(days))
    lo, hi = localtime.local_range_bounds(first, last)
    stmt = (select(Target.unit_id, bucket.label("day"), func.count())
            .join(Target, Target.id == Occurrence.target_id).join(Unit, Unit.id == Target.unit_id)
            .join(Delivery, Delivery.occurrence_id == Occurrence.id)
            .where(Occurrence.plan_id == plan.id, Target.channel.in_(channels),
                   Unit.path.startswith(unit.path, autoescape=True), in_sessions(lo, hi),
                   Delivery.status != DeliveryStatus.CANCELLED)
            .group_by(Target.unit_id, "day"))
    if statuses:
        stmt = stmt.where(Delivery.status.in_(statuses))
    if message_id:
        stmt = stmt.join(MessageVersion, MessageVersion.id == Occurrence.message_version_id).where(
            MessageVersion.message_id == message_id)
    if audience_id:

        stmt = stmt.where(for_audience(audience_id))
    totals: dict[int, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    for unit_id, index, n in session.execute(stmt):
        if index < len(days):
            totals[id(row_of_unit[unit_id])][days[index]] += n
    out = sorted(rows.values(), key=lambda r: vietnamese_key(r.unit.name))
    out = [r for r in out if r.targets] + ([own] if own.targets else [])
    for row in out:
        row.days = dict(totals.get(id(row), {}))
    return out


def picker_units(session: Session, root: Unit, current: Unit, *, limit: int) -> list[Unit]:
    """The unit picker's choices: every unit below `root`, or when there are more than `limit`, the units
    above villages (and the current one); villages are then reached through the count rows."""
    from planner.models import UnitKind

    scope = Unit.path.startswith(root.path, autoescape=True)
    if (session.scalar(select(func.count(Unit.id)).where(scope)) or 0) <= limit:
        return list(session.scalars(select(Unit).where(scope).order_by(Unit.path)))
    return list(session.scalars(select(Unit).where(scope, (Unit.kind != UnitKind.VILLAGE) | (Unit.id == current.id))
                                .order_by(Unit.path)))
