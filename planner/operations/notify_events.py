"""Who is told what, for each event: composes the texts and recipients, then calls `notifications.notify`."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from planner import localtime
from planner.models import (Delivery, DeliveryStatus, DueItem, MessageVersion, Occurrence, Plan, PrintOrder,
                            Role, Target, Unit, User)
from planner.models.printing import PRINT_STATUS_LABELS
from planner.operations.notifications import notify, officers_for, users_of

PROBLEM_STATUSES = (DeliveryStatus.FAILED, DeliveryStatus.UNKNOWN, DeliveryStatus.MISSED)
REMIND_DAYS = 7


def message_submitted(session: Session, version: MessageVersion, by: User, *, now: dt.datetime) -> None:
    """Approvers who may review the message's plan are told it waits for them."""
    from planner.access import approving_unit

    plan = version.message.plan
    unit = approving_unit(session, plan.unit)
    approvers = users_of(session, [unit.id], (Role.APPROVER,)) if unit else []
    notify(session, approvers, "message.submitted",
           f"{by.full_name} gửi duyệt tin bài \"{version.title}\" (kế hoạch {plan.number or plan.code}, "
           f"phiên bản {version.number}).",
           f"/messages/{version.message_id}", now=now, skip=by)


def message_reviewed(session: Session, version: MessageVersion, by: User, *, approved: bool, note: str,
                     now: dt.datetime) -> None:
    """The author and the plan unit's editors hear the decision, with the approver's note when sent back."""
    people = [session.get(User, version.created_by_id)] if version.created_by_id else []
    people += officers_for(session, version.message.plan.unit)
    text = (f"{by.full_name} đã duyệt tin bài \"{version.title}\"." if approved else
            f"{by.full_name} yêu cầu sửa tin bài \"{version.title}\": {note}")
    notify(session, people, "message.reviewed", text, f"/messages/{version.message_id}", now=now, skip=by)


def print_order_event(session: Session, order: PrintOrder, event: str, *, now: dt.datetime,
                      by: User | None = None) -> None:
    """Tell the orderer (proof ready or failed, printed, delivered) or the shop (a proof approved = a new order)."""
    title = order.version.title
    label = f"Đơn in #{order.id} ({title}, {order.quantity} bản)"
    to_shop = event in ("proof_approved", "cancelled")
    shop = users_of(session, [order.print_shop_id], (Role.PRINT_SHOP,)) if to_shop else []
    if event == "proof_approved":
        people, text = shop, f"{label}: đơn mới đã sẵn sàng để in."
    elif event == "cancelled":
        people, text = shop, f"{label}: đơn đã bị hủy."
    else:
        people = [order.created_by] if order.created_by else officers_for(session, order.unit)
        text = {"proof_ready": f"{label}: bản in thử đã sẵn sàng, mời xem và duyệt.",
                "proof_failed": f"{label}: không dựng được tệp in — {order.proof_error}"}.get(
            event, f"{label}: {PRINT_STATUS_LABELS.get(order.status, event).lower()}.")
    notify(session, people, "print_order", text, f"/print-orders/{order.id}", now=now, skip=by)


def emergency_inserted(session: Session, unit: Unit, version: MessageVersion, placed: int, by: User | None, *,
                       now: dt.datetime) -> None:
    """The officers of the unit where an emergency was inserted."""
    notify(session, officers_for(session, unit), "emergency",
           f"Tin khẩn \"{version.title}\" được chèn vào {placed} lượt phát tại {unit.name}"
           f"{' bởi ' + by.full_name if by else ''}.", f"/plans/{version.message.plan_id}/calendar", now=now, skip=by)


def delivery_problems(session: Session, *, now: dt.datetime, limit: int = 5000) -> int:
    """Worker step: failed, unknown and missed deliveries not yet told, one notification per unit and plan.

    Returns how many notifications were made.
    """
    rows = session.execute(
        select(Delivery.id, Delivery.status, Occurrence.plan_id, Target.unit_id)
        .join(Occurrence, Occurrence.id == Delivery.occurrence_id).join(Target, Target.id == Occurrence.target_id)
        .where(Delivery.status.in_(PROBLEM_STATUSES), Delivery.problem_notified_at.is_(None))
        .order_by(Delivery.id).limit(limit)).all()
    if not rows:
        return 0
    groups: dict[tuple[int, int], list] = defaultdict(list)
    units: dict[int, list[User]] = {}
    for row in rows:
        if row.unit_id not in units:
            units[row.unit_id] = officers_for(session, session.get(Unit, row.unit_id))
        people = units[row.unit_id]
        groups[(people[0].unit_id if people else 0, row.plan_id)].append(row)
    made = 0
    for (officer_unit, plan_id), group in groups.items():
        counts = defaultdict(int)
        for row in group:
            counts[row.status] += 1
        parts = [f"{n} {_LABELS[status]}" for status, n in counts.items()]
        plan = session.get(Plan, plan_id)
        if officer_unit:
            made += len(notify(session, users_of(session, [officer_unit], (Role.PLANNER, Role.EDITOR)),
                               "delivery.problem",
                               f"Kế hoạch {plan.number or plan.code}: " + ", ".join(parts) + " cần xử lý.",
                               f"/plans/{plan_id}/attention", now=now))
    ids = [row.id for row in rows]
    for i in range(0, len(ids), 500):
        session.execute(update(Delivery).where(Delivery.id.in_(ids[i:i + 500])).values(problem_notified_at=now))
    session.flush()
    return made


_LABELS = {DeliveryStatus.FAILED: "lượt thất bại", DeliveryStatus.UNKNOWN: "lượt chưa rõ kết quả",
           DeliveryStatus.MISSED: "lượt phát bị lỡ"}


def reports_due(session: Session, *, now: dt.datetime, sync: bool = True) -> int:
    """Worker step: due items (reporting deadlines) within 7 days, told once to their unit's officers.

    With `sync`, the plans' due items are created first (the worker asks for that once a day).
    """
    from planner.operations.due_items import sync_due_items

    today = localtime.today(now)
    recent = or_(Plan.ends_on.is_(None), Plan.ends_on >= today - dt.timedelta(days=60))
    for plan in session.scalars(select(Plan).where(recent)) if sync else []:
        try:
            with session.begin_nested():   # a dashboard creating the same items at once: theirs stand
                sync_due_items(session, plan, today=today)
        except IntegrityError:
            pass
    made = 0
    for item in session.scalars(select(DueItem).where(
            DueItem.done_at.is_(None), DueItem.reminded_at.is_(None), DueItem.due_on >= today,
            DueItem.due_on <= today + dt.timedelta(days=REMIND_DAYS)).order_by(DueItem.id)):
        made += len(notify(session, officers_for(session, item.unit), "report.due",
                           f"{item.title}: hạn {localtime.fmt_date(item.due_on)} "
                           f"(còn {(item.due_on - today).days} ngày).", f"/plans/{item.plan_id}/dashboard", now=now))
        item.reminded_at = now
    session.flush()
    return made
