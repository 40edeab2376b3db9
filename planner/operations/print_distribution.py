"""An order's distribution: its quantity split over the ordering unit's villages, delivered village by village."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from planner.models import PrintDistribution, PrintOrder, PrintStatus, Role, Unit, UnitKind, User
from planner.operations.audit import record
from planner.print_ticket import split_by_households
from planner.vnsort import vietnamese_key


class DistributionError(ValueError):
    """A delivery that cannot be recorded; the message is Vietnamese."""


def receiving_unit(order: PrintOrder, session: Session) -> Unit:
    """The unit the copies are for: the one ordered for, else the ordering unit."""
    return session.get(Unit, order.for_unit_id) if order.for_unit_id else order.unit


def distribute_order(session: Session, order: PrintOrder) -> list[PrintDistribution]:
    """Split the order's quantity over the villages below the receiving unit (none: no distribution list)."""
    unit = receiving_unit(order, session)
    villages = sorted(session.scalars(select(Unit).where(
        Unit.kind == UnitKind.VILLAGE, Unit.path.startswith(unit.path, autoescape=True))),
        key=lambda v: vietnamese_key(v.name))
    shares, by_households = split_by_households(order.quantity, [(v.id, v.households) for v in villages])
    households = {v.id: v.households for v in villages}
    order.distribution = [
        PrintDistribution(unit_id=vid, position=n, quantity=qty, households=households[vid],
                          is_by_households=by_households)
        for n, (vid, qty) in enumerate(shares)]
    session.flush()
    return order.distribution


def is_by_households(order: PrintOrder) -> bool:
    """True when the split followed household counts (False: equal shares, some counts unknown)."""
    return all(d.is_by_households for d in order.distribution)


def mark_delivered(session: Session, order: PrintOrder, village_id: int, user: User, *,
                   now: dt.datetime) -> PrintDistribution:
    """The print shop handed a village its copies; the order is delivered once every village is."""
    if user.role not in (Role.PRINT_SHOP, Role.ADMIN):
        raise DistributionError("Chỉ cơ sở in ghi nhận được việc giao hàng.")
    if order.status is not PrintStatus.PRINTED:
        raise DistributionError("Chỉ giao hàng được khi đơn đã in xong.")
    row = next((d for d in order.distribution if d.unit_id == village_id), None)
    if row is None:
        raise DistributionError("Thôn này không có trong danh sách phân phối của đơn.")
    if row.delivered_at is not None:
        raise DistributionError(f"{row.unit.name} đã được ghi nhận nhận hàng.")
    row.delivered_at, row.delivered_by_id = now, user.id
    record(session, user=user, action="print_order.deliver_village", entity=order, to_state=row.unit.name,
           village_id=village_id, quantity=row.quantity)
    if all(d.delivered_at for d in order.distribution):
        order.status, order.updated_at = PrintStatus.DELIVERED, now
        record(session, user=user, action="print_order.status", entity=order, from_state=PrintStatus.PRINTED,
               to_state=PrintStatus.DELIVERED)
        from planner.operations import notify_events    # the orderer hears of it as of any status change

        notify_events.print_order_event(session, order, PrintStatus.DELIVERED.value, now=now, by=user)
    session.flush()
    return row


def undelivered(order: PrintOrder) -> list[PrintDistribution]:
    """Villages still waiting for their copies."""
    return [d for d in order.distribution if d.delivered_at is None]


def ticket_context(session: Session, order: PrintOrder) -> dict:
    """What the job ticket and delivery notes print (planner/templates/print/job_ticket.html)."""
    from planner.localtime import fmt_date
    from planner.print_content import public_headline
    from planner.print_documents import format_count, format_mm
    from planner.print_ticket import COLOURS, PAPERS, finishing_labels, sides

    plan = order.version.message.plan
    by_households = is_by_households(order)
    return {
        "number": order.number, "plan_number": plan.number, "plan_title": plan.title,
        "title": public_headline(order.version), "product_label": order.product_label,
        "size_label": f"{format_mm(order.width_mm)} × {format_mm(order.height_mm)} mm" + (
            f"; khổ in kể cả viền may {order.hem_cm} cm mỗi cạnh {format_mm(order.width_mm + 20 * order.hem_cm)} × "
            f"{format_mm(order.height_mm + 20 * order.hem_cm)} mm" if order.hem_cm else ""),
        "quantity": format_count(order.quantity), "paper_label": PAPERS.get(order.paper, order.paper),
        "paper_gsm": order.paper_gsm, "colours_label": COLOURS.get(order.colours, order.colours),
        "sides": "Một mặt" if sides(order.colours) == 1 else "Hai mặt",
        "finishing": finishing_labels(order.finishing, order.hem_cm, order.grommet_every_cm),
        "delivery_date": fmt_date(order.delivery_date),
        "delivery_address": order.delivery_address, "contact": order.contact,
        "orderer": order.created_by.full_name if order.created_by else "",
        "ordering_unit": order.unit.name, "receiving_unit": receiving_unit(order, session).name,
        "print_shop": order.print_shop.name, "note": order.note,
        "proof_line": (f"{order.proof_pages} trang, SHA-256 {order.proof_sha256[:16]}…" if order.proof_sha256
                       else "chưa có bản in thử"),
        "villages": [{"name": d.unit.name, "quantity": format_count(d.quantity),
                      "households": format_count(d.households) if d.households else "–"} for d in order.distribution],
        "split_note": ("Chia theo số hộ của từng thôn (làm tròn theo phần dư lớn nhất, tổng đúng số lượng)."
                       if by_households else "Chưa đủ số hộ của các thôn: chia đều cho các thôn "
                                             "(làm tròn theo phần dư lớn nhất, tổng đúng số lượng)."),
    }
