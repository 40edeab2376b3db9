"""Recording deliveries: confirmations by people (QR link, login), missed sessions, signed village links."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from planner import localtime
from planner.models import ConfirmedVia, Delivery, DeliveryStatus, Occurrence, Target, User
from planner.operations.audit import record

BROADCAST_CHANNELS = ("loudspeaker",)
LINK_SALT = "planner.village-confirm.v1"


ONLINE_CONFIRM_ERROR = ("Bài đăng trực tuyến chỉ được xác nhận bởi nền tảng (khi hệ thống đăng thành công) "
                        "hoặc qua đối soát khi chưa rõ kết quả; không xác nhận thủ công.")


class DeliveryError(ValueError):
    """A confirmation that cannot be recorded (Vietnamese message)."""


class OnlineConfirmError(DeliveryError):
    """A person tried to confirm an online post: only the platform or reconciliation may settle it."""




@dataclass(frozen=True)
class VillageLink:
    """What a signed village link grants: confirming one target's broadcasts over a date range."""

    target_id: int
    first: dt.date
    last: dt.date


def make_village_token(secret: str, target_id: int, first: dt.date, last: dt.date) -> str:
    """A signed, password-less token for one village's confirmation page."""
    return URLSafeSerializer(secret, salt=LINK_SALT).dumps([target_id, first.isoformat(), last.isoformat()])


def read_village_token(secret: str, token: str, *, today: dt.date, grace_days: int) -> VillageLink:
    """Verify a token; raises DeliveryError when it is forged or outside its dates."""
    try:
        target_id, first, last = URLSafeSerializer(secret, salt=LINK_SALT).loads(token)
        link = VillageLink(int(target_id), dt.date.fromisoformat(first), dt.date.fromisoformat(last))
    except (BadSignature, ValueError, TypeError):
        raise DeliveryError("Đường dẫn xác nhận không hợp lệ.") from None
    if today < link.first or today > link.last + dt.timedelta(days=grace_days):
        raise DeliveryError(f"Đường dẫn chỉ dùng được từ {localtime.fmt_date(link.first)} "
                            f"đến {localtime.fmt_date(link.last)}.")
    return link


def deliveries_on(session: Session, target_id: int, day: dt.date) -> list[Delivery]:
    """A target's deliveries on a local day, in time order, with their occurrence and version."""
    lo, hi = localtime.local_day_bounds(day)
    stmt = (select(Delivery).join(Occurrence, Occurrence.id == Delivery.occurrence_id)
            .where(Occurrence.target_id == target_id, Occurrence.starts_at >= lo, Occurrence.starts_at < hi,
                   Delivery.status != DeliveryStatus.CANCELLED)
            .options(selectinload(Delivery.occurrence).selectinload(Occurrence.version))
            .order_by(Occurrence.starts_at))
    return list(session.scalars(stmt))


def confirm_delivery(session: Session, delivery: Delivery, *, aired: bool, reason: str, via: ConfirmedVia,
                     now: dt.datetime, user: User | None = None, name: str = "") -> bool:
    """Record that a broadcast aired (or could not); returns False when it was already recorded (idempotent)."""
    reason = (reason or "").strip()[:1000]
    if delivery.is_online:
        raise OnlineConfirmError(ONLINE_CONFIRM_ERROR)
    if not aired and not reason:
        raise DeliveryError("Vui lòng cho biết lý do không phát được.")
    if delivery.occurrence.session_starts_at > now:
        raise DeliveryError(f"Chưa đến giờ phát (phiên bắt đầu lúc "
                            f"{localtime.fmt_datetime(delivery.occurrence.session_starts_at)}), chưa thể xác nhận.")
    session.refresh(delivery, with_for_update=True)  # PostgreSQL: the worker cannot change it under us
    new_status = DeliveryStatus.DELIVERED if aired else DeliveryStatus.FAILED
    if delivery.status is new_status:
        return False
    correcting = delivery.status in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED)
    if correcting and not may_correct(delivery, via, now):
        raise DeliveryError(f"Lượt này đã được ghi nhận: {delivery.status_label}. Trưởng thôn chỉ sửa được trong ngày "
                            "phát; sau đó, cán bộ văn hóa xã sửa giúp.")
    if not correcting and delivery.status not in (DeliveryStatus.PLANNED, DeliveryStatus.MISSED,
                                                  DeliveryStatus.UNKNOWN):
        raise DeliveryError(f"Lượt này đã được ghi nhận: {delivery.status_label}.")
    old = delivery.status
    delivery.status, delivery.finished_at, delivery.reason = new_status, now, reason
    delivery.confirmed_via, delivery.confirmed_by_id = via, user.id if user else None
    delivery.confirmed_by_name = (user.full_name if user else name)[:200]
    session.flush()
    record(session, user=user, actor=name, action="delivery.correct" if correcting else "delivery.confirm",
           entity=delivery, from_state=old, to_state=new_status, via=via.value, reason=reason)
    if aired and delivery.is_replaced:
        _cancel_replacements(session, delivery, now)
    return True


