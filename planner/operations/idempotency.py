"""One-time keys of create requests: find, reserve, complete and expire them (see models.IdempotencyKey)."""
from __future__ import annotations

import datetime as dt
import hashlib
import json

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from planner.models import IdempotencyKey


def fingerprint(route: str, payload: dict) -> str:
    """SHA-256 of the route and what was asked (JSON with sorted keys), to tell a retry from another request."""
    text = json.dumps({"route": route, "payload": payload}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def find_key(session: Session, user_id: int, key: str, *, now: dt.datetime, ttl_hours: float) -> IdempotencyKey | None:
    """The user's stored key, or None; an expired one is deleted (the key may then be used afresh)."""
    row = session.scalar(select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
                         .execution_options(populate_existing=True))
    if row is not None and row.created_at < now - dt.timedelta(hours=ttl_hours):
        session.delete(row)
        session.flush()
        return None
    return row


def reserve_key(session: Session, user_id: int, key: str, *, route: str, request_hash: str,
                now: dt.datetime) -> IdempotencyKey:
    """Insert the key before doing the work; a concurrent request with the same key waits on it, then conflicts."""
    row = IdempotencyKey(user_id=user_id, key=key, route=route, request_hash=request_hash, resource="",
                         response_status=0, created_at=now)
    session.add(row)
    session.flush()
    return row


def complete_key(row: IdempotencyKey, *, resource: str, resource_id: int | None, status: int,
                 body: dict | None = None) -> None:
    """Record what the request created and answered (committed with the creation itself)."""
    row.resource, row.resource_id, row.response_status, row.response_body = resource, resource_id, status, body


def purge_expired_keys(session: Session, *, now: dt.datetime, ttl_hours: float) -> int:
    """Delete keys older than the time they are remembered; returns how many."""
    result = session.execute(delete(IdempotencyKey)
                             .where(IdempotencyKey.created_at < now - dt.timedelta(hours=ttl_hours)))
    return result.rowcount or 0
