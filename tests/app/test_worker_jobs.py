"""Long work runs beside the dispatch job: a due post is sent within one interval while a queued
generation (or other long work) is still running. Threads with their own sessions, as in the worker,
on a SQLite file or PostgreSQL."""
from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import func, select

from planner import localtime, scheduling
from planner.channels import REGISTRY, Receipt
from planner.db import utcnow
from planner.models import Delivery, DeliveryStatus, Occurrence, RunStatus, ScheduleRun, Unit, User
from planner.operations.schedule import start_schedule
from planner.worker_jobs import dispatch_tick, long_work_tick
from tests.app import factories as f
from tests.conftest import PG_URL

INTERVAL = 5.0


@pytest.fixture()
def database_url(tmp_path):
    """Threads need separate connections: PostgreSQL when configured, else a SQLite file (not :memory:)."""
    return PG_URL or f"sqlite:///{tmp_path / 'jobs.db'}"


@pytest.fixture()
def posted(monkeypatch):
    """The fanpage channel answers at once; the references it was given."""
    sent = []

    def deliver(item, target, settings, *, now, scheduled_at=None, reference=None, progress=None):
        sent.append(reference)
        return Receipt(external_id=f"{target.external_id}_{reference}")

    monkeypatch.setattr(REGISTRY["fanpage"], "deliver", deliver)
    return sent


def _due_post(db) -> int:
    target = db.scalar(select(f.Target).where(f.Target.code == "fanpage-bhxh-vn"))
    msg = f.message(db, "bhxh-2728-2023", "fb-1-3-loi-ich-nguoi-dan")
    return f.occurrence(db, target=target, msg=msg, at=utcnow() - dt.timedelta(seconds=20)).id


def _queue_generation(app, db) -> int:
    app.config["SCHEDULE_INLINE_MAX_TARGETS"] = 0      # every generation goes to the worker
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    start = localtime.today(utcnow()) + dt.timedelta(days=1)
    run = start_schedule(db, plan, unit=db.scalar(select(Unit).where(Unit.code == "xa-ngoc-lac")),
                         channel="loudspeaker", start=start, end=start + dt.timedelta(days=6), now=utcnow(),
                         settings=app.config, user=db.scalar(select(User).where(User.username == "vanhoa")))
    db.commit()
    assert run.status is RunStatus.QUEUED
    return run.id


def _blocking(monkeypatch, module, name):
    """Make module.name wait for `release` (after setting `entered`); returns (entered, release)."""
    entered, release, original = threading.Event(), threading.Event(), getattr(module, name)

    def slow(*args, **kwargs):
        entered.set()
        assert release.wait(60), "the test never released the long work"
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, slow)
    return entered, release


def _in_thread(work) -> tuple[threading.Thread, dict]:
    out: dict = {}

    def runner():
        began = time.monotonic()
        try:
            out["result"] = work()
        except Exception as exc:  # noqa: BLE001 — the test looks at it
            out["error"] = exc
        out["seconds"] = time.monotonic() - began

    thread = threading.Thread(target=runner, daemon=True)
    thread.start()
    return thread, out


def _dispatch(app):
    return dispatch_tick(app.extensions["planner_db"], app.config, worker_id="dispatcher")


def _long_work(app, now=None):
    return long_work_tick(app.extensions["planner_db"], app.config, instance_path=app.instance_path, now=now)


def test_due_post_is_dispatched_within_one_interval_while_a_queued_generation_runs(app, demo, posted,
                                                                                    monkeypatch):
    """On PostgreSQL the generation holds only its plan × channel lock; on SQLite it computes before
    taking the one write lock (operations/schedule.py _precompute)."""
    run_id = _queue_generation(app, demo)
    delivery_id = _due_post(demo)
    entered, release = _blocking(monkeypatch, scheduling, "build_schedule")
    long_thread, long_out = _in_thread(lambda: _long_work(app))
    try:
        assert entered.wait(30), "the generation never started"
        dispatch_thread, out = _in_thread(lambda: _dispatch(app))
        dispatch_thread.join(INTERVAL)
        assert not dispatch_thread.is_alive(), "dispatch waited for the generation"
        assert "error" not in out, out
        assert out["result"]["delivered"] == 1 and posted == [delivery_id]
        assert long_thread.is_alive()                                   # the generation is still running
    finally:
        release.set()
        long_thread.join(60)
    assert "error" not in long_out, long_out
    assert long_out["result"]["schedule_runs"] == 1
    demo.expire_all()
    assert demo.get(ScheduleRun, run_id).status is RunStatus.DONE
    assert demo.get(Delivery, delivery_id).status is DeliveryStatus.DELIVERED


