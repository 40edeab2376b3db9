"""The OpenAPI description of the notification endpoints (merged into planner.openapi)."""
from __future__ import annotations

from planner.models.notifications import NOTIFICATION_KINDS
from planner.openapi import BOOL, INT, STR, _path_param, _query, limit_param, obj, op, page, ref, stamp
from planner.operations.notifications import PAGE_SIZE

SCHEMAS: dict[str, dict] = {
    "Notification": obj({"id": INT, "kind": {"enum": sorted(NOTIFICATION_KINDS)}, "text": STR,
                         "link": {**STR, "description": "Đường dẫn trang liên quan (tương đối), có thể rỗng"},
                         "is_read": BOOL, **stamp("created_at"), **stamp("read_at")}),
    "NotificationPage": page("Notification"),
    "ReadAll": obj({"marked": {**INT, "description": "Số thông báo vừa được đánh dấu đã đọc"}, "unread": INT}),
    "NotificationSettings": obj({
        "email": {**STR, "description": "Địa chỉ nhận thư (rỗng: không nhận thư)"},
        "kinds": {"type": "array", "items": {"enum": sorted(NOTIFICATION_KINDS)},
                  "description": "Loại thông báo được gửi kèm thư điện tử"},
        "available": {"type": "object", "additionalProperties": STR, "description": "Mọi loại và tên tiếng Việt"}}),
    "ChangeRequest": obj({"version_id": INT, "note": STR, "reviewed_by": ref("UserRef"), **stamp("reviewed_at")},
                         description="Yêu cầu sửa của người duyệt, còn hiển thị cho tới lần duyệt tiếp theo"),
}


def paths() -> dict:
    paging = [limit_param(200, PAGE_SIZE), {"$ref": "#/components/parameters/offset"}]
    own = "của chính người gọi (không ai xem được thông báo của người khác)"
    return {
        "/notifications": {
            "get": op("notifications", f"Thông báo {own}, mới nhất trước; header X-Unread-Count là số chưa đọc",
                      ok=(200, "NotificationPage"), errors=(400, 401),
                      params=[_query("unread", {"enum": ["1", "true", "0", "false"]}, "Chỉ thông báo chưa đọc"),
                              *paging])},
        "/notifications/{notification_id}/read": {
            "parameters": [_path_param("notification_id")],
            "post": op("notifications", "Đánh dấu một thông báo đã đọc (404 nếu không phải của mình)",
                       ok=(200, "Notification"), errors=(401, 404))},
        "/notifications/read-all": {
            "post": op("notifications", "Đánh dấu mọi thông báo của mình đã đọc", ok=(200, "ReadAll"),
                       errors=(401,))},
        "/account/notifications": {
            "get": op("notifications", "Cài đặt nhận thông báo qua thư điện tử", ok=(200, "NotificationSettings"),
                      errors=(401,)),
            "put": op("notifications", "Đổi địa chỉ thư và các loại thông báo được gửi thư",
                      ok=(200, "NotificationSettings"), errors=(401,))},
    }
