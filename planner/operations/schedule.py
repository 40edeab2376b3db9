"""Scheduling operations: turn a plan's data into the pure core's inputs, store what it places."""
from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from planner.operations.plan_state import not_active_reason
from planner import localtime, scheduling
from planner.markup import plain_text
from planner.models import (Delivery, DeliveryStatus, Message, MessageVersion, Occurrence, Plan, RunStatus,
                            ScheduleRun, SlotGrid, Target, Unit, User, Window, WindowExemption)
from planner.operations.audit import record
from planner.operations.bulk import MissingParent
from planner.operations.generation_lock import lock_generation
from planner.operations.post_times import plan_exact_posts, store_exact_posts

ONLINE_POST_SECONDS = 60
log = logging.getLogger(__name__)


PARENT_GONE = ("Một thôn, phiên bản tin hoặc kế hoạch đã bị xoá trong lúc lưu lịch; không có gì được lưu. "
               "Hãy lập lịch lại.")


class ScheduleError(ValueError):
    """Bad scheduling input (Vietnamese message)."""


class ScheduleBusy(ScheduleError):
    """Another generation of the same plan and channel is running or queued; `run_id`: the queued one, if any."""

    def __init__(self, message: str, run_id: int | None = None):
        super().__init__(message)
        self.run_id = run_id


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


def window_specs(session: Session, plan: Plan, channel: str, unit: Unit | None = None) -> list:
    """Peak and blackout windows that concern this plan and channel at `unit` (default: the plan's unit): the
    plan's own, the shared ones (automatic holidays unless the plan is exempt) and the unit windows of `unit`
    and the units above it."""
    from planner.operations.windows import applies_to

    rows = session.scalars(select(Window).where((Window.plan_id.is_(None)) | (Window.plan_id == plan.id),
                                                applies_to(unit or plan.unit)))
    exempt = set(session.scalars(select(WindowExemption.window_id).where(WindowExemption.plan_id == plan.id)))
    return [scheduling.WindowSpec(id=w.id, kind=w.kind.value, starts_on=w.starts_on, ends_on=w.ends_on,
                                  is_yearly=w.is_yearly)
            for w in rows if (not w.channels or channel in w.channels) and w.id not in exempt]


def window_groups(session: Session, plan: Plan, channel: str, targets: list[Target]) -> list[tuple[list, list]]:
    """(targets, windows) groups: targets under the same unit windows (inherited down the tree) share one list."""
    from planner.operations.windows import unit_windows_for

    base = window_specs(session, plan, channel, unit=None)
    base_ids = {w.id for w in base}
    by_unit = unit_windows_for(session, list({t.unit_id: t.unit for t in targets}.values()))
    groups: dict[tuple, tuple[list, list]] = {}
    for t in targets:
        extra = [w for w in by_unit[t.unit_id] if w.id not in base_ids and (not w.channels or channel in w.channels)]
        key = tuple(w.id for w in extra)
        if key not in groups:
            groups[key] = ([], base + [scheduling.WindowSpec(id=w.id, kind=w.kind.value, starts_on=w.starts_on,
                                                             ends_on=w.ends_on, is_yearly=w.is_yearly)
                                       for w in extra])
        groups[key][0].append(t)
    return list(groups.values())


def message_duration(message: Message, version, settings: dict) -> int:
    """Seconds a version takes in a session: measured audio, estimated reading time, or one post slot."""
    if version.channel != "loudspeaker":
        return ONLINE_POST_SECONDS
    if version.audio_seconds:
        return int(version.audio_seconds)
    return scheduling.estimate_duration(plain_text(version.body_md), rate_spm=settings["READING_RATE_SPM"],
                                        pause_s=settings["SENTENCE_PAUSE_SECONDS"])


def approved_on(session: Session, plan: Plan, channel: str) -> list[tuple[Message, object]]:
    """(message, approved version) of the plan approved FOR this channel.

    The channel, audiences, dates and weekdays come from the approved version, never from the message's
    working copy: a message moved to another channel after approval stays off it until re-approved.
    """
    messages = session.scalars(select(Message).where(Message.plan_id == plan.id)
                               .options(selectinload(Message.versions).selectinload(MessageVersion.audiences)))
    pairs = [(m, m.approved) for m in messages if m.retired_at is None]    # retired: never scheduled again
    return [(m, v) for m, v in pairs if v is not None and v.channel == channel]


