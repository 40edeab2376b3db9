"""Changing a placed occurrence by hand: move it into a session (or an explicit ad hoc one), pin, cancel, undo."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from planner import localtime
from planner.models import AuditEntry, Delivery, DeliveryStatus, Occurrence, User
from planner.operations.audit import record
from planner.operations.placement import PlacementError, _check_capacity, _check_time, _session_for
from planner.operations.placement import _parse_when as parse_local  # a form's dd/mm/yyyy + HH:MM, as UTC

AD_HOC_LABEL = "Phiên đột xuất"
UNDOABLE = ("occurrence.move", "occurrence.cancel")


class MoveRefused(PlacementError):
    """The target session cannot take the item (full, none at that time, separation); `code` says which."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def _movable(session: Session, occ: Occurrence, now: dt.datetime) -> Delivery:
    delivery = occ.delivery
    session.refresh(delivery, with_for_update=True)  # PostgreSQL: not while the worker is sending it
    if delivery.status is not DeliveryStatus.PLANNED or occ.starts_at <= now:
        raise PlacementError("Chỉ dời được lượt phát/đăng chưa thực hiện.")
    return delivery


def _check_separation(session: Session, occ: Occurrence, session_start: dt.datetime) -> None:
    """The message may not air twice in a session, nor closer than its minimum gap at the same target."""
    gap = dt.timedelta(hours=occ.version.message.min_gap_hours or 0)
    others = session.scalars(
        select(Occurrence.session_starts_at).join(Delivery, Delivery.occurrence_id == Occurrence.id)
        .where(Occurrence.target_id == occ.target_id, Occurrence.message_version_id == occ.message_version_id,
               Occurrence.id != occ.id, Delivery.status != DeliveryStatus.CANCELLED,
               Occurrence.session_starts_at > session_start - gap - dt.timedelta(seconds=1),
               Occurrence.session_starts_at < session_start + gap + dt.timedelta(seconds=1))).all()
    for other in others:
        if other == session_start:
            raise MoveRefused(f"Tin này đã có trong phiên {localtime.fmt_datetime(session_start)}.", "separation")
        if abs(other - session_start) < gap:
            raise MoveRefused(f"Tin này phải cách lượt khác ít nhất {gap.seconds // 3600 + gap.days * 24} giờ; "
                              f"đã có lượt lúc {localtime.fmt_datetime(other)}.", "separation")


def _target_session(session: Session, occ: Occurrence, when: dt.datetime, ad_hoc: bool) -> tuple[dt.datetime, int]:
    """(session start, offset) of the target session for `when`; refuses times outside the grid unless ad hoc."""
    session_start, capacity = _session_for(session, occ.target, when)
    if ad_hoc and capacity is not None:
        raise MoveRefused(f"{localtime.fmt_datetime(when)} nằm trong phiên {localtime.fmt_datetime(session_start)}; "
                          "hãy dời vào phiên đó thay vì tạo phiên đột xuất.", "in_session")
    if not ad_hoc and capacity is None:
        raise MoveRefused(f"Không có phiên phát nào của {occ.target.name} lúc {localtime.fmt_datetime(when)}. "
                          "Chọn giờ bắt đầu của một phiên trong khung giờ, hoặc chọn “phiên đột xuất”.", "no_session")
    _check_separation(session, occ, session_start)
    try:
        offset = _check_capacity(session, occ.target, session_start, capacity, occ.duration_seconds, exclude_id=occ.id)
    except PlacementError as exc:
        raise MoveRefused(str(exc), "session_full") from None
    if capacity is None:    # items already moved into the same ad hoc session play one after another
        offset = _check_capacity(session, occ.target, session_start, 10**9, 0, exclude_id=occ.id)
    return session_start, offset


def _snapshot(occ: Occurrence) -> dict:
    return {"session_starts_at": occ.session_starts_at.isoformat(), "starts_at": occ.starts_at.isoformat(),
            "is_pinned": occ.is_pinned, "is_ad_hoc": occ.is_ad_hoc, "reason": occ.reason}


MAX_MOVE_AHEAD = dt.timedelta(days=10 * 365)


def move_occurrence(session: Session, occ: Occurrence, when: dt.datetime, *, user: User, now: dt.datetime,
                    ad_hoc: bool = False, settings: dict | None = None) -> None:
    """Move a planned occurrence into the session of its target at `when` (or an explicit ad hoc session); pins it."""
    delivery = _movable(session, occ, now)
    if when <= now:
        raise PlacementError("Thời điểm đã qua; vui lòng chọn thời điểm trong tương lai.")
    if when > now + MAX_MOVE_AHEAD:  # also keeps the session arithmetic below clear of year 9999
        raise PlacementError(f"Thời điểm quá xa: chỉ dời được trong vòng {MAX_MOVE_AHEAD.days // 365} năm tới.")
    if settings is not None:
        _check_time(occ.target, when, now, settings)
    session_start, offset = _target_session(session, occ, when, ad_hoc)
    before, old = _snapshot(occ), occ.starts_at
    occ.session_starts_at, occ.is_ad_hoc, occ.is_pinned = session_start, ad_hoc, True
    occ.starts_at = session_start + dt.timedelta(seconds=offset)
    where = f"{AD_HOC_LABEL.lower()} " if ad_hoc else ""
    occ.reason = (f"Dời thủ công vào {where}lúc {localtime.fmt_datetime(occ.starts_at)} bởi {user.full_name} "
                  f"lúc {localtime.fmt_datetime(now)} (trước đó {localtime.fmt_datetime(old)}); đã ghim.")
    delivery.due_at = occ.starts_at
    session.flush()
    record(session, user=user, action="occurrence.move", entity=occ, from_state=old.isoformat(),
           to_state=occ.starts_at.isoformat(), before=before, ad_hoc=ad_hoc)