def may_correct(delivery: Delivery, via: ConfirmedVia, now: dt.datetime) -> bool:
    """A recorded outcome is corrected by a logged-in officer any time, by the village head (QR link) only
    on the local day of the broadcast and only over the head's own confirmation."""
    if via is ConfirmedVia.USER:
        return True
    return (via is ConfirmedVia.QR_LINK and delivery.confirmed_via is ConfirmedVia.QR_LINK
            and localtime.today(now) == localtime.to_local(delivery.occurrence.starts_at).date())


def _cancel_replacements(session: Session, delivery: Delivery, now: dt.datetime) -> None:
    """A missed broadcast confirmed late did air after all: its planned make-up is no longer needed."""
    rows = session.scalars(select(Delivery).join(Occurrence, Occurrence.id == Delivery.occurrence_id)
                           .where(Occurrence.replaces_delivery_id == delivery.id,
                                  Delivery.status == DeliveryStatus.PLANNED)).all()
    for row in rows:
        row.status, row.finished_at = DeliveryStatus.CANCELLED, now
        row.reason = "Lượt gốc đã được xác nhận là đã phát; không cần phát bù."
        record(session, user=None, action="delivery.cancel_makeup", entity=row, from_state=DeliveryStatus.PLANNED,
               to_state=DeliveryStatus.CANCELLED, original=delivery.id)


def mark_missed(session: Session, *, now: dt.datetime) -> int:
    """Broadcasts of days that have ended with nobody confirming become 'missed'; returns how many."""
    start_of_today, _ = localtime.local_day_bounds(localtime.today(now))
    ids = list(session.scalars(
        select(Delivery.id).where(Delivery.status == DeliveryStatus.PLANNED,
                                  Delivery.channel.in_(BROADCAST_CHANNELS), Delivery.due_at < start_of_today)))
    for i in range(0, len(ids), 500):
        session.execute(update(Delivery).where(Delivery.id.in_(ids[i:i + 500]),
                                               Delivery.status == DeliveryStatus.PLANNED)
                        .values(status=DeliveryStatus.MISSED, finished_at=now, confirmed_via=ConfirmedVia.SYSTEM,
                                reason="Không có xác nhận trong ngày phát", updated_at=now))
    return len(ids)


def target_of(session: Session, target_id: int) -> Target | None:
    """The target with its unit loaded."""
    return session.scalars(select(Target).where(Target.id == target_id).options(selectinload(Target.unit))).first()


ATTENTION = (DeliveryStatus.UNKNOWN, DeliveryStatus.EXPIRED, DeliveryStatus.FAILED, DeliveryStatus.MISSED)


def reconcile_delivery(session: Session, delivery: Delivery, *, published: bool, external_id: str, note: str,
                       user: User, now: dt.datetime) -> None:
    """An editor settles an online post whose outcome was unknown: checked on the page, posted or not."""
    session.refresh(delivery, with_for_update=True)
    if delivery.status is not DeliveryStatus.UNKNOWN:
        raise DeliveryError("Chỉ đối soát được lượt có kết quả chưa rõ.")
    external_id, note = (external_id or "").strip()[:200], (note or "").strip()[:1000]
    if published and not external_id:
        raise DeliveryError("Vui lòng nhập mã bài đăng đã tìm thấy trên trang.")
    old = delivery.status
    delivery.status = DeliveryStatus.DELIVERED if published else DeliveryStatus.FAILED
    delivery.external_id = external_id if published else delivery.external_id
    delivery.reason = note or ("Đã kiểm tra: bài đã lên trang" if published else "Đã kiểm tra: bài không lên trang")
    delivery.confirmed_via, delivery.confirmed_by_id, delivery.confirmed_by_name = ConfirmedVia.USER, user.id, user.full_name
    delivery.finished_at = now
    session.flush()
    record(session, user=user, action="delivery.reconcile", entity=delivery, from_state=old, to_state=delivery.status,
           external_id=delivery.external_id)
