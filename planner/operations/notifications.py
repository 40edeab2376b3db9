"""Telling people what needs them: inbox items per user, and e-mails queued for the worker by preference."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from planner.models import Notification, OutboxMail, Role, Unit, User
from planner.models.notifications import NOTIFICATION_KINDS

OFFICER_ROLES = (Role.PLANNER, Role.EDITOR)
PAGE_SIZE = 30


def notify(session: Session, users, kind: str, text: str, link: str = "", *, now: dt.datetime,
           skip: User | None = None) -> list[Notification]:
    """Add one inbox item per (active, distinct) user, and queue an e-mail for those who asked for `kind`.

    `skip` is the person who caused the event (nobody is told about their own action). Flushes.
    """
    if kind not in NOTIFICATION_KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    seen: set[int] = set()
    made = []
    for user in users:
        if user is None or not user.is_active or user.id in seen or (skip is not None and user.id == skip.id):
            continue
        seen.add(user.id)
        item = Notification(user_id=user.id, kind=kind, text=text[:1000], link=link[:500], created_at=now)
        session.add(item)
        made.append((user, item))
    session.flush()
    for user, item in made:
        if user.email and kind in (user.email_kinds or []):
            session.add(OutboxMail(to_address=user.email, subject=f"[planner] {NOTIFICATION_KINDS[kind]}",
                                   body=text + (f"\n\n{link}" if link else ""), notification_id=item.id,
                                   created_at=now, next_attempt_at=now))
    session.flush()
    return [item for _, item in made]


def users_of(session: Session, unit_ids, roles) -> list[User]:
    """Active users of these units with one of these roles."""
    ids = list(unit_ids)
    if not ids:
        return []
    return list(session.scalars(select(User).where(User.unit_id.in_(ids), User.role.in_(list(roles)),
                                                   User.is_active.is_(True)).order_by(User.id)))


def officers_for(session: Session, unit: Unit) -> list[User]:
    """The officers (planners, editors) of the nearest unit at or above `unit` that has any."""
    ids = [int(x) for x in unit.path.strip("/").split("/") if x] or [unit.id]
    people = users_of(session, ids, OFFICER_ROLES)
    for unit_id in reversed(ids):  # nearest first
        found = [u for u in people if u.unit_id == unit_id]
        if found:
            return found
    return []


def unread_count(session: Session, user: User) -> int:
    """How many of the user's notifications are unread."""
    return session.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def inbox(session: Session, user: User, *, limit: int = PAGE_SIZE, offset: int = 0,
          unread_only: bool = False) -> tuple[list[Notification], int]:
    """A page of the user's own notifications, newest first, and how many there are in all."""
    where = [Notification.user_id == user.id]
    if unread_only:
        where.append(Notification.read_at.is_(None))
    total = session.scalar(select(func.count()).select_from(Notification).where(*where)) or 0
    rows = list(session.scalars(select(Notification).where(*where).order_by(Notification.id.desc())
                                .offset(offset).limit(limit)))
    return rows, total


def mark_read(session: Session, user: User, notification_id: int, *, now: dt.datetime) -> Notification | None:
    """Mark one of the user's own notifications read; None if it is not theirs (or does not exist)."""
    item = session.get(Notification, notification_id)
    if item is None or item.user_id != user.id:
        return None
    if item.read_at is None:
        item.read_at = now
        session.flush()
    return item


def mark_all_read(session: Session, user: User, *, now: dt.datetime) -> int:
    """Mark every unread notification of the user read; returns how many."""
    result = session.execute(update(Notification).where(Notification.user_id == user.id,
                                                        Notification.read_at.is_(None)).values(read_at=now))
    session.flush()
    return result.rowcount or 0


def set_email_preferences(session: Session, user: User, email: str, kinds) -> dict[str, str]:
    """Save the user's address and chosen kinds; returns field errors (nothing saved then)."""
    email = (email or "").strip()
    if email and (len(email) > 320 or "@" not in email.strip("@") or any(c.isspace() for c in email)):
        return {"email": "Địa chỉ thư điện tử không hợp lệ."}
    unknown = [k for k in kinds if k not in NOTIFICATION_KINDS]
    if unknown:
        return {"kinds": "Loại thông báo không hợp lệ: " + ", ".join(unknown)}
    user.email, user.email_kinds = email, [k for k in NOTIFICATION_KINDS if k in kinds]
    session.flush()
    return {}


def give_demo_addresses(session: Session, usernames) -> None:
    """Demo users without an address get `<username>@demo.planner.local` and every kind (mail goes to the sink)."""
    for user in session.scalars(select(User).where(User.username.in_(list(usernames)))):
        if not user.email:
            user.email, user.email_kinds = f"{user.username}@demo.planner.local", list(NOTIFICATION_KINDS)
    session.flush()
