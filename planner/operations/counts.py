"""Activity counts (`activity_counts`, kept by triggers): read them for the dashboard and reports, recount and
rebuild them from the deliveries themselves."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import Date, case, cast, delete, event, func, insert, inspect, select, type_coerce, update
from sqlalchemy.orm import Session

from planner.models import (ActivityCount, ActivityRollup, Delivery, DeliveryStatus, Occurrence, Plan, Target, Unit,
                            UnitKind)


def _made_up():
    from planner.reports import made_up_elsewhere  # reports reads these counts: imported when used

    return made_up_elsewhere()

Key = tuple  # (unit path, channel, DeliveryStatus, is_makeup)


def _local_day(session: Session):
    """SQL: the Asia/Ho_Chi_Minh date of an occurrence's start, written as the triggers write it."""
    if session.get_bind().dialect.name == "sqlite":
        return type_coerce(func.date(Occurrence.starts_at, "+7 hours"), Date)
    return cast(func.timezone("Asia/Ho_Chi_Minh", Occurrence.starts_at), Date)


def _recount_query(session: Session, plan_id: int | None):
    """The counts from the deliveries, with `made_up` decided afresh (`made_up_elsewhere`), not read from the
    flag the triggers keep: a check compares both."""
    is_makeup = Occurrence.replaces_delivery_id.is_not(None)
    made_up = _made_up()
    day = _local_day(session)
    stmt = (select(Occurrence.plan_id, Target.unit_id, day, Delivery.channel, Delivery.status, is_makeup, made_up,
                   func.count())
            .join(Occurrence, Occurrence.id == Delivery.occurrence_id).join(Target, Target.id == Occurrence.target_id)
            .group_by(Occurrence.plan_id, Target.unit_id, day, Delivery.channel, Delivery.status, is_makeup, made_up))
    return stmt if plan_id is None else stmt.where(Occurrence.plan_id == plan_id)


def recount(session: Session, plan_id: int | None = None) -> dict[tuple, int]:
    """What the counts should hold, counted afresh from the deliveries:
    {(plan, unit, day, channel, status, is_makeup, made_up): n}."""
    return {(p, u, d, c, s.value, bool(m), bool(r)): n
            for p, u, d, c, s, m, r, n in session.execute(_recount_query(session, plan_id))}


def stored_counts(session: Session, plan_id: int | None = None, table=ActivityCount) -> dict[tuple, int]:
    """What the counts (or the rollups) hold, zero rows left out, in the same shape as `recount`."""
    stmt = select(table.plan_id, table.unit_id, table.day, table.channel, table.status, table.is_makeup,
                  table.made_up, table.n).where(table.n != 0)
    if plan_id is not None:
        stmt = stmt.where(table.plan_id == plan_id)
    return {(p, u, d, c, s, bool(m), bool(r)): n for p, u, d, c, s, m, r, n in session.execute(stmt)}


def refresh_made_up(session: Session, plan_id: int | None = None) -> int:
    """Set `deliveries.made_up` right where it is wrong (the triggers keep it; this is the repair); returns rows.
    The flag's update moves the counts by the triggers."""
    stmt = update(Delivery).where(Delivery.made_up != _made_up()).values(made_up=~Delivery.made_up)
    if plan_id is not None:
        stmt = stmt.where(Delivery.occurrence_id.in_(select(Occurrence.id).where(Occurrence.plan_id == plan_id)))
    return session.execute(stmt.execution_options(synchronize_session=False)).rowcount


def rolled_up(session: Session, counts: dict[tuple, int]) -> dict[tuple, int]:
    """Counts folded as `activity_rollups` folds them: a village's into its parent's."""
    parents = {uid: pid for uid, pid in session.execute(
        select(Unit.id, Unit.parent_id).where(Unit.kind == UnitKind.VILLAGE))}
    out: dict[tuple, int] = defaultdict(int)
    for (p, u, *rest), n in counts.items():
        out[(p, parents.get(u) or u, *rest)] += n
    return {k: n for k, n in out.items() if n}


def _rollup_unit():
    return func.coalesce(case((Unit.kind == UnitKind.VILLAGE, Unit.parent_id)), Unit.id)


def rebuild_counts(session: Session, plan_id: int | None = None) -> int:
    """Throw the counts of a plan (or all plans) away and count them again from the deliveries; returns rows."""
    refresh_made_up(session, plan_id)
    session.flush()
    _recount_into(session, session.connection(), plan_id)
    rows = select(func.count()).select_from(ActivityCount)
    return session.scalar(rows if plan_id is None else rows.where(ActivityCount.plan_id == plan_id))


def _recount_into(session: Session, conn, plan_id: int | None) -> None:
    """The counts and rollups of a plan (or all) replaced by a recount, on `conn` (usable inside a flush)."""
    for table in (ActivityCount, ActivityRollup):
        gone = delete(table)
        conn.execute(gone if plan_id is None else gone.where(table.plan_id == plan_id))
    cols = ["plan_id", "unit_id", "day", "channel", "status", "is_makeup", "made_up", "n"]
    conn.execute(insert(ActivityCount).from_select(cols, _recount_query(session, plan_id)))
    unit = _rollup_unit()
    c = ActivityCount
    fold = (select(c.plan_id, unit, c.day, c.channel, c.status, c.is_makeup, c.made_up, func.sum(c.n))
            .join(Unit, Unit.id == c.unit_id)
            .group_by(c.plan_id, unit, c.day, c.channel, c.status, c.is_makeup, c.made_up))
    conn.execute(insert(ActivityRollup).from_select(cols, fold if plan_id is None else fold.where(c.plan_id == plan_id)))