@pytest.mark.skipif(bool(PG_URL), reason="PostgreSQL computes under its plan × channel lock")
def test_a_queued_run_computed_before_the_lock_is_redone_when_the_plan_changed_meanwhile(app, demo, monkeypatch):
    """SQLite computes a queued run before taking the write lock; a generation committed in between is seen."""
    from planner.operations import schedule

    run_id = _queue_generation(app, demo)
    original, inline = schedule._precompute, {}

    def precompute_then_someone_generates(session, run_id, **kwargs):
        done = original(session, run_id, **kwargs)
        other = app.extensions["planner_db"].session()
        try:
            run = other.get(ScheduleRun, run_id)
            outcome = schedule.schedule_plan(other, run.plan, unit=run.unit, channel=run.channel,
                                             start=run.first_day, end=run.last_day, now=utcnow(), settings=app.config)
            other.commit()
            inline["placed"] = outcome.placed
        finally:
            other.close()
        return done

    monkeypatch.setattr(schedule, "_precompute", precompute_then_someone_generates)
    assert _long_work(app)["schedule_runs"] == 1
    demo.expire_all()
    run = demo.get(ScheduleRun, run_id)
    assert run.status is RunStatus.DONE and inline["placed"] > 0
    assert run.removed == inline["placed"]                  # it replaced what the other generation placed
    assert demo.scalar(select(func.count()).select_from(Occurrence)) == run.placed


def _post_due_at(db, at) -> int:
    target = db.scalar(select(f.Target).where(f.Target.code == "fanpage-bhxh-vn"))
    msg = f.message(db, "bhxh-2728-2023", "fb-1-3-loi-ich-nguoi-dan")
    return f.occurrence(db, target=target, msg=msg, at=at).id


@pytest.mark.skipif(bool(PG_URL), reason="PostgreSQL writes a generation beside dispatch (no single write lock)")
def test_a_large_queued_write_waits_for_a_gap_between_due_posts_on_sqlite(app, demo, posted, login):
    """SQLite: a generation whose write would hold the one write lock over a due post waits (stays queued, with
    the reason on its page and in the API) while a small run queued after it goes ahead; it is written at the
    first tick after the post is sent."""
    app.config.update(SCHEDULE_SQLITE_SECONDS_PER_ROW=1.0, SCHEDULE_SQLITE_GAP_MIN_SECONDS=300)  # 7 days: "large"
    run_id = _queue_generation(app, demo)
    first = demo.get(ScheduleRun, run_id)
    small = ScheduleRun(plan_id=first.plan_id, unit_id=first.unit_id, channel="loudspeaker",
                        first_day=first.first_day, last_day=first.first_day, status=RunStatus.QUEUED,
                        created_at=utcnow())     # one day: under the threshold
    demo.add(small)
    post_id = _post_due_at(demo, utcnow() - dt.timedelta(seconds=20))     # due: the next dispatch tick sends it
    demo.commit()

    tick = utcnow()
    assert _long_work(app, now=tick)["schedule_runs"] == 1
    demo.expire_all()
    run = demo.get(ScheduleRun, run_id)
    assert run.status is RunStatus.QUEUED and run.not_before > tick
    assert run.note.startswith("Chờ ghi lịch sau khi đăng các bài đến hạn (bài đầu tiên lúc ")
    assert demo.get(ScheduleRun, small.id).status is RunStatus.DONE      # not held up behind it
    client = login("vanhoa")
    page = client.get(f"/plans/{run.plan_id}/schedule/runs/{run_id}")
    assert page.status_code == 200 and "Chờ ghi lịch sau khi đăng" in page.get_data(as_text=True)
    from planner.auth import issue_token

    token, _ = issue_token(demo, f.user(demo, "vanhoa"), now=utcnow(), hours=1)
    demo.commit()
    api = client.get(f"/api/v1/plans/{run.plan_id}/schedule-runs/{run_id}",
                     headers={"Authorization": f"Bearer {token}"}).get_json()
    assert api["status"] == "queued" and api["note"] == run.note

    assert _long_work(app, now=tick)["schedule_runs"] == 0              # not looked at again before not_before
    # The post is sent; the first tick after not_before finds the gap and writes.
    assert _dispatch(app)["delivered"] == 1 and posted == [post_id]
    assert _long_work(app, now=run.not_before + dt.timedelta(seconds=1))["schedule_runs"] == 1
    demo.expire_all()
    run = demo.get(ScheduleRun, run_id)
    assert run.status is RunStatus.DONE and run.placed > 0 and run.note == "" and run.not_before is None


