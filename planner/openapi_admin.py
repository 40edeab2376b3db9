"""The OpenAPI description of the people and places endpoints (merged into planner.openapi)."""
from __future__ import annotations

from planner.openapi import _path_param, op


def paths() -> dict:
    user, unit = _path_param("user_id"), _path_param("unit_id")
    manage = "quản trị đơn vị (unit_admin) hoặc quản trị hệ thống"
    return {
        "/users": {
            "get": op("people", f"Người dùng của đơn vị mình và cấp dưới ({manage})", ok=(200, "AdminUserList"),
                      errors=(401, 403)),
            "post": op("people", "Tạo người dùng", ok=(201, "AdminUser"), errors=(401, 403))},
        "/users/{user_id}": {
            "parameters": [user],
            "get": op("people", "Người dùng", ok=(200, "AdminUser")),
            "patch": op("people", "Đổi họ tên, vai trò, đơn vị", ok=(200, "AdminUser"))},
        "/users/{user_id}/password": {
            "parameters": [user],
            "post": op("people", "Đặt lại mật khẩu (hủy mọi phiên đăng nhập và mã API của người đó)",
                       ok=(200, "AdminUser"))},
        "/users/{user_id}/active": {
            "parameters": [user],
            "post": op("people", "Khóa (is_active = false: hủy phiên đăng nhập và mã API) hoặc mở lại tài khoản",
                       ok=(200, "AdminUser"), errors=(401, 403, 404, 409))},
        "/units": {   # GET /units (every unit in the user's scope) is described with supervision
            "post": op("places", "Thêm xã, thôn, … (thôn có cụm loa kèm theo)", ok=(201, "AdminUnit"), errors=(401, 403))},
        "/units/{unit_id}": {
            "parameters": [unit],
            "get": op("places", "Đơn vị và cụm loa", ok=(200, "AdminUnit")),
            "patch": op("places", "Đổi tên, mã hoặc chuyển đơn vị (giữ lịch sử)", ok=(200, "AdminUnit"))},
        "/units/{unit_id}/loudspeakers": {
            "parameters": [unit],
            "post": op("places", "Thêm cụm loa", ok=(201, "AdminUnit"))},
        "/units/{unit_id}/accounts": {
            "parameters": [unit],
            "get": op("places", "Trang Facebook và Zalo OA của đơn vị", ok=(200, "ChannelAccountList")),
            "post": op("places", "Thêm trang (mã truy cập lưu mã hóa)", ok=(201, "ChannelAccount"))},
        "/accounts/{account_id}": {
            "parameters": [_path_param("account_id")],
            "patch": op("places", "Sửa trang, thay hoặc xóa mã truy cập", ok=(200, "ChannelAccount"))},
        "/units/{unit_id}/grids": {
            "parameters": [unit],
            "get": op("places", "Khung giờ riêng, thừa hưởng và kết quả áp dụng", ok=(200, "UnitGrids"),
                      errors=(400, 401, 403, 404)),
            "post": op("places", "Thêm buổi phát vào khung giờ của đơn vị", ok=(201, "Grid"))},
        "/units/{unit_id}/grids/copy": {
            "parameters": [unit],
            "post": op("places", "Sao chép khung thừa hưởng để sửa riêng", ok=(201, "GridList"),
                       errors=(401, 403, 404))},
        "/grids/{grid_id}": {
            "parameters": [_path_param("grid_id")],
            "patch": op("places", "Sửa buổi phát", ok=(200, "Grid")),
            "delete": op("places", "Xóa buổi phát", ok=(204, None))},
        "/units/{unit_id}/windows": {
            "parameters": [unit],
            "get": op("places", "Đợt cao điểm/tạm dừng của đơn vị (thừa hưởng xuống cấp dưới) và kết quả áp dụng "
                      "(cán bộ phụ trách kế hoạch hoặc quản trị đơn vị, đơn vị mình và cấp dưới)",
                      ok=(200, "UnitWindows"), errors=(400, 401, 404)),
            "post": op("places", "Thêm đợt cho đơn vị", ok=(201, "Window"))},
        "/units/{unit_id}/windows/{window_id}": {
            "parameters": [unit, _path_param("window_id")],
            "delete": op("places", "Xóa đợt của đơn vị", ok=(204, None), errors=(401, 404, 409))},
        "/plans/{plan_id}/windows": {
            "parameters": [_path_param("plan_id")],
            "get": op("places", "Đợt cao điểm/tạm dừng của kế hoạch và ngày lễ tự động", ok=(200, "PlanWindows")),
            "post": op("places", "Thêm đợt cao điểm hoặc tạm dừng", ok=(201, "Window"))},
        "/plans/{plan_id}/windows/{window_id}": {
            "parameters": [_path_param("plan_id"), _path_param("window_id")],
            "delete": op("places", "Xóa đợt của kế hoạch", ok=(204, None), errors=(401, 403, 404, 409))},
        "/plans/{plan_id}/holidays/{window_id}": {
            "parameters": [_path_param("plan_id"), _path_param("window_id")],
            "post": op("places", "Cho kế hoạch phát (hoặc thôi) vào một ngày lễ tự động", ok=(200, "PlanWindow"), errors=(401, 403, 404, 409))},
        "/units/{unit_id}/villages": {
            "parameters": [unit],
            "post": op("places", "Nhập CSV thôn (dry_run: xem trước, không ghi)", ok=(200, "VillageImport"))},
    }
