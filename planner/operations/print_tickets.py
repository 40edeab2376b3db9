"""Stored job tickets: the ticket PDF (ticket + one delivery note per village) is rendered once per content,
beside the order's proof (0600), and downloads serve that file; a change to what the ticket prints (quantity,
delivery, finishing, split, a new proof) gives a new content key and so one new render."""
from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from sqlalchemy.orm import Session

from planner.models import PrintOrder
from planner.operations.print_distribution import ticket_context

TICKET_TEMPLATES = ("print/base.html", "print/job_ticket.html")


@functools.lru_cache(maxsize=1)
def _layout_digest() -> str:
    from planner.printing import TEMPLATES_DIR

    return hashlib.sha256(b"".join((TEMPLATES_DIR / name).read_bytes() for name in TICKET_TEMPLATES)).hexdigest()


def ticket_key(context: dict) -> str:
    """SHA-256 naming a ticket's content and layout: the same key is the same PDF (file name and ETag)."""
    text = json.dumps(context, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256((_layout_digest() + text).encode()).hexdigest()


def ticket_path(directory: Path, order: PrintOrder, key: str) -> Path:
    """Where the ticket of this content is stored, beside the order's proof."""
    return directory / f"DI-{order.id:05d}-phieu-{key}.pdf"


def stored_ticket(session: Session, order: PrintOrder, directory: Path) -> tuple[Path, str]:
    """The stored ticket of the order's current content and its key, rendered and stored only when absent.

    PrintError when it cannot be rendered; older tickets of the order are removed once the new one is stored.
    """
    from planner.operations.print_proofs import _write_private
    from planner.printing import render_job_ticket

    context = ticket_context(session, order)
    key = ticket_key(context)
    path = ticket_path(directory, order, key)
    if path.is_file():
        return path, key
    rendered = render_job_ticket(context)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    _write_private(path, rendered.data)
    for old in directory.glob(f"DI-{order.id:05d}-phieu-*.pdf"):
        if old != path:
            old.unlink(missing_ok=True)
    return path, key
