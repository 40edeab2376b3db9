"""Slot grids and peak/blackout windows per unit (inherited down the tree) with a preview of their effect, and
plan windows/holidays."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from planner.channels import CHANNEL_LABELS
from planner.models import Plan, SlotGrid, Unit, Window
from planner.operations import grids as ops
from planner.operations import windows as wops
from planner.views.admin_units import load_unit
from planner.views.common import db_session, require_permission, run_action

bp = Blueprint("admin_schedules", __name__, url_prefix="/admin")


def _channel() -> str:
    channel = request.values.get("channel", "loudspeaker")
    return channel if channel in ops.GRID_CHANNELS else "loudspeaker"


def load_grid(grid_id: int) -> SlotGrid:
    require_permission("unit.manage")
    grid = db_session().get(SlotGrid, grid_id)
    if grid is None or grid.unit is None:
        abort(404)
    load_unit(grid.unit_id)
    return grid


def load_managed_plan(plan_id: int) -> Plan:
    """A plan whose windows the current user edits (officers and unit administrators of its unit or above)."""
    plan = db_session().get(Plan, plan_id)
    if plan is None or not wops.manages_plan(current_user, plan):
        abort(404)
    return plan


def load_window_unit(unit_id: int) -> Unit:
    """A unit whose windows the current user edits, else 404."""
    unit = db_session().get(Unit, unit_id)
    if unit is None or not wops.edits_windows(current_user, unit):
        abort(404)
    return unit


@bp.route("/units/<int:unit_id>/grids", methods=["GET", "POST"])
@login_required
def grids(unit_id: int):
    unit = load_unit(unit_id)
    session, channel = db_session(), _channel()
    form, errors = dict(request.form), {}
    if request.method == "POST":
        try:
            ops.create_grid(session, current_user, unit, form)
        except ops.GridError as exc:
            session.rollback()
            errors = exc.errors
        else:
            session.commit()
            return redirect(url_for("admin_schedules.grids", unit_id=unit.id, channel=form.get("channel")))
    source, inherited = ops.inherited_grids(session, unit, channel)
    plans = session.scalars(select(Plan).join(Unit, Plan.unit_id == Unit.id)
                            .where(Unit.path.startswith(unit.path, autoescape=True)).order_by(Plan.starts_on)).all()
    return render_template("pages/admin/grids.html", unit=unit, channel=channel, channels=ops.GRID_CHANNELS,
                           own=[g for g in ops.own_grids(session, unit) if g.channel == channel],
                           source=source, inherited=inherited, preview=ops.preview(session, unit, channel),
                           plans=plans, form=form or {"channel": channel, "weekdays": "T2-CN"}, errors=errors,
                           fmt_weekdays=ops.fmt_weekdays, labels=CHANNEL_LABELS), (400 if errors else 200)


@bp.post("/units/<int:unit_id>/grids/copy")
@login_required
def copy(unit_id: int):
    unit = load_unit(unit_id)
    channel = _channel()
    run_action(lambda s: ops.copy_inherited(s, current_user, unit, channel), (ops.GridError,),
               "Đã sao chép khung giờ thừa hưởng; giờ có thể sửa riêng cho đơn vị này.")
    return redirect(url_for("admin_schedules.grids", unit_id=unit.id, channel=channel))


@bp.post("/grids/<int:grid_id>")
@login_required
def update(grid_id: int):
    grid = load_grid(grid_id)
    run_action(lambda s: ops.update_grid(s, current_user, grid, dict(request.form)), (ops.GridError,),
               "Đã lưu khung giờ.")
    return redirect(url_for("admin_schedules.grids", unit_id=grid.unit_id, channel=grid.channel))


@bp.post("/grids/<int:grid_id>/delete")
@login_required
def delete(grid_id: int):
    grid = load_grid(grid_id)
    unit_id, channel = grid.unit_id, grid.channel
    run_action(lambda s: ops.delete_grid(s, current_user, grid), (ops.GridError,), "Đã xóa khung giờ.")
    return redirect(url_for("admin_schedules.grids", unit_id=unit_id, channel=channel))


@bp.route("/plans/<int:plan_id>/windows", methods=["GET", "POST"])
@login_required
def windows(plan_id: int):
    plan = load_managed_plan(plan_id)
    session = db_session()
    form, errors = {**request.form, "channels": request.form.getlist("channels")}, {}
    if request.method == "POST":
        try:
            wops.create_window(session, current_user, plan, form)
        except wops.WindowError as exc:
            session.rollback()
            errors = exc.errors
        else:
            session.commit()
            return redirect(url_for("admin_schedules.windows", plan_id=plan.id))
    return render_template("pages/admin/windows.html", plan=plan, windows=wops.plan_windows(session, plan),
                           unit_windows=wops.inherited_windows(session, plan.unit) + wops.own_windows(session, plan.unit),
                           holidays=wops.holidays(session, plan), form=form, errors=errors,
                           labels=CHANNEL_LABELS), (400 if errors else 200)


@bp.post("/plans/<int:plan_id>/windows/<int:window_id>/delete")
@login_required
def delete_window(plan_id: int, window_id: int):
    plan = load_managed_plan(plan_id)
    window = db_session().get(Window, window_id) or abort(404)
    run_action(lambda s: wops.delete_window(s, current_user, plan, window), (wops.WindowError,), "Đã xóa.")
    return redirect(url_for("admin_schedules.windows", plan_id=plan.id))


@bp.post("/plans/<int:plan_id>/holidays/<int:window_id>")
@login_required
def holiday(plan_id: int, window_id: int):
    plan = load_managed_plan(plan_id)
    window = db_session().get(Window, window_id) or abort(404)
    exempt = request.form.get("exempt") == "1"
    run_action(lambda s: wops.set_holiday_exemption(s, current_user, plan, window, exempt), (wops.WindowError,),
               f"{window.name}: kế hoạch {'được phát' if exempt else 'tạm dừng phát như các kế hoạch khác'}.")
    return redirect(url_for("admin_schedules.windows", plan_id=plan.id))


@bp.route("/units/<int:unit_id>/windows", methods=["GET", "POST"])
@login_required
def unit_windows(unit_id: int):
    """A unit's own peak/blackout windows (inherited by every village below), with their effect previewed."""
    unit = load_window_unit(unit_id)
    session, channel = db_session(), _channel()
    form, errors = {**request.form, "channels": request.form.getlist("channels")}, {}
    if request.method == "POST":
        try:
            wops.create_window(session, current_user, unit, form)
        except wops.WindowError as exc:
            session.rollback()
            errors = exc.errors
        else:
            session.commit()
            return redirect(url_for("admin_schedules.unit_windows", unit_id=unit.id, channel=channel))
    plans = session.scalars(select(Plan).join(Unit, Plan.unit_id == Unit.id)
                            .where(Unit.path.startswith(unit.path, autoescape=True)).order_by(Plan.starts_on)).all()
    return render_template("pages/admin/unit_windows.html", unit=unit, channel=channel, channels=ops.GRID_CHANNELS,
                           own=wops.own_windows(session, unit), inherited=wops.inherited_windows(session, unit),
                           shared=wops.shared_windows(session), preview=wops.preview(session, unit, channel),
                           plans=[p for p in plans if wops.manages_plan(current_user, p)], form=form,
                           errors=errors, labels=CHANNEL_LABELS), (400 if errors else 200)


@bp.post("/units/<int:unit_id>/windows/<int:window_id>/delete")
@login_required
def delete_unit_window(unit_id: int, window_id: int):
    unit = load_window_unit(unit_id)
    window = db_session().get(Window, window_id)
    if window is None or window.unit_id != unit.id:
        abort(404)
    run_action(lambda s: wops.delete_window(s, current_user, unit, window), (wops.WindowError,), "Đã xóa.")
    return redirect(url_for("admin_schedules.unit_windows", unit_id=unit.id))
