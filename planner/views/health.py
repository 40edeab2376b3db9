"""GET /healthz: is the database reachable, is the worker ticking."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, jsonify
from sqlalchemy import select, text

from planner.db import utcnow
from planner.models import WorkerHeartbeat
from planner.views.common import db_session

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    session = db_session()
    try:
        session.execute(text("SELECT 1"))
        db_ok = True
    except Exception:  # noqa: BLE001 — any failure means "not alive"; details stay in the log
        current_app.logger.exception("healthz: database check failed")
        return jsonify(database={"ok": False}, worker={"ok": False}), 503
    beat = session.scalars(select(WorkerHeartbeat).order_by(WorkerHeartbeat.beat_at.desc())).first()
    stale = dt.timedelta(seconds=current_app.config["WORKER_STALE_SECONDS"])
    worker_ok = beat is not None and utcnow() - beat.beat_at <= stale
    worker = {"ok": worker_ok, "last_beat_at": beat.beat_at.isoformat() if beat else None}
    return jsonify(status="ok" if db_ok and worker_ok else "degraded", database={"ok": db_ok}, worker=worker), 200
