"""The request bodies of the JSON API as pydantic models (issue 9 §8).

The views validate every JSON body with the model registered on them (planner.views.api.accepts/body) and the
OpenAPI document takes its request schemas from the same models (planner.openapi), so what is documented and
what is accepted cannot drift apart. Pure: neither Flask nor the database.

The first layer's rules are kept as they were with the hand-made checks: a field sent as null or "" counts as
not sent (a required one is then missing); unknown fields are ignored; integers are non-negative and also taken
as strings of their digits (as HTML forms send them); numbers also as strings (the operations parse "1,5"). Checks that
need the database or several fields (a title on POST, a date in the plan's period, …) stay in the operations,
which answer with the same 400 `validation_failed` and per-field messages.
"""

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WithJsonSchema

from planner.channels import CHANNEL_LABELS
from planner.print_ticket import COLOURS, FINISHING, HEM_CHOICES_CM, PAPERS

MAX_ID = 2**31 - 1  # the largest value an INTEGER column holds
CHANNELS = tuple(sorted(CHANNEL_LABELS))
ROLES = ("admin", "unit_admin", "planner", "editor", "approver", "print_shop", "supervisor")
REPORT_KINDS = ("monthly", "first_half", "second_half", "annual", "quarter", "custom")
PURPOSES = ("monthly", "six_monthly", "annual", "final")
DATES = "dd/mm/yyyy hoặc yyyy-mm-dd"


def range_pattern(low: int, high: int) -> str:
    """A regular expression for the decimal integers in [low, high] (no sign, no leading zeros)."""
    parts = []
    for digits in range(len(str(low)), len(str(high)) + 1):
        start, end = max(low, 10 ** (digits - 1) if digits > 1 else 0), min(high, 10 ** digits - 1)
        while start <= end:
            free = 0    # trailing digits that take any value in this block
            while free + 1 < digits and start % 10 ** (free + 1) == 0 and start + 10 ** (free + 1) - 1 <= end:
                free += 1
            step, span = 10 ** free, 1
            while (start // step) % 10 + span <= 9 and start + (span + 1) * step - 1 <= end:
                span += 1
            text, last = str(start), str(start + span * step - 1)
            head, d1, d2 = text[:digits - free - 1], text[digits - free - 1], last[digits - free - 1]
            parts.append(head + (d1 if d1 == d2 else f"[{d1}-{d2}]") + ("[0-9]" if free == 1 else
                                                                        f"[0-9]{{{free}}}" if free else ""))
            start += span * step
    return "^(?:" + "|".join(parts) + ")$"


def count(low: int = 0, high: int = MAX_ID) -> Any:
    """A non-negative integer in [low, high], also taken as a string of its digits (as HTML forms send them); the
    string's pattern is documented and is what the check uses, so both say the same."""
    pattern = range_pattern(low, high)

    def from_digits(value: Any) -> Any:
        return int(value) if isinstance(value, str) and re.fullmatch(pattern, value) else value

    return Annotated[int, BeforeValidator(from_digits), Field(ge=low, le=high),
                     WithJsonSchema({"anyOf": [{"type": "integer", "minimum": low, "maximum": high},
                                               {"type": "string", "pattern": pattern}]})]


Id = count()
# A number, or a string the operation parses (decimal comma allowed).
Number = Annotated[float | str, WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "string"}]})]
Text = Annotated[str, Field(min_length=1)]            # required text: "" counts as missing
DateTime = Annotated[str, Field(min_length=1, json_schema_extra={"format": "date-time"})]
Password = Annotated[str, Field(min_length=1, json_schema_extra={"format": "password"})]


def one_of(values) -> Any:
    return Literal[tuple(values)]


class Body(BaseModel):
    """A JSON request body: strict types, unknown fields ignored."""

    model_config = ConfigDict(strict=True, extra="ignore")
    # Field → the message for any error of that field (instead of the message by error type).
    MESSAGES: ClassVar[dict[str, str]] = {}


# --------------------------------------------------------------------------- auth

class TokenRequest(Body):
    username: Text
    password: Password