def message_specs(plan: Plan, channel: str, settings: dict, session: Session) -> list:
    """Approved versions of the plan's messages on this channel, as the core's MessageSpecs."""
    specs = []
    for m, version in approved_on(session, plan, channel):
        specs.append(scheduling.MessageSpec(
            id=version.id, message_id=m.id, priority=m.priority.value, duration_s=message_duration(m, version, settings),
            valid_from=version.valid_from, valid_to=version.valid_to, min_per_week=m.min_per_week,
            peak_per_day=m.peak_per_day, min_gap_hours=m.min_gap_hours,
            audience=",".join(a.code for a in version.audiences), title=version.title, weekdays=version.weekdays,
            post_at=tuple(version.post_times)))
    return specs


@dataclass
class _Computed:
    """What a generation decided from what it read (plain data: it survives the end of the read)."""

    target_ids: list[int]
    removable: list[int]
    fixed: list
    results: list    # (pure placement result, exact posts) per group of targets that share their windows
    issues: list
    windows: str     # the groups' targets and windows as read (a change under the lock means computing again)


def _compute(session: Session, plan: Plan, *, unit: Unit, channel: str, start: dt.date, end: dt.date,
             now: dt.datetime, settings: dict) -> _Computed:
    """Read the plan's inputs and run the pure core (the slow part of a generation); writes nothing."""
    targets = targets_in(session, unit, channel)
    if not targets:
        raise ScheduleError(f"Không có điểm phát/trang nào của kênh này thuộc {unit.name}.")
    grids = grid_specs_for(session, targets, channel)
    lo, hi = localtime.local_range_bounds(start, end)
    removable, fixed = _split_existing(session, plan, [t.id for t in targets], lo, hi, now)
    specs = message_specs(plan, channel, settings, session)
    results, issues = [], []
    groups = window_groups(session, plan, channel, targets)
    for group, windows in groups:
        ids = {t.id for t in group}
        own_fixed = fixed if len(ids) == len(targets) else [f for f in fixed if f.target_id in ids]
        posts, post_issues = plan_exact_posts(specs, [t.id for t in group], windows, own_fixed, start, end,
                                              channel=channel, now=now, settings=settings,
                                              duration_s=ONLINE_POST_SECONDS)
        try:
            result = scheduling.build_schedule(
                [scheduling.TargetSpec(id=t.id, grids=grids[t.id],
                                       name=t.unit.name if channel == "loudspeaker" else t.name) for t in group],
                specs, windows, own_fixed + posts, start, end, now=_earliest(now, channel, settings))
        except scheduling.ScheduleInputError as exc:
            raise ScheduleError(str(exc)) from None
        results.append((result, posts))
        issues += post_issues + list(result.issues)
    return _Computed([t.id for t in targets], removable, fixed, results, issues, _groups_key(groups))


def _groups_key(groups) -> str:
    return repr([([t.id for t in group], windows) for group, windows in groups])


def _still_valid(session: Session, plan: Plan, done: _Computed | None, *, unit: Unit, channel: str,
                 start: dt.date, end: dt.date, now: dt.datetime) -> bool:
    """A result computed before the lock still holds: same targets, same occurrences in the range."""
    targets = targets_in(session, unit, channel) if done is not None else []
    if done is None or [t.id for t in targets] != done.target_ids:
        return False
    if _groups_key(window_groups(session, plan, channel, targets)) != done.windows:
        return False
    lo, hi = localtime.local_range_bounds(start, end)
    removable, fixed = _split_existing(session, plan, done.target_ids, lo, hi, now)
    return sorted(removable) == sorted(done.removable) and Counter(fixed) == Counter(done.fixed)