# A target moved to another unit (an import that changes a target's unit, an edit) takes its deliveries' counts
# along: the triggers watch deliveries, occurrences and units, not targets, so the plans with occurrences at a
# moved target are recounted in the same flush (rare, and a plan's recount is one statement per table).
_MOVED = "planner.counts.moved_targets"


@event.listens_for(Session, "before_flush")
def _targets_moving(session: Session, _context, _instances) -> None:
    moved = {t.id for t in session.dirty if isinstance(t, Target) and t.id is not None
             and (inspect(t).attrs.unit_id.history.has_changes() or inspect(t).attrs.unit.history.has_changes())}
    if moved:
        session.info.setdefault(_MOVED, set()).update(moved)


@event.listens_for(Session, "after_flush")
def _targets_moved(session: Session, _context) -> None:
    moved = session.info.pop(_MOVED, None)
    if not moved:
        return
    conn = session.connection()
    plans = conn.execute(select(Occurrence.plan_id).where(Occurrence.target_id.in_(sorted(moved))).distinct())
    for plan_id in sorted(p for (p,) in plans):
        _recount_into(session, conn, plan_id)


@event.listens_for(Session, "after_rollback")
def _targets_not_moved(session: Session) -> None:
    session.info.pop(_MOVED, None)


def _table_for(root: Unit):
    """Views at a commune or a village need its villages' own rows; above, the rollup per commune is enough."""
    return ActivityCount if root.kind in (UnitKind.COMMUNE, UnitKind.VILLAGE) else ActivityRollup


def activity(session: Session, plan: Plan, root: Unit, first: dt.date | None, last: dt.date | None,
             channel: str = "") -> dict[Key, int]:
    """Deliveries of the plan at `root` and below, over the days, honestly counted: {(unit path, channel, status,
    is_makeup): n}. A plain sum of the counts without the broadcasts a make-up replaces (`made_up`): those count
    once, through the make-up."""
    out: dict[Key, int] = defaultdict(int)
    t = _table_for(root)
    stmt = (select(Unit.path, t.channel, t.status, t.is_makeup, func.sum(t.n))
            .join(Unit, Unit.id == t.unit_id)
            .where(t.plan_id == plan.id, Unit.path.startswith(root.path, autoescape=True), t.made_up.is_(False))
            .group_by(Unit.path, t.channel, t.status, t.is_makeup))
    if first and last:
        stmt = stmt.where(t.day >= first, t.day <= last)
    if channel:
        stmt = stmt.where(t.channel == channel)
    for path, chan, status, makeup, n in session.execute(stmt):
        out[(path, chan, DeliveryStatus(status), bool(makeup))] += n or 0
    return {key: n for key, n in out.items() if n}


def delivered_by_day(session: Session, plan: Plan, root: Unit, first: dt.date, last: dt.date,
                     channel: str = "") -> dict[tuple[dt.date, str], int]:
    """{(day, channel): deliveries delivered} at `root` and below (make-ups included, as the weekly chart counts).

    No unit breakdown is asked for, so the rollups serve at a commune too (every village below a commune is folded
    into a unit below it or into the commune itself): ~183 rows a channel, not one per village and day. Only a
    village's own rows are folded into a unit outside it; at a village, `activity_counts`."""
    t = ActivityCount if root.kind is UnitKind.VILLAGE else ActivityRollup
    stmt = (select(t.day, t.channel, func.sum(t.n))
            .join(Unit, Unit.id == t.unit_id)
            .where(t.plan_id == plan.id, Unit.path.startswith(root.path, autoescape=True),
                   t.status == DeliveryStatus.DELIVERED.value, t.day >= first, t.day <= last)
            .group_by(t.day, t.channel))
    if channel:
        stmt = stmt.where(t.channel == channel)
    return {(day, chan): n for day, chan, n in session.execute(stmt) if n}


def occurrence_total(session: Session, plan: Plan, within: list[Unit], *, channel: str = "",
                     statuses=None, first: dt.date | None = None, last: dt.date | None = None) -> int:
    """How many occurrences of the plan (every status, cancelled ones included; each has exactly one delivery)
    have a target inside every unit of `within`, of `channel`, with one of `statuses`, starting on local days
    `first`..`last`: summed from the counts, not by counting the occurrences (a province plan has ≈ 600 k).

    The rollups (villages folded into their commune) serve unless a unit of `within` is a village, whose own
    rows are only in `activity_counts`."""
    t = ActivityCount if any(u.kind is UnitKind.VILLAGE for u in within) else ActivityRollup
    stmt = select(func.coalesce(func.sum(t.n), 0)).join(Unit, Unit.id == t.unit_id).where(t.plan_id == plan.id)
    for unit in within:
        stmt = stmt.where(Unit.path.startswith(unit.path, autoescape=True))
    if channel:
        stmt = stmt.where(t.channel == channel)
    if statuses:
        stmt = stmt.where(t.status.in_([s.value for s in statuses]))
    if first:
        stmt = stmt.where(t.day >= first)
    if last:
        stmt = stmt.where(t.day <= last)
    return int(session.scalar(stmt) or 0)
