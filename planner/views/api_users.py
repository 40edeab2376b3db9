"""JSON API: the users of my unit and below (same operations and checks as the people pages)."""
from __future__ import annotations

from planner import api_responses, api_schemas
from planner.api_responses import dump
from flask import jsonify, url_for

from planner.access import AccessDenied
from planner.db import utcnow
from planner.operations import users as ops
from planner.views.api import (ApiError, accepts, api_user, body, bp, commit, created, invalid, not_found, require,
                               stamp, user_json)
from planner.views.common import db_session


def admin_user_json(user) -> dict:
    return dump(api_responses.AdminUser(**user_json(user), is_active=user.is_active,
                                        **stamp("created_at", user.created_at)))


def _load(user_id: int):
    require("unit.manage")
    try:
        return ops.get_managed_user(db_session(), api_user(), user_id)
    except AccessDenied:
        raise not_found() from None


def _run(action):
    try:
        return action(db_session())
    except ops.UserError as exc:
        if set(exc.errors) == {"form"}:
            raise ApiError(409, exc.errors["form"], code="conflict") from None
        raise invalid(exc.errors) from None


@bp.get("/users")
def list_users():
    require("unit.manage")
    users = db_session().scalars(ops.managed_users(db_session(), api_user())).all()
    return jsonify(items=[admin_user_json(u) for u in users], total=len(users))


@bp.post("/users")
@accepts(api_schemas.UserInput)
def create_user():
    require("unit.manage")
    data = body()
    user = _run(lambda s: ops.create_user(s, api_user(), data, now=utcnow()))
    commit()
    return created(admin_user_json(user), url_for("api.get_user", user_id=user.id))


@bp.get("/users/<int:user_id>")
def get_user(user_id: int):
    return jsonify(admin_user_json(_load(user_id)))


@bp.patch("/users/<int:user_id>")
@accepts(api_schemas.UserEdit)
def update_user(user_id: int):
    user = _load(user_id)
    data = body()
    _run(lambda s: ops.update_user(s, api_user(), user, data))
    commit()
    return jsonify(admin_user_json(user))


@bp.post("/users/<int:user_id>/password")
@accepts(api_schemas.PasswordInput)
def reset_password(user_id: int):
    user = _load(user_id)
    data = body()
    _run(lambda s: ops.reset_password(s, api_user(), user, data["password"]))
    commit()
    return jsonify(admin_user_json(user))


@bp.post("/users/<int:user_id>/active")
@accepts(api_schemas.ActiveInput)
def set_active(user_id: int):
    """Deactivate ({"is_active": false}: sessions and tokens end) or reactivate a user."""
    user = _load(user_id)
    data = body()
    _run(lambda s: ops.set_active(s, api_user(), user, data["is_active"]))
    commit()
    return jsonify(admin_user_json(user))
