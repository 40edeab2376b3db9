"""JSON API: the units tree of my unit (add, rename, move, loudspeaker clusters) and the village CSV import."""
from __future__ import annotations

from planner import api_responses as out
from planner import api_schemas
from planner.api_responses import dump
from flask import current_app, jsonify, url_for

from planner.access import AccessDenied
from planner.operations import channel_accounts as accounts
from planner.operations import units as ops
from planner.operations import villages
from planner.views.api import ApiError, accepts, api_user, body, bp, commit, created, invalid, not_found, require
from planner.views.common import db_session


def unit_json(unit) -> dict:
    speakers = [out.AdminUnitLoudspeaker(id=t.id, code=t.code, name=t.name, is_active=t.is_active)
                for t in ops.loudspeakers(db_session(), unit)]
    return dump(out.AdminUnit(id=unit.id, code=unit.code, name=unit.name, kind=unit.kind.value,
                              kind_label=unit.kind_label, parent_id=unit.parent_id, loudspeakers=speakers))


def _load(unit_id: int):
    require("unit.manage")
    try:
        return ops.get_managed_unit(db_session(), api_user(), unit_id)
    except AccessDenied:
        raise not_found() from None


def _run(action):
    try:
        return action(db_session())
    except ops.UnitError as exc:
        raise invalid(exc.errors) from None


@bp.post("/units")
@accepts(api_schemas.UnitInput)
def create_unit():
    require("unit.manage")
    data = body()
    unit = _run(lambda s: ops.create_unit(s, api_user(), data))
    commit()
    return created(unit_json(unit), url_for("api.get_unit", unit_id=unit.id))


@bp.get("/units/<int:unit_id>")
def get_unit(unit_id: int):
    return jsonify(unit_json(_load(unit_id)))


@bp.patch("/units/<int:unit_id>")
@accepts(api_schemas.UnitEdit)
def update_unit(unit_id: int):
    """Rename, change the code, or move (parent_id) a unit; a move keeps its history."""
    unit = _load(unit_id)
    data = body()
    _run(lambda s: ops.update_unit(s, api_user(), unit, data))
    commit()
    return jsonify(unit_json(unit))


@bp.post("/units/<int:unit_id>/loudspeakers")
@accepts(api_schemas.NameInput)
def add_loudspeaker(unit_id: int):
    unit = _load(unit_id)
    data = body()
    _run(lambda s: ops.save_loudspeakers(s, api_user(), unit, {}, data["name"]))
    commit()
    return jsonify(unit_json(unit)), 201


@bp.post("/units/<int:unit_id>/villages")
@accepts(api_schemas.VillageImportInput)
def import_villages(unit_id: int):
    """Village CSV for a commune: {"csv", "dry_run", "confirm_moves"}; a dry run writes nothing."""
    unit = _load(unit_id)
    data = body()
    kwargs = {"filename": data.get("filename") or "thon.csv", "confirm_moves": data.get("confirm_moves", False),
              "within": unit}
    session = db_session()
    if data.get("dry_run", True):
        preview = villages.preview_villages(session, api_user(), data["csv"], **kwargs)
        session.rollback()
    else:
        preview = villages.import_villages(session, api_user(), data["csv"], **kwargs)
        if not preview.ok:
            raise ApiError(400, "Tệp thôn có lỗi; chưa ghi gì.", code="validation_failed",
                           fields={_where(p): p.reason for p in preview.problems})
        commit()
    return jsonify(preview_json(preview, dry_run=data.get("dry_run", True)))


def preview_json(preview, *, dry_run: bool) -> dict:
    return dump(out.VillageImport(
        ok=preview.ok, dry_run=dry_run,
        counts={a: preview.count(a) for a in ("created", "updated", "unchanged", "moved")},
        rows=[out.VillageImportRow(line=r.line, code=r.code, name=r.name, parent_code=r.parent.code,
                                   action=r.action, changes=r.changes) for r in preview.rows],
        problems=[out.VillageImportProblem(file=p.file, line=p.line, column=p.field, reason=p.reason)
                  for p in preview.problems]))


def _where(problem) -> str:
    return f"dòng {problem.line or '-'}, cột {problem.field}"


# --------------------------------------------------------------------------- channel accounts

def account_json(target) -> dict:
    """A fanpage / Zalo OA; the token itself is never sent back, only whether one is stored and its last 4."""
    return dump(out.ChannelAccount(id=target.id, unit_id=target.unit_id, channel=target.channel, name=target.name,
                                   external_id=target.external_id, is_active=target.is_active,
                                   has_token=bool(target.token_encrypted), token_hint=target.token_hint or None))


def _account_call(action):
    try:
        return action(db_session())
    except accounts.AccountError as exc:
        raise invalid(exc.errors) from None


@bp.get("/units/<int:unit_id>/accounts")
def list_accounts(unit_id: int):
    unit = _load(unit_id)
    items = accounts.unit_accounts(db_session(), unit)
    return jsonify(items=[account_json(t) for t in items], total=len(items))


@bp.post("/units/<int:unit_id>/accounts")
@accepts(api_schemas.ChannelAccountInput)
def create_account(unit_id: int):
    unit = _load(unit_id)
    data = body()
    target = _account_call(lambda s: accounts.create_account(s, api_user(), unit, data, current_app.config))
    commit()
    return jsonify(account_json(target)), 201


@bp.patch("/accounts/<int:account_id>")
@accepts(api_schemas.ChannelAccountEdit)
def update_account(account_id: int):
    require("unit.manage")
    try:
        target = accounts.get_managed_account(db_session(), api_user(), account_id)
    except AccessDenied:
        raise not_found() from None
    data = body()
    _account_call(lambda s: accounts.update_account(s, api_user(), target, data, current_app.config))
    commit()
    return jsonify(account_json(target))
