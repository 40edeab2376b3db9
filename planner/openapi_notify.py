"""The OpenAPI description of the notification endpoints (merged into planner.openapi)."""
from __future__ import annotations

from planner.openapi import _path_param, op


def paths() -> dict:
    own = "của chính người gọi (không ai xem được thông báo của người khác)"
    return {
        "/notifications": {
            "get": op("notifications", f"Thông báo {own}, mới nhất trước; header X-Unread-Count là số chưa đọc",
                      ok=(200, "NotificationPage"), errors=(400, 401))},
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
