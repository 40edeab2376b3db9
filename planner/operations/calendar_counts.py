"""Calendars above the commune: one row per child unit with the number of broadcasts/posts per day, never
thousands of target rows (a province has ~4,000 villages). Each row links to that unit's own calendar."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from planner import localtime
from planner.models import (ActivityCount, ActivityRollup, Delivery, DeliveryStatus, MessageVersion, Occurrence, Plan,
                            Target, Unit, UnitKind)
from planner.operations.calendar import for_audience
from planner.operations.counts import _rollup_unit
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
                      audience_id: int | None = None, live: bool = False) -> list[UnitCountRow]:
    """Per child unit (in Vietnamese order, then the unit itself if it has targets of its own), how many
    non-cancelled occurrences of the plan each local day (the day the broadcast or post starts).

    Read from the trigger-kept counts (`activity_rollups` above the commune, `activity_counts` at a commune or a
    village): a province's month is a few thousand count rows instead of ~170 k occurrences joined to their
    deliveries. A message or audience filter (which the counts do not carry), or `live=True`, counts the
    occurrences themselves; both give the same numbers (tests/app/test_unit_count_calendar.py)."""
    children = list(session.scalars(select(Unit).where(Unit.parent_id == unit.id)))
    # The rollups fold each village into its parent: right only when no village is a row of its own. Then the
    # units to place in rows are the ones above the villages (≈ 100 in a province, not its ≈ 4,000 villages).
    folded = not live and not message_id and not audience_id and unit.kind not in (
        UnitKind.COMMUNE, UnitKind.VILLAGE) and all(c.kind is not UnitKind.VILLAGE for c in children)
    scope = Unit.path.startswith(unit.path, autoescape=True)
    above_villages = [Unit.kind != UnitKind.VILLAGE] if folded else []
    units = session.execute(select(Unit.id, Unit.path).where(scope, *above_villages)).all()
    child_of_path = {c.path: c for c in children}
    rows = {c.id: UnitCountRow(c) for c in children}
    own = UnitCountRow(unit)
    row_of_unit: dict[int, UnitCountRow] = {}
    depth = unit.path.count("/")
    for unit_id, path in units:
        prefix = "/".join(path.split("/")[:depth + 1]) + "/"
        child = child_of_path.get(prefix)
        row_of_unit[unit_id] = rows[child.id] if child is not None else own
    placed = _rollup_unit() if folded else Target.unit_id
    for unit_id, n in session.execute(
            select(placed, func.count()).select_from(Target).join(Unit, Unit.id == Target.unit_id)
            .where(Target.channel.in_(channels), Target.is_active, scope).group_by(placed)):
        row_of_unit[unit_id].targets += n
    if live or message_id or audience_id:
        found = _live_counts(session, plan, unit, channels, first, last, statuses, message_id, audience_id)
    else:
        found = _stored_counts(session, plan, unit, channels, first, last, statuses, folded)
    totals: dict[int, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    for unit_id, day, n in found:
        if n:
            totals[id(row_of_unit[unit_id])][day] += n
    out = sorted(rows.values(), key=lambda r: vietnamese_key(r.unit.name))
    out = [r for r in out if r.targets] + ([own] if own.targets else [])
    for row in out:
        row.days = dict(totals.get(id(row), {}))
    return out


def _stored_counts(session: Session, plan: Plan, unit: Unit, channels: list[str], first: dt.date, last: dt.date,
                   statuses: set | None, folded: bool):
    """(unit id, day, n) from the counts: raw counts, every delivery once (a missed broadcast and its make-up are
    both shown, as in the calendar), cancelled ones left out; `folded`: from the rollups (villages folded into
    their parent), else per village."""
    t = ActivityRollup if folded else ActivityCount
    stmt = (select(t.unit_id, t.day, func.sum(t.n)).join(Unit, Unit.id == t.unit_id)
            .where(t.plan_id == plan.id, t.channel.in_(channels), t.day >= first, t.day <= last,
                   Unit.path.startswith(unit.path, autoescape=True))
            .group_by(t.unit_id, t.day))
    if statuses:
        stmt = stmt.where(t.status.in_([s.value for s in statuses]))
    else:
        stmt = stmt.where(t.status != DeliveryStatus.CANCELLED.value)
    return session.execute(stmt).all()


def _live_counts(session: Session, plan: Plan, unit: Unit, channels: list[str], first: dt.date, last: dt.date,
                 statuses: set | None, message_id: int | None, audience_id: int | None):
    """(unit id, day, n) counted from the occurrences and their deliveries, grouped in SQL by target unit and the
    local day of the start (as the counts' triggers bucket them)."""
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    bucket = case(*[(Occurrence.starts_at < localtime.local_day_bounds(d)[1], i)
                    for i, d in enumerate(days)], else_=len(days))
    lo, hi = localtime.local_range_bounds(first, last)
    stmt = (select(Target.unit_id, bucket.label("day"), func.count())
            .join(Target, Target.id == Occurrence.target_id).join(Unit, Unit.id == Target.unit_id)
            .join(Delivery, Delivery.occurrence_id == Occurrence.id)
            .where(Occurrence.plan_id == plan.id, Delivery.channel.in_(channels),
                   Unit.path.startswith(unit.path, autoescape=True), Occurrence.starts_at >= lo,
                   Occurrence.starts_at < hi, Delivery.status != DeliveryStatus.CANCELLED)
            .group_by(Target.unit_id, "day"))
    if statuses:
        stmt = stmt.where(Delivery.status.in_(statuses))
    if message_id:
        stmt = stmt.join(MessageVersion, MessageVersion.id == Occurrence.message_version_id).where(
            MessageVersion.message_id == message_id)
    if audience_id:
        stmt = stmt.where(for_audience(audience_id))
    return [(unit_id, days[index], n) for unit_id, index, n in session.execute(stmt) if index < len(days)]


def picker_units(session: Session, root: Unit, current: Unit, *, limit: int) -> list[Unit]:
    """The unit picker's choices: every unit below `root`, or when there are more than `limit`, the units
    above villages (and the current one); villages are then reached through the count rows."""
    from planner.models import UnitKind

    scope = Unit.path.startswith(root.path, autoescape=True)
    if (session.scalar(select(func.count(Unit.id)).where(scope)) or 0) <= limit:
        return list(session.scalars(select(Unit).where(scope).order_by(Unit.path)))
    return list(session.scalars(select(Unit).where(scope, (Unit.kind != UnitKind.VILLAGE) | (Unit.id == current.id))
                                .order_by(Unit.path)))
