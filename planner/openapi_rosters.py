"""The OpenAPI description of roster batches (merged into planner.openapi)."""
from __future__ import annotations

from planner.openapi import STR, _path_param, op, ref


def paths() -> dict:
    batch = _path_param("batch_id")
    create = op("schedule", "In lịch phát cả xã: máy in nền in lịch mọi thôn của xã trong khoảng ngày (201; "
                "200 khi một lần in giống hệt đang chờ/đang in; Idempotency-Key được hỗ trợ)",
                ok=(201, "RosterBatch"), errors=(401, 403, 404, 422))
    create["responses"]["200"] = {"description": "Lần in giống hệt đang chờ hoặc đang in",
                                  "content": {"application/json": {"schema": ref("RosterBatch")}}}
    zip_ = op("schedule", "Tệp ZIP mỗi thôn một PDF (ETag = SHA-256; 409 khi chưa in xong)", ok=(200, None),
              pdf=True, errors=(401, 403, 404, 409))
    zip_["responses"]["200"]["content"] = {"application/zip": {"schema": {"type": "string", "format": "binary"}}}
    single = op("schedule", "PDF lịch phát của một thôn: 200 kèm tệp khi nội dung này đã được tạo (ETag = khoá nội "
                "dung; 304 khi còn đúng); nếu chưa, 202 kèm lần in một thôn mà máy in nền sẽ làm (Location: địa chỉ "
                "theo dõi; khi xong, tải từ pdf.url)", ok=(200, None), pdf=True, errors=(401, 403, 404, 422))
    single["responses"]["202"] = {"description": "Đang chờ máy in nền; theo dõi ở Location",
                                  "headers": {"Location": {"schema": STR}},
                                  "content": {"application/json": {"schema": ref("RosterBatch")}}}
    return {
        "/plans/{plan_id}/roster-batches": {"parameters": [_path_param("plan_id")], "post": create},
        "/roster-batches/{batch_id}": {
            "parameters": [batch],
            "get": op("schedule", "Tình trạng và tiến độ (số thôn đã in / tổng số) của một lần in lịch phát cả xã",
                      ok=(200, "RosterBatch"))},
        "/roster-batches/{batch_id}.pdf": {
            "parameters": [batch],
            "get": op("schedule", "PDF lịch phát cả xã đã lưu (ETag = SHA-256, không dựng lại; 409 khi chưa in xong)",
                      ok=(200, None), pdf=True, errors=(401, 403, 404, 409))},
        "/roster-batches/{batch_id}.zip": {"parameters": [batch], "get": zip_},
        "/plans/{plan_id}/targets/{target_id}/roster.pdf": {
            "parameters": [_path_param("plan_id"), _path_param("target_id")], "get": single},
    }