class PasswordChange(Body):
    current_password: Password
    new_password: Annotated[str, Field(min_length=1, max_length=128, json_schema_extra={
        "format": "password"}, description="Tối thiểu 10 ký tự, không phổ biến, không chứa tên đăng nhập")]


# --------------------------------------------------------------------------- plans and messages

class PlanCopyInput(Body):
    """Bản sao dự thảo: mọi ngày dời theo khoảng cách giữa ngày bắt đầu cũ và mới; tin bài là bản nháp."""

    code: Annotated[str, Field(min_length=1, description="Mã kế hoạch mới: chữ thường không dấu, số, - . _ "
                                                         "(tối đa 64 ký tự)")]
    starts_on: Annotated[str, Field(min_length=1, description=DATES)]


class PlanStatusInput(Body):
    status: Annotated[one_of(("draft", "active", "closed", "archived")), Field(
        description="draft → active → closed ⇄ archived; closed ⇄ active")]
    MESSAGES = {"status": "Trạng thái phải là draft, active, closed hoặc archived."}


class MessageInput(Body):
    """POST và PUT: title, body_md, audience_ids (hoặc audience_id), channel bắt buộc (thiếu: 400 theo từng
    trường); PATCH: chỉ các trường đổi. Đổi nội dung, tiêu đề công khai, liên kết, kênh, nhóm, ngày hiệu lực,
    ngày trong tuần hay giờ đăng của bản đã duyệt tạo phiên bản mới cần duyệt lại."""

    title: Annotated[str | None, Field(max_length=300)] = None
    body_md: Annotated[str | None, Field(max_length=60000, description="Markdown")] = None
    headline: Annotated[str | None, Field(max_length=300, description=(
        "Tiêu đề công khai; băng rôn/cờ: khẩu hiệu là body_md"))] = None
    link: Annotated[str | None, Field(max_length=500, description="Chỉ https://…; http, javascript: … bị từ chối")] = None
    audience_id: Annotated[Id | None, Field(description="Một nhóm đối tượng (viết tắt của audience_ids)")] = None
    audience_ids: Annotated[list[Annotated[int, Field(ge=0, le=MAX_ID)]] | None, Field(
        max_length=100, description="Các nhóm đối tượng của kế hoạch")] = None
    channel: one_of(CHANNELS) | None = None
    weekdays: Annotated[str | None, Field(description=(
        "Ngày được phát/đăng, cú pháp như khung giờ: T2-T7, T2,T4,T6; để trống: mọi ngày"))] = None
    post_at: Annotated[list[str] | None, Field(max_length=100, description=(
        "Giờ đăng chính xác (kênh trực tuyến), dd/mm/yyyy HH:MM giờ Việt Nam"))] = None
    min_per_week: count(0, 999) | None = None
    peak_per_day: count(0, 999) | None = None
    min_gap_hours: count(0, 999) | None = None
    priority: Annotated[one_of(("normal", "priority", "emergency")) | None, Field(description="Mặc định normal")] = None
    valid_from: Annotated[str | None, Field(description=f"{DATES}; để trống: không giới hạn")] = None
    valid_to: Annotated[str | None, Field(description=f"{DATES}; để trống: không giới hạn")] = None
    audio_seconds: Annotated[count(1, 3600) | None, Field(description="thời lượng bản ghi âm đã đo")] = None
    MESSAGES = {"audience_ids": "Phải là một danh sách số nguyên.", "post_at": "Phải là một danh sách chuỗi."}


class ReviewInput(Body):
    decision: one_of(("approve", "changes"))
    note: Annotated[str | None, Field(description="Bắt buộc khi decision = changes")] = None
    MESSAGES = {"decision": "Chọn 'approve' (duyệt) hoặc 'changes' (yêu cầu sửa)."}


# --------------------------------------------------------------------------- schedule, calendar, confirmation

class ConfirmInput(Body):
    aired: bool
    reason: Annotated[str | None, Field(description="Bắt buộc khi aired = false")] = None


class ReconcileInput(Body):
    published: bool
    external_id: Annotated[str | None, Field(description="Mã bài trên nền tảng; bắt buộc khi published = true")] = None
    note: str | None = None