def schedule_plan(session: Session, plan: Plan, *, unit: Unit, channel: str, start: dt.date, end: dt.date,
                  now: dt.datetime, settings: dict, user: User | None = None,
                  run: ScheduleRun | None = None, precomputed: _Computed | None = None) -> ScheduleOutcome:
    """(Re)generate the plan's schedule for a channel at a unit's targets over local days start..end.

    Pinned, delivered, past and other plans' occurrences stay and use capacity; this plan's planned,
    unpinned future ones in the range are replaced. The run and its exception report are recorded.
    `precomputed` (worker on SQLite, see _run_queued): used if what it read is unchanged under the lock.
    """
    _require_active(plan)
    if end < start:
        raise ScheduleError("Ngày kết thúc phải sau ngày bắt đầu.")
    if (end - start).days > 366:
        raise ScheduleError("Mỗi lần chỉ lập lịch tối đa 366 ngày.")
    hold_generation_lock(session, plan, channel, now, settings, run)
    span = dict(unit=unit, channel=channel, start=start, end=end, now=now)
    done = (precomputed if _still_valid(session, plan, precomputed, **span)
            else _compute(session, plan, settings=settings, **span))
    _remove(session, done.removable)
    placed = sum(_store(session, plan, result, channel, now) + store_exact_posts(session, plan, posts, channel, now)
                 for result, posts in done.results)
    outcome = ScheduleOutcome(targets=len(done.target_ids), placed=placed, removed=len(done.removable),
                              kept=len(done.fixed), issues=done.issues)
    run = run or ScheduleRun(plan=plan, unit=unit, channel=channel, first_day=start, last_day=end,
                             requested_by_id=user.id if user else None, created_at=now)
    _finish_run(session, run, outcome, now)
    record(session, user=user, action="schedule.generate", entity=plan, channel=channel, unit=unit.code,
           start=start.isoformat(), end=end.isoformat(), placed=placed, removed=len(done.removable), run=run.id)
    outcome.run = run
    return outcome


def _require_active(plan: Plan) -> None:
    """A draft plan is not scheduled yet; a closed one is read-only (planner/operations/plan_state.py)."""
    reason = not_active_reason(plan, "lập lịch")
    if reason:
        raise ScheduleError(reason)


def hold_generation_lock(session: Session, plan: Plan, channel: str, now: dt.datetime, settings: dict,
                         run: ScheduleRun | None = None) -> None:
    """Hold the plan × channel generation lock for the transaction, or raise ScheduleBusy (another one runs).

    Anything that rewrites a plan's placements in bulk (generation, emergency insertion) holds it.
    """
    if not lock_generation(session, plan.id, channel, now=now, run_id=run.id if run else None,
                           wait_seconds=settings.get("SCHEDULE_LOCK_WAIT_SECONDS", 5)):
        raise ScheduleBusy("Kế hoạch này đang được lập lịch cho kênh này (một lần lập lịch khác chưa xong). "
                           "Vui lòng chờ ít phút rồi xem lại lịch hoặc thử lại.")


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
            elif r.session_starts_at > now:
                # A cancellation is kept: taking no time, it still keeps that message out of that session.
                fixed.append(scheduling.FixedItem(target_id=r.target_id, session_start=r.session_starts_at,
                                                  message_id=r.message_version_id, duration_s=0))
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
    """Generate now for a small unit; queue a run for the worker when the unit has many targets.

    Only one generation of a plan × channel runs at a time (whatever the unit): a second request waits
    for the lock briefly, and is refused while a run of the same plan and channel is queued.
    """
    _require_active(plan)
    if end < start:
        raise ScheduleError("Ngày kết thúc phải sau ngày bắt đầu.")
    count = len(targets_in(session, unit, channel))
    if count == 0:
        raise ScheduleError(f"Không có điểm phát/trang nào của kênh này thuộc {unit.name}.")
    hold_generation_lock(session, plan, channel, now, settings)
    queued = session.scalar(select(ScheduleRun).where(ScheduleRun.plan_id == plan.id, ScheduleRun.channel == channel,
                                                      ScheduleRun.status == RunStatus.QUEUED)
                            .order_by(ScheduleRun.id).limit(1))
    if queued is not None:
        raise ScheduleBusy(f"Kế hoạch này đã có một lần lập lịch kênh này đang chờ xử lý (số {queued.id}, "
                           f"yêu cầu lúc {localtime.fmt_datetime(queued.created_at)}). "
                           "Vui lòng chờ lần đó xong rồi thử lại.", run_id=queued.id)
    run = ScheduleRun(plan=plan, unit=unit, channel=channel, first_day=start, last_day=end, targets=count,
                      status=RunStatus.QUEUED, requested_by_id=user.id if user else None, created_at=now)
    session.add(run)
    session.flush()
    if count <= settings["SCHEDULE_INLINE_MAX_TARGETS"]:
        schedule_plan(session, plan, unit=unit, channel=channel, start=start, end=end, now=now, settings=settings,
                      user=user, run=run)
    return run


