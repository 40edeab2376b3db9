"""JSON API: print orders (ordered from approved print messages, fulfilled by a print shop) and their PDFs."""
from __future__ import annotations

from planner import api_queries, api_schemas
from flask import current_app, jsonify, url_for
from sqlalchemy import func, select

from planner.db import utcnow
from planner.models import MessageVersion, PrintOrder, PrintStatus
from planner.models.printing import PRINT_TRANSITIONS
from planner.operations import print_orders as ops
from planner.operations import print_proofs
from planner.views.api import (ApiError, accepts, api_user, body, bp, commit, created, invalid, load_plan, not_found,
                               paged, query, reads, require, stamp, unit_ref, user_ref)
from planner.views import once, paging
from planner.views.common import db_session
from planner.views.printing import stored_proof

PRINT_ROLES = ("print.order", "print.fulfil")


def order_json(order: PrintOrder) -> dict:
    version = order.version
    return {"id": order.id, "number": f"DI-{order.id:05d}", "plan_id": version.message.plan_id,
            "message_id": version.message_id, "version_id": version.id, "title": version.title,
            "channel": version.channel, "product": order.product, "width_mm": order.width_mm,
            "height_mm": order.height_mm, "quantity": order.quantity, "print_shop": unit_ref(order.print_shop),
            "unit": unit_ref(order.unit), "created_by": user_ref(order.created_by), "status": order.status.value,
            "status_label": order.status_label,
            "next_statuses": sorted(s.value for s in PRINT_TRANSITIONS[order.status]), "note": order.note,
            **stamp("created_at", order.created_at), **stamp("updated_at", order.updated_at),
            "pdf_url": url_for("api.print_order_pdf", order_id=order.id), "proof": proof_json(order),
            "ticket": ticket_json(order), "distribution": distribution_json(order),
            "ticket_pdf_url": url_for("api.print_order_ticket_pdf", order_id=order.id)}


def ticket_json(order: PrintOrder) -> dict:
    """The job ticket: product, finished size, quantity, paper, colours, sides, finishing, delivery, contact."""
    from planner.print_ticket import COLOURS, PAPERS, finishing_labels, sides

    return {"product_label": order.product_label, "finished_size_mm": [order.width_mm, order.height_mm],
            "quantity": order.quantity, "paper": order.paper, "paper_label": PAPERS.get(order.paper, order.paper),
            "paper_gsm": order.paper_gsm, "colours": order.colours,
            "colours_label": COLOURS.get(order.colours, order.colours), "sides": sides(order.colours),
            "finishing": [c for c in order.finishing.split(",") if c],
            "finishing_labels": finishing_labels(order.finishing, order.hem_cm, order.grommet_every_cm),
            "hem_cm": order.hem_cm, "grommet_every_cm": order.grommet_every_cm,
            "print_size_mm": [order.width_mm + 20 * order.hem_cm, order.height_mm + 20 * order.hem_cm],
            "delivery_date": order.delivery_date.isoformat() if order.delivery_date else None,
            "delivery_address": order.delivery_address, "contact": order.contact}


def distribution_json(order: PrintOrder) -> dict:
    """Copies per village (by households, or equal shares when some are unknown) and who has received them."""
    from planner.operations.print_distribution import is_by_households

    return {"by_households": is_by_households(order), "villages": [
        {"unit": unit_ref(d.unit), "quantity": d.quantity, "households": d.households,
         "delivered": d.delivered_at is not None, **stamp("delivered_at", d.delivered_at)}
        for d in order.distribution]}


def proof_json(order: PrintOrder) -> dict:
    """The order's proof: status, preflight, the stored file's SHA-256, size and pages, page images."""
    ready = order.proof_status.value in ("ready", "approved")
    return {"status": order.proof_status.value, "status_label": order.proof_status_label,
            "error": order.proof_error or None, "checks": order.proof_checks.splitlines(),
            "sha256": order.proof_sha256 or None, "bytes": order.proof_bytes, "pages": order.proof_pages,
            **stamp("rendered_at", order.proof_rendered_at), **stamp("approved_at", order.proof_approved_at),
            "approved_by": user_ref(order.proof_approved_by) if order.proof_approved_by else None,
            "page_image_urls": [url_for("api.print_order_proof_page", order_id=order.id, page=n)
                                for n in range(1, (order.proof_pages or 0) + 1)] if ready else []}


def load_order(order_id: int, *, eager: bool = True) -> PrintOrder:
    """An order the user may see (a print shop: only its own); 404 otherwise."""
    order = db_session().scalars(ops.visible_orders(api_user(), eager=eager).where(PrintOrder.id == order_id)).first()
    if order is None:
        raise not_found()
    return order


def _order_error(exc: ops.PrintOrderError) -> ApiError:
    from planner.print_ticket import OPTIONS_NOT_OFFERED

    if set(exc.errors) == {"status"}:
        return ApiError(409, exc.errors["status"], code="invalid_transition")
    if OPTIONS_NOT_OFFERED in exc.errors.values():  # hems or grommets on a leaflet or poster
        return ApiError(422, OPTIONS_NOT_OFFERED, code="finishing_not_offered", fields=exc.errors)
    return invalid(exc.errors)


