"""Print orders: created from an approved message, fulfilled by the print shop, rendered to print-ready PDF."""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from planner.markup import render_markdown
from planner.models import (MessageVersion, PrintDistribution, PrintOrder, PrintStatus, Role, Unit, UnitKind, User,
                            VersionStatus)
from planner.models.printing import PRINT_STATUS_LABELS, PRINT_TRANSITIONS, ProofStatus
from planner.operations import notify_events
from planner.localtime import today
from planner.operations.audit import record
from planner.operations.plan_state import message_locked_reason, not_active_reason
from planner.operations.print_distribution import distribute_order, undelivered
from planner.print_ticket import parse_banner_options, parse_ticket, with_banner_options

PRINT_CHANNELS = {"leaflet", "banner", "poster"}


class PrintOrderError(ValueError):
    """Bad order input or a forbidden transition; `errors` maps fields to Vietnamese messages."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


FOR_UNIT_KINDS = frozenset({UnitKind.PROVINCE, UnitKind.COMMUNE, UnitKind.VILLAGE})
FOR_UNIT_MAX_VILLAGES = 300  # the form's list stays short at province scale


def print_shops(session: Session) -> list[Unit]:
    """Every print shop unit."""
    return list(session.scalars(select(Unit).where(Unit.kind == UnitKind.PRINT_SHOP).order_by(Unit.name)))


def create_print_order(session: Session, version: MessageVersion, user: User, data: dict, *,
                       now: dt.datetime) -> PrintOrder:
    """Validate the form (product, size, quantity, shop) and create the order for an approved version."""
    from planner.printing import PRODUCTS, PrintError, product_fit_problem, product_size

    errors: dict[str, str] = {}
    if version.status is not VersionStatus.APPROVED:
        errors["form"] = "Chỉ đặt in được nội dung đã duyệt."
    if version.channel not in PRINT_CHANNELS:    # the channel it was approved for
        errors["form"] = "Tin bài này không thuộc kênh ấn phẩm in."
    locked = message_locked_reason(version.message, "đặt in") or not_active_reason(version.message.plan, "đặt in")
    if locked:                                   # retired, or a plan that is a draft, closed or archived
        errors["form"] = locked
    product = data.get("product") or ""
    size = None
    if product not in PRODUCTS:
        errors["product"] = "Vui lòng chọn loại ấn phẩm."
    elif version.channel in PRINT_CHANNELS and product_fit_problem(product, version.channel):
        errors["product"] = product_fit_problem(product, version.channel)
    else:
        try:
            size = product_size(product, _mm(data.get("width_mm")), _mm(data.get("height_mm")))
        except PrintError as exc:
            errors["width_mm"] = str(exc)
    quantity = str(data.get("quantity") or "").strip()
    if not re.fullmatch(r"\d{1,6}", quantity) or int(quantity) < 1:
        errors["quantity"] = "Số lượng phải là số nguyên từ 1 đến 999.999."
    shop_id = str(data.get("print_shop_id") or "")
    shop = session.get(Unit, int(shop_id)) if re.fullmatch(r"[0-9]{1,9}", shop_id) else None
    if shop is None or shop.kind is not UnitKind.PRINT_SHOP:
        errors["print_shop_id"] = "Vui lòng chọn cơ sở in."
    for_unit = _for_unit(session, user, data.get("for_unit_id"), errors)
    ticket, ticket_errors = parse_ticket(product if product in PRODUCTS else "custom", data, today=today(now))
    options, option_errors = parse_banner_options(product, version.channel, data)  # hems, grommets
    ticket["finishing"] = with_banner_options(ticket["finishing"], **options)
    errors = {**ticket_errors, **option_errors, **_unprintable_fields({**ticket, "note": data.get("note") or ""}),
              **errors}
    if not errors:
        problem = order_content_problem(version)
        if problem:
            errors["form"] = problem
    if errors:
        raise PrintOrderError(errors)
    order = PrintOrder(version=version, product=product, width_mm=round(size[0]), height_mm=round(size[1]),
                       quantity=int(quantity), print_shop=shop, unit_id=user.unit_id, created_by=user,
                       for_unit_id=for_unit.id if for_unit else None,
                       note=(data.get("note") or "").strip()[:2000], status=PrintStatus.SUBMITTED,
                       created_at=now, updated_at=now, **ticket, **options)
    session.add(order)
    session.flush()
    distribute_order(session, order)
    record(session, user=user, action="print_order.create", entity=order, to_state=order.status)
    return order


def order_content_problem(version: MessageVersion) -> str:
    """Why a version cannot be printed at all (limits, characters the fonts lack, empty slogan), or ''.

    Cheap checks at ordering, so an order that cannot be produced is refused with the reason; the
    worker's proof render checks the layout itself.
    """
    from planner.markup import MarkupError
    from planner.print_content import html_text, public_headline, unprintable_message

    try:
        body_html = render_markdown(version.body_md, strict=True)
    except MarkupError as exc:
        return f"Nội dung không in được: {exc}"
    if version.channel == "banner" and not html_text(body_html):
        return "Khẩu hiệu trống: nội dung đã duyệt của băng rôn không có chữ nào."
    return unprintable_message(public_headline(version) + "\n" + html_text(body_html))


def _unprintable_fields(values: dict) -> dict[str, str]:
    """Texts printed on the job ticket that the bundled fonts cannot draw (an emoji in the contact, say)."""
    import html

    from planner.print_documents import unsupported_characters

    errors = {}
    for field in ("delivery_address", "contact", "note"):
        missing = unsupported_characters(html.escape(str(values.get(field) or "")))
        if missing:
            errors[field] = f"Phiếu in không in được ký tự “{missing[0]}”; hãy bỏ hoặc thay ký tự đó."
    return errors


def _for_unit(session: Session, user: User, value, errors: dict[str, str]) -> Unit | None:
    """The unit below the orderer's that the copies are for (reports count the order there), if given."""
    text = str(value or "").strip()
    if not text:
        return None
    unit = session.get(Unit, int(text)) if re.fullmatch(r"[0-9]{1,9}", text) else None
    if unit is None or unit.id == user.unit_id or not unit.path.startswith(user.unit.path):
        errors["for_unit_id"] = "Đơn vị nhận ấn phẩm phải là một đơn vị cấp dưới của bạn."
        return None
    if unit.kind not in FOR_UNIT_KINDS:
        errors["for_unit_id"] = "Đơn vị nhận ấn phẩm phải là một tỉnh, xã hoặc thôn (không phải cơ sở in hay cơ quan)."
        return None
    return unit


