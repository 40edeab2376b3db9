"""GET /healthz: 200 when the database answers and the worker beats, else 503 naming what is down."""
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
        beat = session.scalars(select(WorkerHeartbeat).order_by(WorkerHeartbeat.beat_at.desc())).first()
    except Exception:  # noqa: BLE001 — any failure means "not alive"; details stay in the log
        current_app.logger.exception("healthz: database check failed")
        session.rollback()
        return _answer(database={"ok": False}, worker={"ok": None, "last_beat_at": None})
    stale = dt.timedelta(seconds=current_app.config["WORKER_STALE_SECONDS"])
    worker_ok = beat is not None and utcnow() - beat.beat_at <= stale
    return _answer(database={"ok": True},
                   worker={"ok": worker_ok, "last_beat_at": beat.beat_at.isoformat() if beat else None})


def _answer(**parts):
    down = [name for name, part in parts.items() if part["ok"] is False]
    messages = {"database": "Không kết nối được cơ sở dữ liệu.",
                "worker": "Worker không hoạt động (không có nhịp tim gần đây): bài đăng sẽ không được gửi."}
    response = jsonify(status="down" if down else "ok", down=down, problems=[messages[d] for d in down], **parts)
    response.status_code = 503 if down else 200
    response.headers["Cache-Control"] = "no-store"
    return response
