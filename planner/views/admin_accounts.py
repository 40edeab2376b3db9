"""Channel accounts pages: a unit's fanpages and Zalo OA, tokens entered once and never shown again."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from planner.access import AccessDenied
from planner.operations import channel_accounts as ops
from planner.views.admin_units import load_unit
from planner.views.common import db_session, require_permission, run_action

bp = Blueprint("admin_accounts", __name__, url_prefix="/admin")


@bp.route("/units/<int:unit_id>/accounts", methods=["GET", "POST"])
@login_required
def index(unit_id: int):
    unit = load_unit(unit_id)
    session = db_session()
    form, errors = {k: v for k, v in request.form.items() if k != "token"}, {}
    if request.method == "POST":
        try:
            ops.create_account(session, current_user, unit, request.form, current_app.config)
        except ops.AccountError as exc:
            session.rollback()
            errors = exc.errors
        else:
            session.commit()
            return redirect(url_for("admin_accounts.index", unit_id=unit.id))
    return render_template("pages/admin/accounts.html", unit=unit, accounts=ops.unit_accounts(session, unit),
                           channels=ops.ACCOUNT_CHANNELS, form=form, errors=errors), (400 if errors else 200)


@bp.post("/accounts/<int:target_id>")
@login_required
def update(target_id: int):
    require_permission("unit.manage")
    try:
        target = ops.get_managed_account(db_session(), current_user, target_id)
    except AccessDenied:
        abort(404)
    run_action(lambda s: ops.update_account(s, current_user, target, dict(request.form), current_app.config),
               (ops.AccountError,), "Đã lưu tài khoản kênh.")
    return redirect(url_for("admin_accounts.index", unit_id=target.unit_id))
