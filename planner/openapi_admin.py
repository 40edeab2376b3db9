"""The OpenAPI description of the people and places endpoints (merged into planner.openapi)."""
from __future__ import annotations

from planner.openapi import BOOL, INT, STR, _path_param, listing, obj, op, ref, stamp

ROLES = ["admin", "unit_admin", "planner", "editor", "approver", "print_shop", "supervisor"]

SCHEMAS: dict[str, dict] = {
    "AdminUser": {"allOf": [ref("User"), obj({"is_active": BOOL, **stamp("created_at")})]},
    "AdminUserList": listing("AdminUser"),
    "UserInput": obj({
        "username": {**STR, "description": "3–64 ký tự a-z 0-9 . _ -; không phân biệt chữ hoa, thường"},
        "full_name": {**STR, "maxLength": 200}, "role": {"enum": ROLES},
        "unit_id": {**INT, "description": "Đơn vị trong phạm vi người quản trị"},
        "password": {**STR, "format": "password", "minLength": 8}},
        description="POST: mọi trường bắt buộc; PATCH: full_name, role, unit_id (các trường đổi)."),
    "ActiveInput": obj({"is_active": BOOL}, ["is_active"]),
    "PasswordInput": obj({"password": {**STR, "format": "password", "minLength": 8}}, ["password"]),
}


def paths() -> dict:
    user = _path_param("user_id")
    manage = "quản trị đơn vị (unit_admin) hoặc quản trị hệ thống"
    return {
        "/users": {
            "get": op("people", f"Người dùng của đơn vị mình và cấp dưới ({manage})", ok=(200, "AdminUserList"),
                      errors=(401, 403)),
            "post": op("people", "Tạo người dùng", ok=(201, "AdminUser"), body="UserInput", errors=(401, 403))},
        "/users/{user_id}": {
            "parameters": [user],
            "get": op("people", "Người dùng", ok=(200, "AdminUser")),
            "patch": op("people", "Đổi họ tên, vai trò, đơn vị", ok=(200, "AdminUser"), body="UserInput")},
        "/users/{user_id}/password": {
            "parameters": [user],
            "post": op("people", "Đặt lại mật khẩu (hủy mọi phiên đăng nhập và mã API của người đó)",
                       ok=(200, "AdminUser"), body="PasswordInput")},
        "/users/{user_id}/active": {
            "parameters": [user],
            "post": op("people", "Khóa (is_active = false: hủy phiên đăng nhập và mã API) hoặc mở lại tài khoản",
                       ok=(200, "AdminUser"), body="ActiveInput", errors=(401, 403, 404, 409))},
    }
