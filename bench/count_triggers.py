"""Benchmark: what the counting triggers cost a schedule's persistence; prints JSON.

Run: python bench/count_triggers.py [--small] [--pg URL]

The same placements (full: 2,000 targets × 100 sessions = 200,000; --small: 20,000) are written with
insert_placements into fresh tables twice, with the activity-count triggers and with them dropped;
then one Core UPDATE sets every delivery's status (as marking a day missed does), with and without.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import contextlib  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import time as clock  # noqa: E402
from array import array  # noqa: E402

import storage  # noqa: E402
from sqlalchemy import update  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from planner.count_triggers import drop_triggers  # noqa: E402
from planner.models import Delivery, DeliveryStatus  # noqa: E402
from planner.operations.bulk import insert_placements  # noqa: E402

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def columns(targets: int, sessions: int) -> tuple[dict, list[str]]:
    start = int(NOW.timestamp())
    tids = array("q", [t + 1 for t in range(targets)] * sessions)
    starts = array("q", [start + 43_200 * s for s in range(sessions) for _ in range(targets)])
    n = len(tids)
    return ({"target_id": tids, "message_id": array("q", [1 + i % 4 for i in range(n)]), "session_start": starts,
             "offset_s": array("q", [0] * n), "duration_s": array("q", [60] * n)}, [""] * n)


def run(engine, cols, reasons, *, triggers: bool) -> dict:
    storage.seed(engine, target_ids=range(1, len(set(cols["target_id"])) + 1), versions={v: v for v in range(1, 5)})
    if not triggers:
        with engine.begin() as conn:
            drop_triggers(conn)
    with Session(engine) as session:
        began = clock.perf_counter()
        insert_placements(session, plan_id=storage.PLAN_ID, channel="loudspeaker", columns=cols, reasons=reasons,
                          now=NOW)
        session.commit()
        insert_s = clock.perf_counter() - began
        began = clock.perf_counter()
        session.execute(update(Delivery).values(status=DeliveryStatus.MISSED))
        session.commit()
        update_s = clock.perf_counter() - began
    return {"insert_seconds": round(insert_s, 2), "update_seconds": round(update_s, 2)}


def compare(make_engine) -> dict:
    out = {}
    for triggers in (True, False):
        with make_engine() as engine:
            out["with_triggers" if triggers else "without"] = run(engine, *CASE, triggers=triggers)
    out["insert_ratio"] = round(out["with_triggers"]["insert_seconds"] / out["without"]["insert_seconds"], 2)
    out["update_ratio"] = round(out["with_triggers"]["update_seconds"] / out["without"]["update_seconds"], 2)
    return out


CASE = columns(2000, 10 if "--small" in sys.argv else 100)


def main() -> dict:
    figures = {"placements": len(CASE[1]), "sqlite": compare(storage.sqlite_engine)}
    pg_url = storage.pg_url_from(sys.argv)
    if pg_url:
        figures["postgresql"] = compare(lambda: storage.pg_engine(pg_url))
    return figures


if __name__ == "__main__":
    with contextlib.redirect_stdout(sys.stderr):
        result = main()
    print(json.dumps(result))
