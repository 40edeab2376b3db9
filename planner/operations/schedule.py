"""Scheduling operations: turn a plan's data into the pure core's inputs, store what it places."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from planner import localtime, scheduling
from planner.markup import plain_text
from planner.models import (Delivery, DeliveryStatus, Message, Occurrence, Plan, RunStatus,
                            ScheduleRun, SlotGrid, Target, Unit, User, Window, WindowExemption)
from planner.operations.audit import record

ONLINE_POST_SECONDS = 60


class ScheduleError(ValueError):
    """Bad scheduling input (Vietnamese message)."""


@dataclass
class ScheduleOutcome:
    """What a generation run did."""

    targets: int = 0
    placed: int = 0
    removed: int = 0
    kept: int = 0
    issues: list = field(default_factory=list)
    run: ScheduleRun | None = None


def targets_in(session: Session, unit: Unit, channel: str) -> list[Target]:
    """Active targets of a channel at `unit` or below it."""
    stmt = (select(Target).join(Unit, Target.unit_id == Unit.id)
            .where(Target.channel == channel, Target.is_active, Unit.path.startswith(unit.path, autoescape=True))
            .options(selectinload(Target.unit)).order_by(Unit.path, Target.id))
    return list(session.scalars(stmt))


def grid_specs_for(session: Session, targets: list[Target], channel: str) -> dict[int, tuple]:
    """Each target's resolved slot grids: its own, else the nearest unit up the hierarchy that has some."""
    grids = list(session.scalars(select(SlotGrid).where(SlotGrid.channel == channel)))
    by_unit: dict[int, list] = {}
    by_target: dict[int, list] = {}
    for g in grids:
        spec = scheduling.GridSpec(id=g.id, weekdays=g.weekdays, start=g.start_time, end=g.end_time,
                                   capacity_s=g.capacity_seconds, valid_from=g.valid_from, valid_to=g.valid_to)
        if g.target_id is not None:
            by_target.setdefault(g.target_id, []).append(spec)
        elif g.unit_id is not None:
            by_unit.setdefault(g.unit_id, []).append(spec)
    resolved = {}
    for t in targets:
        chain = [int(x) for x in reversed(t.unit.path.strip("/").split("/"))]
        resolved[t.id] = scheduling.resolve_grids(chain, by_unit, by_target.get(t.id, []))
    return resolved


def window_specs(session: Session, plan: Plan, channel: str) -> list:
    """Peak and blackout windows that concern this plan and channel."""
    rows = session.scalars(select(Window).where((Window.plan_id.is_(None)) | (Window.plan_id == plan.id)))
    exempt = set(session.scalars(select(WindowExemption.window_id).where(WindowExemption.plan_id == plan.id)))
    return [scheduling.WindowSpec(id=w.id, kind=w.kind.value, starts_on=w.starts_on, ends_on=w.ends_on,
                                  is_yearly=w.is_yearly)
            for w in rows if (not w.channels or channel in w.channels) and w.id not in exempt]


def message_duration(message: Message, version, settings: dict) -> int:
    """Seconds a version takes in a session: measured audio, estimated reading time, or one post slot."""
    if message.channel != "loudspeaker":
        return ONLINE_POST_SECONDS
    if version.audio_seconds:
        return int(version.audio_seconds)
    return scheduling.estimate_duration(plain_text(version.body_md), rate_spm=settings["READING_RATE_SPM"],
                                        pause_s=settings["SENTENCE_PAUSE_SECONDS"])


def message_specs(plan: Plan, channel: str, settings: dict, session: Session) -> list:
    """Approved versions of the plan's messages on this channel, as the core's MessageSpecs."""
    messages = session.scalars(select(Message).where(Message.plan_id == plan.id, Message.channel == channel)
                               .options(selectinload(Message.versions), selectinload(Message.audience)))
    specs = []
    for m in messages:
        version = m.approved
        if version is None:
            continue
        specs.append(scheduling.MessageSpec(
            id=version.id, message_id=m.id, priority=m.priority.value, duration_s=message_duration(m, version, settings),
            valid_from=m.valid_from, valid_to=m.valid_to, min_per_week=m.min_per_week, peak_per_day=m.peak_per_day,
            min_gap_hours=m.min_gap_hours, audience=m.audience.code, title=version.title))
    return specs


def schedule_plan(session: Session, plan: Plan, *, unit: Unit, channel: str, start: dt.date, end: dt.date,
                  now: dt.datetime, settings: dict, user: User | None = None,
                  run: ScheduleRun | None = None) -> ScheduleOutcome:
    """(Re)generate the plan's schedule for a channel at a unit's targets over local days start..end.

    Pinned, delivered, past and other plans' occurrences stay and use capacity; this plan's planned,
    unpinned future ones in the range are replaced. The run and its exception report are recorded.
    """
    if end < start:
        raise ScheduleError("Ngày kết thúc phải sau ngày bắt đầu.")
    if (end - start).days > 366:
        raise ScheduleError("Mỗi lần chỉ lập lịch tối đa 366 ngày.")
    targets = targets_in(session, unit, channel)
    if not targets:
        raise ScheduleError(f"Không có điểm phát/trang nào của kênh này thuộc {unit.name}.")
    grids = grid_specs_for(session, targets, channel)
    lo, hi = localtime.local_range_bounds(start, end)
    removable, fixed = _split_existing(session, plan, [t.id for t in targets], lo, hi, now)
    specs = message_specs(plan, channel, settings, session)
    try:
        result = scheduling.build_schedule(
            [scheduling.TargetSpec(id=t.id, grids=grids[t.id], name=t.unit.name if channel == "loudspeaker" else t.name)
             for t in targets], specs, window_specs(session, plan, channel), fixed, start, end,
            now=_earliest(now, channel, settings))
    except scheduling.ScheduleInputError as exc:
        raise ScheduleError(str(exc)) from None
    _remove(session, removable)
    placed = _store(session, plan, result, channel, now)
    outcome = ScheduleOutcome(targets=len(targets), placed=placed, removed=len(removable), kept=len(fixed),
                              issues=list(result.issues))
    run = run or ScheduleRun(plan=plan, unit=unit, channel=channel, first_day=start, last_day=end,
                             requested_by_id=user.id if user else None, created_at=now)
    _finish_run(session, run, outcome, now)
    record(session, user=user, action="schedule.generate", entity=plan, channel=channel, unit=unit.code,
           start=start.isoformat(), end=end.isoformat(), placed=placed, removed=len(removable), run=run.id)
    outcome.run = run
    return outcome


