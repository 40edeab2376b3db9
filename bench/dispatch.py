"""Benchmark: 4,000 online deliveries due at the same minute, claimed and handed to a fake channel; prints JSON.

Run: python bench/dispatch.py [--pg URL]   (or PLANNER_BENCH_PG_URL)
Times planner.dispatch.dispatch_due (reconcile stale, expire late, claim in DISPATCH_BATCH_SIZE rounds,
hand over, record outcomes and audit entries) with the default settings, on a fresh SQLite file and
optionally a private PostgreSQL schema. The channel is an in-process fake registered for this run only,
so the figure is planner's own overhead. Repeated RUNS times (rows reset in between); median and max.
"""
from __future__ import annotations

import datetime as dt
import json
import statistics
import sys
import time as clock
from array import array
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import storage  # noqa: E402
from sqlalchemy import delete, func, select, update  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from planner import dispatch  # noqa: E402
from planner.channels import REGISTRY, Channel, Receipt  # noqa: E402
from planner.config import load_config  # noqa: E402
from planner.models import AuditEntry, Delivery, DeliveryStatus  # noqa: E402
from planner.operations.bulk import insert_placements  # noqa: E402

DELIVERIES, RUNS = 4000, 5
DUE = dt.datetime(2026, 5, 4, 1, 0, tzinfo=dt.timezone.utc)
VERSION_ID, MESSAGE_ID = 1000, 500


class BenchChannel(Channel):
    """An online channel that accepts everything at once and counts the hand-offs."""

    code, label, kind = "bench", "Kênh đo hiệu năng", "online"

    def __init__(self):
        self.calls = 0

    def validate(self, item):
        return []

    def render(self, item):
        return item.plain_text

    def deliver(self, item, target, settings, *, now, scheduled_at=None, reference=None):
        self.calls += 1
        return Receipt(external_id=f"{target.external_id}_{self.calls}")


def prepare(engine) -> None:
    """Targets, one approved version and DELIVERIES planned deliveries due at DUE."""
    targets = range(1, DELIVERIES + 1)
    storage.seed(engine, target_ids=targets, versions={VERSION_ID: MESSAGE_ID}, channel="bench")
    epoch = int(DUE.timestamp())
    columns = {"target_id": array("q", targets), "message_id": array("q", [VERSION_ID] * DELIVERIES),
               "session_start": array("q", [epoch] * DELIVERIES), "offset_s": array("q", [0] * DELIVERIES),
               "duration_s": array("q", [60] * DELIVERIES)}
    with Session(engine) as session:
        insert_placements(session, plan_id=storage.PLAN_ID, channel="bench", columns=columns,
                          reasons=[""] * DELIVERIES, now=DUE - dt.timedelta(days=1))
        session.commit()


def reset(engine) -> None:
    """Every delivery back to planned, audit emptied: the next run starts from the same state."""
    with Session(engine) as session:
        session.execute(update(Delivery).values(status=DeliveryStatus.PLANNED, claimed_by="", claimed_at=None,
                                                finished_at=None, external_id="", error=""))
        session.execute(delete(AuditEntry))
        session.commit()


def one_run(engine, channel: BenchChannel, settings: dict) -> float:
    """Seconds for one dispatch pass over the burst; checks every delivery was handed over once."""
    channel.calls = 0
    with Session(engine) as session:
        began = clock.perf_counter()
        counts = dispatch.dispatch_due(session, settings, now=DUE + dt.timedelta(seconds=30), worker_id="bench")
        elapsed = clock.perf_counter() - began
        delivered = session.scalar(select(func.count()).select_from(Delivery)
                                   .where(Delivery.status == DeliveryStatus.DELIVERED, Delivery.external_id != ""))
        audited = session.scalar(select(func.count()).select_from(AuditEntry))
    assert counts["claimed"] == counts["delivered"] == channel.calls == delivered == audited == DELIVERIES, counts
    return elapsed


def measure(engine, channel: BenchChannel, settings: dict) -> dict:
    prepare(engine)
    times = []
    for _ in range(RUNS):
        reset(engine)
        times.append(one_run(engine, channel, settings))
    return {"dispatch_seconds_median": round(statistics.median(times), 3), "dispatch_seconds_max": round(max(times), 3),
            "runs": [round(t, 3) for t in times]}


def main() -> None:
    settings = load_config()
    channel = BenchChannel()
    REGISTRY["bench"] = channel      # this process only
    figures = {"deliveries": DELIVERIES, "batch_size": settings["DISPATCH_BATCH_SIZE"]}
    with storage.sqlite_engine(name="dispatch.db") as engine:
        figures["sqlite"] = measure(engine, channel, settings)
    pg_url = storage.pg_url_from(sys.argv)
    if pg_url:
        with storage.pg_engine(pg_url) as engine:
            figures["postgresql"] = measure(engine, channel, settings)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
