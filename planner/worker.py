"""The worker process: an APScheduler 3.x heartbeat that dispatches due deliveries. Never in web workers."""
from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from pathlib import Path

from planner.db import Database, utcnow
from planner.models import WorkerHeartbeat

log = logging.getLogger(__name__)


def tick(db: Database, settings: dict, *, instance_path: str, worker_id: str, now=None) -> dict:
    """One heartbeat: record liveness, mark missed broadcasts, expire/claim/deliver online posts, render reports."""
    from planner import dispatch
    from planner.auth import prune_expired
    from planner.operations.delivery import mark_missed
    from planner.operations.print_proofs import render_queued_proofs
    from planner.operations.idempotency import purge_expired_keys
    from planner.operations.reporting import render_queued_reports
    from planner.operations.repairs import replace_missed_deliveries
    from planner.operations.roster_batches import render_queued_batches
    from planner.operations.schedule import run_queued_schedules

    now = now or utcnow()
    beat(db, worker_id, now=now)
    session = db.session()
    try:
        prune_expired(session, now=now, settings=settings)
        missed = mark_missed(session, now=now)
        replaced = replace_missed_deliveries(session, now=now, settings=settings) if missed else 0
        purge_expired_keys(session, now=now, ttl_hours=settings.get("IDEMPOTENCY_KEY_HOURS", 24))
        session.commit()
        counts = dispatch.dispatch_due(session, settings, now=now, worker_id=worker_id)
        reports = render_queued_reports(session, now=now,
                                        directory=Path(instance_path) / settings["REPORT_DIR"])
        runs = run_queued_schedules(session, now=now, settings=settings)
        proofs = render_queued_proofs(session, now=now, directory=Path(instance_path) / settings["PRINT_DIR"])
        rosters = render_queued_batches(session, now=now, settings=settings,
                                        directory=Path(instance_path) / settings["ROSTER_DIR"])
        notices = tell_people(session, settings, now=now)
        return {"missed": missed, "replaced": replaced, **counts, "reports": reports,
                "schedule_runs": runs, "print_proofs": proofs, "roster_batches": rosters, **notices}
    finally:
        session.close()


_DUE_SYNCED_ON: dict[int, object] = {}


def tell_people(session, settings: dict, *, now) -> dict:
    """Notify officers of this tick's failed/unknown/missed deliveries and of reports due soon; send e-mails."""
    from planner import mailer
    from planner.operations import notify_events

    from planner.localtime import today

    problems = notify_events.delivery_problems(session, now=now)
    sync = _DUE_SYNCED_ON.get(id(session.bind)) != today(now)  # creating due items: once a day is enough
    due = notify_events.reports_due(session, now=now, sync=sync)
    _DUE_SYNCED_ON[id(session.bind)] = today(now)
    session.commit()
    return {"notified": problems + due, **mailer.send_outbox(session, settings, now=now)}


def beat(db: Database, worker_id: str, *, now=None) -> None:
    """Record that this worker process is alive (its own short transaction)."""
    from sqlalchemy.exc import IntegrityError

    now = now or utcnow()
    session = db.session()
    try:
        for attempt in (1, 2):  # the heartbeat thread and the tick may both write the first beat
            row = session.get(WorkerHeartbeat, worker_id) or WorkerHeartbeat(name=worker_id, beat_at=now)
            row.beat_at, row.pid = now, os.getpid()
            session.add(row)
            try:
                session.commit()
                return
            except IntegrityError:
                session.rollback()
                if attempt == 2:
                    raise
    finally:
        session.close()


def forget_beat(db: Database, worker_id: str) -> None:
    """A worker that stops on purpose says so at once (/healthz shows it down without waiting)."""
    session = db.session()
    try:
        session.query(WorkerHeartbeat).filter(WorkerHeartbeat.name == worker_id).delete()
        session.commit()
    finally:
        session.close()


class Heartbeat(threading.Thread):
    """Beats every `interval` seconds from its own thread, so a tick stuck on a slow platform call
    does not make the worker look dead."""

    def __init__(self, db: Database, worker_id: str, interval: float):
        super().__init__(name="planner-heartbeat", daemon=True)
        self.db, self.worker_id, self.interval = db, worker_id, interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while True:
            try:
                beat(self.db, self.worker_id)
            except Exception:  # noqa: BLE001 — a busy database now is retried at the next beat
                log.warning("heartbeat not recorded", exc_info=True)
            if self.stopped.wait(self.interval):
                return


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
    """Block, ticking every WORKER_INTERVAL_SECONDS until SIGTERM/SIGINT; then finish the running tick and stop."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    settings = dict(app.config)
    install_redaction(settings)
    # The worker may wait longer for the SQLite lock than a web request (nobody is waiting on it).
    db = Database(settings["DATABASE_URL"], busy_timeout=30.0)
    worker_id = f"{socket.gethostname()}:{os.getpid()}"
    running = threading.Lock()

    def _tick():
        with running:
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
    heartbeat = Heartbeat(db, worker_id, min(float(settings["WORKER_INTERVAL_SECONDS"]), 15.0))

    def _stop(signum, _frame):
        log.info("worker %s: signal %s, finishing the current batch and stopping", worker_id, signum)
        if scheduler.running:
            scheduler.shutdown(wait=False)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _stop)
    heartbeat.start()
    log.info("worker %s started, tick every %ss", worker_id, settings["WORKER_INTERVAL_SECONDS"])
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        with running:  # the claimed batch is delivered and its outcomes recorded before the process ends
            heartbeat.stopped.set()
        heartbeat.join(timeout=5)
        forget_beat(db, worker_id)
        db.engine.dispose()
        log.info("worker %s stopped", worker_id)
