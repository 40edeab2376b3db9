"""Plan pages: the list, a plan's overview with its message matrix, and its dashboard."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from planner.access import AccessDenied, can, get_plan, owns_plan, visible_plans
from planner.operations.audit import record
from planner.operations.concurrency import StaleEdit, expect_version
from planner.channels import CHANNEL_LABELS
from planner.models import Role
from planner.views.common import db_session

bp = Blueprint("plans", __name__)


def load_plan(plan_id: int):
    """The plan if the current user may see it, else 404 (no hint whether it exists)."""
    try:
        return get_plan(db_session(), current_user, plan_id)
    except AccessDenied:
        abort(404)


@bp.get("/")
@login_required
def index():
    if current_user.role is Role.PRINT_SHOP:
        return redirect(url_for("printing.index"))
    plans = db_session().scalars(visible_plans(current_user)).all()
    return render_template("pages/plans/index.html", plans=plans)


@bp.get("/plans/<int:plan_id>")
@login_required
def show(plan_id: int):
    plan = load_plan(plan_id)
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from planner.models import Message, MessageVersion

    messages = db_session().scalars(select(Message).where(Message.plan_id == plan.id)
                                    .options(selectinload(Message.versions).selectinload(MessageVersion.audiences))
                                    .order_by(Message.channel, Message.id)).all()
    channels = [c for c in CHANNEL_LABELS if c in (plan.details.get("channels") or CHANNEL_LABELS)]
    channels += sorted({m.channel for m in messages} - set(channels))
    matrix = {(a.id, c): [] for a in plan.audiences for c in channels}
    for m in messages:
        for audience_id in m.audience_ids:    # a message for two groups shows in both rows
            matrix.setdefault((audience_id, m.channel), []).append(m)
    due = []
    if can(current_user, "report.view"):
        from planner import localtime
        from planner.db import utcnow
        from planner.operations.due_items import due_items_for

        due = due_items_for(db_session(), plan, current_user.unit, today=localtime.today(utcnow()), ahead=7)
        db_session().commit()  # due items are created from the plan's reporting duties when first needed
    from planner.operations.plans import TRANSITIONS, has_history
    from planner.operations.windows import manages_plan

    return render_template("pages/plans/show.html", plan=plan, channels=channels, matrix=matrix,
                           message_count=len(messages), is_owner=owns_plan(current_user, plan), due=due,
                           allowed_statuses=[s.value for s in TRANSITIONS[plan.status]],
                           has_history=has_history(db_session(), plan),
                           manages_windows=manages_plan(current_user, plan))


@bp.post("/plans/<int:plan_id>/settings")
@login_required
def settings(plan_id: int):
    """Plan settings people change day to day: re-placing missed broadcasts."""
    plan = load_plan(plan_id)
    if not can(current_user, "schedule.edit") or not owns_plan(current_user, plan):
        abort(403)
    if plan.is_read_only:
        flash("Kế hoạch đã kết thúc hoặc lưu trữ: chỉ xem, không đổi thiết lập.", "error")
        return redirect(url_for("plans.show", plan_id=plan.id))
    try:
        expect_version(plan, request.form.get("row_version"), "Thiết lập kế hoạch")
    except StaleEdit as exc:
        flash(f"{exc} Trang đang hiện thiết lập mới nhất.", "error")
        return redirect(url_for("plans.show", plan_id=plan.id))
    old = plan.is_replanning_missed
    plan.is_replanning_missed = request.form.get("replan_missed") == "1"
    if old != plan.is_replanning_missed:
        record(db_session(), user=current_user, action="plan.settings", entity=plan, from_state=str(old),
               to_state=str(plan.is_replanning_missed))
    db_session().commit()
    flash("Đã lưu thiết lập của kế hoạch.", "success")
    return redirect(url_for("plans.show", plan_id=plan.id))


@bp.get("/plans/<int:plan_id>/dashboard")
@login_required
def dashboard(plan_id: int):
    from planner.views.supervision import dashboard_page

    return dashboard_page(plan_id)
