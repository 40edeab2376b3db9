"""The worker process: an APScheduler 3.x heartbeat that dispatches due deliveries. Never in web workers."""
from __future__ import annotations

import logging
import os
import socket
from pathlib import Path

from planner.db import Database, utcnow
from planner.models import WorkerHeartbeat

log = logging.getLogger(__name__)


def tick(db: Database, settings: dict, *, instance_path: str, worker_id: str, now=None) -> dict:
    """One heartbeat: record liveness, mark missed broadcasts, expire/claim/deliver online posts, render reports."""
    from planner import dispatch
    from planner.operations.delivery import mark_missed
    from planner.operations.idempotency import purge_expired_keys
    from planner.operations.reporting import render_queued_reports
    from planner.operations.repairs import replace_missed_deliveries
    from planner.operations.schedule import run_queued_schedules

    now = now or utcnow()
    session = db.session()
    try:
        beat = session.get(WorkerHeartbeat, worker_id) or WorkerHeartbeat(name=worker_id, beat_at=now)
        beat.beat_at, beat.pid = now, os.getpid()
        session.add(beat)
        missed = mark_missed(session, now=now)
        replaced = replace_missed_deliveries(session, now=now, settings=settings) if missed else 0
        purge_expired_keys(session, now=now, ttl_hours=settings.get("IDEMPOTENCY_KEY_HOURS", 24))
        session.commit()
        counts = dispatch.dispatch_due(session, settings, now=now, worker_id=worker_id)
        reports = render_queued_reports(session, now=now,
                                        directory=Path(instance_path) / settings["REPORT_DIR"])
        runs = run_queued_schedules(session, now=now, settings=settings)
        return {"missed": missed, "replaced": replaced, **counts, "reports": reports,
                "schedule_runs": runs}
    finally:
        session.close()


class RedactSecrets(logging.Filter):
    """Replace configured secrets (tokens, keys) in log records, tracebacks included, with ***."""

    def __init__(self, secrets: list[str]):
        super().__init__()
        self.secrets = sorted(set(secrets), key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info, record.exc_text = None, None
        for secret in self.secrets:
            text = text.replace(secret, "***")
        record.msg, record.args = text, ()
        return True


def install_redaction(settings: dict) -> None:
    """Attach the redacting filter to every root handler (call after logging is configured)."""
    from planner.config import secret_values

    redact = RedactSecrets(secret_values(settings))
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)


def run_worker(app) -> None:
    """Block, ticking every WORKER_INTERVAL_SECONDS until interrupted."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    settings = dict(app.config)
    install_redaction(settings)
    db: Database = app.extensions["planner_db"]
    worker_id = f"{socket.gethostname()}:{os.getpid()}"

    def _tick():
        try:
            result = tick(db, settings, instance_path=app.instance_path, worker_id=worker_id)
            if any(result.values()):
                log.info("worker tick: %s", result)
        except Exception:  # noqa: BLE001 — keep ticking; the next tick retries from the database
            log.exception("worker tick failed")

    scheduler = BlockingScheduler(timezone="UTC")
    # One dispatcher job; coalesce missed runs and allow generous grace so a slow tick is not skipped.
    scheduler.add_job(_tick, "interval", seconds=settings["WORKER_INTERVAL_SECONDS"], id="heartbeat",
                      coalesce=True, max_instances=1, misfire_grace_time=300, next_run_time=utcnow())
    log.info("worker %s started, tick every %ss", worker_id, settings["WORKER_INTERVAL_SECONDS"])
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
