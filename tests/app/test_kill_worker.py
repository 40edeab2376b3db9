"""kill -9 of a real worker process mid-burst: afterwards no post waits for a person and none is doubled.

The worker runs in a subprocess against a SQLite file and a slow fake Graph server; it is killed with
SIGKILL once part of the burst has been received. The posts it had claimed become unknown, the next
worker looks them up on the pages, and sends only those that never arrived.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from planner import create_app, dispatch
from planner.channels.marker import find_markers
from planner.db import Base
from planner.fake_platforms import FakePlatforms
from planner.models import Delivery, DeliveryStatus
from tests.app.test_rate_limits import DUE, PAGES, _posts

WORKER = """
import datetime as dt, json, sys
from planner import create_app, dispatch
config = json.loads(sys.argv[1])
app = create_app(config)
session = app.extensions["planner_db"].session()
print("started", flush=True)
dispatch.dispatch_due(session, dict(app.config), now=dt.datetime.fromisoformat(sys.argv[2]), worker_id="doomed")
print("finished", flush=True)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_kill_9_mid_burst_leaves_nothing_for_a_person_and_posts_each_delivery_once(tmp_path):
    fake = FakePlatforms().start()
    config = {"DATABASE_URL": f"sqlite:///{tmp_path / 'kill.db'}", "SECRET_KEY": "test-secret", "TESTING": True,
              "FACEBOOK_GRAPH_URL": fake.url, "FACEBOOK_PAGE_TOKENS": {p: f"tok-{p}" for p in PAGES},
              "CHANNEL_TIMEOUT_SECONDS": 5, "DISPATCH_BATCH_SIZE": 500}
    os.environ["PLANNER_INSTANCE_PATH"] = str(tmp_path / "instance")
    app = create_app(config)
    Base.metadata.create_all(app.extensions["planner_db"].engine)
    db = app.extensions["planner_db"].session()
    try:
        ids = _posts(db, 30)
        everything = sorted(ids["111"] + ids["222"])
        fake.slow_down(0.05)
        worker = subprocess.Popen([sys.executable, "-c", WORKER, json.dumps(config), DUE.isoformat()],
                                  stdout=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while len(fake.posts) < 20 and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.01)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        fake.slow_down(0)
        sent = len(fake.posts)
        assert 20 <= sent < 60, "the kill did not land mid-burst"
        db.expire_all()
        left = db.scalars(select(Delivery.status).where(Delivery.id.in_(everything))).all()
        assert DeliveryStatus.DISPATCHED in left                   # claims the dead worker never settled

        settings = dict(app.config)
        first = dispatch.dispatch_due(db, settings, now=DUE + dt.timedelta(seconds=601), worker_id="next")
        assert first["stale"] == left.count(DeliveryStatus.DISPATCHED)
        second = dispatch.dispatch_due(db, settings, now=DUE + dt.timedelta(seconds=601 + 121), worker_id="next")
        db.expire_all()
        rows = db.scalars(select(Delivery).where(Delivery.id.in_(everything))).all()
        assert {r.status for r in rows} == {DeliveryStatus.DELIVERED}            # nobody has to check anything
        assert second["reconciled"] == first["stale"] and second["delivered"] == 60 - sent
        markers = sorted(m for p in fake.posts for m in find_markers(p["message"]))
        assert markers == everything                                            # each delivery posted once
    finally:
        db.close()
        fake.stop()
