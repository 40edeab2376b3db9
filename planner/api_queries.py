"""The query parameters of the API's list endpoints, declared once (issue 9 §8).

A view declares what it reads with `@reads(*params)` (planner.views.api) and reads each with `query(name)`, which
parses with exactly the declaration (integer bounds, choices, default); the OpenAPI document takes the operation's
query parameters from the same declarations (planner.openapi.add_query_parameters), so what is documented and what
is parsed cannot drift apart. Pure: neither Flask nor the database.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from planner.channels import CHANNEL_LABELS

MAX_ID = 2**31 - 1
CHANNELS = tuple(sorted(CHANNEL_LABELS))
DATES = "dd/mm/yyyy hoặc yyyy-mm-dd (ngày theo giờ Việt Nam)"


@dataclass(frozen=True)
class Param:
    """One query parameter: `kind` integer (in [low, high]), string (free, or one of `choices`) or boolean;
    `component` names a shared entry of components/parameters that the document refers to instead."""

    name: str
    kind: str = "string"
    description: str = ""
    low: int = 0
    high: int = MAX_ID
    default: Any = None
    choices: tuple[str, ...] | None = None
    invalid: str = "Giá trị không hợp lệ."    # the Vietnamese message for a value outside `choices`
    component: str | None = None
    documented_bounds: bool = True      # False: an integer documented without minimum/maximum (kept as it was)
    required: bool = False

    def schema(self) -> dict:
        if self.kind == "integer":
            out: dict = {"type": "integer"}
            if self.documented_bounds:
                out["minimum"] = self.low
                if self.high != MAX_ID or self.low:
                    out["maximum"] = self.high
            if self.default is not None:
                out["default"] = self.default
            return out
        if self.kind == "boolean":
            return {"type": "boolean", "default": bool(self.default)}
        out = {"enum": list(self.choices)} if self.choices else {"type": "string"}
        if self.default is not None:
            out["default"] = self.default
        return out

    def inline(self) -> dict:
        out = {"name": self.name, "in": "query", "schema": self.schema()}
        if self.required:
            out["required"] = True
        if self.description:
            out["description"] = self.description
        return out

    def document(self) -> dict:
        """The entry of the operation's `parameters`."""
        return {"$ref": f"#/components/parameters/{self.component}"} if self.component else self.inline()


def limit(high: int = 1000, default: int = 100) -> Param:
    """`limit` of a list whose pages are at most `high` long (the shared component: 1000, default 100)."""
    shared = (high, default) == (1000, 100)
    return Param("limit", "integer", low=1, high=high, default=default, component="limit" if shared else None)


LIMIT = limit()
OFFSET = Param("offset", "integer", "Phân trang kiểu cũ (chậm với danh sách lớn); dùng cursor thay thế", default=0,
               component="offset")
CURSOR = Param("cursor", description="next_cursor của trang trước: trang sau theo khoá sắp xếp (không dùng cùng "
                                     "offset); cursor hỏng → 400 invalid_cursor", component="cursor")
COUNT = Param("count", "boolean", "true: trả thêm total (đếm toàn bộ, tốn thời gian với danh sách lớn)", default=False,
              component="count")
SHARED = (LIMIT, OFFSET, CURSOR, COUNT)
PAGED = (LIMIT, OFFSET)
KEYED = (LIMIT, OFFSET, CURSOR, COUNT)


def channel(description: str = "Kênh") -> Param:
    return Param("channel", description=description, choices=CHANNELS, invalid="Kênh không hợp lệ.")


def object_id(name: str, description: str) -> Param:
    """A filter naming an object by id (1 … 2³¹ − 1)."""
    return Param(name, "integer", description, low=1)


def components() -> dict:
    """components/parameters: the shared paging parameters."""
    return {p.component: p.inline() for p in SHARED}


# --------------------------------------------------------------------------- the list endpoints

OCCURRENCE_STATUSES = ("planned", "delivered", "problem")
OCCURRENCES = (
    object_id("plan", "Mã kế hoạch"), object_id("unit", "Đơn vị (gồm các đơn vị cấp dưới)"),
    object_id("target", "Điểm phát / trang"), Param("from", description=f"Từ ngày, {DATES}"),
    Param("to", description=f"Đến ngày, {DATES}"), channel(),
    object_id("message", "Tin bài (mọi phiên bản)"), object_id("audience", "Nhóm đối tượng của phiên bản"),
    Param("status", description="Tình trạng như bộ lọc của lịch (problem: thất bại, bị lỡ, chưa rõ, quá hạn)",
          choices=OCCURRENCE_STATUSES, invalid="Tình trạng phải là planned, delivered hoặc problem."),
    *KEYED)
ATTENTION_STATUSES = ("unknown", "expired", "failed", "missed")


def attention(page_size: int) -> tuple[Param, ...]:
    return (channel(), Param("status", description="Tình trạng", choices=ATTENTION_STATUSES,
                             invalid="Chỉ lọc được: unknown, expired, failed, missed."),
            object_id("village", "Thôn (mã đơn vị)"), limit(500, page_size), OFFSET, CURSOR, COUNT)


MESSAGES = (channel(), *KEYED)
PRINT_ORDERS = (Param("status", description="Trạng thái"), *KEYED)
PLANS = PAGED
TARGETS = (channel(), *PAGED)
UNITS = (Param("kind", description="country, province, commune, village, …"),
         Param("parent", "integer", "Đơn vị cấp trên", documented_bounds=False))


GRID_CHANNELS = ("loudspeaker", "fanpage", "zalo", "portal")     # planner.operations.grids checks it is the same
UNIT_GRIDS = (Param("channel", description="loudspeaker (mặc định), fanpage, zalo hoặc portal", choices=GRID_CHANNELS,
                    default="loudspeaker", invalid="Kênh không hợp lệ."),)
UNIT_WINDOWS = (Param("channel", description="Mã kênh (mặc định loudspeaker)", choices=CHANNELS, default="loudspeaker",
                      invalid="Kênh không hợp lệ."),)
RESULTS = (Param("unit", "integer", "Đơn vị", documented_bounds=False),)
ROSTER = (Param("first", description="Ngày đầu: dd/mm/yyyy hoặc yyyy-mm-dd", required=True),
          Param("last", description="Ngày cuối (tối đa 92 ngày kể cả ngày đầu)", required=True))


def notifications(page_size: int) -> tuple[Param, ...]:
    return (Param("unread", description="Chỉ thông báo chưa đọc", choices=("1", "true", "0", "false"),
                  invalid="Phải là 1/true hoặc 0/false."), limit(200, page_size), OFFSET)