class PostInput(Body):
    target_id: Annotated[Id, Field(description="Trang/kênh trực tuyến trong phạm vi (GET /targets)")]
    at: Annotated[DateTime, Field(description="ISO 8601; không có múi giờ thì hiểu là giờ Việt Nam")]


class ScheduleRunInput(Body):
    unit_id: Annotated[Id | None, Field(description="Mặc định: đơn vị của người dùng")] = None
    channel: Annotated[one_of(CHANNELS), Field(description="Một kênh của kế hoạch")]
    start: Annotated[str, Field(min_length=1, description=DATES)]
    end: Annotated[str, Field(min_length=1, description=DATES)]


class MoveInput(Body):
    starts_at: Annotated[DateTime, Field(description=(
        "ISO 8601 có múi giờ; phải rơi vào một phiên (khung giờ) của điểm phát"))]
    ad_hoc: Annotated[bool, Field(description=(
        "true: tạo phiên đột xuất đúng giờ này, ngoài khung giờ (lựa chọn riêng)"))] = False


class PinInput(Body):
    pinned: bool = True


class HandledInput(Body):
    reason: Annotated[str, Field(min_length=1, description="Vì sao lượt này không còn cần xử lý")]


class EmptyInput(Body):
    """Không cần nội dung (nội dung gửi kèm bị bỏ qua)."""


class EmergencyInput(Body):
    """Chèn một tin đã duyệt (kênh loa) làm tin khẩn vào các phiên sắp tới của mọi điểm phát thuộc một đơn vị."""

    message_id: Annotated[Id, Field(description="Tin bài của kế hoạch, có bản đã duyệt cho kênh loa")]
    unit_id: Annotated[Id, Field(description="Đơn vị (thôn, xã…): mọi cụm loa thuộc đơn vị đó và cấp dưới")]
    sessions: Annotated[count(1, 6), Field(description="Số phiên liên tiếp sắp tới (1–6)")] = 1


class AttentionBulkInput(Body):
    """Phát bù hoặc đánh dấu đã xử lý nhiều lượt "Cần xử lý": các lượt trong ids, hoặc mọi lượt theo bộ lọc
    (all=true; kênh, tình trạng, thôn), tối đa 500 lượt một lần."""

    action: Annotated[one_of(["make_up", "handled"]), Field(description=(
        "make_up: phát bù (loa) / đăng lại; lượt chưa rõ kết quả được bỏ qua (cần đối soát trước). "
        "handled: đánh dấu đã xử lý (cần reason)"))]
    reason: Annotated[str | None, Field(max_length=500, description="Lý do (bắt buộc với handled)")] = None
    ids: Annotated[list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None, Field(
        max_length=500, description="Mã các lượt (delivery) đã chọn")] = None
    all: Annotated[bool, Field(description="true: mọi lượt theo bộ lọc (bỏ qua ids)")] = False
    channel: one_of(CHANNELS) | None = None
    status: one_of(["unknown", "expired", "failed", "missed"]) | None = None
    village: Annotated[Id | None, Field(description="Thôn (mã đơn vị)")] = None


class RosterBatchInput(Body):
    unit_id: Annotated[Id, Field(description="Mã xã (đơn vị cấp xã); in cho mọi thôn có loa đang hoạt động")]
    first: Annotated[str, Field(min_length=1, description=f"Ngày đầu: {DATES}")]
    last: Annotated[str, Field(min_length=1, description="Ngày cuối (tối đa 92 ngày kể cả ngày đầu)")]


# --------------------------------------------------------------------------- printing

