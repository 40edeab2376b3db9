"""A village's broadcast roster: the page and the printable PDF with the QR confirmation link (served from the
content cache; its first download is queued for the worker, and the page follows it)."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from planner import localtime
from planner.access import sees_unit
from planner.db import utcnow
from planner.access import can
from planner.operations import roster_singles as singles
from planner.operations.delivery import BROADCAST_CHANNELS
from planner.operations.roster import roster_rows
from planner.views.common import db_session
from planner.views.plans import load_plan
from planner.views.roster_batches import roster_directory, site_url

bp = Blueprint("roster", __name__)


def _context(plan_id: int, target_id: int):
    plan = load_plan(plan_id)
    session = db_session()
    from planner.models import Target

    target = session.get(Target, target_id)
    if target is None or not sees_unit(current_user, target.unit):
        abort(404)
    first, last, error = _range(request.args)
    confirm_url = None
    if can(current_user, "delivery.confirm") and target.channel in BROADCAST_CHANNELS:
        # Only people who may confirm broadcasts hand out the password-less village link.
        confirm_url = singles.confirm_url(current_app.config["SECRET_KEY"], site_url(), target, first, last)
    rows = roster_rows(session, plan, target, first, last)
    return plan, target, first, last, confirm_url, rows, error


MAX_DAYS = 92


def _range(args) -> tuple[dt.date, dt.date, str]:
    """The asked dates, or the coming week with a Vietnamese reason when they cannot be used."""
    default = localtime.today(utcnow())
    if not args.get("start") and not args.get("end"):
        return default, default + dt.timedelta(days=6), ""
    try:
        first = localtime.parse_date(args.get("start", ""))
        last = localtime.parse_date(args.get("end", ""))
    except ValueError as exc:
        return default, default + dt.timedelta(days=6), f"{exc}. Đang hiện 7 ngày tới."
    if last < first:
        return first, first + dt.timedelta(days=6), "Ngày kết thúc phải sau ngày bắt đầu. Đang hiện 7 ngày từ ngày bắt đầu."
    if (last - first).days >= MAX_DAYS:
        return (first, first + dt.timedelta(days=MAX_DAYS - 1),
                f"Mỗi lần xem hoặc in tối đa {MAX_DAYS} ngày; đang hiện {MAX_DAYS} ngày đầu "
                f"(đến {localtime.fmt_date(first + dt.timedelta(days=MAX_DAYS - 1))}).")
    return first, last, ""


@bp.get("/plans/<int:plan_id>/targets/<int:target_id>/roster")
@login_required
def show(plan_id: int, target_id: int):
    plan, target, first, last, confirm_url, rows, error = _context(plan_id, target_id)
    return render_template("pages/schedule/roster.html", plan=plan, target=target, first=first, last=last,
                           confirm_url=confirm_url, rows=rows, error=error,
                           asked={k: request.args.get(k, "") for k in ("start", "end")}), (400 if error else 200)


@bp.get("/plans/<int:plan_id>/targets/<int:target_id>/roster.pdf")
@login_required
def pdf(plan_id: int, target_id: int):
    plan, target, first, last, confirm_url, rows, error = _context(plan_id, target_id)
    if confirm_url is None:
        abort(403)
    if error:
        flash(error, "error")
        return redirect(url_for("roster.show", plan_id=plan.id, target_id=target.id, **request.args))
    path = singles.cached_path(roster_directory(), singles.content_key(plan, target, first, last, confirm_url, rows))
    if not path.is_file():  # never rendered here: the worker makes it, this page's follow-up serves it
        batch, created = singles.request_single(db_session(), plan, target, first, last, current_user,
                                                base_url=site_url(), now=utcnow())
        db_session().commit()
        flash("Đang tạo tệp PDF lịch phát của thôn; trang tự cập nhật và hiện nút tải khi xong." if created else
              "Tệp PDF này đang được tạo; đây là lần tạo đó.", "info")
        return redirect(url_for("roster_batches.show", batch_id=batch.id))
    filename = f"lich-phat-{target.unit.code}-{first:%Y%m%d}-{last:%Y%m%d}.pdf"
    response = send_file(path, mimetype="application/pdf", as_attachment=True, download_name=filename,
                         etag=path.stem, conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-cache"
    return response
