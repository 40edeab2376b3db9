"""Local repairs of a stored schedule: emergency insertion and re-placing missed broadcasts."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from planner.operations.plan_state import message_locked_reason, not_active_reason
from planner import localtime, scheduling
from planner.models import (Delivery, DeliveryStatus, Message, MessageVersion, Occurrence, OccurrenceSource, Plan,
                            Target, Unit, User)
from planner.operations import notify_events
from planner.operations.audit import record
from planner.operations.schedule import (ScheduleError, grid_specs_for, message_duration, targets_in, window_groups,
                                        window_specs)

HORIZON_DAYS = 14


@dataclass
class RepairOutcome:
    """What a repair did, in words people read."""

    placed: int = 0
    moved: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    issues: list[str] = field(default_factory=list)


def _load(session: Session, target_ids: list[int], now: dt.datetime):
    """Occurrences in the horizon: movable (planned, unpinned, automatic) as Placements, others as fixed."""
    hi = now + dt.timedelta(days=HORIZON_DAYS + 1)
    rows = session.scalars(
        select(Occurrence).join(Delivery, Delivery.occurrence_id == Occurrence.id)
        .where(Occurrence.target_id.in_(target_ids), Occurrence.session_starts_at >= now - dt.timedelta(days=1),
               Occurrence.session_starts_at < hi, Delivery.status != DeliveryStatus.CANCELLED)
        .options(selectinload(Occurrence.delivery), selectinload(Occurrence.version))).all()
    records, index = [], {}
    for occ in rows:
        movable = not occ.is_pinned and occ.delivery.status is DeliveryStatus.PLANNED and occ.starts_at > now
        if movable:
            rec = scheduling.Placement(occ.target_id, occ.message_version_id, occ.session_starts_at,
                                       int((occ.starts_at - occ.session_starts_at).total_seconds()),
                                       occ.duration_seconds)
            index[(occ.target_id, occ.session_starts_at, occ.message_version_id)] = occ
        else:
            # Its real place and class: a new emergency is laid around it, never over it.
            rec = scheduling.FixedItem(occ.target_id, occ.session_starts_at, occ.message_version_id,
                                       occ.duration_seconds,
                                       "emergency" if occ.source is OccurrenceSource.EMERGENCY else "",
                                       int((occ.starts_at - occ.session_starts_at).total_seconds()))
        records.append(rec)
    return records, index, {occ.message_version_id for occ in rows}


def _specs(session: Session, version_ids: set[int], settings: dict) -> list:
    versions = session.scalars(select(MessageVersion).where(MessageVersion.id.in_(version_ids))
                               .options(selectinload(MessageVersion.message))).all()
    return [_spec(v.message, v, settings) for v in versions]


def _spec(message: Message, version: MessageVersion, settings: dict, priority: str | None = None):
    return scheduling.MessageSpec(
        id=version.id, message_id=message.id, priority=priority or message.priority.value,
        duration_s=message_duration(message, version, settings), valid_from=version.valid_from,
        valid_to=version.valid_to, weekdays=version.weekdays, min_per_week=message.min_per_week, peak_per_day=message.peak_per_day,
        min_gap_hours=message.min_gap_hours, title=version.title)


def insert_emergency_message(session: Session, message: Message, unit: Unit, *, sessions_ahead: int,
                             now: dt.datetime, settings: dict, user: User | None) -> RepairOutcome:
    """Put an approved message, as an emergency, into the next session(s) of every target of the unit."""
    version = message.approved
    reason = not_active_reason(message.plan, "chèn tin khẩn") or message_locked_reason(message, "chèn tin khẩn")
    if reason:
        raise ScheduleError(reason)
    if version is None:
        raise ScheduleError("Chỉ chèn được tin bài đã duyệt.")
    if not 1 <= sessions_ahead <= 6:
        raise ScheduleError("Số phiên phải từ 1 đến 6.")
    targets = targets_in(session, unit, version.channel)    # the channel it was approved for
    if not targets:
        raise ScheduleError(f"Không có điểm phát nào của kênh này thuộc {unit.name}.")
    grids = grid_specs_for(session, targets, version.channel)
    target_specs = [scheduling.TargetSpec(id=t.id, grids=grids[t.id], name=t.unit.name) for t in targets]
    records, index, version_ids = _load(session, [t.id for t in targets], now)
    item = _spec(message, version, settings, priority="emergency")
    result = scheduling.insert_emergency(
        records, item, [t.id for t in targets], now=now, targets=target_specs,
        messages=_specs(session, version_ids - {version.id}, settings),
        windows=window_specs(session, message.plan, version.channel), sessions_ahead=sessions_ahead,
        horizon_days=HORIZON_DAYS)
    outcome = _apply(session, message.plan, result, index, now, user, new_source=OccurrenceSource.EMERGENCY,
                     new_reason=f"Tin khẩn cấp chèn bởi {user.full_name if user else 'hệ thống'} lúc "
                                f"{localtime.fmt_datetime(now)}: phát trước các tin khác của phiên.")
    record(session, user=user, action="schedule.emergency", entity=message, unit=unit.code, placed=outcome.placed,
           moved=len(outcome.moved), dropped=len(outcome.dropped))
    notify_events.emergency_inserted(session, unit, version, outcome.placed, user, now=now)
    return outcome


def _apply(session, plan: Plan, result, index, now, user, *, new_source, new_reason) -> RepairOutcome:
    """Write a repair: new occurrences, moved ones (or cancelled when nowhere to go), shifted offsets."""
    outcome = RepairOutcome(issues=[i.detail for i in result.issues])
    names = {}
    for p in result.placed:
        _insert(session, plan.id, p, new_source, new_reason, now)
        outcome.placed += 1
    replaced = defaultdict(list)
    for p in result.replaced:
        replaced[(p.target_id, p.message_id)].append(p)
    for d in result.displaced:
        occ = index.get((d.target_id, d.session_start, d.message_id))
        if occ is None:
            continue
        names.setdefault(occ.target_id, occ.target.name)
        new = replaced[(d.target_id, d.message_id)].pop(0) if replaced[(d.target_id, d.message_id)] else None
        if new is None:
            occ.delivery.status, occ.delivery.finished_at = DeliveryStatus.CANCELLED, now
            occ.delivery.reason = "Bị tin khẩn đẩy ra, không còn phiên trống để xếp lại"
            outcome.dropped.append(f"{occ.version.title} – {occ.target.name} ({localtime.fmt_datetime(occ.starts_at)})")
            continue
        old = occ.starts_at
        _move(occ, new, f"Dời từ {localtime.fmt_datetime(old)} vì tin khẩn cấp chiếm phiên.")
        outcome.moved.append(f"{occ.version.title} – {occ.target.name}: {localtime.fmt_datetime(old)} → "
                             f"{localtime.fmt_datetime(occ.starts_at)}")
    for s in result.shifted:
        occ = index.get((s.target_id, s.session_start, s.message_id))
        if occ is not None:
            _move(occ, s, occ.reason)
    session.flush()
    return outcome


def _move(occ: Occurrence, placement, reason: str) -> None:
    occ.session_starts_at = placement.session_start
    occ.starts_at = placement.session_start + dt.timedelta(seconds=placement.offset_s)
    occ.delivery.due_at = occ.starts_at
    occ.reason = reason


def _insert(session, plan_id: int, p, source, reason: str, now: dt.datetime) -> Occurrence:
    """A new occurrence with its planned delivery, written at the caller's one flush (not one per row)."""
    starts = p.session_start + dt.timedelta(seconds=p.offset_s)
    occ = Occurrence(plan_id=plan_id, message_version_id=p.message_id, target_id=p.target_id,
                     session_starts_at=p.session_start, starts_at=starts, duration_seconds=p.duration_s,
                     is_pinned=source is OccurrenceSource.EMERGENCY, source=source, reason=reason, created_at=now)
    occ.delivery = Delivery(channel=session.get(Target, p.target_id).channel, due_at=starts,
                            status=DeliveryStatus.PLANNED, updated_at=now)
    session.add(occ)
    return occ