def toggle_pin(session: Session, occ: Occurrence, *, user: User, pinned: bool | None = None) -> None:
    """Pin (keep through regeneration) or unpin an occurrence; `pinned` sets it, None toggles."""
    occ.is_pinned = (not occ.is_pinned) if pinned is None else pinned
    session.flush()
    record(session, user=user, action="occurrence.pin" if occ.is_pinned else "occurrence.unpin", entity=occ)


def cancel_occurrence(session: Session, occ: Occurrence, *, user: User, now: dt.datetime) -> None:
    """Cancel a planned occurrence (it frees its session's capacity and is never delivered); undoable."""
    delivery = occ.delivery
    session.refresh(delivery, with_for_update=True)
    if delivery.status is not DeliveryStatus.PLANNED:
        raise PlacementError("Chỉ hủy được lượt chưa thực hiện.")
    before = delivery.reason
    delivery.status, delivery.finished_at, delivery.reason = DeliveryStatus.CANCELLED, now, f"Hủy bởi {user.full_name}"
    session.flush()
    record(session, user=user, action="occurrence.cancel", entity=delivery, from_state=DeliveryStatus.PLANNED,
           to_state=DeliveryStatus.CANCELLED, before_reason=before, occurrence=occ.id)


def last_change(session: Session, occ: Occurrence) -> AuditEntry | None:
    """The latest move or cancel of the occurrence, if it is the last thing done to it (so it can be undone)."""
    entry = session.scalars(
        select(AuditEntry).where(or_((AuditEntry.entity_type == "occurrences") & (AuditEntry.entity_id == occ.id),
                                     (AuditEntry.entity_type == "deliveries") & (AuditEntry.entity_id == occ.delivery.id)),
                                 AuditEntry.action.in_(UNDOABLE + ("occurrence.undo",)))
        .order_by(AuditEntry.id.desc()).limit(1)).first()
    return entry if entry is not None and entry.action in UNDOABLE else None


def undo_last_change(session: Session, occ: Occurrence, *, user: User, now: dt.datetime) -> str:
    """Undo the occurrence's last move or cancel; returns what was undone ("move" or "cancel")."""
    entry = last_change(session, occ)
    if entry is None:
        raise PlacementError("Không có thao tác dời hoặc hủy nào để hoàn tác.")
    delivery = occ.delivery
    session.refresh(delivery, with_for_update=True)
    if entry.action == "occurrence.move":
        _undo_move(session, occ, delivery, entry.detail.get("before") or {}, now)
    else:
        _undo_cancel(session, occ, delivery, entry.detail.get("before_reason", ""), now)
    session.flush()
    kind = "move" if entry.action == "occurrence.move" else "cancel"
    record(session, user=user, action="occurrence.undo", entity=occ, from_state=kind, to_state="planned",
           undid=entry.id)
    return kind


def _undo_move(session: Session, occ: Occurrence, delivery: Delivery, before: dict, now: dt.datetime) -> None:
    if delivery.status is not DeliveryStatus.PLANNED or not before:
        raise PlacementError("Lượt này không còn ở trạng thái chờ phát; không hoàn tác được.")
    old_session = dt.datetime.fromisoformat(before["session_starts_at"])
    old_start = dt.datetime.fromisoformat(before["starts_at"])
    if old_start <= now:
        raise PlacementError("Thời điểm cũ đã qua; không hoàn tác được.")
    _, capacity = _session_for(session, occ.target, old_session)
    try:
        offset = _check_capacity(session, occ.target, old_session, capacity, occ.duration_seconds, exclude_id=occ.id)
    except PlacementError as exc:
        raise MoveRefused(f"Không hoàn tác được: {exc}", "session_full") from None
    occ.session_starts_at, occ.is_pinned = old_session, before["is_pinned"]
    occ.is_ad_hoc, occ.reason = before.get("is_ad_hoc", False), before.get("reason", "")
    occ.starts_at = old_start if capacity is None else old_session + dt.timedelta(seconds=offset)
    delivery.due_at = occ.starts_at


def _undo_cancel(session: Session, occ: Occurrence, delivery: Delivery, reason: str, now: dt.datetime) -> None:
    if delivery.status is not DeliveryStatus.CANCELLED or occ.starts_at <= now:
        raise PlacementError("Lượt đã hủy này đã qua giờ phát; không hoàn tác được.")
    _, capacity = _session_for(session, occ.target, occ.session_starts_at)
    try:
        _check_capacity(session, occ.target, occ.session_starts_at, capacity, occ.duration_seconds, exclude_id=occ.id)
    except PlacementError as exc:
        raise MoveRefused(f"Không hoàn tác được: {exc}", "session_full") from None
    delivery.status, delivery.finished_at, delivery.reason = DeliveryStatus.PLANNED, None, reason
