"""Passwords and their policy, login with throttling, server-side sessions, API tokens (no Flask here)."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from planner import login_throttle
from planner.db import utcnow
from planner.models import ApiToken, LoginAttempt, LoginThrottle, User, UserSession

# A hash to compare against when the username does not exist, so timing does not tell.
_DUMMY_HASH = generate_password_hash("not-a-password", method="scrypt")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 128
# The most common passwords of at least 10 characters (a short list; ASVS asks to refuse the obvious ones).
COMMON_PASSWORDS = frozenset("""
1234567890 0123456789 12345678910 1234567891 0987654321 1111111111 0000000000 1234512345 123456789a
123456789abc a123456789 1q2w3e4r5t 1q2w3e4r5t6y qwertyuiop qwertyuiop1 asdfghjkl1 1qaz2wsx3edc password12
password123 password1234 passw0rd123 iloveyou123 abcd123456 abc1234567 abcdef1234 admin12345 admin123456
administrator welcome123 letmein123 matkhau123 matkhau1234 matkhaumoi 12345678a@ 123456aA@ 123456789@
anhyeuem123 anhyeuem1234 vietnam123 vietnam1234 hanoi12345 saigon1234 planner123 planner1234 changeme123
""".split())
DEVICE_SALT = "planner.login-device.v1"


class LoginThrottled(Exception):
    """Too many failed guesses for this username and address (or this address, or this device) lately."""

    def __init__(self, wait_seconds: int):
        super().__init__(wait_seconds)
        self.wait_seconds = wait_seconds

    @property
    def message(self) -> str:
        minutes = (self.wait_seconds + 59) // 60
        wait = f"{self.wait_seconds} giây" if self.wait_seconds < 60 else f"{minutes} phút"
        return f"Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {wait}."


class PasswordRejected(ValueError):
    """The new password breaks the policy; the message says why, in Vietnamese."""


@dataclass
class LoginResult:
    """Who logged in (None: wrong credentials) and the failed guesses on their account since last time."""

    user: User | None
    earlier_failures: int = 0
    last_failure_at: dt.datetime | None = None


def normalize_username(username: str | None) -> str:
    """Usernames are case-insensitive: stored, compared and looked up in lower case."""
    return (username or "").strip().lower()


HASH_METHOD = "scrypt"  # werkzeug's scrypt (N=2^15, r=8, p=1); the test suite lowers N to save CPU (tests/conftest.py)


def hash_password(password: str) -> str:
    """Hash with scrypt (memory-hard), salted; checking reads the cost back from the stored hash."""
    return generate_password_hash(password, method=HASH_METHOD)


def check_password_policy(password: str, username: str = "") -> None:
    """Raise PasswordRejected unless the password is 10–128 characters, not common, not the username."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRejected(f"Mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordRejected(f"Mật khẩu dài tối đa {MAX_PASSWORD_LENGTH} ký tự.")
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(lowered)) < 3:
        raise PasswordRejected("Mật khẩu quá phổ biến, dễ đoán. Vui lòng chọn mật khẩu khác.")
    if username and username.strip().lower() in lowered:
        raise PasswordRejected("Mật khẩu không được chứa tên đăng nhập.")


def set_password(session: Session, user: User, password: str) -> None:
    """Set a new password (policy checked); every session and API token of the user ends."""
    check_password_policy(password, user.username)
    user.password_hash = hash_password(password)
    if user.id is not None:
        end_all_sessions(session, user)


def change_password(session: Session, user: User, current: str, new: str, confirm: str) -> None:
    """The user's own password change: the current password must match and the new one pass the policy.

    Raises PasswordRejected with a field-keyed message dict in `args[1]`; ends every session and token.
    """
    errors = {}
    if not check_password_hash(user.password_hash, current or ""):
        errors["current_password"] = "Mật khẩu hiện tại không đúng."
    try:
        check_password_policy(new or "", user.username)
    except PasswordRejected as exc:
        errors["new_password"] = str(exc)
    if not errors and new != confirm:
        errors["confirm_password"] = "Mật khẩu nhập lại không khớp."
    if not errors and new == current:
        errors["new_password"] = "Mật khẩu mới phải khác mật khẩu hiện tại."
    if errors:
        raise PasswordRejected(next(iter(errors.values())), errors)
    set_password(session, user, new)


def policy_from(settings: dict) -> tuple[login_throttle.Policy, login_throttle.Policy]:
    """The throttle policies (per username+address or device; per address) from the settings."""
    shared = dict(base_seconds=settings["LOGIN_DELAY_SECONDS"], max_seconds=settings["LOGIN_MAX_DELAY_SECONDS"],
                  forget_seconds=settings["LOGIN_FORGET_SECONDS"])
    return (login_throttle.Policy(free=settings["LOGIN_MAX_FAILURES"], **shared),
            login_throttle.Policy(free=settings["LOGIN_ADDRESS_MAX_FAILURES"], **shared))