def replace_missed_deliveries(session: Session, *, now: dt.datetime, settings: dict) -> int:
    """For plans that ask for it, put each newly missed broadcast into the next free session within validity."""
    missed = session.scalars(
        select(Delivery).join(Occurrence, Occurrence.id == Delivery.occurrence_id).join(Plan)
        .where(Delivery.status == DeliveryStatus.MISSED, Delivery.is_replaced.is_(False),
               Plan.is_replanning_missed.is_(True))
        .options(selectinload(Delivery.occurrence).selectinload(Occurrence.target))).all()
    by_plan: dict[int, list[Delivery]] = defaultdict(list)
    for d in missed:
        by_plan[d.occurrence.plan_id].append(d)
    placed = 0
    for plan_id, rows in by_plan.items():
        placed += len(replace_for_plan(session, session.get(Plan, plan_id), rows, now, settings).replaced)
    return placed


def replace_for_plan(session, plan: Plan, rows: list[Delivery], now, settings, *,
                     reason: str = "Xếp lại lượt phát bị lỡ vào phiên trống gần nhất.", channel: str = "loudspeaker",
                     earliest: dt.datetime | None = None):
    """Put missed/failed items of one plan and channel into the next free session (after `earliest`, default
    now) of their target; the core's result."""
    target_objs = {d.occurrence.target_id: d.occurrence.target for d in rows}
    grids = grid_specs_for(session, list(target_objs.values()), channel)
    target_specs = [scheduling.TargetSpec(id=t.id, grids=grids[t.id], name=t.name) for t in target_objs.values()]
    records, index, version_ids = _load(session, list(target_objs), now)
    missed = [scheduling.FixedItem(d.occurrence.target_id, d.occurrence.session_starts_at,
                                   d.occurrence.message_version_id, d.occurrence.duration_seconds) for d in rows]
    messages = _specs(session, version_ids | {d.occurrence.message_version_id for d in rows}, settings)
    originals = defaultdict(list)
    for d in sorted(rows, key=lambda d: (d.occurrence.target_id, d.occurrence.session_starts_at)):
        originals[(d.occurrence.target_id, d.occurrence.message_version_id)].append(d)
    # Villages under different unit windows (a village's own blackout) are re-placed each with their own.
    merged = scheduling.EmergencyResult()
    for group, windows in window_groups(session, plan, channel, list(target_objs.values())):
        ids = {t.id for t in group}
        result = scheduling.replace_missed(
            records, [m for m in missed if m.target_id in ids], now=earliest or now,
            targets=[t for t in target_specs if t.id in ids], messages=messages, windows=windows,
            horizon_days=HORIZON_DAYS)
        for name in ("placed", "displaced", "replaced", "issues", "shifted"):
            getattr(merged, name).extend(getattr(result, name))
        for p in result.replaced:
            queue = originals[(p.target_id, p.message_id)]
            occ = _insert(session, plan.id, p, OccurrenceSource.AUTO, reason, now)
            occ.replaces_delivery_id = queue.pop(0).id if queue else None
        for s in result.shifted:
            occ = index.get((s.target_id, s.session_start, s.message_id))
            if occ is not None:
                _move(occ, s, occ.reason)
    for d in rows:
        d.is_replaced = True
    session.flush()
    return merged
