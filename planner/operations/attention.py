"""'Cần xử lý': deliveries that need a person, filtered and paged; make-up broadcasts and marking handled."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased, selectinload

from planner import localtime
from planner.models import Delivery, DeliveryStatus, Occurrence, Plan, Target, Unit, UnitKind, User
from planner.operations.audit import record
from planner.operations.delivery import ATTENTION, BROADCAST_CHANNELS, DeliveryError

PAGE_SIZE = 50
MAKE_UP_STATUSES = (DeliveryStatus.MISSED, DeliveryStatus.FAILED)
REPOST_STATUSES = (DeliveryStatus.FAILED, DeliveryStatus.EXPIRED)    # unknown ones are reconciled first


@dataclass(frozen=True)
class AttentionFilter:
    """What the officer narrowed the list to; empty values mean 'all'."""

    channel: str = ""
    status: str = ""
    village_id: int | None = None


def _made_up():
    """A live (not cancelled) make-up broadcast exists for the delivery."""
    later = aliased(Occurrence)
    later_delivery = aliased(Delivery)
    return exists().where(later.replaces_delivery_id == Delivery.id, later_delivery.occurrence_id == later.id,
                          later_delivery.status != DeliveryStatus.CANCELLED)


def open_items_query(plan: Plan, scope: Unit, flt: AttentionFilter):
    """Open items of a plan within the user's unit: attention statuses, not handled, not made up."""
    statuses = [s for s in ATTENTION if not flt.status or s.value == flt.status]
    stmt = (select(Delivery).join(Occurrence, Occurrence.id == Delivery.occurrence_id)
            .join(Target, Target.id == Occurrence.target_id).join(Unit, Unit.id == Target.unit_id)
            .where(Occurrence.plan_id == plan.id, Delivery.status.in_(statuses), Delivery.handled_at.is_(None),
                   Unit.path.startswith(scope.path, autoescape=True), ~_made_up()))
    if flt.channel:
        stmt = stmt.where(Delivery.channel == flt.channel)
    if flt.village_id:
        stmt = stmt.where(Target.unit_id == flt.village_id)
    return stmt


def village_options(session: Session, plan: Plan, scope: Unit, limit: int = 500) -> list[Unit]:
    """Villages the filter offers: those both within the user's unit and within the plan's unit."""
    paths = sorted((scope.path, plan.unit.path), key=len)
    if not paths[1].startswith(paths[0]):
        return []
    return list(session.scalars(select(Unit).where(Unit.kind == UnitKind.VILLAGE,
                                                   Unit.path.startswith(paths[1], autoescape=True))
                                .order_by(Unit.path).limit(limit)))


# Newest first; the key API cursors page by (sorted and limited in SQL, never in Python).
SORT_KEY = (Delivery.due_at, Delivery.id)


def open_items_loading(plan: Plan, scope: Unit, flt: AttentionFilter):
    """The open items query with what a list row shows loaded alongside."""
    return open_items_query(plan, scope, flt).options(
        selectinload(Delivery.occurrence).selectinload(Occurrence.version),
        selectinload(Delivery.occurrence).selectinload(Occurrence.target).selectinload(Target.unit))


def open_items(session: Session, plan: Plan, scope: Unit, flt: AttentionFilter, *, limit: int = PAGE_SIZE,
               offset: int = 0) -> tuple[list[Delivery], int]:
    """One page of open items, newest first, and how many there are in all.

    The total rides on the page's rows (a window count): the sort evaluates every open item anyway, and a
    separate count query doubled the database time of the page."""
    stmt = open_items_loading(plan, scope, flt).add_columns(func.count().over())
    found = session.execute(stmt.order_by(*[c.desc() for c in SORT_KEY]).limit(limit).offset(offset)).all()
    if found:
        return [row[0] for row in found], found[0][1]
    total = session.scalar(select(func.count()).select_from(open_items_query(plan, scope, flt).subquery())) or 0
    return [], total


def can_make_up(delivery: Delivery) -> bool:
    """Missed or failed broadcasts, and failed or expired online posts, can be made up in a later session."""
    if delivery.channel in BROADCAST_CHANNELS:
        return delivery.status in MAKE_UP_STATUSES
    return delivery.status in REPOST_STATUSES


