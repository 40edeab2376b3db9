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
