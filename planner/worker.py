"""The worker process: APScheduler 3.x runs the jobs of worker_jobs.py side by side. Never in web workers.

Each job (dispatch, long work, housekeeping) has its own single-thread executor, max_instances=1 and
coalescing, so a 40-second generation runs beside the dispatch ticks instead of delaying them.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time

from sqlalchemy.exc import OperationalError

from planner.db import Database, utcnow
from planner.models import WorkerHeartbeat
from planner.worker_jobs import dispatch_tick, housekeeping_tick, long_work_tick, tell_people, tick  # noqa: F401

log = logging.getLogger(__name__)


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


def _is_busy(exc) -> bool:
    text = str(getattr(exc, "orig", exc))
    return "database is locked" in text or "database is busy" in text


class _Job:
    """One scheduled job: skipped once stopping; `wait_idle` waits for its current run to end."""

    def __init__(self, name: str, run, stop: threading.Event):
        self.name, self.run, self.stop = name, run, stop
        self.busy = threading.Lock()

    def __call__(self) -> None:
        if self.stop.is_set():
            return
        with self.busy:
            try:
                result = self.run()
                if any(result.values()):
                    log.info("worker %s: %s", self.name, result)
            except OperationalError as exc:
                if not _is_busy(exc):
                    log.exception("worker %s failed", self.name)
                else:   # SQLite: another job holds the one write lock (or moved the snapshot); next interval
                    log.warning("worker %s: database busy, retried at the next interval", self.name)
            except Exception:  # noqa: BLE001 — keep ticking; the next run retries from the database
                log.exception("worker %s failed", self.name)

    def wait_idle(self, seconds: float) -> bool:
        """True once the running call (if any) has ended, False if still running after `seconds`."""
        if self.busy.acquire(timeout=seconds):
            self.busy.release()
            return True
        return False


# Seconds each job may take to end after SIGTERM. Dispatch stops handing posts over at once and gives
# back the claims it has not used, so its wait is only the call in flight; a generation cut short is
# rolled back with its transaction and stays queued for the next worker. On SQLite a generation still
# writing (or recomputing under the lock) holds the one write lock, so the other jobs may not end
# either: they get BLOCKED_WAIT_SECONDS (a claim left unrecorded is reconciled as after a crash).
STOP_WAIT_SECONDS = {"long-work": 3.0, "dispatch": 60.0, "housekeeping": 15.0}
BLOCKED_WAIT_SECONDS = 2.0


def _wait_for_jobs(jobs: list[_Job], engine_name: str) -> list[str]:
    """Names of the jobs still running once their stop waits are over (long work first)."""
    stuck: list[str] = []
    blocked_until = None
    for job in sorted(jobs, key=lambda j: list(STOP_WAIT_SECONDS).index(j.name)):
        wait = STOP_WAIT_SECONDS[job.name]
        if engine_name == "sqlite" and "long-work" in stuck:    # all blocked behind it: one short wait for all
            blocked_until = blocked_until or time.monotonic() + BLOCKED_WAIT_SECONDS
            wait = max(0.0, blocked_until - time.monotonic())
        if not job.wait_idle(wait):
            stuck.append(job.name)
    return stuck


def worker_jobs(db: Database, settings: dict, *, instance_path: str, worker_id: str,
                stop: threading.Event) -> list[_Job]:
    """The worker's jobs, bound to this process's database, identity and stop event."""
    return [
        _Job("dispatch", lambda: dispatch_tick(db, settings, worker_id=worker_id, stop=stop), stop),
        _Job("long-work", lambda: long_work_tick(db, settings, instance_path=instance_path, stop=stop), stop),
        _Job("housekeeping", lambda: housekeeping_tick(db, settings), stop),
    ]


def _forget_quickly(url: str, worker_id: str) -> None:
    """forget_beat while a job may hold SQLite's write lock: wait a second at most, else let it age out."""
    quick = Database(url, busy_timeout=1.0)
    try:
        forget_beat(quick, worker_id)
    except Exception:  # noqa: BLE001 — /healthz shows the worker down after WORKER_STALE_SECONDS anyway
        log.warning("worker %s: heartbeat not removed (database busy)", worker_id)
    finally:
        quick.engine.dispose()


class _QuietSkips(logging.Filter):
    """A long job still running at its next interval is expected (it is one at a time on purpose): not a warning."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances" not in record.getMessage()


def run_worker(app) -> None:
    """Run the jobs every WORKER_INTERVAL_SECONDS until SIGTERM/SIGINT; then let the dispatch batch end
    (unused claims given back), give long work a few seconds to reach a safe point, and stop."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler

    settings = dict(app.config)
    install_redaction(settings)
    logging.getLogger("apscheduler.scheduler").addFilter(_QuietSkips())
    # The worker may wait longer for the SQLite lock than a web request (nobody is waiting on it).
    db = Database(settings["DATABASE_URL"], busy_timeout=30.0)
    worker_id = f"{socket.gethostname()}:{os.getpid()}"
    stop = threading.Event()
    jobs = worker_jobs(db, settings, instance_path=app.instance_path, worker_id=worker_id, stop=stop)
    scheduler = BackgroundScheduler(timezone="UTC", executors={job.name: ThreadPoolExecutor(1) for job in jobs})
    for job in jobs:    # coalesce missed runs; generous grace so a slow run is not skipped
        scheduler.add_job(job, "interval", seconds=settings["WORKER_INTERVAL_SECONDS"], id=job.name,
                          executor=job.name, coalesce=True, max_instances=1, misfire_grace_time=300,
                          next_run_time=utcnow())
    heartbeat = Heartbeat(db, worker_id, min(float(settings["WORKER_INTERVAL_SECONDS"]), 15.0))

    def _stop(signum, _frame):
        log.info("worker %s: signal %s, finishing the current batch and stopping", worker_id, signum)
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _stop)
    heartbeat.start()
    scheduler.start()
    log.info("worker %s started, jobs every %ss", worker_id, settings["WORKER_INTERVAL_SECONDS"])
    while not stop.wait(1.0):
        pass
    scheduler.shutdown(wait=False)
    stuck = _wait_for_jobs(jobs, db.engine.dialect.name)
    heartbeat.stopped.set()
    heartbeat.join(timeout=1 if stuck else 5)     # a daemon thread: it may be waiting for SQLite's lock
    if stuck:   # their transactions are rolled back when the process ends; a claimed run stays queued
        _forget_quickly(settings["DATABASE_URL"], worker_id)
        log.warning("worker %s stopped while %s was still running; it is rolled back and stays queued",
                    worker_id, ", ".join(stuck))
        logging.shutdown()
        os._exit(0)     # the executor's thread would otherwise be joined at exit
    forget_beat(db, worker_id)
    from planner import print_pool

    print_pool.shutdown()  # the roster render processes, if a batch started them
    db.engine.dispose()
    log.info("worker %s stopped", worker_id)