class PrintOrderInput(Body):
    """Sản phẩm, số lượng và cơ sở in: thiếu hay sai thì 400 theo từng trường (kiểm tra cùng đơn vị đặt)."""

    version_id: Annotated[Id, Field(description="Phiên bản đã duyệt của tin bài kênh leaflet/banner/poster")]
    product: Annotated[str | None, Field(description=(
        "leaflet_a5, leaflet_a4, leaflet_trifold_a4, poster_a2, poster_a1, poster_a0, banner_08x5, …, custom"))] = None
    width_mm: Number | None = None
    height_mm: Number | None = None
    quantity: count(1, 999999) | None = None
    print_shop_id: Id | None = None
    for_unit_id: Annotated[Id | None, Field(description=(
        "Tỉnh, xã hoặc thôn cấp dưới nhận ấn phẩm (báo cáo tính đơn cho đơn vị này, trong kỳ giao)"))] = None
    note: str | None = None
    # The job ticket's choices are checked by the operation (planner.print_ticket), which names every bad field of
    # the ticket at once (400) and what the product does not offer (422): here only their types.
    paper: Annotated[str | None, Field(description="Một trong: " + ", ".join(PAPERS) + (
        ". Mặc định theo ấn phẩm (băng rôn: hiflex; tờ rơi: couche)"))] = None
    paper_gsm: Annotated[Id | None, Field(description="Định lượng g/m², 40–1000")] = None
    colours: Annotated[str | None, Field(description="Một trong: " + ", ".join(COLOURS) + (
        " (4/0 một mặt màu, 4/4 hai mặt màu)"))] = None
    finishing: Annotated[list[str] | None, Field(description="Mã gia công, mỗi mã một trong: " + ", ".join(FINISHING) + (
        "; bỏ trống: theo mặc định của ấn phẩm"))] = None
    delivery_date: Annotated[str | None, Field(description=f"{DATES}, không ở trong quá khứ")] = None
    delivery_address: Annotated[str | None, Field(max_length=300)] = None
    contact: Annotated[str | None, Field(max_length=300)] = None
    hem_cm: Annotated[Id | None, Field(description=(
        "Viền may (cm) cộng thêm mỗi cạnh của khổ thành phẩm: " + ", ".join(map(str, HEM_CHOICES_CM)) +
        "; chỉ băng rôn, cờ phướn (sản phẩm khác hay giá trị khác: 422)"))] = None
    grommet_every_cm: Annotated[Id | None, Field(description=(
        "Khoen mỗi N cm (0: không); chỉ băng rôn, cờ phướn (sản phẩm khác hay N ngoài khoảng: 422)"))] = None
    MESSAGES = {"finishing": "Phải là danh sách mã gia công (chuỗi)."}


class PrintStatusInput(Body):
    status: Annotated[one_of(("submitted", "accepted", "printed", "delivered", "cancelled")), Field(
        description="Cơ sở in: accepted → printed → delivered; đơn vị đặt: cancelled (khác: 409)")]
    MESSAGES = {"status": "Trạng thái không hợp lệ."}


class ProofApprovalInput(Body):
    sha256: Annotated[str | None, Field(description="SHA-256 của bản in thử đã xem (tùy chọn)")] = None


# --------------------------------------------------------------------------- supervision and reports

class ResultInput(Body):
    unit_id: Annotated[Id, Field(description="Đơn vị đúng cấp ghi nhận của chỉ tiêu (thôn / xã / đơn vị)")]
    on: Annotated[str, Field(min_length=1, description=f"Ngày số liệu ({DATES}), không ở tương lai")]
    value: Annotated[Number, Field(description="Số lượng, hoặc tử số của chỉ tiêu tỷ lệ")]
    denominator: Annotated[Number | None, Field(description="Mẫu số (bắt buộc với chỉ tiêu tỷ lệ)")] = None


class ReportInput(Body):
    """Kỳ: kind + year (+ month) hoặc period_start + period_end; signer_name bắt buộc (kiểm tra cùng kỳ)."""

    kind: one_of(REPORT_KINDS) | None = None
    purpose: one_of(PURPOSES) | None = None
    year: count(2000, 2099) | None = None
    month: Annotated[count(1, 12) | None, Field(description="Tháng (monthly) hoặc quý 1–4 (quarter)")] = None
    period_start: Annotated[str | None, Field(description=f"Kỳ tự chọn (thay cho year/month), {DATES}")] = None
    period_end: Annotated[str | None, Field(description=DATES)] = None
    unit_id: Annotated[Id | None, Field(description="Mặc định: đơn vị của người dùng")] = None
    number: str | None = None
    signer_name: str | None = None
    signer_title: str | None = None


