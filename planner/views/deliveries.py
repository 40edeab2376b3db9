"""'Cần xử lý': deliveries that need a person — filters, paging, make-up, mark handled, bulk; reconciliation."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from planner import localtime
from planner.access import sees_unit
from planner.channels import CHANNEL_LABELS
from planner.db import utcnow
from planner.models import Delivery, Occurrence, Target
from planner.models.delivery import DELIVERY_LABELS
from planner.operations import attention
from planner.operations import delivery as ops
from planner.operations.due_items import due_items_for
from planner.views.common import db_session, require_permission, run_action, small_int
from planner.views.plans import load_plan

bp = Blueprint("deliveries", __name__)
BULK_MAX = 500


def _filter(values) -> attention.AttentionFilter:
    channel = values.get("channel", "")
    status = values.get("status", "")
    return attention.AttentionFilter(channel=channel if channel in CHANNEL_LABELS else "",
                                     status=status if status in {s.value for s in ops.ATTENTION} else "",
                                     village_id=small_int(values.get("village")))


def _filter_args(flt: attention.AttentionFilter) -> dict:
    return {k: v for k, v in (("channel", flt.channel), ("status", flt.status), ("village", flt.village_id)) if v}


@bp.get("/plans/<int:plan_id>/attention", endpoint="attention")
@login_required
def attention_list(plan_id: int):
    plan = load_plan(plan_id)
    require_permission("schedule.edit")
    session = db_session()
    flt = _filter(request.args)
    page = max(small_int(request.args.get("page")) or 1, 1)
    rows, total = attention.open_items(session, plan, current_user.unit, flt,
                                      offset=(page - 1) * attention.PAGE_SIZE)
    villages = attention.village_options(session, plan, current_user.unit)
    today = localtime.today(utcnow())
    # Report due dates and milestones of the user's units; due items are created from the plan when first needed.
    due = due_items_for(session, plan, current_user.unit, today=today, ahead=30)
    html = render_template("pages/schedule/attention.html", plan=plan, rows=rows, total=total, page=page,
                           pages=max(1, -(-total // attention.PAGE_SIZE)), flt=flt, args=_filter_args(flt),
                           villages=villages, channels=sorted(CHANNEL_LABELS),
                           statuses=[(s.value, DELIVERY_LABELS[s]) for s in ops.ATTENTION],
                           can_make_up=attention.can_make_up,
                           deadlines=attention.upcoming_deadlines(plan, today, due=due))
    session.commit()    # after drawing the page, so the rows are not loaded a second time
    return html


def load_delivery(delivery_id: int) -> Delivery:
    """A delivery within the user's units and visible plans; 404 otherwise."""
    delivery = db_session().get(Delivery, delivery_id)
    if delivery is None or not sees_unit(current_user, delivery.occurrence.target.unit):
        abort(404)
    load_plan(delivery.occurrence.plan_id)
    return delivery


def _back(plan_id: int):
    args = {k: v for k, v in request.form.items() if k in ("channel", "status", "village", "page") and v}
    return redirect(url_for("deliveries.attention", plan_id=plan_id, **args))


@bp.post("/deliveries/<int:delivery_id>/make-up")
@login_required
def make_up(delivery_id: int):
    require_permission("schedule.edit")
    delivery = load_delivery(delivery_id)
    made = {}

    def _do(session):
        made["occ"] = attention.make_up_delivery(session, delivery, user=current_user, now=utcnow(),
                                                 settings=current_app.config)

    run_action(_do, (ops.DeliveryError,), lambda: f"Đã xếp lượt phát bù lúc "
                                                 f"{localtime.fmt_datetime(made['occ'].starts_at)}.")
    return _back(delivery.occurrence.plan_id)


@bp.post("/deliveries/<int:delivery_id>/handled")
@login_required
def handled(delivery_id: int):
    require_permission("schedule.edit")
    delivery = load_delivery(delivery_id)
    run_action(lambda s: attention.mark_handled(s, delivery, reason=request.form.get("reason", ""), user=current_user,
                                                now=utcnow()), (ops.DeliveryError,), "Đã đánh dấu đã xử lý.")
    return _back(delivery.occurrence.plan_id)


@bp.post("/plans/<int:plan_id>/attention/bulk")
@login_required
def bulk(plan_id: int):
    """Make up or mark handled the ticked items, or every item matching the filter (at most BULK_MAX)."""
    plan = load_plan(plan_id)
    require_permission("schedule.edit")
    session = db_session()
    stmt = attention.open_items_query(plan, current_user.unit, _filter(request.form))
    if request.form.get("scope") != "filter":
        ids = [i for i in (small_int(v) for v in request.form.getlist("ids")) if i]
        if not ids:
            flash("Vui lòng chọn ít nhất một lượt.", "error")
            return _back(plan.id)
        stmt = stmt.where(Delivery.id.in_(ids))
    rows = session.scalars(stmt.options(selectinload(Delivery.occurrence).selectinload(Occurrence.target)
                                        .selectinload(Target.unit)).order_by(Delivery.id).limit(BULK_MAX)).all()
    if request.form.get("action") == "make_up":
        done, errors = attention.apply_to_many(session, [d for d in rows if attention.can_make_up(d)],
                                               attention.make_up_delivery, user=current_user, now=utcnow(),
                                               settings=current_app.config)
        skipped = sum(1 for d in rows if not attention.can_make_up(d))
        verb = "Đã xếp phát bù"
    else:
        reason = request.form.get("reason", "").strip()
        if not reason:
            flash("Vui lòng ghi lý do đánh dấu đã xử lý.", "error")
            return _back(plan.id)
        done, errors = attention.apply_to_many(session, list(rows), attention.mark_handled, reason=reason,
                                               user=current_user, now=utcnow())
        skipped, verb = 0, "Đã đánh dấu đã xử lý"
    session.commit()
    note = f" Bỏ qua {skipped} lượt chưa rõ kết quả (cần đối soát trước)." if skipped else ""
    flash(f"{verb} {done} lượt.{note}", "success" if done else "info")
    for error in errors[:10]:
        flash(error, "error")
    return _back(plan.id)


@bp.post("/deliveries/<int:delivery_id>/reconcile")
@login_required
def reconcile(delivery_id: int):
    require_permission("schedule.edit")
    delivery = load_delivery(delivery_id)
    run_action(lambda s: ops.reconcile_delivery(
        s, delivery, published=request.form.get("published") == "yes", external_id=request.form.get("external_id", ""),
        note=request.form.get("note", ""), user=current_user, now=utcnow()), (ops.DeliveryError,),
        "Đã ghi nhận kết quả đối soát.")
    return _back(delivery.occurrence.plan_id)
