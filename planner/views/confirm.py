"""The village head's phone page: open the signed QR link, confirm today's broadcasts, no password."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from planner import localtime
from planner.db import utcnow
from planner.models import ConfirmedVia, Delivery
from planner.operations import delivery as ops
from planner.operations.roster import occurrence_marks, village_days
from planner.views.common import db_session

bp = Blueprint("confirm", __name__)
AHEAD_DAYS = 6     # the page shows today and the next six days, so a head opening it the evening before sees tomorrow


def _link(token: str) -> ops.VillageLink:
    try:
        return ops.read_village_token(current_app.config["SECRET_KEY"], token, today=localtime.today(utcnow()),
                                      grace_days=current_app.config["QR_LINK_GRACE_DAYS"])
    except ops.DeliveryError as exc:
        abort(_gone(str(exc)))


def _gone(message: str):
    return current_app.response_class(render_template("pages/confirm/invalid.html", message=message), status=403)


@bp.get("/x/<token>")
def page(token: str):
    link = _link(token)
    session = db_session()
    target = ops.target_of(session, link.target_id)
    if target is None or target.channel not in ops.BROADCAST_CHANNELS:
        abort(404)
    now = utcnow()
    today = localtime.today(now)
    day = today if link.first <= today <= link.last else link.last
    last = min(link.last, day + dt.timedelta(days=AHEAD_DAYS))
    days = village_days(session, target.id, day, last)
    yesterday = day - dt.timedelta(days=1)
    earlier = ops.deliveries_on(session, target.id, yesterday) if yesterday >= link.first else []
    return render_template("pages/confirm/page.html", token=token, target=target, day=day, days=days, now=now,
                           earlier=[d for d in earlier if d.status.value in ("planned", "missed")],
                           yesterday=yesterday, marks=occurrence_marks, today=today,
                           tomorrow=today + dt.timedelta(days=1),
                           may_correct=lambda d: ops.may_correct(d, ConfirmedVia.QR_LINK, now))


@bp.post("/x/<token>/deliveries/<int:delivery_id>")
def confirm(token: str, delivery_id: int):
    link = _link(token)
    session = db_session()
    delivery = session.get(Delivery, delivery_id)
    if (delivery is None or delivery.occurrence.target_id != link.target_id
            or delivery.channel not in ops.BROADCAST_CHANNELS):
        abort(404)
    local_day = localtime.to_local(delivery.occurrence.starts_at).date()
    if not link.first <= local_day <= link.last:
        abort(404)
    aired = request.form.get("aired") == "yes"
    try:
        changed = ops.confirm_delivery(session, delivery, aired=aired, reason=request.form.get("reason", ""),
                                       via=ConfirmedVia.QR_LINK, now=utcnow(),
                                       name=(request.form.get("name") or "Trưởng thôn").strip()[:100])
    except ops.DeliveryError as exc:
        flash(str(exc), "error")
    else:
        session.commit()
        if changed:
            flash("Đã ghi nhận: đã phát." if aired else "Đã ghi nhận: không phát được.", "success")
            if request.form.get("correct") == "yes":
                flash("Đã sửa kết quả; thay đổi được ghi lại.", "info")
        else:
            flash("Lượt này đã được ghi nhận trước đó.", "info")
    return redirect(url_for("confirm.page", token=token) + f"#d{delivery.id}")
