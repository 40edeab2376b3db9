"""JSON API: a plan's reports, queued here and rendered to PDF by the worker."""
from __future__ import annotations

from planner import api_schemas
from pathlib import Path

from flask import Response, current_app, jsonify, request, send_file, url_for
from sqlalchemy import select

from planner.access import sees_unit
from planner.db import utcnow
from planner.models import Report, ReportStatus, Unit
from planner.operations.reporting import (ReportError, correct_report, issue_report, period_label, request_report,
                                          update_draft)
from planner.report_document import report_tables
from planner.tables import to_xlsx
from planner.views.api import (ApiError, accepts, api_user, body, bp, commit, created, invalid, load_plan, not_found,
                               require, stamp, unit_ref, user_ref)
from planner.views.common import db_session


def report_json(report: Report) -> dict:
    ready = report.status is ReportStatus.READY
    return {"id": report.id, "plan_id": report.plan_id, "unit": unit_ref(report.unit), "kind": report.kind.value,
            "kind_label": report.kind_label, "year": report.year, "month": report.month,
            **stamp("period_start", report.period_start), **stamp("period_end", report.period_end),
            "period_label": period_label(report), "number": report.number, "signer_name": report.signer_name,
            "signer_title": report.signer_title, "status": report.status.value, "status_label": report.status_label,
            "error": report.error, "requested_by": user_ref(report.requested_by),
            **stamp("created_at", report.created_at), **stamp("finished_at", report.finished_at),
            "purpose": report.purpose.value, "purpose_label": report.purpose_label, "is_issued": report.is_issued,
            **stamp("issued_at", report.issued_at), "register_no": report.register_no,
            "replaces_id": report.replaces_id, "narrative_md": report.narrative_md,
            "pdf_url": url_for("api.report_pdf", report_id=report.id) if ready else None,
            "xlsx_url": url_for("api.report_xlsx", report_id=report.id)}


def load_report(report_id: int) -> Report:
    """A report of a unit within scope, of a plan the user may see; 404 otherwise."""
    report = db_session().get(Report, report_id)
    if report is None or not sees_unit(api_user(), report.unit):
        raise not_found()
    load_plan(report.plan_id)
    return report


@bp.get("/plans/<int:plan_id>/reports")
def list_reports(plan_id: int):
    require("report.view")
    plan = load_plan(plan_id)
    reports = db_session().scalars(
        select(Report).join(Unit, Unit.id == Report.unit_id)
        .where(Report.plan_id == plan.id, Unit.path.startswith(api_user().unit.path, autoescape=True))
        .order_by(Report.created_at.desc(), Report.id.desc())).all()
    return jsonify(items=[report_json(r) for r in reports], total=len(reports))


@bp.post("/plans/<int:plan_id>/reports")
@accepts(api_schemas.ReportInput)
def create_report(plan_id: int):
    """Queue a report (202): the worker renders the PDF; poll GET /reports/{id} until status is 'ready'."""
    require("report.create")
    plan = load_plan(plan_id)
    data = body()
    session = db_session()
    unit = session.get(Unit, int(data.get("unit_id") or api_user().unit_id))
    if unit is None or not sees_unit(api_user(), unit):
        raise not_found()
    try:
        report = request_report(session, plan, unit, api_user(), data, now=utcnow())
    except ReportError as exc:
        raise invalid(exc.errors) from None
    commit()
    return created(report_json(report), url_for("api.get_report", report_id=report.id), status=202)


@bp.get("/reports/<int:report_id>")
def get_report(report_id: int):
    require("report.view")
    return jsonify(report_json(load_report(report_id)))


@bp.get("/reports/<int:report_id>/pdf")
def report_pdf(report_id: int):
    """The rendered PDF; 404 until the worker has made it."""
    require("report.view")
    report = load_report(report_id)
    name = Path(report.file_name).name  # written by the worker; never a path outside its folder
    path = Path(current_app.instance_path) / current_app.config["REPORT_DIR"] / name
    if report.status is not ReportStatus.READY or not name or not path.is_file():
        raise ApiError(404, "Báo cáo chưa sẵn sàng.", code="report_not_ready")
    return send_file(path, mimetype="application/pdf", as_attachment=True,
                     download_name=f"bao-cao-{report.kind.value}-{report.year}-{report.id}.pdf")


@bp.patch("/reports/<int:report_id>")
@accepts(api_schemas.ReportEdit)
def edit_report(report_id: int):
    """Change a draft's narrative (Markdown), number or signer; 409 once issued."""
    require("report.create")
    report = load_report(report_id)
    data = body()
    try:
        update_draft(db_session(), report, api_user(), data)
    except ReportError as exc:
        raise _refused(exc) from None
    commit()
    return jsonify(report_json(report))


@bp.post("/reports/<int:report_id>/issue")
@accepts(api_schemas.ReportEdit, optional=True)
def issue(report_id: int):
    """Issue: lock the report, give it its number from the unit's register, render the final PDF (202)."""
    require("report.create")
    report = load_report(report_id)
    data = _optional_body()
    try:
        if data:
            update_draft(db_session(), report, api_user(), data)
        issue_report(db_session(), report, api_user(), now=utcnow())
    except ReportError as exc:
        raise _refused(exc) from None
    commit()
    return jsonify(report_json(report)), 202


@bp.post("/reports/<int:report_id>/correct")
@accepts(api_schemas.ReportEdit, optional=True)
def correct(report_id: int):
    """A correction of an issued report: a new draft that names the report it replaces."""
    require("report.create")
    report = load_report(report_id)
    data = _optional_body()
    try:
        copy = correct_report(db_session(), report, api_user(), now=utcnow())
        if data:
            update_draft(db_session(), copy, api_user(), data)
    except ReportError as exc:
        raise _refused(exc) from None
    commit()
    return created(report_json(copy), url_for("api.get_report", report_id=copy.id), status=202)


@bp.get("/reports/<int:report_id>/xlsx")
def report_xlsx(report_id: int):
    """Every table of the report as one workbook."""
    require("report.view")
    report = load_report(report_id)
    return Response(to_xlsx(report_tables(db_session(), report)),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="bao-cao-{report.id}.xlsx"'})


def _optional_body() -> dict:
    """Last changes sent with issue/correct (same fields as PATCH); an empty request changes nothing."""
    if not request.content_length:
        return {}
    return body()


def _refused(exc: ReportError) -> ApiError:
    if "form" in exc.errors:
        return ApiError(409, exc.errors["form"], code="conflict")
    return invalid(exc.errors)
