"""People: create users for a unit and the units below it, change their role or unit, deactivate, reset passwords.

Who may do it: the admin anywhere, a unit administrator (`unit_admin`) for their own unit and the units below
it (`access.manages_unit`). A password reset or a deactivation deletes the user's server-side sessions, so every
browser logged in as them is logged out, and deletes their API tokens.
"""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from planner.access import AccessDenied, manages_unit, unit_scope
from planner.auth import PasswordRejected, check_password_policy, end_all_sessions, hash_password, normalize_username
from planner.models import ApiToken, Role, Unit, UnitKind, User
from planner.operations.audit import record

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


class UserError(Exception):
    """Bad input for a user operation, with a Vietnamese message per field."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def assignable_roles(actor: User) -> list[Role]:
    """Roles the actor may give: every role for the admin; all but the system administrator otherwise."""
    return [r for r in Role if actor.role is Role.ADMIN or r is not Role.ADMIN]


def managed_units(session: Session, actor: User) -> list[Unit]:
    """Units whose people the actor administers, in tree order."""
    if not manages_unit(actor, actor.unit):
        return []
    return list(session.scalars(select(Unit).where(unit_scope(actor)).order_by(Unit.path)))


def managed_users(session: Session, actor: User):
    """A select of the users the actor administers (their unit and below), by unit then username."""
    return (select(User).join(Unit, User.unit_id == Unit.id).where(unit_scope(actor))
            .order_by(Unit.path, User.username))


def get_managed_user(session: Session, actor: User, user_id: int) -> User:
    """The user if the actor administers them; AccessDenied otherwise (also when the id names nobody)."""
    user = session.get(User, user_id)
    if user is None or not manages_unit(actor, user.unit) or (user.role is Role.ADMIN and actor.role is not Role.ADMIN):
        raise AccessDenied("user")
    return user


def create_user(session: Session, actor: User, data: dict, *, now: dt.datetime) -> User:
    """Create an active user from {username, full_name, role, unit_id, password}."""
    errors: dict[str, str] = {}
    username = normalize_username(data.get("username"))
    if not USERNAME_RE.match(username):
        errors["username"] = "Tên đăng nhập 3–64 ký tự: chữ không dấu, số, dấu chấm, gạch ngang, gạch dưới."
    elif session.scalar(select(func.count()).select_from(User).where(func.lower(User.username) == username)):
        errors["username"] = f"Tên đăng nhập '{username}' đã có người dùng (không phân biệt chữ hoa, thường)."
    full_name, role, unit = _profile(session, actor, data, errors)
    password = str(data.get("password") or "")
    _check_password(password, username, errors)
    if errors:
        raise UserError(errors)
    user = User(username=username, full_name=full_name, role=role, unit=unit, is_active=True,
                password_hash=hash_password(password), created_at=now)
    session.add(user)
    session.flush()
    record(session, user=actor, action="user.create", entity=user, to_state=role, unit=unit.code)
    return user


def update_user(session: Session, actor: User, user: User, data: dict) -> User:
    """Change a user's full name, role and unit (each optional: missing keys keep their value)."""
    errors: dict[str, str] = {}
    merged = {"full_name": user.full_name, "role": user.role.value, "unit_id": user.unit_id, **data}
    full_name, role, unit = _profile(session, actor, merged, errors)
    if user.id == actor.id and (role is not user.role or unit is not user.unit):
        errors["role"] = "Bạn không tự đổi vai trò hoặc đơn vị của mình."
    if errors:
        raise UserError(errors)
    old_role = user.role
    user.full_name, user.role, user.unit = full_name, role, unit
    session.flush()
    record(session, user=actor, action="user.update", entity=user, from_state=old_role, to_state=role,
           unit=unit.code)
    return user


def set_active(session: Session, actor: User, user: User, active: bool) -> User:
    """Deactivate (ending sessions and tokens) or reactivate a user."""
    if user.id == actor.id:
        raise UserError({"form": "Bạn không tự khóa tài khoản của mình."})
    if user.is_active == active:
        return user
    user.is_active = active
    if not active:
        _end_sessions(session, user)
    session.flush()
    record(session, user=actor, action="user.activate" if active else "user.deactivate", entity=user,
           from_state="inactive" if active else "active", to_state="active" if active else "inactive")
    return user


def reset_password(session: Session, actor: User, user: User, password: str) -> User:
    """Set a new password; the user's open sessions and API tokens end."""
    errors: dict[str, str] = {}
    _check_password(str(password or ""), user.username, errors)
    if errors:
        raise UserError(errors)
    user.password_hash = hash_password(password)
    _end_sessions(session, user)
    session.flush()
    record(session, user=actor, action="user.reset_password", entity=user)
    return user


def _end_sessions(session: Session, user: User) -> None:
    end_all_sessions(session, user)


def _profile(session: Session, actor: User, data: dict, errors: dict) -> tuple[str, Role | None, Unit | None]:
    full_name = str(data.get("full_name") or "").strip()
    if not full_name:
        errors["full_name"] = "Vui lòng nhập họ tên."
    elif len(full_name) > 200:
        errors["full_name"] = "Họ tên dài quá 200 ký tự."
    role = next((r for r in assignable_roles(actor) if r.value == str(data.get("role") or "")), None)
    if role is None:
        errors["role"] = "Chọn một vai trò bạn được phép giao."
    unit = None
    unit_id = data.get("unit_id")
    if isinstance(unit_id, int) or (isinstance(unit_id, str) and unit_id.isascii() and unit_id.isdigit()
                                    and len(unit_id) < 10):
        unit = session.get(Unit, int(unit_id))
    if unit is None or not manages_unit(actor, unit):
        errors["unit_id"] = "Chọn một đơn vị trong phạm vi bạn quản lý."
        unit = None
    elif role is not None and (role is Role.PRINT_SHOP) != (unit.kind is UnitKind.PRINT_SHOP):
        errors["role"] = ("Người dùng của cơ sở in phải có vai trò 'Cơ sở in', và ngược lại."
                          if unit.kind is UnitKind.PRINT_SHOP else "Vai trò 'Cơ sở in' chỉ dành cho đơn vị cơ sở in.")
    return full_name, role, unit


def _check_password(password: str, username: str, errors: dict) -> None:
    """The one password policy (planner.auth), reported on the form's password field."""
    try:
        check_password_policy(password, username)
    except PasswordRejected as exc:
        errors["password"] = str(exc)