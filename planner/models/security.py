"""Login throttles, server-side login sessions and iCal link keys (the hardening tables)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from planner.db import Base, UTCDateTime, utcnow


class LoginThrottle(Base):
    """Failed-guess counter for one key ("u:<name>|<addr>", "a:<addr>" or "d:<device>"), updated atomically."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    # No further guess for this key is checked before this time (NULL: no delay yet).
    next_allowed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class UserSession(Base):
    """A logged-in browser; the cookie holds a random id, the database only its SHA-256. Logout deletes it."""

    __tablename__ = "user_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class FeedKey(Base):
    """The current generation of a unit's ('u') or target's ('t') iCal link; rotating it voids older links."""

    __tablename__ = "feed_keys"
    __table_args__ = (UniqueConstraint("kind", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(1))
    object_id: Mapped[int]
    generation: Mapped[int] = mapped_column(default=0)
    rotated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
