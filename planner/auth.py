"""Passwords, login throttling and API bearer tokens (no Flask here; views call these)."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from planner.db import utcnow
from planner.models import ApiToken, LoginAttempt, User

# A hash to compare against when the username does not exist, so timing does not tell.
_DUMMY_HASH = generate_password_hash("not-a-password", method="scrypt")


class LoginThrottled(Exception):
    """Too many failed logins recently for this username or address."""


def normalize_username(username: str | None) -> str:
    """Usernames are case-insensitive: stored, compared and looked up in lower case."""
    return (username or "").strip().lower()


def load_session_user(session: Session, session_id: str) -> User | None:
    """The active user behind a login session's id ("id:epoch"); None once the epoch was raised."""
    user_id, _, epoch = str(session_id or "").partition(":")
    if not user_id.isdigit() or not epoch.isdigit():
        return None  # sessions from before epochs existed (plain id) are ended too
    user = session.get(User, int(user_id))
    if user is None or not user.is_active or int(epoch) != (user.session_epoch or 0):
        return None
    return user


def hash_password(password: str) -> str:
    """Hash with scrypt (memory-hard), salted."""
    return generate_password_hash(password, method="scrypt")


def authenticate(session: Session, username: str, password: str, *, remote_addr: str, now: dt.datetime,
                 max_failures: int, window_seconds: int) -> User | None:
    """Return the user if the password matches; record failures; raise LoginThrottled when over the limit."""
    username = normalize_username(username)
    since = now - dt.timedelta(seconds=window_seconds)
    by_name = session.scalar(select(func.count()).select_from(LoginAttempt)
                             .where(LoginAttempt.username == username, LoginAttempt.at >= since))
    by_addr = session.scalar(select(func.count()).select_from(LoginAttempt)
                             .where(LoginAttempt.remote_addr == remote_addr, LoginAttempt.at >= since))
    if by_name >= max_failures or by_addr >= max_failures * 4:
        raise LoginThrottled()
    user = session.scalar(select(User).where(User.username == username))
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
    if ok and user is not None and user.is_active:
        session.execute(delete(LoginAttempt).where(LoginAttempt.username == username))
        return user
    session.add(LoginAttempt(username=username[:64], remote_addr=remote_addr[:64], at=now))
    return None


def issue_token(session: Session, user: User, *, now: dt.datetime, hours: int) -> tuple[str, ApiToken]:
    """Create a bearer token; only its SHA-256 is stored, the clear token is returned once."""
    token = secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=_digest(token), created_at=now,
                   expires_at=now + dt.timedelta(hours=hours))
    session.add(row)
    return token, row


def user_for_token(session: Session, token: str, *, now: dt.datetime | None = None) -> User | None:
    """The active user owning an unexpired token, or None."""
    now = now or utcnow()
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is None or row.expires_at <= now or not row.user.is_active:
        return None
    return row.user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