class ReportEdit(Body):
    narrative_md: Annotated[str | None, Field(description="Markdown, làm sạch khi hiển thị")] = None
    number: str | None = None
    signer_name: str | None = None
    signer_title: str | None = None


# --------------------------------------------------------------------------- people and places

class UserInput(Body):
    username: Annotated[str, Field(min_length=1, description=(
        "3–64 ký tự a-z 0-9 . _ -; không phân biệt chữ hoa, thường"))]
    full_name: Annotated[str, Field(min_length=1, max_length=200)]
    role: one_of(ROLES)
    unit_id: Annotated[Id, Field(description="Đơn vị trong phạm vi người quản trị")]
    password: Annotated[Password, Field(description="Tối thiểu 10 ký tự, không phổ biến")]


class UserEdit(Body):
    full_name: Annotated[str | None, Field(max_length=200)] = None
    role: one_of(ROLES) | None = None
    unit_id: Annotated[Id | None, Field(description="Đơn vị trong phạm vi người quản trị")] = None


class PasswordInput(Body):
    password: Annotated[Password, Field(description="Tối thiểu 10 ký tự, không phổ biến")]


class ActiveInput(Body):
    is_active: bool


class UnitInput(Body):
    parent_id: Id
    kind: one_of(("commune", "village", "department", "agency", "print_shop"))
    code: Annotated[str, Field(min_length=1, description="thôn: duy nhất trong xã; đơn vị khác: duy nhất toàn hệ thống")]
    name: Text
    loudspeaker: Annotated[str | None, Field(description="Tên cụm loa tạo kèm (thôn: mặc định 'Cụm loa <tên>')")] = None


class UnitEdit(Body):
    """Đổi tên, mã hoặc chuyển đơn vị (giữ lịch sử)."""

    name: str | None = None
    code: str | None = None
    parent_id: Id | None = None


class NameInput(Body):
    name: Text


class VillageImportInput(Body):
    csv: Annotated[str, Field(min_length=1, description="Nội dung CSV code,name,parent_code (tối đa 500 dòng)")]
    filename: str | None = None
    dry_run: Annotated[bool, Field(description="true: chỉ kiểm tra, không ghi")] = True
    confirm_moves: Annotated[bool, Field(description="Cho phép chuyển thôn sang xã khác")] = False


class ChannelAccountInput(Body):
    """Mã truy cập lưu mã hóa và không bao giờ được trả về."""

    channel: one_of(("fanpage", "zalo"))
    name: Text
    external_id: Annotated[str, Field(min_length=1, description="page id / OA id (5–30 chữ số)")]
    token: Annotated[str | None, Field(json_schema_extra={"format": "password"})] = None
    clear_token: bool | None = None
    is_active: bool | None = None
    MESSAGES = {"channel": "Chọn Trang Facebook hoặc Zalo OA."}


class ChannelAccountEdit(Body):
    channel: one_of(("fanpage", "zalo")) | None = None
    name: str | None = None
    external_id: Annotated[str | None, Field(description="page id / OA id (5–30 chữ số)")] = None
    token: Annotated[str | None, Field(json_schema_extra={"format": "password"}, description=(
        "Để trống: giữ mã cũ"))] = None
    clear_token: bool | None = None
    is_active: bool | None = None
    MESSAGES = {"channel": "Chọn Trang Facebook hoặc Zalo OA."}


class GridInput(Body):
    channel: Annotated[str, Field(min_length=1, description="loudspeaker, fanpage, zalo hoặc portal")]
    name: str | None = None
    weekdays: Annotated[str, Field(min_length=1, description="T2-T7 hoặc T2,T4,T6")]
    start: Annotated[str, Field(min_length=1, description="HH:MM giờ Việt Nam")]
    end: Annotated[str, Field(min_length=1, description="HH:MM giờ Việt Nam")]
    capacity: Annotated[Id, Field(description="phút (loa) hoặc số bài (trực tuyến), 1–600")]
    valid_from: Annotated[str | None, Field(description=DATES)] = None
    valid_to: Annotated[str | None, Field(description=DATES)] = None


