"""Roster batches: every village roster of a commune for a period, asked for in a page or the API and
rendered by the worker a few villages at a time into one PDF and a ZIP of one PDF per village, stored
0600 with their SHA-256 like print proofs, and downloaded from storage (never rendered in a request)."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import zipfile
from pathlib import Path

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, selectinload

from planner import localtime
from planner.access import sees_unit
from planner.models import Plan, Target, Unit, UnitKind, User
from planner.models.rosters import BatchStatus, RosterBatch
from planner.operations.audit import record
from planner.operations.print_proofs import _write_private
from planner.operations.roster import roster_rows
from planner.operations.roster_singles import confirm_url, render_single

MAX_DAYS = 92  # as the single village roster
log = logging.getLogger(__name__)


class RosterBatchError(ValueError):
    """The request cannot be taken; `fields` maps each input to a Vietnamese reason."""

    def __init__(self, fields: dict[str, str]):
        super().__init__(" ".join(fields.values()))
        self.fields = fields


def village_targets(session: Session, unit: Unit) -> list[Target]:
    """The active loudspeaker targets of the villages in `unit`, in the order of the village codes."""
    return list(session.scalars(
        select(Target).join(Unit, Unit.id == Target.unit_id)
        .where(Target.channel == "loudspeaker", Target.is_active.is_(True), Unit.path.startswith(unit.path))
        .options(selectinload(Target.unit)).order_by(Unit.code, Target.id)))


def check_range(first: dt.date, last: dt.date) -> dict[str, str]:
    """Vietnamese reasons why the period cannot be printed (empty when it can)."""
    if last < first:
        return {"last": "Ngày kết thúc phải sau hoặc trùng ngày bắt đầu."}
    if (last - first).days >= MAX_DAYS:
        return {"last": f"Mỗi lần in tối đa {MAX_DAYS} ngày; hãy chọn khoảng ngắn hơn."}
    return {}


def request_batch(session: Session, plan: Plan, unit: Unit, first: dt.date, last: dt.date, user: User, *,
                  base_url: str, now: dt.datetime) -> tuple[RosterBatch, bool]:
    """Queue the commune's rosters for the worker; an identical batch still queued or running is reused.

    Returns (batch, created). LookupError when the user does not see the unit; RosterBatchError otherwise.
    """
    if not sees_unit(user, unit):
        raise LookupError(unit.id)
    if unit.kind is not UnitKind.COMMUNE:
        raise RosterBatchError({"unit_id": "Chọn một xã: lịch phát cả xã in cho các thôn của một xã."})
    errors = check_range(first, last)
    if errors:
        raise RosterBatchError(errors)
    targets = village_targets(session, unit)
    if not targets:
        raise RosterBatchError({"unit_id": "Xã này chưa có điểm phát loa nào."})
    same = session.scalars(select(RosterBatch).where(
        RosterBatch.plan_id == plan.id, RosterBatch.unit_id == unit.id, RosterBatch.first_day == first,
        RosterBatch.last_day == last, RosterBatch.status.in_((BatchStatus.QUEUED, BatchStatus.RUNNING)))
        .order_by(RosterBatch.id)).first()
    if same is not None:
        return same, False
    batch = RosterBatch(plan=plan, unit=unit, first_day=first, last_day=last, status=BatchStatus.QUEUED,
                        villages_total=len(targets), villages_done=0, base_url=base_url.rstrip("/"),
                        requested_by=user, created_at=now, error="", pdf_file="", pdf_sha256="", pdf_bytes=0,
                        pdf_pages=0, zip_file="", zip_sha256="", zip_bytes=0)
    session.add(batch)
    session.flush()
    record(session, user=user, action="roster_batch.request", entity=batch, to_state=BatchStatus.QUEUED,
           unit_id=unit.id, first=first.isoformat(), last=last.isoformat(), villages=len(targets))
    return batch, True


def stored_path(directory: Path, batch: RosterBatch, kind: str) -> Path | None:
    """The stored commune PDF (kind 'pdf') or ZIP ('zip') of a finished batch, or None."""
    name = batch.pdf_file if kind == "pdf" else batch.zip_file
    return directory / name if batch.status is BatchStatus.DONE and name else None


def _claim(session: Session, batch: RosterBatch, *, now: dt.datetime) -> bool:
    """Take the batch for this worker (a conditional update: two workers never render one batch)."""
    taken = session.execute(
        update(RosterBatch).where(RosterBatch.id == batch.id, RosterBatch.status == batch.status,
                                  RosterBatch.villages_done == batch.villages_done)
        .values(status=BatchStatus.RUNNING, started_at=now, villages_done=0)
        .execution_options(synchronize_session=False)).rowcount
    session.commit()
    return taken == 1


def render_queued_batches(session: Session, *, now: dt.datetime, directory: Path, settings: dict,
                          limit: int = 1, single: bool = False) -> int:
    """Worker step: render queued commune batches, or with `single` queued single village rosters (and
    running ones whose worker went away); commits as it goes."""
    from planner.printing import PrintError

    if not single:
        prune_single_rosters(directory, now=now, days=settings.get("ROSTER_CACHE_DAYS", 7))
    stale = now - dt.timedelta(seconds=settings.get("ROSTER_BATCH_STALE_SECONDS", 900))
    kind = RosterBatch.target_id.is_not(None) if single else RosterBatch.target_id.is_(None)
    due = session.scalars(select(RosterBatch).where(kind, or_(
        RosterBatch.status == BatchStatus.QUEUED,
        (RosterBatch.status == BatchStatus.RUNNING) & (RosterBatch.started_at < stale)))
        .order_by(RosterBatch.id).limit(limit)).all()
    done = 0
    for batch in due:
        if not _claim(session, batch, now=now):
            continue
        session.refresh(batch)
        try:
            (render_single if batch.is_single else render_batch)(session, batch, directory, settings, now=now)
            batch.status = BatchStatus.DONE
        except Exception as exc:  # noqa: BLE001 — say why on the batch's page instead of retrying forever
            session.rollback()
            if not isinstance(exc, PrintError):
                log.exception("roster batch %s failed", batch.id)
                exc = PrintError("Lỗi không mong đợi khi in lịch phát; hãy báo quản trị viên.")
            batch.status, batch.error = BatchStatus.FAILED, str(exc)
        batch.finished_at = now
        record(session, user=None, action="roster_batch.render", entity=batch, from_state=BatchStatus.RUNNING,
               to_state=batch.status, error=batch.error, pages=batch.pdf_pages)
        session.commit()
        done += 1
    return done


def prune_single_rosters(directory: Path, *, now: dt.datetime, days: int) -> int:
    """Forget cached single-village roster PDFs not made for `days` (a download renders them again)."""
    cutoff, removed = now.timestamp() - days * 86400, 0
    for path in (directory / "single").glob("*.pdf"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _chunks(items: list, size: int):
    for start in range(0, len(items), max(1, size)):
        yield items[start:start + max(1, size)]


def render_batch(session: Session, batch: RosterBatch, directory: Path, settings: dict, *,
                 now: dt.datetime) -> None:
    """Draw the batch a few villages per document (memory stays flat), the groups side by side in the print
    pool's processes, and join them in order, committing progress after each group."""
    import pypdf

    from planner import print_documents as docs
    from planner import print_pool

    targets = village_targets(session, batch.unit)
    batch.villages_total, batch.villages_done = len(targets), 0
    session.commit()
    plan, first, last = batch.plan, batch.first_day, batch.last_day
    period = f"Từ {localtime.fmt_date(first)} đến {localtime.fmt_date(last)}"
    processes = settings.get("ROSTER_BATCH_PROCESSES", 1)
    groups, futures = [], []
    for group in _chunks(targets, settings.get("ROSTER_BATCH_CHUNK", 7)):  # each group starts as soon as it is laid out
        groups.append((group, batch_content(session, batch, group, settings, now=now),
                       [f"Lịch phát thanh – {t.unit.name} – {period}" for t in group]))
        futures.append(print_pool.submit_roster(groups[-1][1], groups[-1][2], processes))
    commune_pdf, archive_buffer = pypdf.PdfWriter(), io.BytesIO()
    with zipfile.ZipFile(archive_buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for (group, job, titles), future in zip(groups, futures):
            data, parts = print_pool.result(future, job, titles)
            commune_pdf.append(pypdf.PdfReader(io.BytesIO(data)))
            for offset, (target, part) in enumerate(zip(group, parts), start=1):
                name = f"{batch.villages_done + offset:02d}-{docs.slugify(target.unit.name, 40)}.pdf"
                archive.writestr(name, part)
            batch.villages_done += len(group)
            session.commit()  # the progress the page shows
    commune_pdf.add_metadata({"/Title": f"Lịch phát thanh – {batch.unit.name} – {period}",
                              "/Author": batch.unit.name, "/Subject": plan.title})
    buffer = io.BytesIO()
    commune_pdf.write(buffer)
    _store(batch, directory, buffer.getvalue(), archive_buffer.getvalue(), pages=len(commune_pdf.pages))


def batch_content(session: Session, batch: RosterBatch, targets: list[Target], settings: dict, *,
                  now: dt.datetime, html: bool = False) -> dict:
    """What these villages' rosters show for the batch's period (a sheet per village and week): the keyword
    arguments of printing.render_roster_villages (with `html`, of printing.roster_batch_html)."""
    from planner import printing

    first, last = batch.first_day, batch.last_day
    villages = [printing.roster_village(
        unit_name=t.unit.name, rows=roster_rows(session, batch.plan, t, first, last), first=first, last=last,
        confirm_url=confirm_url(settings["SECRET_KEY"], batch.base_url, t, first, last), html=html)
        for t in targets]
    period = f"Từ {localtime.fmt_date(first)} đến {localtime.fmt_date(last)}"
    return dict(villages=villages, commune_name=batch.unit.name, plan_title=batch.plan.title,
                generated_at_label=localtime.fmt_datetime(now),
                pdf_title=f"Lịch phát thanh – {batch.unit.name} – {period}")


def batch_html(session: Session, batch: RosterBatch, targets: list[Target], settings: dict, *,
               now: dt.datetime) -> str:
    """The same rosters as HTML (print/roster.html; the benchmark prints it with Chromium)."""
    from planner import printing

    return printing.roster_batch_html(**batch_content(session, batch, targets, settings, now=now, html=True))


def _store(batch: RosterBatch, directory: Path, pdf: bytes, archive: bytes, *, pages: int) -> None:
    pdf_digest, zip_digest = hashlib.sha256(pdf).hexdigest(), hashlib.sha256(archive).hexdigest()
    stem = f"LP-{batch.id:05d}-{docs_slug(batch)}"
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    pdf_name, zip_name = f"{stem}-{pdf_digest[:12]}.pdf", f"{stem}-{zip_digest[:12]}.zip"
    _write_private(directory / pdf_name, pdf)
    _write_private(directory / zip_name, archive)
    batch.pdf_file, batch.pdf_sha256, batch.pdf_bytes, batch.pdf_pages = pdf_name, pdf_digest, len(pdf), pages
    batch.zip_file, batch.zip_sha256, batch.zip_bytes = zip_name, zip_digest, len(archive)


def docs_slug(batch: RosterBatch) -> str:
    from planner.print_documents import slugify

    return f"{slugify(batch.unit.name, 30)}-{batch.first_day:%Y%m%d}-{batch.last_day:%Y%m%d}"