def for_unit_choices(session: Session, user: User) -> list[Unit]:
    """The areas below the orderer's unit an order may be for, in tree order: provinces and communes, and their
    villages too unless there are more than FOR_UNIT_MAX_VILLAGES of them (then the API takes a village's id)."""
    below = (Unit.path.startswith(user.unit.path, autoescape=True), Unit.id != user.unit_id)
    villages = session.scalar(select(func.count()).select_from(Unit).where(*below, Unit.kind == UnitKind.VILLAGE))
    kinds = FOR_UNIT_KINDS if villages <= FOR_UNIT_MAX_VILLAGES else FOR_UNIT_KINDS - {UnitKind.VILLAGE}
    return list(session.scalars(select(Unit).where(*below, Unit.kind.in_(kinds)).order_by(Unit.path)))


def _mm(value) -> float | None:
    try:
        return float(str(value).replace(",", ".")) if value not in (None, "") else None
    except ValueError:
        return -1.0


def visible_orders(user: User, *, eager: bool = True):
    """Orders a user may see: a print shop only its own; others those of their unit scope.

    `eager=False` loads the order row alone (a stored file's download needs no version or distribution).
    """
    stmt = select(PrintOrder).order_by(PrintOrder.created_at.desc())
    if eager:
        stmt = stmt.options(selectinload(PrintOrder.version), selectinload(PrintOrder.print_shop),
                            selectinload(PrintOrder.distribution).selectinload(PrintDistribution.unit))
    if user.role is Role.ADMIN:
        return stmt
    if user.role is Role.PRINT_SHOP:  # a shop sees an order once its proof is approved, never before
        return stmt.where(PrintOrder.print_shop_id == user.unit_id, or_(
            PrintOrder.proof_status == ProofStatus.APPROVED,  # or it took the order before proofs existed
            PrintOrder.status.in_((PrintStatus.ACCEPTED, PrintStatus.PRINTED, PrintStatus.DELIVERED))))
    return stmt.join(Unit, Unit.id == PrintOrder.unit_id).where(Unit.path.startswith(user.unit.path,
                                                                                    autoescape=True))


