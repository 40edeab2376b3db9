"""One occurrence: why it is there, move / pin / cancel it, confirm its delivery as a logged-in user."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from planner import localtime
from planner.access import can, sees_unit
from planner.db import utcnow
from planner.models import AuditEntry, ConfirmedVia, Occurrence
from planner.models.delivery import DELIVERY_LABELS
from planner.operations import delivery as deliveries
from planner.operations import moves, placement
from planner.operations.audit import action_label, actor_label
from planner.operations.calendar import sessions_with_room, window_span
from planner.operations.concurrency import StaleEdit, expect_version
from planner.views.common import db_session, run_action
from planner.views.plans import load_plan

bp = Blueprint("occurrences", __name__)
bp.add_app_template_filter(action_label, "audit_action")
bp.add_app_template_filter(actor_label, "audit_actor")
bp.add_app_template_filter(window_span, "window_span")


def load_occurrence(occurrence_id: int) -> Occurrence:
    """The occurrence if its plan and target are within the user's scope, else 404."""
    occ = db_session().get(Occurrence, occurrence_id)
    if occ is None or not sees_unit(current_user, occ.target.unit):
        abort(404)
    load_plan(occ.plan_id)
    return occ


@bp.get("/occurrences/<int:occurrence_id>")
@login_required
def show(occurrence_id: int):
    occ = load_occurrence(occurrence_id)
    history = db_session().scalars(
        select(AuditEntry).where(or_((AuditEntry.entity_type == "occurrences") & (AuditEntry.entity_id == occ.id),
                                     (AuditEntry.entity_type == "deliveries") & (AuditEntry.entity_id == occ.delivery.id)))
        .order_by(AuditEntry.at)).all()
    now = utcnow()
    free = (sessions_with_room(db_session(), occ, now) if can(current_user, "schedule.edit")
            and occ.delivery.status.value == "planned" and occ.starts_at > now else [])
    return render_template("pages/schedule/occurrence.html", occ=occ, delivery=occ.delivery, history=history,
                           is_future=occ.starts_at > now, free_sessions=free, undoable=moves.last_change(db_session(), occ),
                           confirm_cancel=request.args.get("confirm") == "cancel",
                           STATE_LABELS={s.value: label for s, label in DELIVERY_LABELS.items()})


@bp.post("/occurrences/<int:occurrence_id>/change")
@login_required
def change(occurrence_id: int):
    """Move into a session (becomes pinned) or an explicit ad hoc session, pin/unpin, cancel (confirmed), undo."""
    occ = load_occurrence(occurrence_id)
    if not can(current_user, "schedule.edit"):
        abort(403)
    action = request.form.get("action")
    if action == "cancel" and request.form.get("confirmed") != "yes":
        return redirect(url_for("occurrences.show", occurrence_id=occ.id, confirm="cancel") + "#cancel")
    messages = {"toggle_pin": "Đã cập nhật ghim.", "cancel": "Đã hủy lượt này. Có thể hoàn tác.",
                "undo": "Đã hoàn tác.", "move": "Đã dời lịch. Có thể hoàn tác.",
                "move_to_session": "Đã dời lịch. Có thể hoàn tác."}

    def _change(session):
        now = utcnow()
        expect_version(occ, request.form.get("row_version"), "Lượt phát/đăng")   # moved by someone meanwhile
        if action == "toggle_pin":
            moves.toggle_pin(session, occ, user=current_user)
        elif action == "cancel":
            moves.cancel_occurrence(session, occ, user=current_user, now=now)
        elif action == "undo":
            moves.undo_last_change(session, occ, user=current_user, now=now)
        elif action == "move_to_session":
            try:
                when = dt.datetime.fromisoformat(request.form.get("session", ""))
            except ValueError:
                raise placement.PlacementError("Vui lòng chọn một phiên.") from None
            moves.move_occurrence(session, occ, when, user=current_user, now=now, settings=current_app.config)
        else:
            when = moves.parse_local(request.form.get("day", ""), request.form.get("at", ""))
            moves.move_occurrence(session, occ, when, user=current_user, now=now,
                                  ad_hoc=request.form.get("ad_hoc") == "yes", settings=current_app.config)

    run_action(_change, (placement.PlacementError, StaleEdit), messages.get(action, messages["move"]))
    return redirect(url_for("occurrences.show", occurrence_id=occ.id))


@bp.post("/occurrences/<int:occurrence_id>/move")
@login_required
def move_json(occurrence_id: int):
    """Drag and drop in the calendar: move into the session starting at `starts_at`; JSON with the outcome."""
    occ = load_occurrence(occurrence_id)
    if not can(current_user, "schedule.edit"):
        abort(403)
    session = db_session()
    try:
        when = dt.datetime.fromisoformat(request.form.get("starts_at", ""))
        if when.tzinfo is None:
            raise ValueError
    except ValueError:
        return jsonify(ok=False, message="Thời điểm không hợp lệ.")
    try:
        moves.move_occurrence(session, occ, when, user=current_user, now=utcnow(), settings=current_app.config)
    except placement.PlacementError as exc:
        session.rollback()
        return jsonify(ok=False, message=str(exc))     # a refusal is an answer, shown next to the calendar
    session.commit()
    return jsonify(ok=True, message=f"Đã dời sang {localtime.fmt_datetime(occ.starts_at)} và ghim.",
                   starts_at=occ.session_starts_at.isoformat(), pinned=occ.is_pinned,
                   undo=url_for("occurrences.undo_json", occurrence_id=occ.id))


@bp.post("/occurrences/<int:occurrence_id>/undo")
@login_required
def undo_json(occurrence_id: int):
    """The calendar's "Hoàn tác" after a drag: undo the occurrence's last move or cancel; JSON with the outcome."""
    occ = load_occurrence(occurrence_id)
    if not can(current_user, "schedule.edit"):
        abort(403)
    session = db_session()
    try:
        moves.undo_last_change(session, occ, user=current_user, now=utcnow())
    except placement.PlacementError as exc:
        session.rollback()
        return jsonify(ok=False, message=str(exc))
    session.commit()
    return jsonify(ok=True, message=f"Đã hoàn tác: lượt về lại {localtime.fmt_datetime(occ.starts_at)}.",
                   starts_at=occ.session_starts_at.isoformat(), pinned=occ.is_pinned)


@bp.post("/occurrences/<int:occurrence_id>/confirm")
@login_required
def confirm(occurrence_id: int):
    """A logged-in officer records the outcome (e.g. from a phone call with the village head)."""
    occ = load_occurrence(occurrence_id)
    if not can(current_user, "delivery.confirm"):
        abort(403)
    run_action(lambda s: deliveries.confirm_delivery(
        s, occ.delivery, aired=request.form.get("aired") == "yes", reason=request.form.get("reason", ""),
        via=ConfirmedVia.USER, now=utcnow(), user=current_user), (deliveries.DeliveryError,), "Đã ghi nhận kết quả.")
    return redirect(url_for("occurrences.show", occurrence_id=occ.id))
