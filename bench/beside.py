"""Benchmark: a queued province generation on SQLite beside the dispatch of due posts; prints JSON.

Run: python bench/beside.py [--small] [--days N]

SQLite has one writer, so while a generation writes a province half-year (the library plan's loudspeaker messages
at 4,000 villages: ≈ 0.93 M placements, ≈ 20 s) nothing else can write — not even the dispatcher's claim of a due
post. planner makes such a write wait for a gap between
due posts (operations/schedule.py `_posts_in_the_way`). This measures it as the worker runs it: one thread runs
the dispatch job, one the long-work job, each every WORKER_INTERVAL_SECONDS (1 s here), on a SQLite file holding
the library, 100 communes × 40 villages (--small: 10 × 40) and a queued generation of the whole province for
the next N days (default 183). Three Facebook posts fall due 8 s after the jobs start, inside the time its write
takes, and three more at 150 s; the fanpage channel is a stand-in that records when it was called.

Twice, each on a fresh file: with the wait (the default settings) and without it (SCHEDULE_SQLITE_GAP_MIN_SECONDS
set beyond any write). Per run: each post's lateness (when the channel was called minus its due time), when the
generation's write started and ended, and how long it waited. Target: no post later than one interval plus the
dispatch time (≤ 5 s) with the wait.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import datetime as dt  # noqa: E402
import json  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time as clock  # noqa: E402

from sqlalchemy import select  # noqa: E402

import pages  # noqa: E402
from planner.channels import REGISTRY, Receipt  # noqa: E402
from planner.db import Database, utcnow  # noqa: E402
from planner.operations import bulk  # noqa: E402

INTERVAL = 1
FIRST_POSTS_AFTER_S = 8      # inside the write of a province half-year (it starts ≈ 2 s after, takes ≈ 20 s)
LATER_POSTS_AFTER_S = 150    # after it
TIMEOUT_S = 900


def _setup(url: str, instance: str, *, communes: int, days: int):
    """The province (no schedule yet: build() generates one day only), then a queued half-year run."""
    from planner import create_app
    from planner.models import Plan, RunStatus, ScheduleRun, Unit
    from planner.operations.schedule import start_schedule

    pages.build(url, instance, communes=communes, villages=40, days=0)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": pages.SECRET, "DEMO_PASSWORD": pages.PASSWORD,
                      "WORKER_INTERVAL_SECONDS": INTERVAL, "SCHEDULE_INLINE_MAX_TARGETS": 0})
    db = app.extensions["planner_db"]
    with db.session() as session:
        plan = session.scalar(select(Plan).where(Plan.code == pages.PLAN))
        start = dt.date.today() + dt.timedelta(days=1)
        run = start_schedule(session, plan, unit=session.scalar(select(Unit).where(Unit.code == pages.PROVINCE)),
                             channel="loudspeaker", start=start, end=start + dt.timedelta(days=days - 1),
                             now=utcnow(), settings=app.config)
        session.commit()
        assert run.status is RunStatus.QUEUED
        run_id = run.id
    return app, run_id, ScheduleRun


def _posts(db: Database, t0: dt.datetime) -> list[int]:
    """Three posts due FIRST_POSTS_AFTER_S after t0 and three LATER_POSTS_AFTER_S after it."""
    from planner.models import Delivery, Message, Occurrence, OccurrenceSource, Plan, Target

    ids = []
    with db.session() as session:
        target = session.scalar(select(Target).where(Target.code == "fanpage-bhxh-vn"))
        msg = session.scalar(select(Message).join(Plan).where(Plan.code == "bhxh-2728-2023",
                                                              Message.code == "fb-1-3-loi-ich-nguoi-dan"))
        for after in (FIRST_POSTS_AFTER_S,) * 3 + (LATER_POSTS_AFTER_S,) * 3:
            at = t0 + dt.timedelta(seconds=after)
            occ = Occurrence(plan_id=msg.plan_id, message_version_id=msg.approved.id, target_id=target.id,
                             session_starts_at=at, starts_at=at, duration_seconds=60, is_pinned=False,
                             source=OccurrenceSource.AUTO)
            session.add(occ)
            session.flush()
            delivery = Delivery(occurrence_id=occ.id, channel=target.channel, due_at=at)
            session.add(delivery)
            session.flush()
            ids.append(delivery.id)
        session.commit()
    return ids


def _loop(name: str, work, stop: threading.Event, errors: list) -> threading.Thread:
    """Call work() every INTERVAL seconds, as the worker's APScheduler job does; a busy database is retried."""
    def run():
        while not stop.is_set():
            began = clock.monotonic()
            try:
                work()
            except Exception as exc:  # noqa: BLE001 — the worker logs it and tries at the next interval
                errors.append(f"{name}: {type(exc).__name__}: {str(exc)[:80]}")
            stop.wait(max(0.0, INTERVAL - (clock.monotonic() - began)))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def measure(*, communes: int, days: int, wait: bool) -> dict:
    from planner.models import Delivery, RunStatus
    from planner.worker_jobs import dispatch_tick, long_work_tick

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/beside.db"
        app, run_id, ScheduleRun = _setup(url, tmp, communes=communes, days=days)
        settings = dict(app.config)
        if not wait:
            settings["SCHEDULE_SQLITE_GAP_MIN_SECONDS"] = 10 ** 9
        db = Database(url, busy_timeout=30.0)     # as the worker opens it
        called: dict[str, float] = {}

        def deliver(item, target, settings, *, now, scheduled_at=None, reference=None, progress=None):
            called[int(reference)] = clock.time()
            return Receipt(external_id=f"{target.external_id}_{reference}")

        original = REGISTRY["fanpage"].deliver
        REGISTRY["fanpage"].deliver = deliver
        writes: dict[str, float] = {}
        insert = bulk.insert_placements

        def timed_insert(*args, **kwargs):      # the generation's write (it holds the lock until its commit)
            writes.setdefault("began", clock.time())
            return insert(*args, **kwargs)

        bulk.insert_placements = timed_insert

        t0 = utcnow()
        post_ids = _posts(db, t0)
        stop, errors = threading.Event(), []
        try:
            threads = [_loop("dispatch", lambda: dispatch_tick(db, settings, worker_id="bench-dispatch"), stop, errors),
                       _loop("long work", lambda: long_work_tick(db, settings, instance_path=tmp), stop, errors)]
            deadline = clock.monotonic() + TIMEOUT_S
            while clock.monotonic() < deadline:
                with db.session() as session:
                    done = session.get(ScheduleRun, run_id).status in (RunStatus.DONE, RunStatus.FAILED)
                if done:
                    writes.setdefault("committed", clock.time())     # seen within 0.5 s of its commit
                if done and len(called) == len(post_ids):
                    break
                clock.sleep(0.5)
        finally:
            stop.set()
            for thread in threads:
                thread.join(60)
            REGISTRY["fanpage"].deliver = original
            bulk.insert_placements = insert
        with db.session() as session:
            run = session.get(ScheduleRun, run_id)
            due = dict(session.execute(select(Delivery.id, Delivery.due_at).where(Delivery.id.in_(post_ids))).all())
            outcome = {"status": run.status.value, "placed": run.placed, "error": run.error}
        db.engine.dispose()
        app.extensions["planner_db"].engine.dispose()
    t0_s = t0.timestamp()
    late = {pid: round(called[pid] - due[pid].timestamp(), 1) if pid in called else None for pid in post_ids}
    return {"wait_for_gap": wait, "run": outcome,
            "write_began_s": round(writes["began"] - t0_s, 1) if "began" in writes else None,
            "write_committed_s": round(writes["committed"] - t0_s, 1) if "committed" in writes else None,
            "posts_due_s": [FIRST_POSTS_AFTER_S] * 3 + [LATER_POSTS_AFTER_S] * 3,
            "posts_late_s": list(late.values()),
            "max_late_s": max((v for v in late.values() if v is not None), default=None),
            "unsent": sum(v is None for v in late.values()), "busy_errors": len(errors), "errors": errors[:3]}


def main() -> None:
    communes = 10 if "--small" in sys.argv else 100
    days = int(sys.argv[sys.argv.index("--days") + 1]) if "--days" in sys.argv else 183
    figures = {"communes": communes, "villages": communes * 40, "days": days, "interval_s": INTERVAL,
               "runs": [measure(communes=communes, days=days, wait=True),
                        measure(communes=communes, days=days, wait=False)]}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
