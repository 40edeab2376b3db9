"""The inbox page (mark read, mark all read, paging) and the e-mail preference page."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from planner.db import utcnow
from planner.models.notifications import NOTIFICATION_KINDS
from planner.operations import notifications as ops
from planner.views.common import db_session, small_int

bp = Blueprint("notifications", __name__)


@bp.app_context_processor
def _unread():
    """`unread_notifications()` for the top bar (counted only when a page draws it)."""
    return {"unread_notifications": lambda: ops.unread_count(db_session(), current_user)
            if current_user.is_authenticated else 0}


@bp.get("/notifications")
@login_required
def index():
    page = small_int(request.args.get("page")) or 1
    unread_only = request.args.get("unread") == "1"
    rows, total = ops.inbox(db_session(), current_user, limit=ops.PAGE_SIZE, offset=(page - 1) * ops.PAGE_SIZE,
                            unread_only=unread_only)
    return render_template("pages/notifications/index.html", rows=rows, total=total, page=page,
                           has_next=page * ops.PAGE_SIZE < total, unread_only=unread_only, kinds=NOTIFICATION_KINDS)


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def read(notification_id: int):
    session = db_session()
    item = ops.mark_read(session, current_user, notification_id, now=utcnow())
    if item is None:
        abort(404)
    session.commit()
    if request.form.get("open") and item.link.startswith("/") and not item.link.startswith("//"):
        return redirect(item.link)
    return redirect(url_for("notifications.index", page=request.form.get("page") or None))


@bp.post("/notifications/read-all")
@login_required
def read_all():
    session = db_session()
    count = ops.mark_all_read(session, current_user, now=utcnow())
    session.commit()
    flash(f"Đã đánh dấu {count} thông báo là đã đọc.", "success")
    return redirect(url_for("notifications.index"))


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def settings():
    errors: dict[str, str] = {}
    if request.method == "POST":
        session = db_session()
        errors = ops.set_email_preferences(session, current_user, request.form.get("email", ""),
                                           request.form.getlist("kinds"))
        if not errors:
            session.commit()
            flash("Đã lưu cài đặt thông báo.", "success")
            return redirect(url_for("notifications.settings"))
        session.rollback()
    return render_template("pages/notifications/settings.html", errors=errors, kinds=NOTIFICATION_KINDS,
                           email=request.form.get("email", current_user.email) if errors else current_user.email,
                           chosen=request.form.getlist("kinds") if errors else (current_user.email_kinds or []))
