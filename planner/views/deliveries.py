"""Deliveries that need a person: unknown outcomes to reconcile, expired, failed and missed ones."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from planner.access import sees_unit
from planner.db import utcnow
from planner.models import Delivery, Occurrence, Target, Unit
from planner.operations import delivery as ops
from planner.views.common import db_session, require_permission, run_action
from planner.views.plans import load_plan

bp = Blueprint("deliveries", __name__)


@bp.get("/plans/<int:plan_id>/attention")
@login_required
def attention(plan_id: int):
    plan = load_plan(plan_id)
    require_permission("schedule.edit")
    rows = db_session().scalars(
        select(Delivery).join(Occurrence, Occurrence.id == Delivery.occurrence_id)
        .join(Target, Target.id == Occurrence.target_id).join(Unit, Unit.id == Target.unit_id)
        .where(Occurrence.plan_id == plan.id, Delivery.status.in_(ops.ATTENTION),
               Unit.path.startswith(current_user.unit.path, autoescape=True))
        .options(selectinload(Delivery.occurrence).selectinload(Occurrence.version),
                 selectinload(Delivery.occurrence).selectinload(Occurrence.target))
        .order_by(Delivery.due_at.desc()).limit(500)).all()
    groups = {status: [d for d in rows if d.status is status] for status in ops.ATTENTION}
    return render_template("pages/schedule/attention.html", plan=plan, groups=groups)


@bp.post("/deliveries/<int:delivery_id>/reconcile")
@login_required
def reconcile(delivery_id: int):
    require_permission("schedule.edit")
    session = db_session()
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or not sees_unit(current_user, delivery.occurrence.target.unit):
        abort(404)
    plan = load_plan(delivery.occurrence.plan_id)
    run_action(lambda s: ops.reconcile_delivery(
        s, delivery, published=request.form.get("published") == "yes", external_id=request.form.get("external_id", ""),
        note=request.form.get("note", ""), user=current_user, now=utcnow()), (ops.DeliveryError,),
        "Đã ghi nhận kết quả đối soát.")
    return redirect(url_for("deliveries.attention", plan_id=plan.id))
