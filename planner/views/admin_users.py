"""People pages: the users of my unit and the units below it; create, edit, reset password, deactivate."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from planner.access import AccessDenied
from planner.db import utcnow
from planner.models.org import ROLE_LABELS
from planner.operations import users as ops
from planner.views.common import db_session, require_permission, run_action

bp = Blueprint("admin_users", __name__, url_prefix="/admin")


def _load(user_id: int):
    require_permission("unit.manage")
    try:
        return ops.get_managed_user(db_session(), current_user, user_id)
    except AccessDenied:
        abort(404)


def _choices() -> dict:
    session = db_session()
    return {"roles": [(r.value, ROLE_LABELS[r]) for r in ops.assignable_roles(current_user)],
            "units": ops.managed_units(session, current_user)}


@bp.get("/users")
@login_required
def index():
    require_permission("unit.manage")
    users = db_session().scalars(ops.managed_users(db_session(), current_user)).all()
    return render_template("pages/admin/users.html", users=users)


@bp.route("/users/new", methods=["GET", "POST"])
@login_required
def new():
    require_permission("unit.manage")
    form, errors = dict(request.form), {}
    if request.method == "POST":
        session = db_session()
        try:
            user = ops.create_user(session, current_user, form, now=utcnow())
        except ops.UserError as exc:
            session.rollback()
            errors = exc.errors
        else:
            session.commit()
            flash(f"Đã tạo người dùng {user.username}.", "success")
            return redirect(url_for("admin_users.show", user_id=user.id))
    form.pop("password", None)  # never echoed back into the page
    return render_template("pages/admin/user_form.html", user=None, form=form, errors=errors, **_choices()), \
        (400 if errors else 200)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def show(user_id: int):
    user = _load(user_id)
    form = dict(request.form) if request.method == "POST" else {
        "full_name": user.full_name, "role": user.role.value, "unit_id": str(user.unit_id)}
    errors = {}
    if request.method == "POST":
        session = db_session()
        try:
            ops.update_user(session, current_user, user, form)
        except ops.UserError as exc:
            session.rollback()
            errors = exc.errors
        else:
            session.commit()
            flash("Đã lưu thông tin người dùng.", "success")
            return redirect(url_for("admin_users.show", user_id=user.id))
    return render_template("pages/admin/user_form.html", user=user, form=form, errors=errors, **_choices()), \
        (400 if errors else 200)


@bp.post("/users/<int:user_id>/password")
@login_required
def password(user_id: int):
    user = _load(user_id)
    run_action(lambda s: ops.reset_password(s, current_user, user, request.form.get("password", "")),
               (ops.UserError,), "Đã đặt lại mật khẩu; các phiên đăng nhập và mã API của người này đã bị hủy.")
    return redirect(url_for("admin_users.show", user_id=user.id))


@bp.post("/users/<int:user_id>/active")
@login_required
def active(user_id: int):
    user = _load(user_id)
    on = request.form.get("active") == "1"
    run_action(lambda s: ops.set_active(s, current_user, user, on), (ops.UserError,),
               "Đã mở lại tài khoản." if on else "Đã khóa tài khoản; các phiên đăng nhập và mã API đã bị hủy.")
    return redirect(url_for("admin_users.show", user_id=user.id))
