"""Pictures of a message: upload and remove (pages), and the scoped route that serves them (never /static)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, request, send_file, url_for
from flask_login import current_user, login_required

from planner.db import utcnow
from planner.models import MessageImage
from planner.operations import images
from planner.operations.content import ContentError
from planner.views.common import db_session, require_permission
from planner.views.messages import load_message, require_owned

bp = Blueprint("message_images", __name__)


def uploaded_bytes(field: str = "image") -> bytes:
    """The bytes of the uploaded file (empty when none was chosen); the name and type sent are ignored."""
    upload = request.files.get(field)
    return upload.read() if upload else b""


@bp.post("/messages/<int:message_id>/images")
@login_required
def upload(message_id: int):
    message = load_message(message_id)
    require_permission("message.edit")
    require_owned(message.plan)
    session = db_session()
    try:
        images.add_image(session, message, current_user, uploaded_bytes(), request.form.get("alt_text", ""),
                         directory=current_app.config["IMAGE_DIR"], now=utcnow())
    except ContentError as exc:
        session.rollback()
        flash("Chưa thêm ảnh: " + "; ".join(exc.errors.values()), "error")
    else:
        session.commit()
        flash("Đã thêm ảnh vào bản nháp.", "success")
    return redirect(url_for("messages.show", message_id=message.id))


@bp.post("/messages/<int:message_id>/images/<int:image_id>/delete")
@login_required
def remove(message_id: int, image_id: int):
    message = load_message(message_id)
    require_permission("message.edit")
    require_owned(message.plan)
    session = db_session()
    try:
        images.remove_image(session, message, image_id, current_user, now=utcnow())
    except ContentError as exc:
        session.rollback()
        flash("; ".join(exc.errors.values()), "error")
    else:
        session.commit()
        flash("Đã bỏ ảnh khỏi bản nháp.", "success")
    return redirect(url_for("messages.show", message_id=message.id))


@bp.get("/messages/<int:message_id>/images/<int:image_id>")
@login_required
def serve(message_id: int, image_id: int):
    """The stored file, to people who may see the message; cached by its SHA-256 (content never changes)."""
    message = load_message(message_id)
    image = db_session().get(MessageImage, image_id)
    if image is None or image.version.message_id != message.id:
        abort(404)
    return send_image(image)


def send_image(image: MessageImage):
    """The file of `image` with its own content type, never sniffed, ETag = SHA-256."""
    path = images.image_path(current_app.config["IMAGE_DIR"], image)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=image.mime, etag=image.sha256, conditional=True, max_age=3600)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = f'inline; filename="{image.sha256[:16]}.{image.ext}"'
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