def authenticate(session: Session, username: str, password: str, *, remote_addr: str, device: str | None,
                 now: dt.datetime, settings: dict, per_address: bool = True) -> LoginResult:
    """Check a password, counting the guess first; raise LoginThrottled when the guess must wait.

    Commits the reservation before the (slow) password check, like a dispatch claim, so parallel guesses
    see each other. `device` is the verified device id of a browser that logged in to this account before:
    its guesses are counted on their own, so strangers' failures never lock the owner out. `per_address`
    False skips the address-wide counter (the address is a misconfigured proxy's, shared by everyone).
    """
    username = normalize_username(username)[:64]
    per_name, per_addr = policy_from(settings)
    keys = [(f"d:{device}", per_name)] if device else [(f"u:{username}|{remote_addr}", per_name)]
    if not device and per_address:
        keys.append((f"a:{remote_addr}", per_addr))
    reserved = []
    for key, policy in keys:
        if not login_throttle.reserve(session, key, policy, now):
            for done in reserved:
                login_throttle.release(session, done, forget=False)
            session.commit()
            raise LoginThrottled(login_throttle.wait_seconds(session, [k for k, _ in keys], now))
        reserved.append(key)
    session.commit()
    user = session.scalar(select(User).where(User.username == username))
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
    if not (ok and user is not None and user.is_active):
        session.add(LoginAttempt(username=username, remote_addr=remote_addr[:64], at=now))
        return LoginResult(None)
    for i, key in enumerate(reserved):
        login_throttle.release(session, key, forget=i == 0)
    earlier = session.execute(select(func.count(), func.max(LoginAttempt.at))
                              .where(LoginAttempt.username == username)).one()
    session.execute(delete(LoginAttempt).where(LoginAttempt.username == username))
    return LoginResult(user, earlier[0], earlier[1])


# --------------------------------------------------------------------------- known devices

def make_device_cookie(secret: str, username: str) -> str:
    """A signed cookie value marking this browser as one that logged in to `username`."""
    return URLSafeTimedSerializer(secret, salt=DEVICE_SALT).dumps({"u": username, "d": secrets.token_hex(12)})


def read_device_cookie(secret: str, value: str | None, username: str, *, max_age_days: int) -> str | None:
    """The device id if `value` is a valid device cookie for `username`, else None."""
    if not value:
        return None
    try:
        data = URLSafeTimedSerializer(secret, salt=DEVICE_SALT).loads(value, max_age=max_age_days * 86400)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("u") != (username or "").strip().lower():
        return None
    device = data.get("d")
    return device if isinstance(device, str) and device.isalnum() else None


# --------------------------------------------------------------------------- browser sessions

def start_session(session: Session, user: User, *, now: dt.datetime, max_hours: int) -> str:
    """A new server-side session; returns the clear id for the cookie (only its hash is stored)."""
    sid = secrets.token_urlsafe(32)
    session.add(UserSession(id_hash=_digest(sid), user_id=user.id, created_at=now, last_seen_at=now,
                            expires_at=now + dt.timedelta(hours=max_hours)))
    return sid


def session_user(session: Session, sid: str | None, user_id: int, *, now: dt.datetime,
                 idle_minutes: int) -> User | None:
    """The active user of a live session (not logged out, not idle too long, not past its lifetime)."""
    if not sid:
        return None
    row = session.get(UserSession, _digest(sid))
    if row is None or row.user_id != user_id or row.expires_at <= now \
            or row.last_seen_at <= now - dt.timedelta(minutes=idle_minutes):
        return None
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    if now - row.last_seen_at > dt.timedelta(seconds=60):  # one write a minute, not one per request
        row.last_seen_at = now
        try:
            session.commit()
        except OperationalError:  # a busy database must not turn a page view into an error
            session.rollback()
            user = session.get(User, user_id)
    return user


def end_session(session: Session, sid: str | None) -> None:
    """Log one browser out for good: its cookie no longer opens anything."""
    if sid:
        session.execute(delete(UserSession).where(UserSession.id_hash == _digest(sid)))


def end_all_sessions(session: Session, user: User) -> None:
    """End every browser session and revoke every API token of the user (password reset, deactivation)."""
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))


# --------------------------------------------------------------------------- API tokens

def issue_token(session: Session, user: User, *, now: dt.datetime, hours: int) -> tuple[str, ApiToken]:
    """Create a bearer token; only its SHA-256 is stored, the clear token is returned once."""
    token = secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=_digest(token), created_at=now,
                   expires_at=now + dt.timedelta(hours=hours))
    session.add(row)
    session.flush()
    return token, row


def token_row(session: Session, token: str, *, now: dt.datetime | None = None) -> ApiToken | None:
    """The unexpired token row of an active user, or None."""
    now = now or utcnow()
    # The user comes in the same query: every API request reads it (one round trip, not two).
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token))
                         .options(joinedload(ApiToken.user)))
    if row is None or row.expires_at <= now or not row.user.is_active:
        return None
    return row


def user_for_token(session: Session, token: str, *, now: dt.datetime | None = None) -> User | None:
    """The active user owning an unexpired token, or None."""
    row = token_row(session, token, now=now)
    return None if row is None else row.user


def list_tokens(session: Session, user: User, *, now: dt.datetime) -> list[ApiToken]:
    """The user's unexpired tokens, newest first."""
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.expires_at > now)
                                .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke_token(session: Session, user: User, token_id: int) -> bool:
    """Delete one of the user's tokens; False if it is not theirs or does not exist."""
    result = session.execute(delete(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    return result.rowcount == 1


def prune_expired(session: Session, *, now: dt.datetime, settings: dict) -> int:
    """Delete ended sessions, expired tokens, forgotten throttles and failed logins older than 90 days."""
    forgotten = now - dt.timedelta(seconds=settings["LOGIN_FORGET_SECONDS"])
    idle = now - dt.timedelta(minutes=settings["SESSION_IDLE_MINUTES"])
    statements = [
        delete(UserSession).where((UserSession.expires_at <= now) | (UserSession.last_seen_at <= idle)),
        delete(ApiToken).where(ApiToken.expires_at <= now),
        delete(LoginThrottle).where(LoginThrottle.last_failure_at < forgotten),
        delete(LoginAttempt).where(LoginAttempt.at < now - dt.timedelta(days=90)),
    ]
    return sum(session.execute(stmt.execution_options(synchronize_session=False)).rowcount for stmt in statements)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
