"""The worker tick: an adapter failing in an unexpected way leaves no stranded claim and no secret in the log."""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select

from planner.channels import REGISTRY
from planner.db import utcnow
from planner.models import Delivery, DeliveryStatus
from planner.worker import tick
from tests.app import factories as f


def test_unexpected_adapter_error_becomes_unknown_without_leaking_its_text(app, demo, db, monkeypatch, caplog):
    fanpage = REGISTRY["fanpage"]

    def explode(*_args, **_kwargs):
        raise ValueError("Invalid header value b'SECRET-TOKEN\\r'")

    monkeypatch.setattr(fanpage, "deliver", explode)
    target = db.scalar(select(f.Target).where(f.Target.code == "fanpage-bhxh-vn"))
    msg = f.message(db, "bhxh-2728-2023", "fb-1-3-loi-ich-nguoi-dan")
    delivery = f.occurrence(db, target=target, msg=msg, at=utcnow() - dt.timedelta(seconds=20))
    with caplog.at_level(logging.INFO):
        result = tick(app.extensions["planner_db"], app.config, instance_path=app.instance_path, worker_id="w")
    assert result["unknown"] == 1
    db.expire_all()
    row = db.get(Delivery, delivery.id)
    assert row.status is DeliveryStatus.UNKNOWN and "ValueError" in row.error and "SECRET" not in row.error
    assert "SECRET-TOKEN" not in caplog.text


def test_worker_log_drops_apschedulers_skip_notice_for_a_long_job_but_keeps_other_warnings():
    """Long work still running at its next interval is by design; a missed run is still worth a warning."""
    import logging

    from planner.worker import _QuietSkips

    def record(msg, *args):
        return logging.LogRecord("apscheduler.scheduler", logging.WARNING, __file__, 1, msg, args, None)

    quiet = _QuietSkips()
    assert not quiet.filter(record("Execution of job %r skipped: maximum number of running instances reached (%d)",
                                   "long-work", 1))
    assert quiet.filter(record('Run time of job "%s" was missed by %s', "dispatch", "0:00:31"))
