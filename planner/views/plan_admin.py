"""Plan pages that change plans: new (blank or a copy), edit, life cycle, delete, export, retire a message."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from planner.access import can, owns_plan, sees_unit
from planner.db import utcnow
from planner.library_checks import parse_date
from planner.models import Message, PlanStatus, Unit
from planner.models.plans import PLAN_STATUS_LABELS
from planner.operations import plans as ops
from planner.operations.calendar import unit_options
from planner.operations.concurrency import StaleEdit, expect_version
from planner.operations.plan_export import export_zip, plan_document
from planner.channels import CHANNEL_LABELS
from planner.views.common import db_session, run_action
from planner.views.plan_form import document_from_form, form_errors, form_from_document
from planner.views.plans import load_plan

bp = Blueprint("plan_admin", __name__)


def managed_plan(plan_id: int):
    """The plan if the user may change it (their unit or below, role allowed); 404/403 otherwise."""
    plan = load_plan(plan_id)
    if not can(current_user, "plan.manage") or not owns_plan(current_user, plan):
        abort(403)
    return plan


def _render_form(form: dict, errors: dict, *, plan=None, status: int = 200):
    return render_template("pages/plans/form.html", form=form, errors=errors, plan=plan,
                           units=unit_options(db_session(), current_user.unit), channel_labels=CHANNEL_LABELS), status


def _unit_in_scope(doc: dict) -> str | None:
    unit = db_session().scalar(select(Unit).where(Unit.code == doc.get("unit", "")))
    if unit is not None and not sees_unit(current_user, unit):
        return "Chỉ lập kế hoạch cho đơn vị của bạn hoặc đơn vị trực thuộc."
    return None


@bp.route("/plans/new", methods=["GET", "POST"])
@login_required
def new():
    if not can(current_user, "plan.manage"):
        abort(403)
    if request.method == "GET":
        return _render_form({"unit": current_user.unit.code, "channels": [], "period_rule": "decree_09"}, {})
    return _save(None)


@bp.route("/plans/<int:plan_id>/edit", methods=["GET", "POST"])
@login_required
def edit(plan_id: int):
    plan = managed_plan(plan_id)
    if request.method == "GET":
        if plan.is_read_only:
            flash(ops.read_only_reason(plan, "sửa kế hoạch"), "error")
            return redirect(url_for("plans.show", plan_id=plan.id))
        return _render_form(form_from_document(plan_document(plan)), {}, plan=plan)
    return _save(plan)


def _save(plan):
    session = db_session()
    base = plan_document(plan) if plan is not None else None
    doc, errors = document_from_form(request.form, base)
    form = dict(request.form) | {"channels": request.form.getlist("channels"),
                                 "replan_missed": request.form.get("replan_missed") == "1"}
    scope = _unit_in_scope(doc)
    if scope:
        errors["unit"] = scope
    try:
        if plan is not None:
            expect_version(plan, request.form.get("row_version"), "Kế hoạch")
        if errors:    # still run the library's checks, so every field's problem shows at once
            try:
                ops.check_plan_document(session, doc)
            except ops.PlanError as exc:
                errors = form_errors(exc.fields) | errors
            raise ops.PlanError("Kế hoạch chưa hợp lệ.")
        saved = ops.save_plan(session, current_user, doc, plan=plan)
    except StaleEdit as exc:
        session.rollback()
        return _render_form(form, {"form": f"{exc} Hãy mở lại trang để sửa trên bản mới nhất."}, plan=plan, status=409)
    except ops.PlanError as exc:
        session.rollback()
        errors = errors or form_errors(exc.fields) or {"form": str(exc)}
        return _render_form(form, errors, plan=plan, status=400)
    session.commit()
    flash("Đã lưu kế hoạch." if plan else "Đã tạo kế hoạch (dự thảo). Chuyển sang “Đang thực hiện” khi sẵn sàng.",
          "success")
    return redirect(url_for("plans.show", plan_id=saved.id))


@bp.route("/plans/<int:plan_id>/copy", methods=["GET", "POST"])
@login_required
def copy(plan_id: int):
    source = load_plan(plan_id)
    if not can(current_user, "plan.manage"):
        abort(403)
    form = dict(request.form) if request.method == "POST" else {"code": f"{source.code}-ban-sao", "starts_on": ""}
    errors = {}
    if request.method == "POST":
        errors, starts_on = _copy_errors(form)
        if not errors:
            session = db_session()
            try:
                plan = ops.copy_plan(session, source, current_user, code=form["code"].strip(), starts_on=starts_on,
                                     now=utcnow())
                if not sees_unit(current_user, plan.unit):
                    raise ops.PlanError("Chỉ sao chép kế hoạch của đơn vị bạn hoặc đơn vị trực thuộc.")
            except ops.PlanError as exc:
                session.rollback()
                errors = {k: v for k, v in exc.fields.items() if k in ("code",)} or {"form": str(exc)}
            else:
                session.commit()
                flash(f"Đã sao chép thành kế hoạch dự thảo {plan.code}; các tin bài là bản nháp cần duyệt lại.",
                      "success")
                return redirect(url_for("plans.show", plan_id=plan.id))
    return render_template("pages/plans/copy.html", source=source, form=form, errors=errors), \
        (400 if errors else 200)


def _copy_errors(form: dict) -> tuple[dict, dt.date | None]:
    errors, starts_on = {}, None
    from planner.library_checks import CODE_RE

    code = form.get("code", "").strip()
    if not CODE_RE.match(code) or len(code) > 64:
        errors["code"] = "Mã kế hoạch chỉ gồm chữ thường không dấu, số, '-', '.', '_' (tối đa 64 ký tự)."
    try:
        starts_on = parse_date(form.get("starts_on", ""))
    except ValueError as exc:
        errors["starts_on"] = f"Ngày bắt đầu: {exc} (nhập dd/mm/yyyy)."
    return errors, starts_on


@bp.post("/plans/<int:plan_id>/status")
@login_required
def status(plan_id: int):
    plan = managed_plan(plan_id)
    try:
        new_status = PlanStatus(request.form.get("status", ""))
    except ValueError:
        flash("Trạng thái không hợp lệ.", "error")
        return redirect(url_for("plans.show", plan_id=plan.id))
    run_action(lambda s: ops.set_status(s, plan, current_user, new_status), (ops.PlanError,),
               f"Kế hoạch đã chuyển sang “{PLAN_STATUS_LABELS[new_status]}”.")
    return redirect(url_for("plans.show", plan_id=plan.id))


@bp.post("/plans/<int:plan_id>/delete")
@login_required
def delete(plan_id: int):
    plan = managed_plan(plan_id)
    if run_action(lambda s: ops.delete_plan(s, plan, current_user), (ops.PlanError,), "Đã xóa kế hoạch."):
        return redirect(url_for("plans.index"))
    return redirect(url_for("plans.show", plan_id=plan_id))


@bp.get("/plans/<int:plan_id>/export.zip")
@login_required
def export(plan_id: int):
    plan = load_plan(plan_id)
    return Response(export_zip(db_session(), plan), mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{plan.code}.zip"'})


@bp.post("/messages/<int:message_id>/retire")
@login_required
def retire(message_id: int):
    message = db_session().get(Message, message_id)
    if message is None:
        abort(404)
    load_plan(message.plan_id)
    if not can(current_user, "message.edit") or not owns_plan(current_user, message.plan):
        abort(403)
    run_action(lambda s: ops.retire_message(s, message, current_user, now=utcnow()), (ops.PlanError,),
               "Đã ngừng dùng tin: tin vẫn còn trong lịch sử và báo cáo, không được lên lịch nữa.")
    return redirect(url_for("messages.show", message_id=message_id))
