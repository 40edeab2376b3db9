"""Benchmark: the commune calendar (Ngọc Lặc, 42 villages) as `vanhoa` sees it; prints JSON.

Run: python bench/calendar_page.py [--pg URL] [--requests N]   (or PLANNER_BENCH_PG_URL)
Not named calendar.py: a script's directory comes first on sys.path, so that name would shadow the
standard library's `calendar` for every script in bench/.
Imports the real content library and schedules into a fresh database (tmp SQLite; a private
PostgreSQL schema with --pg), creates the demo users, generates the loudspeaker schedule of the
next calendar month with schedule_plan, then requests the month and the week calendar N times each
(default 50, after one warm-up) through the Flask test client; p50/p95/max in milliseconds.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import contextlib  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time as clock  # noqa: E402

import storage  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from planner.db import Base, utcnow  # noqa: E402
from planner.models import Occurrence, Plan, Unit  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-calendar-pw"
PLAN, COMMUNE, USER = "ngoc-lac-asxh-2026", "xa-ngoc-lac", "vanhoa"


def next_month(today: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the month after `today`'s."""
    first = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return first, (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def make_app(url: str, instance: str):
    """The real app on `url`, schema created, library imported, demo users made."""
    from planner import create_app
    from planner.operations.importing import import_paths

    os.environ["PLANNER_INSTANCE_PATH"] = instance
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-secret", "DEMO_PASSWORD": PASSWORD})
    db = app.extensions["planner_db"]
    Base.metadata.create_all(db.engine)
    with db.session() as session:
        import_paths(session, [ROOT / "content_library", ROOT / "schedules"], now=utcnow())
        session.commit()
    result = app.test_cli_runner().invoke(args=["users", "demo"])
    assert result.exit_code == 0, result.output
    return app


def generate(app, first: dt.date, last: dt.date) -> tuple[int, int, int]:
    """schedule_plan for the commune's loudspeakers over the month; returns (plan id, unit id, placements)."""
    from planner.operations.schedule import schedule_plan

    with app.extensions["planner_db"].session() as session:
        plan = session.scalar(select(Plan).where(Plan.code == PLAN))
        unit = session.scalar(select(Unit).where(Unit.code == COMMUNE))
        outcome = schedule_plan(session, plan, unit=unit, channel="loudspeaker", start=first, end=last,
                                now=utcnow(), settings=app.config)
        session.commit()
        assert outcome.targets == 42 and outcome.placed > 0, outcome
        assert session.scalar(select(func.count()).select_from(Occurrence)) == outcome.placed
        return plan.id, unit.id, outcome.placed


def logged_in(app):
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    resp = client.post("/login", data={"username": USER, "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302, resp.status_code
    return client


def timings(client, url: str, n: int) -> dict:
    """Warm up once, then n timed GETs; milliseconds."""
    assert client.get(url).status_code == 200
    times = []
    for _ in range(n):
        began = clock.perf_counter()
        resp = client.get(url)
        times.append((clock.perf_counter() - began) * 1000)
        assert resp.status_code == 200
    times.sort()
    return {"p50_ms": round(statistics.median(times), 1), "p95_ms": round(times[max(0, round(0.95 * n) - 1)], 1),
            "max_ms": round(times[-1], 1), "bytes": len(resp.data)}


def measure(url: str, n: int) -> dict:
    with tempfile.TemporaryDirectory() as instance:
        app = make_app(url, instance)
        first, last = next_month(dt.date.today())
        plan_id, unit_id, placed = generate(app, first, last)
        client = logged_in(app)
        base = f"/plans/{plan_id}/calendar?unit={unit_id}&channel=loudspeaker&date={first:%d/%m/%Y}"
        figures = {"month": f"{first:%m/%Y}", "placements": placed,
                   "month_view": timings(client, base + "&view=month", n),
                   "week_view": timings(client, base + "&view=week", n)}
        app.extensions["planner_db"].engine.dispose()
        return figures


def main() -> dict:
    n = int(sys.argv[sys.argv.index("--requests") + 1]) if "--requests" in sys.argv else 50
    figures = {"requests": n}
    with tempfile.TemporaryDirectory() as tmp:
        figures["sqlite"] = measure(f"sqlite:///{tmp}/calendar.db", n)
    pg_url = storage.pg_url_from(sys.argv)
    if pg_url:
        with storage.pg_schema(pg_url) as url:
            figures["postgresql"] = measure(url, n)
    return figures


if __name__ == "__main__":
    with contextlib.redirect_stdout(sys.stderr):    # stdout carries the JSON only
        result = main()
    print(json.dumps(result))
