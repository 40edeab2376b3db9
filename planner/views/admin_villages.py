"""Village CSV upload: dry run first (every row's outcome and every error with line and column), then import."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from planner.models import UnitKind
from planner.operations import villages as ops
from planner.views.admin_units import load_unit
from planner.views.common import db_session

bp = Blueprint("admin_villages", __name__, url_prefix="/admin")


@bp.route("/units/<int:unit_id>/villages", methods=["GET", "POST"])
@login_required
def upload(unit_id: int):
    """GET: the upload form; POST: the dry run of the uploaded file (nothing is written)."""
    unit = load_unit(unit_id)
    if unit.kind is UnitKind.VILLAGE:
        abort(404)
    if request.method == "GET":
        return render_template("pages/admin/villages.html", unit=unit, preview=None, text="", filename="",
                               max_rows=ops.MAX_ROWS)
    upload_file = request.files.get("file")
    data = upload_file.read(ops.MAX_BYTES + 1) if upload_file else request.form.get("csv", "").encode()
    filename = (upload_file.filename if upload_file else request.form.get("filename")) or "thon.csv"
    if not data.strip():
        flash("Vui lòng chọn tệp CSV thôn.", "error")
        return render_template("pages/admin/villages.html", unit=unit, preview=None, text="", filename="",
                               max_rows=ops.MAX_ROWS), 400
    confirm = request.form.get("confirm_moves") == "1"
    preview = ops.preview_villages(db_session(), current_user, data, filename=filename, confirm_moves=confirm,
                                   within=unit)
    db_session().rollback()
    text = data.decode("utf-8-sig", errors="replace")
    return render_template("pages/admin/villages.html", unit=unit, preview=preview, text=text, filename=filename,
                           confirm_moves=confirm, max_rows=ops.MAX_ROWS), (200 if preview.ok else 400)


@bp.post("/units/<int:unit_id>/villages/import")
@login_required
def confirm(unit_id: int):
    """Import the file shown in the dry run: checked again, written only if it still passes."""
    unit = load_unit(unit_id)
    session = db_session()
    data = request.form.get("csv", "").encode()
    filename = request.form.get("filename") or "thon.csv"
    confirm_moves = request.form.get("confirm_moves") == "1"
    preview = ops.import_villages(session, current_user, data, filename=filename, confirm_moves=confirm_moves,
                                  within=unit)
    if not preview.ok:
        session.rollback()
        return render_template("pages/admin/villages.html", unit=unit, preview=preview,
                               text=data.decode(errors="replace"), filename=filename, confirm_moves=confirm_moves,
                               max_rows=ops.MAX_ROWS), 400
    session.commit()
    flash(f"Đã nhập: {preview.count('created')} thôn mới, {preview.count('updated')} cập nhật, "
          f"{preview.count('moved')} chuyển xã, {preview.count('unchanged')} không đổi.", "success")
    return redirect(url_for("admin_units.index"))
