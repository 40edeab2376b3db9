"""OpenAPI of the print order's job ticket, its distribution over villages and the per-village delivery."""
from __future__ import annotations


def annotate(paths: dict, *, op, path_param) -> None:
    """The ticket PDF and delivery paths (the ticket fields of PrintOrder: planner.api_responses; the input:
    api_schemas)."""
    paths["/print-orders"]["post"]["responses"]["422"] = {"$ref": "#/components/responses/Unprocessable"}
    order = path_param("order_id")
    paths["/print-orders/{order_id}/ticket.pdf"] = {
        "parameters": [order],
        "get": op("printing", "Phiếu yêu cầu in (trang đầu) và phiếu giao nhận cho từng thôn (trưởng thôn ký): tệp đã "
                  "lưu cùng bản in thử, ETag = khóa SHA-256 của nội dung phiếu; chỉ dựng lại khi nội dung phiếu đổi",
                  ok=(200, None), pdf=True, errors=(401, 403, 404, 422))}
    deliver = op("printing", "Cơ sở in ghi nhận đã giao cho một thôn; giao đủ mọi thôn thì đơn thành 'đã giao'",
                 ok=(200, "PrintOrder"), errors=(401, 403, 404, 409))
    paths["/print-orders/{order_id}/villages/{unit_id}/delivered"] = {
        "parameters": [order, path_param("unit_id")], "post": deliver}
