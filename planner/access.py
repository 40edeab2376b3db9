"""Who may see and do what: roles, and scoping to a user's unit and the units below it."""
from __future__ import annotations

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from planner.models import Plan, Role, Unit, User

# What each role may do; the admin may do everything.
PERMISSIONS: dict[str, set[Role]] = {
    "plan.view": {Role.PLANNER, Role.EDITOR, Role.APPROVER, Role.SUPERVISOR, Role.UNIT_ADMIN},
    # Create, copy, edit, close, archive or delete a plan of one's own unit (or below).
    "plan.manage": {Role.PLANNER, Role.EDITOR, Role.UNIT_ADMIN},
    "message.edit": {Role.PLANNER, Role.EDITOR},
    "message.review": {Role.APPROVER},
    "schedule.edit": {Role.PLANNER, Role.EDITOR},
    "delivery.confirm": {Role.PLANNER, Role.EDITOR},
    "print.order": {Role.PLANNER, Role.EDITOR},
    "print.fulfil": {Role.PRINT_SHOP},
    "report.view": {Role.SUPERVISOR, Role.PLANNER, Role.EDITOR, Role.APPROVER, Role.UNIT_ADMIN},
    "report.create": {Role.SUPERVISOR, Role.PLANNER, Role.EDITOR},
    "result.record": {Role.PLANNER, Role.EDITOR},
    # People and places of the user's unit and the units below it (users, units, villages, grids, accounts).
    "unit.manage": {Role.UNIT_ADMIN},
    "admin": set(),
}


class AccessDenied(Exception):
    """The user may not do this, or may not see this object."""


def can(user: User, permission: str) -> bool:
    """True if the user's role grants `permission`."""
    return user.role is Role.ADMIN or user.role in PERMISSIONS[permission]


def require(user: User, permission: str) -> None:
    """Raise AccessDenied unless the user's role grants `permission`."""
    if not can(user, permission):
        raise AccessDenied(permission)


def unit_scope(user: User):
    """A SQL condition: units the user may see (their own and everything below it)."""
    if user.role is Role.ADMIN:
        return Unit.id.is_not(None)
    return Unit.path.startswith(user.unit.path, autoescape=True)


def sees_unit(user: User, unit: Unit) -> bool:
    """True if `unit` lies within the user's scope."""
    return user.role is Role.ADMIN or unit.path.startswith(user.unit.path)


def visible_plans(user: User) -> Select:
    """Plans owned by a unit in scope, or by a unit above the user's own (plans that apply to them)."""
    stmt = select(Plan).join(Unit, Plan.unit_id == Unit.id).order_by(Plan.starts_on.desc())
    if user.role is Role.ADMIN:
        return stmt
    if user.role is Role.PRINT_SHOP:
        return stmt.where(Plan.id.is_(None))
    ancestors = [int(x) for x in user.unit.path.strip("/").split("/") if x]
    return stmt.where(or_(unit_scope(user), Unit.id.in_(ancestors)))


def get_plan(session: Session, user: User, plan_id: int) -> Plan:
    """The plan if the user may see it; AccessDenied otherwise (also for plans that do not exist)."""
    plan = session.scalars(visible_plans(user).where(Plan.id == plan_id)).first()
    if plan is None or not can(user, "plan.view"):
        raise AccessDenied("plan")
    return plan


def owns_plan(user: User, plan: Plan) -> bool:
    """True if the plan belongs to the user's unit or one below it: only then may they write its content.

    Plans of units above (e.g. a national plan seen by a province) are read-only there: their approved
    content may be scheduled at the user's own targets and printed, but not rewritten or approved.
    """
    return sees_unit(user, plan.unit)


def manages_unit(user: User, unit: Unit) -> bool:
    """True if the user may administer `unit` (its users, children, grids, accounts): admin anywhere,
    a unit administrator for their own unit and the units below it."""
    return can(user, "unit.manage") and sees_unit(user, unit)


def approving_unit(session: Session, unit: Unit) -> Unit | None:
    """The nearest unit at or above `unit` that has an active approver: where its messages go for approval."""
    ids = [int(x) for x in unit.path.strip("/").split("/") if x] or [unit.id]
    rows = session.execute(select(User.unit_id).where(User.unit_id.in_(ids), User.role == Role.APPROVER,
                                                      User.is_active.is_(True)).distinct()).scalars().all()
    for unit_id in reversed(ids):  # nearest first
        if unit_id in rows:
            return session.get(Unit, unit_id)
    return None


def may_review(session: Session, user: User, plan: Plan) -> bool:
    """Approval routes to the nearest unit up the tree (from the plan's unit) that has an approver;
    only that unit's approvers (and the admin) may approve or send back the plan's messages."""
    if user.role is Role.ADMIN:
        return True
    if user.role is not Role.APPROVER:
        return False
    unit = approving_unit(session, plan.unit)
    return unit is not None and unit.id == user.unit_id
