"""A single village's roster PDF: cached by content under instance/<ROSTER_DIR>/single/<key>.pdf; its first
download is queued as a one-village roster batch (RosterBatch with a target) that the worker renders ahead of
longer work, so no request ever renders it."""
from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from planner import localtime
from planner.models import Plan, Target, User
from planner.models.rosters import BatchStatus, RosterBatch
from planner.operations.audit import record
from planner.operations.delivery import make_village_token
from planner.operations.print_proofs import _write_private
from planner.operations.roster import roster_rows

CONFIRM_PATH = "/x/"  # the village confirmation page (views/confirm.py), for QR codes drawn outside a request


def confirm_url(secret: str, base_url: str, target: Target, first: dt.date, last: dt.date) -> str:
    """The village's password-less confirmation link that the roster's QR code carries."""
    return base_url.rstrip("/") + CONFIRM_PATH + make_village_token(secret, target.id, first, last)


def content(plan: Plan, target: Target, first: dt.date, last: dt.date, link: str, rows: list[dict]) -> dict:
    """Everything the roster shows (the arguments of printing.render_roster but the time it was made)."""
    commune = target.unit.parent.name if target.unit.parent else ""
    return dict(unit_name=target.unit.name, commune_name=commune, plan_title=plan.title,
                period_label=f"Từ {localtime.fmt_date(first)} đến {localtime.fmt_date(last)}",
                rows=rows, confirm_url=link, first=first, last=last)


def content_key(plan: Plan, target: Target, first: dt.date, last: dt.date, link: str, rows: list[dict]) -> str:
    """The SHA-256 naming what this roster shows and its templates: its cache file's name and its ETag."""
    from planner.printing import roster_content_key

    return roster_content_key(**content(plan, target, first, last, link, rows))


def cached_path(directory: Path, key: str) -> Path:
    return directory / "single" / f"{key}.pdf"


def request_single(session: Session, plan: Plan, target: Target, first: dt.date, last: dt.date, user: User, *,
                   base_url: str, now: dt.datetime) -> tuple[RosterBatch, bool]:
    """Queue this village's roster for the worker; the same roster still queued or running is reused."""
    same = session.scalars(select(RosterBatch).where(
        RosterBatch.target_id == target.id, RosterBatch.plan_id == plan.id, RosterBatch.first_day == first,
        RosterBatch.last_day == last, RosterBatch.status.in_((BatchStatus.QUEUED, BatchStatus.RUNNING)))
        .order_by(RosterBatch.id)).first()
    if same is not None:
        return same, False
    batch = RosterBatch(plan=plan, unit=target.unit, target=target, first_day=first, last_day=last,
                        status=BatchStatus.QUEUED, villages_total=1, villages_done=0, base_url=base_url.rstrip("/"),
                        requested_by=user, created_at=now, error="", pdf_file="", pdf_sha256="", pdf_bytes=0,
                        pdf_pages=0, zip_file="", zip_sha256="", zip_bytes=0)
    session.add(batch)
    session.flush()
    record(session, user=user, action="roster_batch.request", entity=batch, to_state=BatchStatus.QUEUED,
           unit_id=target.unit_id, target_id=target.id, first=first.isoformat(), last=last.isoformat(), villages=1)
    return batch, True


def render_single(session: Session, batch: RosterBatch, directory: Path, settings: dict, *,
                  now: dt.datetime) -> None:
    """Render the village's roster into the content cache (unless that content is there already) and point
    the batch at the file."""
    from planner import printing

    link = confirm_url(settings["SECRET_KEY"], batch.base_url, batch.target, batch.first_day, batch.last_day)
    shown = content(batch.plan, batch.target, batch.first_day, batch.last_day, link,
                    roster_rows(session, batch.plan, batch.target, batch.first_day, batch.last_day))
    key = printing.roster_content_key(**shown)
    path = cached_path(directory, key)
    if path.is_file():  # asked twice, or the same content under another request: render nothing
        data = path.read_bytes()
        pages = _page_count(data)
    else:
        rendered = printing.render_roster(**shown, generated_at_label=localtime.fmt_datetime(now))
        data, pages = rendered.data, rendered.pages
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _write_private(path, data)
    batch.pdf_file, batch.pdf_bytes = f"single/{key}.pdf", len(data)
    batch.pdf_sha256, batch.pdf_pages, batch.villages_done = hashlib.sha256(data).hexdigest(), pages, 1


def _page_count(data: bytes) -> int:
    import io

    import pypdf

    return len(pypdf.PdfReader(io.BytesIO(data)).pages)