class GridEdit(Body):
    channel: str | None = None
    name: str | None = None
    weekdays: str | None = None
    start: str | None = None
    end: str | None = None
    capacity: Id | None = None
    valid_from: str | None = None
    valid_to: str | None = None


class ChannelInput(Body):
    channel: Text


class WindowInput(Body):
    kind: Annotated[one_of(("peak", "blackout")), Field(description="peak: cao điểm; blackout: tạm dừng")]
    name: Text
    starts_on: Annotated[str, Field(min_length=1, description=DATES)]
    ends_on: Annotated[str, Field(min_length=1, description=DATES)]
    channels: Annotated[list[str], Field(description="Mã kênh; trống: mọi kênh")] = []
    is_yearly: bool | None = None
    MESSAGES = {"channels": "Phải là danh sách mã kênh."}


class ExemptInput(Body):
    exempt: bool


class NotificationSettingsInput(Body):
    email: Annotated[str, Field(description="Trống: không nhận thư")] = ""
    kinds: list[str] = []
    MESSAGES = {"email": "Phải là một chuỗi.", "kinds": "Phải là một danh sách chuỗi."}


BODIES: tuple[type[Body], ...] = tuple(
    model for model in list(globals().values())
    if isinstance(model, type) and issubclass(model, Body) and model is not Body)


# --------------------------------------------------------------------------- validation

class BodyInvalid(Exception):
    """The body broke its model: {field: Vietnamese message}."""

    def __init__(self, fields: dict[str, str]):
        super().__init__(fields)
        self.fields = fields


def validate(model: type[Body], data: dict) -> dict:
    """The fields of `data` that `model` knows, checked; null and "" count as not sent. Only the fields sent
    (and valid) are returned, as the hand-made checks did: defaults are the operations' business."""
    sent = {name: value for name, value in data.items()
            if name in model.model_fields and value is not None and value != ""}
    try:
        checked = model.model_validate(sent)
    except ValidationError as exc:
        raise BodyInvalid(field_errors(model, exc)) from None
    return checked.model_dump(exclude_unset=True)


def field_errors(model: type[Body], exc: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        name = str(error["loc"][0]) if error["loc"] else "-"
        if name not in fields:
            fields[name] = model.MESSAGES.get(name) or message(error)
    return fields


def message(error: dict) -> str:
    """A pydantic error in Vietnamese."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "missing":
        return "Trường này là bắt buộc."
    if kind == "string_type":
        return "Phải là chuỗi ký tự."
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "Phải là số nguyên không âm."
    if kind == "greater_than_equal":
        return "Phải là số nguyên không âm." if not ctx.get("ge") else f"Phải là số nguyên từ {ctx['ge']} trở lên."
    if kind == "less_than_equal":
        return "Phải là số nguyên không âm." if ctx.get("le") == MAX_ID else f"Phải là số nguyên không lớn hơn {ctx['le']}."
    if kind in ("float_type", "float_parsing"):
        return "Phải là số."
    if kind == "bool_type":
        return "Phải là true hoặc false."
    if kind == "literal_error":
        return f"Giá trị không hợp lệ; chọn một trong: {ctx.get('expected', '')}.".replace(" or ", ", ")
    if kind == "string_too_long":
        return f"Dài quá {ctx.get('max_length')} ký tự."
    if kind == "string_too_short":
        return "Trường này là bắt buộc." if ctx.get("min_length") == 1 else f"Tối thiểu {ctx.get('min_length')} ký tự."
    if kind == "list_type":
        return "Phải là một danh sách."
    if kind == "too_long":
        return f"Tối đa {ctx.get('max_length')} phần tử."
    return "Giá trị không hợp lệ."


def json_schemas() -> dict[str, dict]:
    """components/schemas for every body model, by class name."""
    out = {}
    for model in BODIES:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schema.pop("title", None)
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
            if prop.get("default", ...) is None:
                prop.pop("default")
        if model.__doc__ and model.__doc__ != Body.__doc__:
            schema["description"] = " ".join(model.__doc__.split())
        else:
            schema.pop("description", None)
        out[model.__name__] = schema
    return out
