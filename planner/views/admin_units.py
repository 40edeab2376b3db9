"""Places pages: the units tree of my unit (add, rename, move) with each unit's loudspeaker clusters."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from planner.access import AccessDenied
from planner.models.org import UNIT_KIND_LABELS
from planner.operations import units as ops
from planner.operations.users import managed_units
from planner.views.common import db_session, require_permission, run_action, small_int

bp = Blueprint("admin_units", __name__, url_prefix="/admin")


def load_unit(unit_id: int):
    """A unit the current user administers, else 404."""
    require_permission("unit.manage")
    try:
        return ops.get_managed_unit(db_session(), current_user, unit_id)
    except AccessDenied:
        abort(404)


def _kinds():
    return [(k.value, UNIT_KIND_LABELS[k]) for k in ops.ADDABLE_KINDS]


@bp.route("/units", methods=["GET", "POST"])
@login_required
def index():
    require_permission("unit.manage")
    session = db_session()
    form, errors = dict(request.form), {}
    if request.method == "POST":
        try:
            unit = ops.create_unit(session, current_user, form)
        except ops.UnitError as exc:
            session.rollback()
            errors = exc.errors
        else:
            session.commit()
            flash(f"Đã thêm {unit.kind_label.lower()} {unit.name}.", "success")
            return redirect(url_for("admin_units.index") + f"#unit-{unit.id}")
    else:
        form = {"parent_id": str(small_int(request.args.get("parent")) or ""), "kind": request.args.get("kind", "")}
    units = managed_units(session, current_user)
    clusters = _cluster_counts(session, units)
    return render_template("pages/admin/units.html", units=units, clusters=clusters, form=form, errors=errors,
                           kinds=_kinds()), (400 if errors else 200)


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@login_required
def show(unit_id: int):
    unit = load_unit(unit_id)
    session = db_session()
    form = dict(request.form) if request.method == "POST" else {
        "name": unit.name, "code": unit.code, "parent_id": str(unit.parent_id or "")}
    errors = {}
    if request.method == "POST":
        try:
            ops.update_unit(session, current_user, unit, form)
        except ops.UnitError as exc:
            session.rollback()
            errors = exc.errors
        else:
            session.commit()
            flash("Đã lưu đơn vị.", "success")
            return redirect(url_for("admin_units.show", unit_id=unit.id))
    parents = [u for u in managed_units(session, current_user) if not u.is_within(unit)]
    return render_template("pages/admin/unit.html", unit=unit, form=form, errors=errors, parents=parents,
                           loudspeakers=ops.loudspeakers(session, unit)), (400 if errors else 200)


@bp.post("/units/<int:unit_id>/loudspeakers")
@login_required
def loudspeakers(unit_id: int):
    unit = load_unit(unit_id)
    names = {small_int(k.removeprefix("target-")): v for k, v in request.form.items() if k.startswith("target-")}
    run_action(lambda s: ops.save_loudspeakers(s, current_user, unit, {k: v for k, v in names.items() if k},
                                               request.form.get("loudspeaker", "")),
               (ops.UnitError,), "Đã lưu cụm loa.")
    return redirect(url_for("admin_units.show", unit_id=unit.id))


def _cluster_counts(session, units) -> dict[int, int]:
    from sqlalchemy import func, select

    from planner.models import Target

    ids = [u.id for u in units]
    rows = session.execute(select(Target.unit_id, func.count()).where(Target.unit_id.in_(ids),
                                                                      Target.channel == "loudspeaker")
                           .group_by(Target.unit_id)).all()
    return dict(rows)
