"""Concurrent schedule generations (threads with their own sessions, a file database or PostgreSQL):
one generation per plan × channel at a time, so N at once leave exactly one run's placements."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from planner import localtime
from planner.db import utcnow
from planner.models import Occurrence, RunStatus, ScheduleRun, Unit
from planner.operations.generation_lock import lock_generation
from planner.operations.schedule import ScheduleBusy, run_queued_schedules, start_schedule
from tests.app import factories as f
from tests.conftest import PG_URL


@pytest.fixture()
def database_url(tmp_path):
    """Threads need separate connections: PostgreSQL when configured, else a SQLite file (not :memory:)."""
    return PG_URL or f"sqlite:///{tmp_path / 'concurrency.db'}"


def _ids(db):
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    unit = db.scalar(select(Unit).where(Unit.code == "xa-ngoc-lac"))
    return plan.id, unit.id, f.user(db, "vanhoa").id


def _in_threads(n, work):
    """Run work(i) in n threads released together; returns their results (exceptions included)."""
    barrier, results = threading.Barrier(n), [None] * n

    def runner(i):
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 — the test inspects what each thread got
            results[i] = exc

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def _generate_in_own_session(app, plan_id, unit_id, user_id, days=14):
    start = localtime.today(utcnow()) + dt.timedelta(days=1)
    session = app.extensions["planner_db"].session()
    try:
        from planner.models import Plan, User

        run = start_schedule(session, session.get(Plan, plan_id), unit=session.get(Unit, unit_id),
                             channel="loudspeaker", start=start, end=start + dt.timedelta(days=days - 1),
                             now=utcnow(), settings=app.config, user=session.get(User, user_id))
        session.commit()
        return run.id
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def test_four_generations_at_once_leave_exactly_one_runs_placements(app, demo):
    app.config["SCHEDULE_LOCK_WAIT_SECONDS"] = 60    # here: each waits its turn, then replaces the previous
    plan_id, unit_id, user_id = _ids(demo)
    results = _in_threads(4, lambda _i: _generate_in_own_session(app, plan_id, unit_id, user_id))
    assert all(isinstance(r, int) for r in results), results
    demo.expire_all()
    runs = demo.scalars(select(ScheduleRun)).all()
    assert len(runs) == 4 and all(r.status is RunStatus.DONE for r in runs)
    assert runs[0].placed > 0 and all(r.placed == runs[0].placed for r in runs)
    # One ran first on an empty schedule; each of the others waited and replaced its predecessor's placements.
    assert sorted(r.removed for r in runs) == [0] + [runs[0].placed] * 3
    assert demo.scalar(select(func.count()).select_from(Occurrence)) == runs[0].placed


def test_a_generation_is_told_another_one_runs_when_the_lock_stays_taken(app, demo):
    app.config["SCHEDULE_LOCK_WAIT_SECONDS"] = 0.3
    plan_id, unit_id, user_id = _ids(demo)
    holder = app.extensions["planner_db"].session()
    try:
        assert lock_generation(holder, plan_id, "loudspeaker", now=utcnow(), wait_seconds=1)
        with pytest.raises(ScheduleBusy, match="đang được lập lịch"):
            _generate_in_own_session(app, plan_id, unit_id, user_id)
        other_channel = app.extensions["planner_db"].session()
        if PG_URL:      # PostgreSQL locks per plan × channel; SQLite has one writer for the whole file
            assert lock_generation(other_channel, plan_id, "fanpage", now=utcnow(), wait_seconds=1)
        other_channel.rollback()
        other_channel.close()
    finally:
        holder.rollback()
        holder.close()
    assert isinstance(_generate_in_own_session(app, plan_id, unit_id, user_id), int)


def test_a_second_request_is_refused_while_a_run_of_the_plan_is_queued(app, demo):
    app.config["SCHEDULE_INLINE_MAX_TARGETS"] = 10
    plan_id, unit_id, user_id = _ids(demo)
    first = _generate_in_own_session(app, plan_id, unit_id, user_id)
    village = demo.scalar(select(Unit).where(Unit.code == "thon-07"))
    with pytest.raises(ScheduleBusy, match="đang chờ xử lý") as refused:
        _generate_in_own_session(app, plan_id, village.id, user_id)
    assert refused.value.run_id == first
    assert demo.scalar(select(func.count()).select_from(ScheduleRun)) == 1


def test_two_workers_run_a_queued_generation_once(app, demo):
    app.config["SCHEDULE_INLINE_MAX_TARGETS"] = 10
    app.config["SCHEDULE_LOCK_WAIT_SECONDS"] = 60
    plan_id, unit_id, user_id = _ids(demo)
    run_id = _generate_in_own_session(app, plan_id, unit_id, user_id)

    def worker(_i):
        session = app.extensions["planner_db"].session()
        try:
            return run_queued_schedules(session, now=utcnow(), settings=app.config)
        finally:
            session.close()

    assert sorted(_in_threads(2, worker)) == [0, 1]
    demo.expire_all()
    run = demo.get(ScheduleRun, run_id)
    assert run.status is RunStatus.DONE and run.placed > 0
    assert demo.scalar(select(func.count()).select_from(Occurrence)) == run.placed


def test_a_queued_run_that_breaks_is_marked_failed_and_the_queue_goes_on(app, demo, monkeypatch):
    import planner.operations.schedule as schedule_ops

    app.config["SCHEDULE_INLINE_MAX_TARGETS"] = 10
    plan_id, unit_id, user_id = _ids(demo)
    run_id = _generate_in_own_session(app, plan_id, unit_id, user_id)

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(schedule_ops, "schedule_plan", broken)
    session = app.extensions["planner_db"].session()
    try:
        assert run_queued_schedules(session, now=utcnow(), settings=app.config) == 1
    finally:
        session.close()
    demo.expire_all()
    run = demo.get(ScheduleRun, run_id)
    assert run.status is RunStatus.FAILED and "Lỗi hệ thống" in run.error
    assert demo.scalar(select(func.count()).select_from(Occurrence)) == 0
