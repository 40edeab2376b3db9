"""Recording indicator results: the officer's form and CSV/XLSX upload (dry run first), the village head's phone form."""
from __future__ import annotations

import base64
import binascii

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from planner import localtime
from planner.access import sees_unit, unit_scope
from planner.db import utcnow
from planner.models import Indicator, IndicatorResult, ResultSource, Unit, UnitKind
from planner.operations.indicators import (LEVEL_KINDS, ResultError, plan_indicators, record_result,
                                           village_indicators)
from planner.operations.results_upload import UploadError, apply_upload, check_upload
from planner.views.common import db_session, require_permission, small_int
from planner.views.plans import load_plan
from planner.vnsort import vietnamese_key

bp = Blueprint("results", __name__)


def _indicator(plan, value) -> Indicator | None:
    return next((i for i in plan_indicators(db_session(), plan.id) if i.id == small_int(value)), None)


def _page(plan, *, form=None, errors=None, check=None, upload=None, status=200):
    session = db_session()
    indicators = plan_indicators(session, plan.id)
    kinds = {k for i in indicators for k in LEVEL_KINDS[i.level]}
    units = sorted(session.scalars(select(Unit).where(unit_scope(current_user), Unit.kind.in_(kinds),
                                                      Unit.path.startswith(plan.unit.path, autoescape=True))),
                   key=lambda u: vietnamese_key(u.name))
    recent = session.scalars(select(IndicatorResult).join(Unit, Unit.id == IndicatorResult.unit_id)
                             .where(IndicatorResult.indicator_id.in_([i.id for i in indicators]),
                                    unit_scope(current_user))
                             .order_by(IndicatorResult.id.desc()).limit(30)).all()
    form = form or {"on": localtime.fmt_date(localtime.today(utcnow()))}
    return render_template("pages/results/index.html", plan=plan, indicators=indicators, units=units, form=form,
                           errors=errors or {}, check=check, upload=upload, recent=recent), status


@bp.get("/plans/<int:plan_id>/results")
@login_required
def index(plan_id: int):
    plan = load_plan(plan_id)
    require_permission("report.view")
    return _page(plan)


@bp.post("/plans/<int:plan_id>/results")
@login_required
def record(plan_id: int):
    plan = load_plan(plan_id)
    require_permission("result.record")
    session, form = db_session(), dict(request.form)
    ind = _indicator(plan, form.get("indicator_id"))
    unit = session.get(Unit, small_int(form.get("unit_id")) or 0)
    if unit is not None and not sees_unit(current_user, unit):
        unit = None
    try:
        on = localtime.parse_date(form.get("on") or "")
    except ValueError:
        on = None
    if ind is None:
        return _page(plan, form=form, errors={"indicator_id": "Vui lòng chọn chỉ tiêu."}, status=400)
    try:
        record_result(session, ind, unit, on, form.get("value"), form.get("denominator"), user=current_user,
                      source=ResultSource.FORM, now=utcnow())
    except ResultError as exc:
        session.rollback()
        return _page(plan, form=form, errors=exc.errors, status=400)
    session.commit()
    flash(f"Đã ghi số liệu của {unit.name} ngày {localtime.fmt_date(on)}.", "success")
    return redirect(url_for("results.index", plan_id=plan.id))


@bp.post("/plans/<int:plan_id>/results/upload")
@login_required
def upload(plan_id: int):
    """First post: a dry run listing every error; the confirm post (same file, carried back) writes it."""
    plan = load_plan(plan_id)
    require_permission("result.record")
    session, form = db_session(), dict(request.form)
    ind = _indicator(plan, form.get("indicator_id"))
    file = request.files.get("file")
    try:
        if form.get("content"):
            name, data = form.get("file_name") or "", base64.b64decode(form["content"], validate=True)
        elif file is not None and file.filename:
            name, data = file.filename, file.read()
        else:
            raise UploadError("Vui lòng chọn tệp CSV hoặc XLSX.")
        if ind is None:
            raise UploadError("Vui lòng chọn chỉ tiêu.")
        on = localtime.parse_date(form.get("on") or localtime.fmt_date(localtime.today(utcnow())))
        check = check_upload(session, ind, current_user, name, data, default_on=on, now=utcnow())
    except (UploadError, ValueError, binascii.Error) as exc:
        return _page(plan, form=form, errors={"file": str(exc)}, status=400)
    upload_state = {"file_name": name, "content": base64.b64encode(data).decode(), "indicator": ind,
                    "on": localtime.fmt_date(on)}
    if check.errors or form.get("confirm") != "1":
        return _page(plan, form=form, check=check, upload=upload_state, status=400 if check.errors else 200)
    written = apply_upload(session, ind, current_user, check, now=utcnow())
    session.commit()
    flash(f"Đã ghi {written} dòng số liệu từ tệp {name}.", "success")
    return redirect(url_for("results.index", plan_id=plan.id))


@bp.post("/x/<token>/results")
def village(token: str):
    """The village head's 'Số liệu tuần này' from the QR phone page: today's figures for their village."""
    from planner.views.confirm import _link

    link = _link(token)
    session = db_session()
    from planner.operations import delivery as ops

    target = ops.target_of(session, link.target_id)
    if target is None or target.unit.kind is not UnitKind.VILLAGE:
        abort(404)
    today = localtime.today(utcnow())
    allowed = {i.id: i for i, _ in village_indicators(session, target.unit, today=today)}
    ind = allowed.get(small_int(request.form.get("indicator_id")) or 0)
    if ind is None:
        abort(404)
    try:
        record_result(session, ind, target.unit, today, request.form.get("value"), request.form.get("denominator"),
                      user=None, source=ResultSource.PHONE, now=utcnow(),
                      name=(request.form.get("name") or "Trưởng thôn").strip()[:100])
    except ResultError as exc:
        session.rollback()
        flash(" ".join(exc.errors.values()), "error")
    else:
        session.commit()
        flash("Đã gửi số liệu tuần này. Cảm ơn!", "success")
    return redirect(url_for("confirm.page", token=token) + "#so-lieu")


@bp.app_context_processor
def _village_results():
    def weekly(target):
        if target is None or target.unit.kind is not UnitKind.VILLAGE:
            return []
        return village_indicators(db_session(), target.unit, today=localtime.today(utcnow()))

    return {"village_weekly_indicators": weekly}
