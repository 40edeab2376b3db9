"""JSON API for changing plans: create (a plan.yaml-shaped document), edit, copy, life cycle, delete, export."""
from __future__ import annotations

from planner import api_schemas
from flask import Response, jsonify, request, url_for
from sqlalchemy import select

from planner.access import owns_plan, sees_unit
from planner.db import utcnow
from planner.library_checks import CODE_RE, parse_date
from planner.models import PlanStatus, Unit
from planner.operations import plans as ops
from planner.operations.plan_export import export_zip, plan_document
from planner.views.api import ApiError, accepts, api_user, body, bp, commit, created, invalid, load_plan, require
from planner.views.api_content import load_message, message_json, plan_json
from planner.views.common import db_session

MAX_DOCUMENT_KEYS = 40


def _document_body() -> dict:
    """The request's JSON object: a plan document as in plan.yaml (dates dd/mm/yyyy)."""
    if request.mimetype != "application/json":
        raise ApiError(415, "Nội dung gửi lên phải là JSON (Content-Type: application/json).")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "Nội dung JSON phải là một đối tượng (kế hoạch như trong plan.yaml).",
                       code="malformed_json")
    if len(data) > MAX_DOCUMENT_KEYS:
        raise invalid({"-": "Quá nhiều trường."})
    return data


def _managed(plan_id: int):
    require("plan.manage")
    plan = load_plan(plan_id)
    if not owns_plan(api_user(), plan):
        raise ApiError(403, "Chỉ đơn vị chủ trì kế hoạch (hoặc cấp trên của nó) được thay đổi kế hoạch.")
    return plan


def _check_unit(doc: dict) -> None:
    unit = db_session().scalar(select(Unit).where(Unit.code == str(doc.get("unit") or "")))
    if unit is not None and not sees_unit(api_user(), unit):
        raise invalid({"unit": "Chỉ lập kế hoạch cho đơn vị của bạn hoặc đơn vị trực thuộc."})


def _plan_error(exc: ops.PlanError) -> ApiError:
    if exc.fields:
        return invalid(exc.fields, str(exc))
    return ApiError(409, str(exc), code="plan_conflict")


@bp.get("/plans/<int:plan_id>/document")
def get_plan_document(plan_id: int):
    """The plan as its plan.yaml document: what POST /plans takes and PATCH edits."""
    require("plan.view")
    return jsonify(plan_document(load_plan(plan_id)))


@bp.post("/plans")
@accepts("PlanDocument")
def create_plan():
    require("plan.manage")
    doc = _document_body()
    _check_unit(doc)
    try:
        plan = ops.save_plan(db_session(), api_user(), doc)
    except ops.PlanError as exc:
        raise _plan_error(exc) from None
    commit()
    return created(plan_json(plan, detail=True), url_for("api.get_plan", plan_id=plan.id))


@bp.patch("/plans/<int:plan_id>", endpoint="edit_plan")
@accepts("PlanDocument")
def edit_plan(plan_id: int):
    """Change fields of the plan document; `details` keys given replace those keys, others stay."""
    plan = _managed(plan_id)
    changes = _document_body()
    current = plan_document(plan)
    doc = current | {k: v for k, v in changes.items() if k != "details"}
    if isinstance(changes.get("details"), dict):
        doc["details"] = (current.get("details") or {}) | changes["details"]
    elif "details" in changes:
        raise invalid({"details": "Phải là một đối tượng."})
    _check_unit(doc)
    try:
        ops.save_plan(db_session(), api_user(), doc, plan=plan)
    except ops.PlanError as exc:
        raise _plan_error(exc) from None
    commit()
    return jsonify(plan_json(plan, detail=True))


@bp.post("/plans/<int:plan_id>/copy")
@accepts(api_schemas.PlanCopyInput)
def copy_plan(plan_id: int):
    require("plan.manage")
    source = load_plan(plan_id)
    data = body()
    fields = {}
    if not CODE_RE.match(data["code"]) or len(data["code"]) > 64:
        fields["code"] = "Mã kế hoạch chỉ gồm chữ thường không dấu, số, '-', '.', '_' (tối đa 64 ký tự)."
    try:
        starts_on = parse_date(data["starts_on"])
    except ValueError as exc:
        fields["starts_on"] = str(exc)
    if fields:
        raise invalid(fields)
    try:
        plan = ops.copy_plan(db_session(), source, api_user(), code=data["code"], starts_on=starts_on, now=utcnow())
        if not sees_unit(api_user(), plan.unit):
            raise ops.PlanError("Chỉ sao chép kế hoạch của đơn vị bạn hoặc đơn vị trực thuộc.")
    except ops.PlanError as exc:
        db_session().rollback()
        raise _plan_error(exc) from None
    commit()
    return created(plan_json(plan, detail=True), url_for("api.get_plan", plan_id=plan.id))


@bp.post("/plans/<int:plan_id>/status", endpoint="set_plan_status")
@accepts(api_schemas.PlanStatusInput)
def set_plan_status(plan_id: int):
    plan = _managed(plan_id)
    data = body()
    try:
        status = PlanStatus(data["status"])
    except ValueError:
        raise invalid({"status": "Trạng thái phải là draft, active, closed hoặc archived."}) from None
    try:
        ops.set_status(db_session(), plan, api_user(), status)
    except ops.PlanError as exc:
        raise ApiError(409, str(exc), code="invalid_transition") from None
    commit()
    return jsonify(plan_json(plan, detail=True))


@bp.delete("/plans/<int:plan_id>")
def delete_plan(plan_id: int):
    plan = _managed(plan_id)
    try:
        ops.delete_plan(db_session(), plan, api_user())
    except ops.PlanError as exc:
        raise ApiError(409, str(exc), code="plan_has_history") from None
    commit()
    return Response(status=204)


@bp.get("/plans/<int:plan_id>/export")
def export_plan(plan_id: int):
    require("plan.view")
    plan = load_plan(plan_id)
    return Response(export_zip(db_session(), plan), mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{plan.code}.zip"'})


@bp.post("/messages/<int:message_id>/retire")
@accepts(api_schemas.EmptyInput, optional=True)
def retire_message(message_id: int):
    require("message.edit")
    message = load_message(message_id)
    if not owns_plan(api_user(), message.plan):
        raise ApiError(403, "Chỉ đơn vị chủ trì kế hoạch được ngừng dùng tin.")
    try:
        ops.retire_message(db_session(), message, api_user(), now=utcnow())
    except ops.PlanError as exc:
        raise ApiError(409, str(exc), code="read_only") from None
    commit()
    return jsonify(message_json(message))
