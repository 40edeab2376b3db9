"""Report pages: request a monthly / six-monthly / annual report, download its PDF when the worker is done."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from planner import localtime
from planner.access import sees_unit
from planner.db import utcnow
from planner.models import Report, ReportKind, Unit
from planner.models.reports import REPORT_KIND_LABELS
from planner.operations import calendar as cal
from planner.operations.reporting import ReportError, period_label, request_report
from planner.views.common import db_session, require_permission, small_int
from planner.views.plans import load_plan

bp = Blueprint("reports", __name__)


def report_dir() -> Path:
    """Where the worker writes report PDFs."""
    return Path(current_app.instance_path) / current_app.config["REPORT_DIR"]


@bp.route("/plans/<int:plan_id>/reports", methods=["GET", "POST"])
@login_required
def index(plan_id: int):
    plan = load_plan(plan_id)
    require_permission("report.view")
    session = db_session()
    today = localtime.today(utcnow())
    form = dict(request.form) if request.method == "POST" else {
        "kind": "first_half" if today.month <= 6 else "second_half", "year": str(today.year),
        "unit": str(current_user.unit_id), "signer_name": current_user.full_name}
    errors = {}
    if request.method == "POST":
        require_permission("report.create")
        unit_id = small_int(request.form.get("unit"))
        unit = session.get(Unit, unit_id) if unit_id else current_user.unit
        if unit is None or not sees_unit(current_user, unit):
            abort(404)
        try:
            request_report(session, plan, unit, current_user, form, now=utcnow())
        except ReportError as exc:
            errors = exc.errors
        else:
            session.commit()
            flash("Đã xếp hàng tạo báo cáo. Tệp PDF sẽ sẵn sàng sau ít phút.", "success")
            return redirect(url_for("reports.index", plan_id=plan.id))
    units = cal.unit_options(session, current_user.unit)
    reports = session.scalars(select(Report).join(Unit, Unit.id == Report.unit_id)
                              .where(Report.plan_id == plan.id,
                                     Unit.path.startswith(current_user.unit.path, autoescape=True))
                              .order_by(Report.created_at.desc())).all()
    return render_template("pages/reports/index.html", plan=plan, form=form, errors=errors, units=units,
                           reports=reports, kinds=REPORT_KIND_LABELS, period_label=period_label,
                           ReportKind=ReportKind), (400 if errors else 200)


@bp.get("/reports/<int:report_id>.pdf")
@login_required
def pdf(report_id: int):
    require_permission("report.view")
    report = db_session().get(Report, report_id)
    if report is None or not sees_unit(current_user, report.unit):
        abort(404)
    load_plan(report.plan_id)
    if report.status.value != "ready":
        abort(404)
    path = report_dir() / report.file_name
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype="application/pdf", as_attachment=True,
                     download_name=f"bao-cao-{report.kind.value}-{report.year}-{report.id}.pdf")
