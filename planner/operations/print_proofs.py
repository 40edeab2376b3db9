"""Proofs of print orders: the worker renders and preflights each new order, the orderer approves the
proof once, and that exact stored file (SHA-256, size, pages) is what the print shop downloads."""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from planner.models import PrintOrder, PrintStatus, Role, User
from planner.models.printing import ProofStatus
from planner.operations import notify_events
from planner.operations.audit import record
from planner.operations.print_orders import PrintOrderError, render_order

PREVIEW_PIXELS = 1400  # longest side of a proof page image
log = logging.getLogger(__name__)


IN_PRODUCTION = (PrintStatus.ACCEPTED, PrintStatus.PRINTED, PrintStatus.DELIVERED)


class ProofDeferred(Exception):
    """The machine, not the content, failed (disk, pdftoppm): the proof stays queued for the next tick."""


def proof_path(directory: Path, order: PrintOrder) -> Path | None:
    """The stored proof PDF of an order, or None when there is none yet."""
    return directory / order.proof_file if order.proof_file else None


def preview_path(directory: Path, order: PrintOrder, page: int) -> Path | None:
    """The stored image of one proof page (1-based), or None when there is no such page."""
    if not order.proof_file or not order.proof_pages or not 1 <= page <= order.proof_pages:
        return None
    return directory / f"{Path(order.proof_file).stem}-{page}.png"


def _write_private(path: Path, data: bytes) -> None:
    """Write a file readable by its owner only (0600), atomically: a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def render_checked(order: PrintOrder, *, pdf_variant: str = "pdf/x-4"):
    """The order's PDF and its passed preflight (page count, fonts, PDF/X); PrintError when it fails."""
    from planner.print_preflight import check_pdf
    from planner.printing import MAX_PAGES, PRODUCTS, layout_for

    rendered = render_order(order, pdf_variant=pdf_variant)
    label = PRODUCTS[order.product].label if order.product != "custom" else "khổ tùy chỉnh"
    layout = layout_for(order.product, order.version.channel)
    preflight = check_pdf(rendered.data, pages=rendered.pages, max_pages=MAX_PAGES[layout],
                          label=label[:1].lower() + label[1:], trim_mm=rendered.trim_mm, scale=rendered.scale)
    return rendered, preflight


def render_proof(order: PrintOrder, directory: Path, *, now: dt.datetime, pdf_variant: str = "pdf/x-4") -> None:
    """Render the order's PDF, preflight it and store it with its page images; PrintError on failure."""
    from planner.printing import PrintError, render_to_png_pages

    rendered, preflight = render_checked(order, pdf_variant=pdf_variant)
    digest = hashlib.sha256(rendered.data).hexdigest()
    name = f"DI-{order.id:05d}-v{order.version.number}-{digest[:12]}.pdf"
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        pngs = render_to_png_pages(rendered.data, scale_to=PREVIEW_PIXELS)
        for number, png in enumerate(pngs, start=1):
            _write_private(directory / f"{Path(name).stem}-{number}.png", png)
        _write_private(directory / name, rendered.data)
    except (OSError, subprocess.SubprocessError, PrintError) as exc:  # PrintError here: pdftoppm is missing
        raise ProofDeferred(str(exc)) from exc
    order.proof_file, order.proof_sha256, order.proof_bytes = name, digest, len(rendered.data)
    order.proof_pages, order.proof_checks = rendered.pages, "\n".join(preflight.checks)
    order.proof_status, order.proof_error, order.proof_rendered_at = ProofStatus.READY, "", now
    _store_ticket(order, directory)


def _store_ticket(order: PrintOrder, directory: Path) -> None:
    """Store the job ticket with the proof (it names the proof), so downloads never render it.

    Best effort: a ticket that cannot be stored now is rendered by its first download instead.
    """
    from sqlalchemy.orm import object_session

    from planner.operations.print_tickets import stored_ticket
    from planner.printing import PrintError

    try:
        stored_ticket(object_session(order), order, directory)
    except (OSError, PrintError) as exc:
        log.warning("job ticket of print order %s not stored: %s", order.id, exc)


def render_queued_proofs(session: Session, *, now: dt.datetime, directory: Path, limit: int = 5,
                         pdf_variant: str = "pdf/x-4") -> int:
    """Worker step: render queued proofs; an order whose file cannot be produced is cancelled with the reason.

    Each order commits on its own, so one failure loses nothing else.
    """
    from planner.printing import PrintError

    done = 0
    for order in session.scalars(select(PrintOrder).where(PrintOrder.proof_status == ProofStatus.QUEUED,
                                                          PrintOrder.status != PrintStatus.CANCELLED)
                                 .order_by(PrintOrder.id).limit(limit)).all():
        old = order.status
        in_production = order.status in IN_PRODUCTION  # placed before proofs existed (migration 0002)
        try:
            render_proof(order, directory, now=now, pdf_variant=pdf_variant)
            if in_production:  # the shop already took it: nobody is left to approve, so record the file as is
                order.proof_status = ProofStatus.APPROVED
        except ProofDeferred as exc:
            log.warning("proof of print order %s deferred: %s", order.id, exc)
            session.rollback()
            continue
        except Exception as exc:  # noqa: BLE001 — the content cannot be produced: refuse the order, say why
            if not isinstance(exc, PrintError):
                log.exception("proof of print order %s failed", order.id)
                exc = PrintError("Lỗi không mong đợi khi dựng tệp in; hãy báo quản trị viên.")
            order.proof_status, order.proof_error, order.proof_rendered_at = ProofStatus.FAILED, str(exc), now
            if not in_production:
                order.status = PrintStatus.CANCELLED
        order.updated_at = now
        record(session, user=None, action="print_order.proof", entity=order, from_state=old,
               to_state=order.proof_status, error=order.proof_error)
        if not in_production:
            notify_events.print_order_event(session, order, f"proof_{order.proof_status.value}", now=now)
        session.commit()
        done += 1
    return done


def approve_proof(session: Session, order: PrintOrder, user: User, *, sha256: str = "",
                  now: dt.datetime) -> None:
    """The orderer approves the proof they saw; from then on the shop prints exactly that file.

    `sha256`, when given, must name the proof the orderer looked at (a stale page cannot approve a newer one).
    """
    if user.role is Role.PRINT_SHOP:
        raise PrintOrderError({"proof": "Cơ sở in không duyệt bản in thử; đơn vị đặt in duyệt."})
    if order.status is PrintStatus.CANCELLED:
        raise PrintOrderError({"proof": "Đơn in đã hủy."})
    if order.proof_status is not ProofStatus.READY:
        raise PrintOrderError({"proof": f"Không duyệt được: {order.proof_status_label.lower()}."})
    if sha256 and sha256 != order.proof_sha256:
        raise PrintOrderError({"proof": "Bản in thử đã thay đổi; hãy xem lại bản mới rồi duyệt."})
    order.proof_status, order.proof_approved_at, order.proof_approved_by = ProofStatus.APPROVED, now, user
    order.updated_at = now
    session.flush()
    record(session, user=user, action="print_order.approve_proof", entity=order, from_state=ProofStatus.READY,
           to_state=ProofStatus.APPROVED, sha256=order.proof_sha256)
    notify_events.print_order_event(session, order, "proof_approved", now=now, by=user)
