"""Pages of roster batches: ask for every village roster of a commune ("In lịch phát cả xã"), follow the
worker's progress, download the stored PDF and ZIP (ETag = SHA-256, never rendered in a request)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from planner import localtime
from planner.access import sees_unit
from planner.db import utcnow
from planner.models import Unit
from planner.models.rosters import RosterBatch
from planner.operations import roster_batches as ops
from planner.views import once
from planner.views.common import db_session, require_permission, small_int
from planner.views.plans import load_plan

bp = Blueprint("roster_batches", __name__)
PERMISSION = "delivery.confirm"  # who hands out the village QR links (as the single roster PDF)


def roster_directory() -> Path:
    return Path(current_app.instance_path) / current_app.config["ROSTER_DIR"]


def site_url() -> str:
    """Where the QR codes point: the configured BASE_URL, else the address this request came to."""
    return (current_app.config["BASE_URL"] or request.host_url).rstrip("/")


def parse_period(start: str, end: str) -> tuple[dt.date | None, dt.date | None, dict[str, str]]:
    """The dates typed (dd/mm/yyyy or ISO), with Vietnamese reasons when they cannot be used."""
    dates, errors = {}, {}
    for name, text in (("first", start), ("last", end)):
        try:
            dates[name] = localtime.parse_date(text or "")
        except ValueError as exc:
            errors[name] = str(exc) if text else "Hãy nhập ngày (dd/mm/yyyy)."
    if not errors:
        errors = ops.check_range(dates["first"], dates["last"])
    return dates.get("first"), dates.get("last"), errors


def send_stored(batch: RosterBatch, kind: str):
    """The stored file with its SHA-256 as ETag and its length; None when it is not there."""
    path = ops.stored_path(roster_directory(), batch, kind)
    size = batch.pdf_bytes if kind == "pdf" else batch.zip_bytes
    if path is None or not path.is_file() or path.stat().st_size != size:
        return None
    response = send_file(path, mimetype="application/pdf" if kind == "pdf" else "application/zip",
                         as_attachment=True, download_name=f"lich-phat-{ops.docs_slug(batch)}.{kind}",
                         etag=batch.pdf_sha256 if kind == "pdf" else batch.zip_sha256, conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-cache"  # revalidate with the ETag: 304 costs nothing
    return response


def load_batch(batch_id: int) -> RosterBatch:
    """A batch of a plan the user sees, for a commune the user sees; 404 otherwise."""
    require_permission(PERMISSION)
    batch = db_session().get(RosterBatch, batch_id)
    if batch is None or not sees_unit(current_user, batch.unit):
        abort(404)
    load_plan(batch.plan_id)
    return batch


@bp.route("/plans/<int:plan_id>/roster-batches/new", methods=["GET", "POST"])
@login_required
def new(plan_id: int):
    """The form: a commune and a period (default: the calendar's week); posting queues the batch."""
    plan = load_plan(plan_id)
    require_permission(PERMISSION)
    session = db_session()
    form = dict(request.form) if request.method == "POST" else {
        "unit_id": request.args.get("unit", ""), "start": request.args.get("start", ""),
        "end": request.args.get("end", "")}
    unit = session.get(Unit, small_int(form.get("unit_id")) or 0)
    if unit is None or not sees_unit(current_user, unit):
        abort(404)
    errors: dict[str, str] = {}
    if request.method == "POST":
        first, last, errors = parse_period(form.get("start", ""), form.get("end", ""))
        if not errors:
            try:
                claimed = once.claim(session, current_user, form.get(once.FIELD), "roster_batches.new",
                                     once.form_payload(plan_id=plan.id))
                if claimed.replay:
                    return redirect(url_for("roster_batches.show", batch_id=claimed.replay.resource_id))
                batch, created = ops.request_batch(session, plan, unit, first, last, current_user,
                                                   base_url=site_url(), now=utcnow())
            except ops.RosterBatchError as exc:
                session.rollback()
                errors = exc.fields
            except (once.KeyReused, once.BadKey) as exc:
                errors, form[once.FIELD] = {"form": str(exc)}, once.new_key()
            else:
                once.complete(claimed, resource="roster_batch", resource_id=batch.id, status=302)
                session.commit()
                flash("Đang in lịch phát cả xã; trang tự cập nhật tiến độ." if created else
                      "Lịch phát này đang được in; đây là lần in đó (không in trùng).", "success" if created else "info")
                return redirect(url_for("roster_batches.show", batch_id=batch.id))
    today = localtime.today(utcnow())
    form.setdefault("start", "")
    form["start"] = form["start"] or localtime.fmt_date(today)
    form["end"] = form.get("end") or localtime.fmt_date(today + dt.timedelta(days=6))
    return render_template("pages/schedule/roster_batch_new.html", plan=plan, unit=unit, form=form, errors=errors,
                           villages=len(ops.village_targets(session, unit)), max_days=ops.MAX_DAYS
                           ), (400 if errors else 200)


@bp.get("/roster-batches/<int:batch_id>")
@login_required
def show(batch_id: int):
    batch = load_batch(batch_id)
    return render_template("pages/schedule/roster_batch.html", batch=batch, plan=batch.plan)


@bp.get("/roster-batches/<int:batch_id>.<any(pdf, zip):kind>")
@login_required
def download(batch_id: int, kind: str):
    """The stored commune PDF or the ZIP of one PDF per village; never rendered in a request."""
    batch = load_batch(batch_id)
    response = send_stored(batch, kind)
    if response is None:
        flash(f"Chưa có tệp: {batch.status_label.lower()}.", "error")
        return redirect(url_for("roster_batches.show", batch_id=batch.id))
    return response