def move_order(session: Session, order: PrintOrder, user: User, to_state: str, *, now: dt.datetime) -> None:
    """Move an order along submitted → accepted → printed → delivered (or cancel it)."""
    try:
        target = PrintStatus(to_state)
    except ValueError:
        raise PrintOrderError({"status": "Trạng thái không hợp lệ."}) from None
    if target not in PRINT_TRANSITIONS[order.status]:
        raise PrintOrderError({"status": f"Không thể chuyển từ '{order.status_label}' sang "
                                         f"'{PRINT_STATUS_LABELS[target]}'."})
    if (target is PrintStatus.CANCELLED) == (user.role is Role.PRINT_SHOP) and user.role is not Role.ADMIN:
        raise PrintOrderError({"status": "Bạn không thể thực hiện bước này."})
    if target is PrintStatus.ACCEPTED and order.proof_status is not ProofStatus.APPROVED:
        raise PrintOrderError({"status": "Bản in thử chưa được đơn vị đặt in duyệt."})
    waiting = undelivered(order) if target is PrintStatus.DELIVERED else []
    if waiting:
        raise PrintOrderError({"status": f"Còn {len(waiting)} thôn chưa nhận hàng (ví dụ {waiting[0].unit.name}); "
                                         "hãy ghi nhận từng thôn."})
    old = order.status
    order.status, order.updated_at = target, now
    session.flush()
    record(session, user=user, action="print_order.status", entity=order, from_state=old, to_state=target)
    if target is PrintStatus.CANCELLED:
        if order.proof_status is ProofStatus.APPROVED:  # only a shop that saw the order hears it is off
            notify_events.print_order_event(session, order, "cancelled", now=now, by=user)
    else:
        notify_events.print_order_event(session, order, target.value, now=now, by=user)


def render_order(order: PrintOrder, *, pdf_variant: str = "pdf/x-4"):
    """The print-ready PDF/X of an order (trim = ordered size, 3 mm bleed, CMYK, fonts embedded).

    Posters and leaflet covers print the public headline; banners and flags the approved body.
    """
    from planner.markup import MarkupError
    from planner.print_content import layout_for, public_headline, qr_link
    from planner.printing import PrintError, render_print_product

    version = order.version
    plan = version.message.plan
    try:
        body_html = render_markdown(version.body_md, strict=True)
    except MarkupError as exc:
        raise PrintError(f"Nội dung không in được: {exc}") from None
    return render_print_product(
        product=order.product, width_mm=order.width_mm, height_mm=order.height_mm,
        title=public_headline(version), body_html=body_html,
        channel=layout_for(order.product, version.channel),
        meta={"plan_title": plan.title, "plan_number": plan.number, "issuer": plan.issuer,
              "order_number": f"DI-{order.id:05d}", "quantity": order.quantity,
              "qr_url": qr_link(version, body_html), "hem_cm": order.hem_cm,
              "grommet_every_cm": order.grommet_every_cm},
        pdf_variant=pdf_variant)
