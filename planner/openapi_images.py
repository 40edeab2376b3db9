"""The OpenAPI description of message pictures (merged into planner.openapi)."""
from __future__ import annotations

from planner.openapi import INT, STR, _path_param, obj, op, ref

SCHEMAS: dict[str, dict] = {
    "MessageImage": obj({
        "id": INT, "version_id": INT, "position": {**INT, "description": "Thứ tự trong bài đăng (1, 2, …)"},
        "sha256": {**STR, "description": "SHA-256 của tệp đã xử lý lại (không còn siêu dữ liệu)"},
        "mime": {"enum": ["image/jpeg", "image/png", "image/webp"]}, "width": INT, "height": INT,
        "size_bytes": INT, "alt_text": {**STR, "description": "Mô tả ảnh bằng tiếng Việt (bắt buộc)"},
        "url": {**STR, "description": "Đường dẫn API tải tệp ảnh"}}),
    "MessageImageInput": obj({
        "image": {"type": "string", "format": "binary",
                  "description": "JPEG, PNG hoặc WebP (kiểm tra theo nội dung tệp), tối đa 4 MB; tối đa 4 ảnh mỗi tin"},
        "alt_text": {**STR, "description": "Mô tả ảnh cho người khiếm thị, tối đa 300 ký tự"}},
        ["image", "alt_text"]),
    "MessageImageCreated": {"allOf": [ref("MessageImage"), obj({"message": ref("MessageDetail")})]},
}


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
