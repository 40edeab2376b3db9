"""GET /ical/<token>.ics: a unit's or a target's schedule for phone calendars (signed link, no login);
POST /plans/<id>/ical/rotate: void the unit's old links."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_login import current_user, login_required

from planner.access import sees_unit
from planner.db import utcnow
from planner.models import Unit
from planner.operations import feeds
from planner.views.common import db_session, require_permission, small_int

bp = Blueprint("feeds", __name__)


@bp.get("/ical/<token>.ics")
def ical(token: str):
    session, cfg = db_session(), current_app.config
    try:
        kind, object_id = feeds.check_feed_token(session, cfg["SECRET_KEY"], token, max_age_days=cfg["ICAL_LINK_DAYS"])
        title, target_ids = feeds.feed_targets(session, kind, object_id)
    except feeds.FeedError:
        abort(404)
    body = feeds.build_ical(session, title, target_ids, now=utcnow(), host=request.host.split(":")[0])
    return current_app.response_class(body, mimetype="text/calendar", headers={
        "Content-Disposition": 'inline; filename="lich-truyen-thong.ics"', "Cache-Control": "private, max-age=300"})


@bp.post("/plans/<int:plan_id>/ical/rotate")
@login_required
def rotate(plan_id: int):
    """Replace the unit's iCal link: every link handed out before stops working."""
    from planner.views.plans import load_plan

    require_permission("schedule.edit")
    load_plan(plan_id)
    session = db_session()
    unit = session.get(Unit, small_int(request.form.get("unit")) or 0)
    if unit is None or not sees_unit(current_user, unit):
        abort(404)
    feeds.rotate_feed(session, unit, user=current_user, now=utcnow())
    session.commit()
    flash("Đã đổi liên kết iCal. Liên kết cũ không còn dùng được; hãy đăng ký lại lịch bằng liên kết mới.", "success")
    return redirect(url_for("schedule.calendar", plan_id=plan_id, unit=unit.id,
                            channel=request.form.get("channel") or None))