def _earliest(now: dt.datetime, channel: str, settings: dict) -> dt.datetime:
    """Online posts are only placed at least the platform's minimum lead ahead (Facebook: 10 minutes)."""
    from planner.channels import get_channel

    if get_channel(channel).is_online:
        return now + dt.timedelta(seconds=settings["FACEBOOK_MIN_LEAD_SECONDS"])
    return now


def _finish_run(session: Session, run: ScheduleRun, outcome: ScheduleOutcome, now: dt.datetime) -> None:
    run.status, run.finished_at = RunStatus.DONE, now
    run.targets, run.placed, run.removed, run.kept = outcome.targets, outcome.placed, outcome.removed, outcome.kept
    run.issues = [{"kind": i.kind, "detail": i.detail, "target_id": i.target_id, "message_id": i.message_id,
                   "day": i.day.isoformat() if i.day else None} for i in outcome.issues]
    session.add(run)
    session.flush()


def _split_existing(session, plan, target_ids, lo, hi, now):
    """Occurrences in range: removable (this plan's unpinned future planned ones) and fixed (everything else)."""
    removable, fixed = [], []
    for i in range(0, len(target_ids), 500):
        rows = session.execute(
            select(Occurrence.id, Occurrence.plan_id, Occurrence.target_id, Occurrence.session_starts_at,
                   Occurrence.message_version_id, Occurrence.duration_seconds, Occurrence.is_pinned, Delivery.status)
            .join(Delivery, Delivery.occurrence_id == Occurrence.id)
            .where(Occurrence.target_id.in_(target_ids[i:i + 500]), Occurrence.session_starts_at >= lo,
                   Occurrence.session_starts_at < hi)).all()
        for r in rows:
            if (r.plan_id == plan.id and not r.is_pinned and r.session_starts_at > now
                    and r.status is DeliveryStatus.PLANNED):
                removable.append(r.id)
            elif r.status is not DeliveryStatus.CANCELLED:
                fixed.append(scheduling.FixedItem(target_id=r.target_id, session_start=r.session_starts_at,
                                                  message_id=r.message_version_id, duration_s=r.duration_seconds))
    return removable, fixed


def _remove(session: Session, occurrence_ids: list[int]) -> None:
    for i in range(0, len(occurrence_ids), 500):
        chunk = occurrence_ids[i:i + 500]
        session.execute(delete(Delivery).where(Delivery.occurrence_id.in_(chunk)))
        session.execute(delete(Occurrence).where(Occurrence.id.in_(chunk)))


def _store(session: Session, plan: Plan, result, channel: str, now: dt.datetime) -> int:
    """Bulk-insert the core's placements (columnar) with their reasons and planned deliveries."""
    from planner.operations.bulk import insert_placements

    columns = result.columns()
    if not len(columns["target_id"]):
        return 0
    return insert_placements(session, plan_id=plan.id, channel=channel, columns=columns,
                             reasons=result.explanations(), now=now)


def start_schedule(session: Session, plan: Plan, *, unit: Unit, channel: str, start: dt.date, end: dt.date,
                   now: dt.datetime, settings: dict, user: User | None = None) -> ScheduleRun:
    """Generate now for a small unit; queue a run for the worker when the unit has many targets."""
    if end < start:
        raise ScheduleError("Ngày kết thúc phải sau ngày bắt đầu.")
    count = len(targets_in(session, unit, channel))
    if count == 0:
        raise ScheduleError(f"Không có điểm phát/trang nào của kênh này thuộc {unit.name}.")
    run = ScheduleRun(plan=plan, unit=unit, channel=channel, first_day=start, last_day=end, targets=count,
                      status=RunStatus.QUEUED, requested_by_id=user.id if user else None, created_at=now)
    session.add(run)
    session.flush()
    if count <= settings["SCHEDULE_INLINE_MAX_TARGETS"]:
        schedule_plan(session, plan, unit=unit, channel=channel, start=start, end=end, now=now, settings=settings,
                      user=user, run=run)
    return run


def run_queued_schedules(session: Session, *, now: dt.datetime, settings: dict, limit: int = 2) -> int:
    """Worker side: run queued generations one by one; a failure is recorded on its run, the rest go on."""
    done = 0
    for run in session.scalars(select(ScheduleRun).where(ScheduleRun.status == RunStatus.QUEUED)
                               .order_by(ScheduleRun.id).limit(limit)).all():
        run.status = RunStatus.RUNNING
        session.commit()
        try:
            schedule_plan(session, run.plan, unit=run.unit, channel=run.channel, start=run.first_day,
                          end=run.last_day, now=now, settings=settings, run=run)
        except ScheduleError as exc:
            session.rollback()
            run.status, run.error, run.finished_at = RunStatus.FAILED, str(exc), now
        session.commit()
        done += 1
    return done
