"""JSON API: roster batches — every village roster of a commune for a period, rendered by the worker; the
stored PDF and ZIP are downloaded with their SHA-256 as ETag (never rendered in a request). A single village's
roster PDF is served from the content cache, or queued for the worker (202 and the batch to follow)."""
from __future__ import annotations

from flask import current_app, jsonify, send_file, url_for

from planner import api_queries, api_schemas

from planner.access import sees_unit
from planner.db import utcnow
from planner.models import Target, Unit
from planner.models.rosters import RosterBatch
from planner.operations import roster_batches as ops
from planner.operations import roster_singles as singles
from planner.operations.delivery import BROADCAST_CHANNELS
from planner.operations.roster import roster_rows
from planner.views import once
from planner.views.api import (ApiError, accepts, api_user, body, bp, load_plan, not_found, query, reads, require, stamp,
                               unit_ref)
from planner.views.common import db_session
from planner.views.roster_batches import PERMISSION, parse_period, roster_directory, send_stored, site_url


def batch_json(batch: RosterBatch) -> dict:
    done = batch.status.value == "done"
    return {"id": batch.id, "plan_id": batch.plan_id, "unit": unit_ref(batch.unit), "target_id": batch.target_id,
            "first": batch.first_day.isoformat(), "last": batch.last_day.isoformat(),
            "status": batch.status.value, "status_label": batch.status_label,
            "progress": {"done": batch.villages_done, "total": batch.villages_total},
            "error": batch.error or None, "pages": batch.pdf_pages if done else None,
            "pdf": {"sha256": batch.pdf_sha256, "bytes": batch.pdf_bytes,
                    "url": url_for("api.roster_batch_pdf", batch_id=batch.id)} if done else None,
            "zip": {"sha256": batch.zip_sha256, "bytes": batch.zip_bytes,
                    "url": url_for("api.roster_batch_zip", batch_id=batch.id)} if done and batch.zip_file else None,
            **stamp("created_at", batch.created_at), **stamp("finished_at", batch.finished_at)}


def load_batch(batch_id: int) -> RosterBatch:
    """A batch for a commune the user sees, of a plan the user sees; 404 otherwise."""
    batch = db_session().get(RosterBatch, batch_id)
    if batch is None or not sees_unit(api_user(), batch.unit):
        raise not_found()
    load_plan(batch.plan_id)
    return batch


@bp.post("/plans/<int:plan_id>/roster-batches")
@accepts(api_schemas.RosterBatchInput)
def create_roster_batch(plan_id: int):
    """Queue every village roster of a commune for first..last (≤ 92 days); an identical queued or running
    batch is answered instead (200); an Idempotency-Key replays the first answer."""
    require(PERMISSION)
    plan = load_plan(plan_id)
    data = body()
    session = db_session()
    unit = session.get(Unit, data["unit_id"])
    if unit is None or not sees_unit(api_user(), unit):
        raise not_found()
    first, last, errors = parse_period(data["first"], data["last"])
    if errors:
        raise ApiError(422, " ".join(errors.values()), code="invalid_period", fields=errors)
    claimed = once.api_claim("api.create_roster_batch", {**data, "plan_id": plan.id})
    if claimed.replay:
        return once.api_replay(claimed.replay)
    try:
        batch, created = ops.request_batch(session, plan, unit, first, last, api_user(), base_url=site_url(),
                                           now=utcnow())
    except ops.RosterBatchError as exc:
        raise ApiError(422, str(exc), code="invalid_roster_batch", fields=exc.fields) from None
    return once.api_created(claimed, resource="roster_batch", resource_id=batch.id, body=batch_json(batch),
                            location=url_for("api.get_roster_batch", batch_id=batch.id),
                            status=201 if created else 200)


@bp.get("/roster-batches/<int:batch_id>")
def get_roster_batch(batch_id: int):
    """Status and progress (villages done / total); when done, the stored files' SHA-256, sizes and URLs."""
    require(PERMISSION)
    return jsonify(batch_json(load_batch(batch_id)))


def _stored_file(batch_id: int, kind: str):
    require(PERMISSION)
    batch = load_batch(batch_id)
    response = send_stored(batch, kind)
    if response is None:
        raise ApiError(409, f"Chưa có tệp: {batch.status_label.lower()}.", code="roster_batch_not_ready")
    return response


@bp.get("/roster-batches/<int:batch_id>.pdf")
def roster_batch_pdf(batch_id: int):
    """The stored commune PDF (every village, a page per week), ETag = SHA-256; 409 until the worker is done."""
    return _stored_file(batch_id, "pdf")


@bp.get("/roster-batches/<int:batch_id>.zip")
def roster_batch_zip(batch_id: int):
    """The stored ZIP of one PDF per village, ETag = SHA-256; 409 until the worker is done."""
    return _stored_file(batch_id, "zip")


@bp.get("/plans/<int:plan_id>/targets/<int:target_id>/roster.pdf")
@reads(*api_queries.ROSTER)
def target_roster_pdf(plan_id: int, target_id: int):
    """One village's roster PDF for first..last: 200 with the file when this content was made before (ETag = its
    content key, 304 on revalidation); otherwise 202 with the queued roster (the worker renders it) and its URL."""
    require(PERMISSION)
    plan = load_plan(plan_id)
    session = db_session()
    target = session.get(Target, target_id)
    if target is None or target.channel not in BROADCAST_CHANNELS or not sees_unit(api_user(), target.unit):
        raise not_found()
    first, last, errors = parse_period(query("first") or "", query("last") or "")
    if errors:
        raise ApiError(422, " ".join(errors.values()), code="invalid_period", fields=errors)
    link = singles.confirm_url(current_app.config["SECRET_KEY"], site_url(), target, first, last)
    key = singles.content_key(plan, target, first, last, link, roster_rows(session, plan, target, first, last))
    path = singles.cached_path(roster_directory(), key)
    if path.is_file():
        response = send_file(path, mimetype="application/pdf", as_attachment=True, etag=key, conditional=True,
                             download_name=f"lich-phat-{target.unit.code}-{first:%Y%m%d}-{last:%Y%m%d}.pdf",
                             max_age=0)
        response.headers["Cache-Control"] = "private, no-cache"
        return response
    batch, _ = singles.request_single(session, plan, target, first, last, api_user(), base_url=site_url(),
                                      now=utcnow())
    session.commit()
    response = jsonify(batch_json(batch))
    response.status_code = 202
    response.headers["Location"] = url_for("api.get_roster_batch", batch_id=batch.id)
    return response
