"""Report pages: create a draft, edit its narrative, issue it, correct it; PDF and XLSX downloads."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from planner import localtime
from planner.access import sees_unit
from planner.db import utcnow
from planner.markup import render_markdown
from planner.models import Report, ReportKind, Unit
from planner.models.reports import REPORT_KIND_LABELS, REPORT_PURPOSE_LABELS
from planner.operations import calendar as cal
from planner.operations.reporting import (ReportError, correct_report, issue_report, period_label, request_report,
                                          update_draft)
from planner.report_document import report_tables
from planner.tables import to_xlsx
from planner.views.common import db_session, require_permission, small_int
from planner.views.plans import load_plan

bp = Blueprint("reports", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
            report = request_report(session, plan, unit, current_user, form, now=utcnow())
        except ReportError as exc:
            errors = exc.errors
        else:
            session.commit()
            flash("Đã tạo dự thảo báo cáo với số liệu của kỳ. Sửa phần đánh giá rồi ban hành.", "success")
            return redirect(url_for("reports.show", report_id=report.id))
    units = cal.unit_options(session, current_user.unit)
    reports = session.scalars(select(Report).join(Unit, Unit.id == Report.unit_id)
                              .where(Report.plan_id == plan.id,
                                     Unit.path.startswith(current_user.unit.path, autoescape=True))
                              .order_by(Report.created_at.desc(), Report.id.desc())).all()
    return render_template("pages/reports/index.html", plan=plan, form=form, errors=errors, units=units,
                           reports=reports, kinds=REPORT_KIND_LABELS, purposes=REPORT_PURPOSE_LABELS,
                           period_label=period_label, ReportKind=ReportKind), (400 if errors else 200)


def _load(report_id: int) -> Report:
    require_permission("report.view")
    report = db_session().get(Report, report_id)
    if report is None or not sees_unit(current_user, report.unit):
        abort(404)
    load_plan(report.plan_id)
    return report


@bp.route("/reports/<int:report_id>", methods=["GET", "POST"])
@login_required
def show(report_id: int):
    """A report: its draft narrative (editable until issued), the figures, issue and correct."""
    report = _load(report_id)
    session, errors = db_session(), {}
    if request.method == "POST":
        require_permission("report.create")
        action = request.form.get("action", "save")
        try:
            if action == "issue":
                if "narrative_md" in request.form:  # the author's last edits go into the issued report
                    update_draft(session, report, current_user, request.form)
                issue_report(session, report, current_user, now=utcnow())
                message = f"Đã ban hành báo cáo số {report.number}. Tệp PDF sẽ sẵn sàng sau ít phút."
            elif action == "correct":
                report = correct_report(session, report, current_user, now=utcnow())
                message = "Đã tạo báo cáo đính chính (dự thảo)."
            else:
                update_draft(session, report, current_user, request.form)
                message = "Đã lưu dự thảo."
        except ReportError as exc:
            session.rollback()
            errors = exc.errors
            report = _load(report_id)
        else:
            session.commit()
            flash(message, "success")
            return redirect(url_for("reports.show", report_id=report.id))
    replaced_by = session.scalars(select(Report).where(Report.replaces_id == report.id)).first()
    return render_template("pages/reports/show.html", report=report, plan=report.plan, errors=errors,
                           period_label=period_label, preview=render_markdown(report.narrative_md, heading_offset=2),
                           tables=report_tables(session, report), replaced_by=replaced_by), (400 if errors else 200)


@bp.get("/reports/<int:report_id>.pdf")
@login_required
def pdf(report_id: int):
    report = _load(report_id)
    if report.status.value != "ready":
        abort(404)
    path = report_dir() / Path(report.file_name).name
    if not report.file_name or not path.is_file():
        abort(404)
    return send_file(path, mimetype="application/pdf", as_attachment=True,
                     download_name=f"bao-cao-{report.kind.value}-{report.year}-{report.id}.pdf")


@bp.get("/reports/<int:report_id>.xlsx")
@login_required
def xlsx(report_id: int):
    """Every table of the report as one workbook."""
    report = _load(report_id)
    body = to_xlsx(report_tables(db_session(), report))
    return Response(body, mimetype=XLSX, headers={
        "Content-Disposition": f'attachment; filename="bao-cao-{report.id}.xlsx"'})