def run_queued_schedules(session: Session, *, now: dt.datetime, settings: dict, limit: int = 2) -> int:
    """Worker side: run queued generations one by one; a failure is recorded on its run, the rest go on.

    Each run is claimed under its plan × channel lock, in the transaction that generates it: two workers
    never run the same run, a killed worker leaves it queued for the next tick, and a run whose lock is
    busy waits for a later tick. A run waiting for a gap between due posts (SQLite, `not_before`) is passed
    over until then, so the runs queued after it go ahead.
    """
    done = 0
    queued = session.execute(select(ScheduleRun.id, ScheduleRun.plan_id, ScheduleRun.channel)
                             .where(ScheduleRun.status == RunStatus.QUEUED,
                                    or_(ScheduleRun.not_before.is_(None), ScheduleRun.not_before <= now))
                             .order_by(ScheduleRun.id).limit(limit)).all()
    session.commit()    # end the read: each run is locked and claimed in a transaction of its own
    for run_id, plan_id, channel in queued:
        try:
            done += _run_queued(session, run_id, plan_id, channel, now=now, settings=settings)
        except Exception as exc:  # noqa: BLE001 — recorded on the run; a broken run must not block the queue
            session.rollback()
            if not isinstance(exc, ScheduleError):
                log.exception("schedule run %s failed", run_id)
            error = (str(exc) if isinstance(exc, ScheduleError) else PARENT_GONE if isinstance(exc, MissingParent)
                     else "Lỗi hệ thống khi lập lịch; đã ghi nhật ký.")
            session.execute(update(ScheduleRun).where(ScheduleRun.id == run_id, ScheduleRun.status == RunStatus.QUEUED)
                            .values(status=RunStatus.FAILED, error=error, finished_at=now, note="",
                                    not_before=None))
            done += 1
        session.commit()
    return done


def _precompute(session: Session, run_id: int, *, now: dt.datetime, settings: dict) -> _Computed | None:
    """SQLite: compute a queued run before taking the lock, in a read transaction that ends here, so the
    database's one write lock is held only while the result is checked and written, not for the whole
    computation (dispatch and the web keep writing meanwhile). None when it cannot be computed now."""
    run = session.get(ScheduleRun, run_id)
    try:
        if run is None or run.status is not RunStatus.QUEUED or not run.plan.is_active:
            return None
        return _compute(session, run.plan, unit=run.unit, channel=run.channel, start=run.first_day,
                        end=run.last_day, now=now, settings=settings)
    except ScheduleError:
        return None     # said again, and recorded on the run, under the lock
    finally:
        session.rollback()


REMOVED_ROW_WEIGHT = 3    # a removed placement costs SQLite more than an inserted one (its delete triggers)