@bp.get("/print-orders")
@reads(*api_queries.PRINT_ORDERS)
def list_print_orders():
    require(*PRINT_ROLES)
    stmt = ops.visible_orders(api_user())
    status = query("status")
    if status:
        if status not in {s.value for s in PrintStatus}:
            raise invalid({"status": "Trạng thái không hợp lệ."})
        stmt = stmt.where(PrintOrder.status == PrintStatus(status))
    page = paging.page_request((int,))
    orders, next_cursor, total = paging.fetch_page(db_session(), stmt, [PrintOrder.id], page, descending=True)
    return paging.page_response([order_json(o) for o in orders], page, next_cursor, total)


@bp.post("/print-orders")
@accepts(api_schemas.PrintOrderInput)
def create_print_order():
    """Order prints of an approved leaflet/banner/poster version from a print shop."""
    require("print.order")
    data = body()
    session = db_session()
    version = session.get(MessageVersion, int(data["version_id"]))
    if version is None:
        raise not_found()
    load_plan(version.message.plan_id)
    claimed = once.api_claim("api.create_print_order", data)    # Idempotency-Key: a retry orders once
    if claimed.replay:
        return once.api_replay(claimed.replay)
    try:
        order = ops.create_print_order(session, version, api_user(), data, now=utcnow())
    except ops.PrintOrderError as exc:
        raise _order_error(exc) from None
    return once.api_created(claimed, resource="print_order", resource_id=order.id, body=order_json(order),
                            location=url_for("api.get_print_order", order_id=order.id))


@bp.get("/print-orders/<int:order_id>")
def get_print_order(order_id: int):
    require(*PRINT_ROLES)
    return jsonify(order_json(load_order(order_id)))


@bp.post("/print-orders/<int:order_id>/status")
@accepts(api_schemas.PrintStatusInput)
def move_print_order(order_id: int):
    """Move along submitted → accepted → printed → delivered (the print shop), or cancel (the orderer)."""
    require(*PRINT_ROLES)
    order = load_order(order_id)
    data = body()
    if data["status"] not in {s.value for s in PrintStatus}:
        raise invalid({"status": "Trạng thái không hợp lệ."})
    try:
        ops.move_order(db_session(), order, api_user(), data["status"], now=utcnow())
    except ops.PrintOrderError as exc:
        raise _order_error(exc) from None
    commit()
    return jsonify(order_json(order))


@bp.post("/print-orders/<int:order_id>/approve")
@accepts(api_schemas.ProofApprovalInput, optional=True)
def approve_print_proof(order_id: int):
    """The orderer approves the proof (optionally naming its sha256); the shop then prints that file."""
    require("print.order")
    order = load_order(order_id)
    data = body()  # the body is optional
    try:
        print_proofs.approve_proof(db_session(), order, api_user(), sha256=data.get("sha256") or "", now=utcnow())
    except ops.PrintOrderError as exc:
        raise ApiError(409, exc.errors["proof"], code="proof_not_approvable") from None
    commit()
    return jsonify(order_json(order))


@bp.get("/print-orders/<int:order_id>/pdf")
def print_order_pdf(order_id: int):
    """The stored proof PDF (once approved: the print file), ETag = its SHA-256; never re-rendered."""
    require(*PRINT_ROLES)
    order = load_order(order_id, eager=False)  # the stored file needs the order row only
    response = stored_proof(order)
    if response is None:
        raise ApiError(409, f"Chưa có tệp in: {order.proof_status_label.lower()}.", code="proof_not_ready")
    return response


@bp.get("/print-orders/<int:order_id>/proof/<int:page>.png")
def print_order_proof_page(order_id: int, page: int):
    """One page of the proof as a PNG image (longest side 1400 px)."""
    require(*PRINT_ROLES)
    response = stored_proof(load_order(order_id, eager=False), page)
    if response is None:
        raise not_found()
    return response


@bp.post("/print-orders/<int:order_id>/villages/<int:unit_id>/delivered")
@accepts(api_schemas.EmptyInput, optional=True)
def deliver_print_village(order_id: int, unit_id: int):
    """The print shop handed this village its copies; when every village has them the order is delivered."""
    from planner.operations.print_distribution import DistributionError, mark_delivered

    require("print.fulfil")
    order = load_order(order_id)
    try:
        mark_delivered(db_session(), order, unit_id, api_user(), now=utcnow())
    except DistributionError as exc:
        raise ApiError(409, str(exc), code="not_deliverable") from None
    commit()
    return jsonify(order_json(order))


@bp.get("/print-orders/<int:order_id>/ticket.pdf")
def print_order_ticket_pdf(order_id: int):
    """The job ticket and one delivery note per village, as one PDF."""
    from planner.views.printing import ticket_pdf_response

    require(*PRINT_ROLES)
    return ticket_pdf_response(load_order(order_id))
