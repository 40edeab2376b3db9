"""SIGTERM to a worker process: the dispatch batch ends with every claim settled or given back, and long
work stops at a safe point within seconds — a generation cut short stays queued for the next worker."""
from __future__ import annotations

import datetime as dt
import importlib.util
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from planner.channels.marker import find_markers
from planner.db import Database
from planner.fake_platforms import FakePlatforms
from planner.models import Delivery, DeliveryStatus, RunStatus, ScheduleRun
from planner.worker_jobs import long_work_tick
from tests.app.test_worker_jobs import _queue_generation
from tests.conftest import PG_URL

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGTERM"), reason="needs signals")


@pytest.fixture()
def database_url(tmp_path):
    """The worker subprocess needs the same database: PostgreSQL when configured, else a SQLite file."""
    return PG_URL or f"sqlite:///{tmp_path / 'stop.db'}"


def _harness():
    spec = importlib.util.spec_from_file_location("kill_harness", ROOT / "bench" / "kill_harness.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def test_sigterm_mid_burst_ends_the_batch_with_every_claim_settled_or_given_back(tmp_path):
    harness = _harness()
    url = PG_URL or f"sqlite:///{tmp_path / 'burst.db'}"
    db, fake, pages = Database(url), FakePlatforms().start(), ["111", "222"]
    try:
        ids = harness.seed(db, 200, pages)
        fake.slow_down(0.05)       # 200 posts would take 10 s
        env = harness.worker_env(url, fake, pages, str(tmp_path / "instance"), batch=200, stale=600)
        worker = harness.start_worker(env)
        try:
            _wait(lambda: len(fake.posts) >= 10, 60, "the burst")
            began = time.monotonic()
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=15) == 0
            assert time.monotonic() - began < 4
        finally:
            if worker.poll() is None:
                worker.kill()
        seen = Counter(m for p in fake.posts for m in find_markers(p["message"]))
        with db.session() as s:
            rows = dict(s.execute(select(Delivery.id, Delivery.status)).all())
        assert DeliveryStatus.DISPATCHED not in rows.values()              # nothing left claimed
        delivered = {i for i, status in rows.items() if status is DeliveryStatus.DELIVERED}
        assert delivered == set(seen) and max(seen.values()) == 1          # what went out is recorded, once
        assert {rows[i] for i in ids if i not in delivered} == {DeliveryStatus.PLANNED}   # the rest given back
        assert 10 <= len(delivered) < 200
    finally:
        fake.stop()
        db.engine.dispose()


SLOW_GENERATION = """
import pathlib, sys, time
import planner.scheduling as core
entered = pathlib.Path(sys.argv[1])
def slow(*args, **kwargs):
    entered.touch()
    time.sleep(120)
core.build_schedule = slow
sys.argv[1:] = ["worker"]
from planner.cli import main
main()
"""


def test_sigterm_during_a_generation_stops_within_seconds_and_leaves_the_run_queued(app, demo, tmp_path):
    run_id = _queue_generation(app, demo)
    entered = tmp_path / "generating"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PLANNER_DATABASE_URL": app.config["DATABASE_URL"],
           "PLANNER_SECRET_KEY": "s", "PLANNER_INSTANCE_PATH": str(tmp_path / "instance"),
           "PLANNER_WORKER_INTERVAL_SECONDS": "1", "PLANNER_SCHEDULE_INLINE_MAX_TARGETS": "0"}
    worker = subprocess.Popen([sys.executable, "-c", SLOW_GENERATION, str(entered)], env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait(entered.exists, 60, "the generation")
        began = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=20) == 0
        assert time.monotonic() - began < 8
        assert "rolled back and stays queued" in worker.stdout.read()
    finally:
        if worker.poll() is None:
            worker.kill()
    demo.expire_all()
    assert demo.get(ScheduleRun, run_id).status is RunStatus.QUEUED              # not "running" forever
    counts = long_work_tick(app.extensions["planner_db"], app.config, instance_path=app.instance_path,
                            now=dt.datetime.now(dt.timezone.utc))
    assert counts["schedule_runs"] == 1                                           # the next worker runs it
    demo.expire_all()
    run = demo.get(ScheduleRun, run_id)
    assert run.status is RunStatus.DONE and run.placed > 0
    assert demo.scalar(select(func.count()).select_from(Delivery)) >= run.placed