def make_up_delivery(session: Session, delivery: Delivery, *, user: User, now: dt.datetime,
                     settings: dict) -> Occurrence:
    """Put a missed or failed broadcast (or a failed/expired post) again into the next free session of its
    target — for posts no sooner than the platform's scheduling lead time (audited)."""
    from planner.operations.placement import PlacementError, _check_daily_quota
    from planner.operations.repairs import replace_for_plan

    session.refresh(delivery, with_for_update=True)
    if not can_make_up(delivery):
        raise DeliveryError("Chỉ phát bù được lượt loa bị lỡ/không phát được, hoặc bài đăng thất bại/quá hạn "
                            "(bài chưa rõ kết quả cần đối soát trước).")
    if session.scalar(select(_made_up().where(Delivery.id == delivery.id))):
        raise DeliveryError("Lượt này đã có lượt phát bù.")
    occ = delivery.occurrence
    who = user.full_name if user else "hệ thống"
    online = delivery.channel not in BROADCAST_CHANNELS
    earliest = now + dt.timedelta(seconds=settings["FACEBOOK_MIN_LEAD_SECONDS"]) if online else now
    result = replace_for_plan(session, occ.plan, [delivery], now, settings, channel=delivery.channel,
                              earliest=earliest,
                              reason=f"{'Đăng lại' if online else 'Phát bù'} lượt {localtime.fmt_datetime(occ.starts_at)} "
                                     f"({delivery.status_label.lower()}), do {who} xếp lúc "
                                     f"{localtime.fmt_datetime(now)} vào phiên trống gần nhất.")
    if not result.replaced:
        detail = result.issues[0].detail if result.issues else "không còn phiên trống"
        raise DeliveryError(f"Không xếp được lượt phát bù: {detail}.")
    new = session.scalars(select(Occurrence).where(Occurrence.replaces_delivery_id == delivery.id)
                          .order_by(Occurrence.id.desc()).limit(1)).one()
    if online:
        try:
            _check_daily_quota(session, new.target, new.starts_at, settings, exclude_id=new.id)
        except PlacementError as exc:
            raise DeliveryError(f"Không xếp được lượt đăng lại: {exc}") from None
    record(session, user=user, action="delivery.make_up", entity=delivery, from_state=delivery.status,
           to_state=delivery.status, make_up_occurrence=new.id, at=new.starts_at.isoformat())
    return new


def mark_handled(session: Session, delivery: Delivery, *, reason: str, user: User, now: dt.datetime) -> None:
    """Take an item off 'Cần xử lý' with the reason (e.g. 'đã phát bù bằng xe loa', 'bài đã đăng tay')."""
    reason = (reason or "").strip()[:1000]
    if not reason:
        raise DeliveryError("Vui lòng ghi lý do đánh dấu đã xử lý.")
    session.refresh(delivery, with_for_update=True)
    if delivery.status not in ATTENTION:
        raise DeliveryError(f"Lượt này không cần xử lý ({delivery.status_label}).")
    if delivery.handled_at is not None:
        raise DeliveryError("Lượt này đã được đánh dấu đã xử lý.")
    delivery.handled_at, delivery.handled_reason = now, reason
    session.flush()
    record(session, user=user, action="delivery.handled", entity=delivery, from_state=delivery.status,
           to_state=delivery.status, reason=reason)


def apply_to_many(session: Session, deliveries: list[Delivery], action, **kwargs) -> tuple[int, list[str]]:
    """Run `action` (make_up_delivery or mark_handled) on each delivery; (done, errors) — one failure stops none.

    Both actions check before they write, so a refused item leaves nothing half-written.
    """
    done, errors = 0, []
    for delivery in deliveries:
        try:
            action(session, delivery, **kwargs)
            done += 1
        except DeliveryError as exc:
            errors.append(f"{delivery.occurrence.target.name} {localtime.fmt_datetime(delivery.due_at)}: {exc}")
    return done, errors


@dataclass(frozen=True)
class Deadline:
    """A dated duty of the plan (a milestone, a one-off report) coming up."""

    due: dt.date
    what: str
    days_left: int


def upcoming_deadlines(plan: Plan, today: dt.date, *, ahead_days: int = 30, due=None) -> list[Deadline]:
    """The plan's milestones, indicator deadlines and reports due from today to `ahead_days` ahead.

    `due` is the plan's open due items (`due_items.due_items_for`): when given, reports (monthly, six-monthly,
    annual and one-off) and milestones come from them, so a report already marked sent drops off; otherwise
    milestones and one-off reports are read from the plan's details."""
    details = plan.details or {}
    found = [(item.get("deadline"), f"Hạn chỉ tiêu: {item.get('name', '')}", False)
             for item in details.get("indicators") or []]
    if due is None:
        found += [(item.get("due"), item.get("what", ""), item.get("yearly", False))
                  for item in details.get("deadlines") or []]
        found += [(item.get("due"), f"Báo cáo gửi {item.get('to', '')}", False)
                  for item in details.get("reporting") or [] if item.get("frequency") == "once"]
    else:
        found += [(state.item.due_on, state.item.title, False) for state in due]
    out = []
    for raw, what, yearly in found:
        when = raw if isinstance(raw, dt.date) else _due_date(raw, today, yearly)
        if when is not None and 0 <= (when - today).days <= ahead_days:
            out.append(Deadline(when, what, (when - today).days))
    return sorted(out, key=lambda d: d.due)


def _due_date(raw, today: dt.date, yearly: bool) -> dt.date | None:
    """dd/mm/yyyy, ISO, or dd/mm for a yearly date (its next occurrence from today)."""
    text = str(raw or "").strip()
    if not text:
        return None
    if text.count("/") == 1:
        try:
            day, month = (int(p) for p in text.split("/"))
            due = dt.date(today.year, month, day)
        except ValueError:
            return None
        return due if due >= today else due.replace(year=today.year + 1)
    try:
        return localtime.parse_date(text)
    except ValueError:
        return None