def _posts_in_the_way(session: Session, done: _Computed, run_id: int, *, now: dt.datetime, settings: dict,
                      computed_in: float) -> dt.datetime | None:
    """SQLite: when writing this run would hold the one write lock over an online post's dispatch, the due time of
    the first such post (None: write now); the run then records why it waits and when to look again.

    The write is estimated from its rows (SCHEDULE_SQLITE_SECONDS_PER_ROW, twice what bench/schedule.py measures;
    a removed placement counts REMOVED_ROW_WEIGHT times). Below SCHEDULE_SQLITE_GAP_MIN_SECONDS it always goes
    ahead (a commune's generation writes in well under a second). Otherwise it waits while a post the dispatcher
    would claim (dispatch.claimable: active plan, page not backing off) is due before the estimated end of the
    write plus one worker interval — those already due and not yet expired included — or one is still being sent
    (the dispatcher has its outcome to write). After SCHEDULE_SQLITE_MAX_DEFER_SECONDS in the queue it is written
    anyway."""
    from planner.dispatch import claimable
    from planner.print_documents import format_count

    placed = sum(len(result) + len(posts) for result, posts in done.results)
    rows = placed + REMOVED_ROW_WEIGHT * len(done.removable)
    seconds = rows * settings["SCHEDULE_SQLITE_SECONDS_PER_ROW"]
    if seconds < settings["SCHEDULE_SQLITE_GAP_MIN_SECONDS"]:
        return None
    run = session.get(ScheduleRun, run_id)
    if run is None or now - run.created_at > dt.timedelta(seconds=settings["SCHEDULE_SQLITE_MAX_DEFER_SECONDS"]):
        return None
    interval = dt.timedelta(seconds=settings["WORKER_INTERVAL_SECONDS"])
    until = now + dt.timedelta(seconds=computed_in + seconds) + interval
    due = select(func.min(Delivery.due_at)).where(
        *claimable(session, now=now, until=until),
        Delivery.due_at > now - dt.timedelta(seconds=settings["DISPATCH_LATENESS_SECONDS"]))
    sending = select(func.min(Delivery.due_at)).where(
        Delivery.status == DeliveryStatus.DISPATCHED,
        Delivery.claimed_at > now - dt.timedelta(seconds=settings["DISPATCH_STALE_SECONDS"]))
    first = min(filter(None, (session.scalar(due), session.scalar(sending))), default=None)
    if first is not None:
        note = (f"Chờ ghi lịch sau khi đăng các bài đến hạn (bài đầu tiên lúc {localtime.fmt_datetime(first)}): "
                f"ghi {format_count(placed + len(done.removable))} lượt mất khoảng {round(seconds)} giây, trong lúc đó "
                f"cơ sở dữ liệu SQLite không nhận thay đổi nào khác.")
        session.execute(update(ScheduleRun).where(ScheduleRun.id == run_id, ScheduleRun.status == RunStatus.QUEUED)
                        .values(note=note, not_before=max(first, now) + interval))
        session.commit()
        log.info("schedule run %s waits: %s rows (≈ %.0f s) would hold SQLite's write lock over a due post",
                 run_id, rows, seconds)
    return first


def _run_queued(session: Session, run_id: int, plan_id: int, channel: str, *, now: dt.datetime,
                settings: dict) -> int:
    precomputed = None
    if session.get_bind().dialect.name == "sqlite":
        began = time.monotonic()
        precomputed = _precompute(session, run_id, now=now, settings=settings)
        if precomputed is not None and _posts_in_the_way(session, precomputed, run_id, now=now, settings=settings,
                                                         computed_in=time.monotonic() - began):
            session.rollback()
            return 0    # stays queued: looked at again from its not_before
    if not lock_generation(session, plan_id, channel, now=now, run_id=run_id,
                           wait_seconds=settings.get("SCHEDULE_LOCK_WAIT_SECONDS", 5)):
        session.rollback()
        return 0
    claimed = session.execute(update(ScheduleRun).where(ScheduleRun.id == run_id,
                                                        ScheduleRun.status == RunStatus.QUEUED)
                              .values(status=RunStatus.RUNNING, note="", not_before=None)).rowcount
    if not claimed:     # another worker ran it while we waited for the lock
        session.rollback()
        return 0
    run = session.get(ScheduleRun, run_id, populate_existing=True)
    schedule_plan(session, run.plan, unit=run.unit, channel=run.channel, start=run.first_day, end=run.last_day,
                  now=now, settings=settings, run=run, precomputed=precomputed)
    return 1
