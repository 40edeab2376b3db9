"""Recording state changes in the audit log."""
from __future__ import annotations

from sqlalchemy.orm import Session

from planner.models import AuditEntry, User


def record(session: Session, *, user: User | None, action: str, entity, from_state="", to_state="",
           actor: str = "", **detail) -> AuditEntry:
    """Add an audit entry for `entity` (any model with an id); flushes nothing by itself."""
    entry = AuditEntry(
        user_id=user.id if user else None,
        actor=actor or (user.username if user else "hệ thống"),
        action=action,
        entity_type=type(entity).__tablename__,
        entity_id=entity.id,
        from_state=_state(from_state),
        to_state=_state(to_state),
        detail=detail,
    )
    session.add(entry)
    return entry


def _state(value) -> str:
    return getattr(value, "value", value) or ""


# What people read in a history list, for each recorded action (unknown ones are shown as recorded).
ACTION_LABELS = {
    "occurrence.place": "Lên lịch thủ công", "occurrence.move": "Dời lịch", "occurrence.pin": "Ghim",
    "occurrence.unpin": "Bỏ ghim", "occurrence.cancel": "Hủy lượt", "occurrence.undo": "Hoàn tác",
    "delivery.confirm": "Ghi nhận kết quả", "delivery.correct": "Sửa kết quả đã ghi nhận",
    "delivery.reconcile": "Đối soát kết quả", "delivery.cancel_makeup": "Hủy lượt phát bù",
    "delivery.reconcile_auto": "Tự đối soát với nền tảng",
    "delivery.dispatch": "Gửi lên kênh", "delivery.make_up": "Xếp lượt phát bù", "delivery.handled": "Đánh dấu đã xử lý",
    "schedule.emergency": "Chèn tin khẩn", "schedule.generate": "Lập lịch",
}
ACTOR_LABELS = {"worker": "Hệ thống gửi tin tự động", "hệ thống": "Hệ thống", "": "Hệ thống"}


def action_label(action: str) -> str:
    """Vietnamese name of an audited action."""
    return ACTION_LABELS.get(action, action)


def actor_label(entry: AuditEntry) -> str:
    """Who did it: the user's full name, a named village head, or the system in words."""
    if entry.user is not None:
        return entry.user.full_name
    return ACTOR_LABELS.get(entry.actor or "", entry.actor)
