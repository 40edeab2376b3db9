"""Rows that keep concurrent requests apart: generation locks and one-time (idempotency) keys."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from planner.db import Base, UTCDateTime, utcnow


class GenerationLock(Base):
    """One row per plan × channel; a generation holds it (row lock / SQLite write lock) until it commits.

    The row itself says only who held it last; exclusivity comes from writing it first in the
    generation's transaction (see planner/operations/generation_lock.py).
    """

    __tablename__ = "generation_locks"

    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    run_id: Mapped[int | None] = mapped_column()
    locked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class IdempotencyKey(Base):
    """A one-time key of a create request (form field or Idempotency-Key header) and the result it gave.

    The row is written in the same transaction as what the request created, so a visible key always
    has its result; a retry with the same key gets that result instead of a second creation.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"), Index("ix_idempotency_keys_created_at", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    # The route (endpoint name) and a SHA-256 of what was asked: the same key for something else is refused.
    route: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    # What was created (e.g. "occurrence", 12) and the response the API gave (replayed as is).
    resource: Mapped[str] = mapped_column(String(64), default="")
    resource_id: Mapped[int | None] = mapped_column()
    response_status: Mapped[int] = mapped_column(default=0)
    response_body: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


def _count_message_version_changes(session, _flush_context, _instances) -> None:
    """A message's row_version also counts changes to its versions (title and body live there).

    Editing a draft changes only the message_versions row; bumping the message's counter in the same
    flush makes a stale edit form or ETag of the message detectable, and two concurrent saves conflict
    on the message row (version_id_col) instead of the second silently overwriting the first.
    """
    from planner.models.content import Message, MessageVersion

    bumped: set[int] = set()
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, MessageVersion) or (obj in session.dirty and not session.is_modified(obj)):
            continue
        message = obj.message or (session.get(Message, obj.message_id) if obj.message_id else None)
        if isinstance(message, Message) and message.id is not None and message not in session.new \
                and message.id not in bumped:
            bumped.add(message.id)
            message.row_version = (message.row_version or 1) + 1


event.listen(Session, "before_flush", _count_message_version_changes)
