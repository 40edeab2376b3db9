"""Throttle password guesses, not people: atomic per-key counters with growing delays (no Flask here).

A guess is *reserved* (counted) in one conditional UPDATE before the password is checked, so parallel
guesses can never get more checks than the limit allows; a correct password gives the reservation back.
Keys: "u:<username>|<address>" and "a:<address>" for unknown browsers, "d:<device id>" for a browser that
logged in to that account before (so an attacker elsewhere cannot lock its owner out).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, literal, null, select, update
from sqlalchemy.orm import Session

from planner.db import UTCDateTime
from planner.models import LoginThrottle


@dataclass(frozen=True)
class Policy:
    """`free` guesses without delay, then `base_seconds`, doubling per further failure, up to `max_seconds`;
    counters are forgotten after `forget_seconds` without a failure."""

    free: int
    base_seconds: int
    max_seconds: int
    forget_seconds: int

    def delay(self, failures: int) -> int:
        if failures < self.free:
            return 0
        return min(self.base_seconds * 2 ** min(failures - self.free, 30), self.max_seconds)


def reserve(session: Session, key: str, policy: Policy, now: dt.datetime) -> bool:
    """Count one guess for `key` atomically; False (nothing counted) if the key must still wait."""
    _ensure_row(session, key)
    session.execute(update(LoginThrottle)
                    .where(LoginThrottle.key == key,
                           LoginThrottle.last_failure_at < now - dt.timedelta(seconds=policy.forget_seconds))
                    .values(failures=0, next_allowed_at=None))
    new = LoginThrottle.failures + 1
    levels, failures = [], policy.free
    while policy.delay(failures) < policy.max_seconds:
        levels.append((new == failures, _at(now + dt.timedelta(seconds=policy.delay(failures)))))
        failures += 1
    next_allowed = case((new < policy.free, null()), *levels,
                        else_=_at(now + dt.timedelta(seconds=policy.max_seconds)))
    result = session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == key,
               (LoginThrottle.failures < policy.free) | (LoginThrottle.next_allowed_at <= now))
        .values(failures=new, last_failure_at=now, next_allowed_at=next_allowed)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def release(session: Session, key: str, *, forget: bool) -> None:
    """Give back a reserved guess (a correct password): `forget` clears the key's whole history."""
    stmt = update(LoginThrottle).where(LoginThrottle.key == key).execution_options(synchronize_session=False)
    if forget:
        session.execute(stmt.values(failures=0, next_allowed_at=None))
    else:
        session.execute(stmt.where(LoginThrottle.failures > 0).values(failures=LoginThrottle.failures - 1))


def wait_seconds(session: Session, keys: list[str], now: dt.datetime) -> int:
    """How long until the slowest of `keys` accepts a guess again (for the message)."""
    rows = session.scalars(select(LoginThrottle.next_allowed_at).where(LoginThrottle.key.in_(keys)))
    waits = [(at - now).total_seconds() for at in rows if at is not None]
    return max(1, int(max(waits, default=1) + 0.999))


def _at(value: dt.datetime):
    return literal(value, UTCDateTime)


def _ensure_row(session: Session, key: str) -> None:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(insert(LoginThrottle).values(key=key, failures=0).on_conflict_do_nothing())
