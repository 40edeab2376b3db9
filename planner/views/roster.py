"""A village's broadcast roster: the page and the printable PDF with the QR confirmation link."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from planner import localtime
from planner.access import sees_unit
from planner.db import utcnow
from planner.access import can
from planner.operations.delivery import BROADCAST_CHANNELS, make_village_token
from planner.operations.roster import roster_rows
from planner.views.common import db_session
from planner.views.plans import load_plan

bp = Blueprint("roster", __name__)


def _context(plan_id: int, target_id: int):
    plan = load_plan(plan_id)
    session = db_session()
    from planner.models import Target

    target = session.get(Target, target_id)
    if target is None or not sees_unit(current_user, target.unit):
        abort(404)
    try:
        first = localtime.parse_date(request.args.get("start", ""))
        last = localtime.parse_date(request.args.get("end", ""))
    except ValueError:
        first = localtime.today(utcnow())
        last = first + dt.timedelta(days=6)
    if last < first or (last - first).days > 92:
        abort(400)
    confirm_url = None
    if can(current_user, "delivery.confirm") and target.channel in BROADCAST_CHANNELS:
        # Only people who may confirm broadcasts hand out the password-less village link.
        token = make_village_token(current_app.config["SECRET_KEY"], target.id, first, last)
        base = current_app.config["BASE_URL"].rstrip("/") or request.host_url.rstrip("/")
        confirm_url = base + url_for("confirm.page", token=token)
    rows = roster_rows(session, plan, target, first, last)
    return plan, target, first, last, confirm_url, rows


@bp.get("/plans/<int:plan_id>/targets/<int:target_id>/roster")
@login_required
def show(plan_id: int, target_id: int):
    plan, target, first, last, confirm_url, rows = _context(plan_id, target_id)
    return render_template("pages/schedule/roster.html", plan=plan, target=target, first=first, last=last,
                           confirm_url=confirm_url, rows=rows)


@bp.get("/plans/<int:plan_id>/targets/<int:target_id>/roster.pdf")
@login_required
def pdf(plan_id: int, target_id: int):
    plan, target, first, last, confirm_url, rows = _context(plan_id, target_id)
    if confirm_url is None:
        abort(403)
    from planner.printing import PrintError, render_roster

    commune = target.unit.parent.name if target.unit.parent else ""
    try:
        rendered = render_roster(unit_name=target.unit.name, commune_name=commune, plan_title=plan.title,
                                 period_label=f"Từ {localtime.fmt_date(first)} đến {localtime.fmt_date(last)}",
                                 rows=rows, confirm_url=confirm_url,
                                 generated_at_label=localtime.fmt_datetime(utcnow()))
    except PrintError as exc:
        flash(f"Không tạo được tệp PDF: {exc}", "error")
        return redirect(url_for("roster.show", plan_id=plan.id, target_id=target.id,
                                start=localtime.fmt_date(first), end=localtime.fmt_date(last)))
    filename = f"lich-phat-{target.unit.code}-{first:%Y%m%d}-{last:%Y%m%d}.pdf"
    return current_app.response_class(rendered.data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})
