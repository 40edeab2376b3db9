"""One schedule generation per plan × channel at a time, on PostgreSQL and SQLite alike.

The lock is the plan × channel row of `generation_locks`, upserted as the first write of the
generation's transaction and held until it commits or rolls back:

- PostgreSQL: the upsert takes the row lock (a concurrent first insert of the same key waits on the
  inserting transaction); the wait is bounded by a transaction-local `lock_timeout`, inside a
  savepoint so a timeout leaves the transaction usable.
- SQLite: any write takes the database's single write lock; the wait is bounded by the connection's
  busy timeout, shortened for this one statement.

After the lock is granted, the generation's reads see everything the previous holder committed
(PostgreSQL READ COMMITTED; SQLite's WAL snapshot starts at the locking write), so a second
generation replaces the first one's placements instead of adding to them.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from planner.models import GenerationLock

LOCK_TIMEOUT_SQLSTATE = "55P03"     # PostgreSQL lock_not_available


def lock_generation(session: Session, plan_id: int, channel: str, *, now: dt.datetime, wait_seconds: float,
                    run_id: int | None = None) -> bool:
    """Hold the plan × channel generation lock until the transaction ends; False if still taken after the wait."""
    connection = session.connection()
    values = {"plan_id": plan_id, "channel": channel, "run_id": run_id, "locked_at": now}
    wait_ms = max(1, int(wait_seconds * 1000))
    if connection.dialect.name == "postgresql":
        return _lock_postgresql(session, values, wait_ms)
    if connection.dialect.name == "sqlite":
        return _lock_sqlite(session, values, wait_ms)
    # Other engines: a row lock through SELECT … FOR UPDATE after making sure the row exists.
    if session.get(GenerationLock, (plan_id, channel)) is None:
        session.add(GenerationLock(**values))
        session.flush()
    session.scalar(select(GenerationLock).where(GenerationLock.plan_id == plan_id,
                                                GenerationLock.channel == channel).with_for_update())
    return True


def _upsert(dialect_insert, values: dict):
    stmt = dialect_insert(GenerationLock).values(**values)
    return stmt.on_conflict_do_update(index_elements=["plan_id", "channel"],
                                      set_={"run_id": stmt.excluded.run_id, "locked_at": stmt.excluded.locked_at})


def _lock_postgresql(session: Session, values: dict, wait_ms: int) -> bool:
    from sqlalchemy.dialects.postgresql import insert

    connection = session.connection()
    previous = connection.exec_driver_sql("SHOW lock_timeout").scalar()
    connection.exec_driver_sql(f"SET LOCAL lock_timeout = {wait_ms}")
    try:
        with session.begin_nested():
            session.execute(_upsert(insert, values))
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) == LOCK_TIMEOUT_SQLSTATE:
            return False
        raise
    finally:
        connection.exec_driver_sql("SELECT set_config('lock_timeout', %s, true)", (previous,))
    return True


def _lock_sqlite(session: Session, values: dict, wait_ms: int) -> bool:
    from sqlalchemy.dialects.sqlite import insert

    raw = session.connection().connection.driver_connection
    previous = raw.execute("PRAGMA busy_timeout").fetchone()[0]
    raw.execute(f"PRAGMA busy_timeout = {wait_ms}")
    try:
        session.execute(_upsert(insert, values))
    except OperationalError as exc:
        if "locked" in str(exc.orig) or "busy" in str(exc.orig):
            return False
        raise
    finally:
        raw.execute(f"PRAGMA busy_timeout = {int(previous)}")
    return True
