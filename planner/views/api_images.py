"""JSON API: pictures of a message (multipart upload, removal, the file itself)."""
from __future__ import annotations

from flask import current_app, jsonify, request, url_for

from planner.db import utcnow
from planner.models import MessageImage, MessageVersion
from planner.operations import images
from planner.operations.content import ContentError
from planner.views.api import ApiError, accepts, api_user, bp, commit, created, not_found, require
from planner.views.api_content import load_message, message_json, require_owned
from planner.views.common import db_session


def image_json(image: MessageImage) -> dict:
    """One picture as the API shows it (the file is at `url`)."""
    version = image.version
    return {"id": image.id, "version_id": image.version_id, "position": image.position, "sha256": image.sha256,
            "mime": image.mime, "width": image.width, "height": image.height, "size_bytes": image.size_bytes,
            "alt_text": image.alt_text,
            "url": url_for("api.get_message_image", message_id=version.message_id, image_id=image.id)}


def images_json(version: MessageVersion) -> list[dict]:
    return [image_json(i) for i in version.images]


def _refused(exc: ContentError) -> ApiError:
    """A read-only message is a conflict (409); a bad file or description is 422 with the fields."""
    if set(exc.errors) == {"form"}:
        return ApiError(409, exc.errors["form"], code="read_only")
    return ApiError(422, "Không thêm được ảnh: " + "; ".join(exc.errors.values()), code="invalid_image",
                    fields=exc.errors)


@bp.post("/messages/<int:message_id>/images")
@accepts("MessageImageInput", media="multipart/form-data")
def add_message_image(message_id: int):
    """multipart/form-data: `image` (JPEG, PNG or WebP, checked by content) and `alt_text` (required)."""
    require("message.edit")
    message = load_message(message_id)
    require_owned(message.plan)
    if not (request.content_type or "").startswith("multipart/form-data"):
        raise ApiError(415, "Phải gửi Content-Type: multipart/form-data với trường 'image' và 'alt_text'.",
                       code="unsupported_media_type")
    upload = request.files.get("image")
    try:
        image = images.add_image(db_session(), message, api_user(), upload.read() if upload else b"",
                                 request.form.get("alt_text", ""), directory=current_app.config["IMAGE_DIR"],
                                 now=utcnow())
    except ContentError as exc:
        db_session().rollback()
        raise _refused(exc) from None
    commit()
    return created(image_json(image) | {"message": message_json(message, detail=True)},
                   url_for("api.get_message_image", message_id=message.id, image_id=image.id))


@bp.delete("/messages/<int:message_id>/images/<int:image_id>")
def delete_message_image(message_id: int, image_id: int):
    """Remove a picture of the working version (a reviewed version gets a new draft without it)."""
    require("message.edit")
    message = load_message(message_id)
    require_owned(message.plan)
    try:
        version = images.remove_image(db_session(), message, image_id, api_user(), now=utcnow())
    except ContentError as exc:
        db_session().rollback()
        if set(exc.errors) == {"image"}:
            raise not_found() from None
        raise _refused(exc) from None
    commit()
    return jsonify(message_json(message, detail=True) | {"saved_version_id": version.id})


@bp.get("/messages/<int:message_id>/images/<int:image_id>")
def get_message_image(message_id: int, image_id: int):
    """The stored file (re-encoded, without metadata), for people who may see the message."""
    require("plan.view")
    message = load_message(message_id)
    image = db_session().get(MessageImage, image_id)
    if image is None or image.version.message_id != message.id:
        raise not_found()
    from planner.views.message_images import send_image

    return send_image(image)