@pytest.mark.skipif(bool(PG_URL), reason="PostgreSQL writes a generation beside dispatch (no single write lock)")
def test_a_waiting_write_goes_ahead_after_the_longest_wait_or_when_small(app, demo):
    """It never waits for ever (SCHEDULE_SQLITE_MAX_DEFER_SECONDS), and a small write (a commune's) never waits."""
    run_id = _queue_generation(app, demo)
    _post_due_at(demo, utcnow() + dt.timedelta(minutes=2))
    demo.commit()
    app.config.update(SCHEDULE_SQLITE_SECONDS_PER_ROW=1.0, SCHEDULE_SQLITE_MAX_DEFER_SECONDS=0)   # waited enough
    assert _long_work(app)["schedule_runs"] == 1
    demo.expire_all()
    assert demo.get(ScheduleRun, run_id).status is RunStatus.DONE

    app.config.update(SCHEDULE_SQLITE_SECONDS_PER_ROW=0.00003, SCHEDULE_SQLITE_MAX_DEFER_SECONDS=900)
    run_id = _queue_generation(app, demo)
    assert _long_work(app)["schedule_runs"] == 1
    demo.expire_all()
    assert demo.get(ScheduleRun, run_id).status is RunStatus.DONE


def test_slow_report_rendering_does_not_delay_a_due_post(app, demo, posted, monkeypatch):
    """Long work that holds no write lock (rendering) never delays dispatch, on either engine."""
    from planner.operations import reporting

    delivery_id = _due_post(demo)
    entered, release = _blocking(monkeypatch, reporting, "render_queued_reports")
    long_thread, _ = _in_thread(lambda: _long_work(app))
    try:
        assert entered.wait(30)
        dispatch_thread, out = _in_thread(lambda: _dispatch(app))
        dispatch_thread.join(INTERVAL)
        assert not dispatch_thread.is_alive() and "error" not in out, out
        assert out["result"]["delivered"] == 1 and posted == [delivery_id]
    finally:
        release.set()
        long_thread.join(60)


def test_long_work_stops_before_its_next_step_once_asked(app, demo, monkeypatch):
    run_id = _queue_generation(app, demo)
    stop = threading.Event()
    stop.set()
    counts = long_work_tick(app.extensions["planner_db"], app.config, instance_path=app.instance_path, stop=stop)
    assert counts == {"replaced": 0, "schedule_runs": 0, "reports": 0, "print_proofs": 0, "roster_batches": 0}
    demo.expire_all()
    assert demo.get(ScheduleRun, run_id).status is RunStatus.QUEUED     # left for the next worker


def test_missed_broadcasts_are_replaced_in_one_flush_not_one_per_row(app, demo):
    from sqlalchemy import event

    from planner.models import Target
    from planner.operations.delivery import mark_missed
    from planner.operations.repairs import replace_missed_deliveries

    plan = f.plan(demo, "ngoc-lac-asxh-2026")
    plan.is_replanning_missed = True
    demo.commit()
    msg = f.message(demo, "ngoc-lac-asxh-2026", "loa-loi-ich")
    yesterday = localtime.local_datetime(localtime.today(utcnow()) - dt.timedelta(days=1), dt.time(17, 0))
    targets = demo.scalars(select(Target).where(Target.channel == "loudspeaker").order_by(Target.id).limit(8)).all()
    for target in targets:
        f.occurrence(demo, target=target, msg=msg, at=yesterday)
    assert mark_missed(demo, now=utcnow()) == len(targets) == 8
    demo.commit()
    flushes = []
    event.listen(demo, "after_flush", lambda *_: flushes.append(1))
    assert replace_missed_deliveries(demo, now=utcnow(), settings=app.config) == 8
    demo.commit()
    assert len(flushes) <= 2


def test_a_run_whose_village_vanished_while_writing_fails_with_a_reason_and_writes_nothing(app, demo, monkeypatch):
    """bulk.py refuses a write naming a village, version or plan deleted meanwhile (MissingParent): the run says so
    in Vietnamese, keeps nothing, and the queue goes on."""
    from planner.operations import bulk

    def vanished(*args, **kwargs):
        raise bulk.MissingParent("occurrences.target_id: no targets row with id 987654")

    before = demo.scalar(select(func.count()).select_from(Occurrence))
    run_id = _queue_generation(app, demo)
    monkeypatch.setattr(bulk, "insert_placements", vanished)
    assert _long_work(app)["schedule_runs"] == 1
    demo.expire_all()
    run = demo.get(ScheduleRun, run_id)
    assert run.status is RunStatus.FAILED
    assert run.error.startswith("Một thôn, phiên bản tin hoặc kế hoạch đã bị xoá") and "987654" not in run.error
    assert demo.scalar(select(func.count()).select_from(Occurrence)) == before
