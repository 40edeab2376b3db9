"""Print order pages: order from an approved message, the print shop's queue, the print-ready PDF."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from planner.access import can
from planner.db import utcnow
from planner.models import MessageVersion, PrintOrder
from planner.models.printing import PRINT_STATUS_LABELS, PRINT_TRANSITIONS, ProofStatus
from planner.operations import print_orders as ops
from planner.operations import print_distribution as distribution
from planner.operations import print_proofs
from planner.operations.concurrency import StaleEdit, expect_version
from planner.views import once
from planner.views.common import db_session, require_permission, run_action, small_int
from planner.views.pager import page_of
from planner.views.plans import load_plan

bp = Blueprint("printing", __name__)


def load_order(order_id: int, *, eager: bool = True) -> PrintOrder:
    """An order the current user may see (a print shop: only its own), else 404."""
    if not (can(current_user, "print.order") or can(current_user, "print.fulfil")):
        abort(403)
    order = db_session().scalars(ops.visible_orders(current_user, eager=eager)
                                 .where(PrintOrder.id == order_id)).first()
    if order is None:
        abort(404)
    return order


@bp.get("/print-orders")
@login_required
def index():
    if not (can(current_user, "print.order") or can(current_user, "print.fulfil")):
        abort(403)
    orders, pager = page_of(db_session(), ops.visible_orders(current_user), PrintOrder.id.desc())
    return render_template("pages/printing/index.html", orders=orders, pager=pager)


@bp.route("/print-orders/new", methods=["GET", "POST"])
@login_required
def new():
    require_permission("print.order")
    session = db_session()
    version = session.get(MessageVersion, small_int(request.values.get("version_id")) or 0)
    if version is None:
        abort(404)
    load_plan(version.message.plan_id)
    from planner.printing import PRODUCTS, products_for

    fitting = {code: PRODUCTS[code] for code in products_for(version.channel)}
    form = dict(request.form) if request.method == "POST" else {
        "product": next(iter(fitting), ""), "quantity": "500"}
    if request.method == "POST":    # boxes left unticked: the product's usual finishing
        form["finishing"] = request.form.getlist("finishing") or None
    errors = {}
    if request.method == "POST":
        try:
            claimed = once.claim(session, current_user, form.get(once.FIELD), "printing.new", once.form_payload())
            if claimed.replay:      # a double submit: the order it placed, not a second one
                flash("Biểu mẫu này đã được gửi; đây là đơn in đã tạo (không tạo đơn trùng).", "info")
                return redirect(url_for("printing.show", order_id=claimed.replay.resource_id))
            order = ops.create_print_order(session, version, current_user, form, now=utcnow())
        except ops.PrintOrderError as exc:
            session.rollback()
            errors = exc.errors
        except (once.KeyReused, once.BadKey) as exc:
            errors, form[once.FIELD] = {"form": str(exc)}, once.new_key()
        else:
            once.complete(claimed, resource="print_order", resource_id=order.id, status=302)
            session.commit()
            flash(f"Đã tạo đơn in {order.number}: bản in thử đang được dựng; hãy xem và duyệt để gửi tới "
                  f"{order.print_shop.name}.", "success")
            return redirect(url_for("printing.show", order_id=order.id))
    from planner import print_ticket

    return render_template("pages/printing/new.html", version=version, form=form, errors=errors,
                           products=fitting, shops=ops.print_shops(session), ticket=print_ticket,
                           for_units=ops.for_unit_choices(session, current_user),
                           defaults={code: print_ticket.ticket_defaults(code) for code in fitting}
                           ), (400 if errors else 200)


@bp.get("/print-orders/<int:order_id>")
@login_required
def show(order_id: int):
    order = load_order(order_id)
    return render_template("pages/printing/show.html", order=order, next_states=[
        (s.value, PRINT_STATUS_LABELS[s]) for s in PRINT_TRANSITIONS[order.status]],
        ticket=distribution.ticket_context(db_session(), order))


def ticket_pdf_response(order: PrintOrder):
    """The job ticket with its delivery notes as a PDF download, from storage (ETag = its content key).

    The worker stores it with the proof; it is rendered here only when what it prints has changed since.
    """
    from planner.operations.print_tickets import stored_ticket
    from planner.printing import PrintError

    try:
        path, key = stored_ticket(db_session(), order, proof_directory())
    except PrintError as exc:
        abort(422, str(exc))
    response = send_file(path, mimetype="application/pdf", as_attachment=True,
                         download_name=f"phieu-in_{order.number.lower()}.pdf", etag=key, conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/print-orders/<int:order_id>/ticket.pdf")
@login_required
def ticket_pdf(order_id: int):
    return ticket_pdf_response(load_order(order_id))


@bp.post("/print-orders/<int:order_id>/villages/<int:unit_id>/delivered")
@login_required
def deliver_village(order_id: int, unit_id: int):
    require_permission("print.fulfil")
    order = load_order(order_id)
    run_action(lambda s: distribution.mark_delivered(s, order, unit_id, current_user, now=utcnow()),
               (distribution.DistributionError,), lambda: f"Đơn in: {order.status_label}.")
    return redirect(url_for("printing.show", order_id=order.id) + "#distribution")


def proof_directory() -> Path:
    """Where the worker stores proofs (the instance folder's PRINT_DIR)."""
    return Path(current_app.instance_path) / current_app.config["PRINT_DIR"]


def stored_proof(order: PrintOrder, page: int | None = None):
    """The stored proof PDF (or one page image) with its SHA-256 as ETag, never re-rendered; None if absent."""
    if order.proof_status not in (ProofStatus.READY, ProofStatus.APPROVED):
        return None
    directory = proof_directory()
    path = print_proofs.preview_path(directory, order, page) if page else print_proofs.proof_path(directory, order)
    if path is None or not path.is_file() or (not page and path.stat().st_size != order.proof_bytes):
        return None
    response = send_file(path, mimetype="image/png" if page else "application/pdf", as_attachment=not page,
                         download_name=f"{order.number}-{order.proof_file}", etag=order.proof_sha256 +
                         (f"-{page}" if page else ""), conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-cache"  # revalidate with the ETag: 304 costs nothing
    return response


@bp.get("/print-orders/<int:order_id>.pdf")
@login_required
def pdf(order_id: int):
    """The stored proof (approved: the file to print); never rendered in a request."""
    order = load_order(order_id, eager=False)  # the stored file needs the order row only
    response = stored_proof(order)
    if response is None:
        flash(f"Chưa có tệp in: {order.proof_status_label.lower()}.", "error")
        return redirect(url_for("printing.show", order_id=order.id))
    return response


@bp.get("/print-orders/<int:order_id>/proof-<int:page>.png")
@login_required
def proof_page(order_id: int, page: int):
    response = stored_proof(load_order(order_id, eager=False), page)
    if response is None:
        abort(404)
    return response


@bp.post("/print-orders/<int:order_id>/approve")
@login_required
def approve(order_id: int):
    require_permission("print.order")
    order = load_order(order_id)
    run_action(lambda s: print_proofs.approve_proof(s, order, current_user, sha256=request.form.get("sha256", ""),
                                                    now=utcnow()),
               (ops.PrintOrderError,), lambda: f"Đã duyệt bản in thử; đơn {order.number} đã gửi tới {order.print_shop.name}.")
    return redirect(url_for("printing.show", order_id=order.id))


@bp.post("/print-orders/<int:order_id>/status")
@login_required
def status(order_id: int):
    order = load_order(order_id)

    def _move(session):
        expect_version(order, request.form.get("row_version"), "Đơn in")    # a page drawn before someone's change
        ops.move_order(session, order, current_user, request.form.get("status", ""), now=utcnow())

    run_action(_move, (ops.PrintOrderError, StaleEdit), lambda: f"Đơn in: {order.status_label}.")
    return redirect(url_for("printing.show", order_id=order.id))
