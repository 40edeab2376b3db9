"""The OpenAPI description of message pictures (merged into planner.openapi)."""
from __future__ import annotations

from planner.openapi import _path_param, op


def paths() -> dict:
    message, image = _path_param("message_id"), _path_param("image_id")
    new_draft = ("; phiên bản đã gửi duyệt hoặc đã duyệt thì tạo phiên bản nháp mới (cần duyệt lại), "
                 "bản đã duyệt giữ nguyên ảnh của nó")
    upload = op("messages", "Thêm ảnh vào phiên bản đang sửa" + new_draft + ". Tệp hỏng, sai loại, quá lớn hoặc "
                "thiếu mô tả: 422 invalid_image (kèm fields), không ghi gì", ok=(201, "MessageImageCreated"),
                errors=(400, 401, 403, 404, 409, 415, 422))
    binary = {"schema": {"type": "string", "format": "binary"}}
    get = op("messages", "Tệp ảnh (ETag = SHA-256)", ok=(200, None))
    get["responses"]["200"]["content"] = {kind: binary for kind in ("image/jpeg", "image/png", "image/webp")}
    return {
        "/messages/{message_id}/images": {"parameters": [message], "post": upload},
        "/messages/{message_id}/images/{image_id}": {
            "parameters": [message, image],
            "get": get,
            "delete": op("messages", "Bỏ một ảnh của phiên bản đang sửa" + new_draft, ok=(200, "MessageDetail"),
                         errors=(401, 403, 404, 409))},
    }
