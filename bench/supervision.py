"""Benchmark: the supervisor's drill-down at province, commune and village level under 4 concurrent clients,
and the province six-monthly report rendered by the worker; prints JSON.

Run: python bench/supervision.py [--small] [--pg URL] [--no-sqlite] [--reuse] [--requests N] [--seconds S]
(or PLANNER_BENCH_PG_URL). `--reuse` (PostgreSQL only) keeps the data set in schema `planner_bench_supervision`
between runs: the first run builds it, later runs only add missing indexes and measure.

Data set (fresh tmp SQLite, or a private PostgreSQL schema with --pg): the real library, then extra communes
with villages under Tỉnh Thanh Hóa (full: 100 × 40 = 4,000 villages beside Ngọc Lặc's 42; --small: 4 × 20),
the plan's loudspeaker schedule generated for all of them over the last half year (full: 182 days; --small: 28)
with outcomes written in bulk (1 in 7 missed, 1 in 23 failed, the rest delivered; 1 in 50 of the broadcasts
marked as a make-up of the one before), and weekly results of every village-level indicator for every village
(PostgreSQL is then ANALYZEd, as autovacuum would soon do). The results are inserted in bulk (Core), which bypasses
the session hook keeping `indicator_rollups`: they are computed once after (`rebuild_indicator_rollups`); a reused
data set missing a newer table gets it created and filled. The JSON records the load average before and after.
Then a server in its own process and 4 client threads: GET /api/v1/plans/{id}/dashboard (the drill-down) and
the dashboard page (drill-down + summary tables + charts) at each level, N requests in all per level.
Last, a six-monthly report of the province: requested (figures and narrative) and rendered to PDF as the
worker does (`render_queued_reports`), timed.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import contextlib  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402
import time as clock  # noqa: E402

import pages  # noqa: E402
import storage  # noqa: E402
from sqlalchemy import func, insert, select, text, update  # noqa: E402

from planner.db import utcnow  # noqa: E402

LEVELS = ("province", "commune", "village")


def add_outcomes_and_results(url: str, instance: str, ids: dict) -> dict:
    """Outcomes in bulk, some make-ups, weekly indicator results per village; returns sizes and timings."""
    from planner import create_app
    from planner.models import (ActivityCount, Delivery, DeliveryStatus, Indicator, IndicatorResult, Level, Occurrence,
                                ResultSource, Unit, UnitKind)

    os.environ["PLANNER_INSTANCE_PATH"] = instance
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": pages.SECRET})
    db = app.extensions["planner_db"]
    now = utcnow()
    with db.session() as session:
        began = clock.perf_counter()
        past = Delivery.due_at < now
        session.execute(update(Delivery).where(past, Delivery.id % 7 == 0).values(status=DeliveryStatus.MISSED))
        session.execute(update(Delivery).where(past, Delivery.id % 7 != 0, Delivery.id % 23 == 0)
                        .values(status=DeliveryStatus.FAILED, reason="Mất điện"))
        session.execute(update(Delivery).where(past, Delivery.id % 7 != 0, Delivery.id % 23 != 0)
                        .values(status=DeliveryStatus.DELIVERED))
        session.execute(update(Occurrence).where(Occurrence.id % 50 == 1, Occurrence.plan_id == ids["plan"])
                        .values(replaces_delivery_id=Occurrence.id - 1))
        session.commit()
        outcomes_s = clock.perf_counter() - began
        villages = list(session.scalars(select(Unit.id).where(Unit.kind == UnitKind.VILLAGE)))
        indicators = list(session.scalars(select(Indicator).where(Indicator.plan_id == ids["plan"],
                                                                  Indicator.level == Level.VILLAGE)))
        today = dt.date.today()
        weeks = [today - dt.timedelta(days=7 * w) for w in range(ids["days"] // 7, -1, -1)]
        began, rows = clock.perf_counter(), 0
        for ind in indicators:
            batch = []
            for n, day in enumerate(weeks):
                for v in villages:
                    den = 200 + v % 50
                    batch.append({"indicator_id": ind.id, "unit_id": v, "measured_on": day, "denominator": den,
                                  "value": min(den, round(den * (n + 1 + v % 5) / (len(weeks) + 4))),
                                  "source": ResultSource.FORM, "created_at": now})
            for i in range(0, len(batch), 20_000):
                session.execute(insert(IndicatorResult), batch[i:i + 20_000])
            rows += len(batch)
        session.commit()
        results_s = clock.perf_counter() - began
        # A Core bulk insert bypasses the session hook that keeps indicator_rollups: compute them once.
        from planner.operations.indicator_rollups import rebuild_indicator_rollups

        rebuild_indicator_rollups(session)
        session.commit()
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("ANALYZE"))    # what autovacuum does soon after a load this size
            session.commit()
        deliveries = session.scalar(select(func.count()).select_from(Delivery))
        counts = session.scalar(select(func.count()).select_from(ActivityCount))
        some_village = session.scalar(select(Unit.id).where(Unit.kind == UnitKind.VILLAGE,
                                                            Unit.path.startswith(f"{_path(session, ids['commune'])}")))
    db.engine.dispose()
    return {"deliveries": deliveries, "activity_count_rows": counts, "indicator_results": rows,
            "outcomes_seconds": round(outcomes_s, 1), "results_seconds": round(results_s, 1), "village": some_village}


def _path(session, unit_id: int) -> str:
    from planner.models import Unit

    return session.get(Unit, unit_id).path


def measure_report(url: str, instance: str, ids: dict) -> dict:
    """Request the province's six-monthly report and render it as the worker does; seconds for each."""
    from planner import create_app
    from planner.models import Plan, Report, ReportStatus, Unit, User
    from planner.operations.reporting import render_queued_reports, request_report

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": pages.SECRET})
    db = app.extensions["planner_db"]
    today = dt.date.today()
    half = "second_half" if today.month > 6 else "first_half"
    with db.session() as session:
        plan, province = session.get(Plan, ids["plan"]), session.get(Unit, ids["province"])
        user = session.scalar(select(User).where(User.username == "giamsat"))
        began = clock.perf_counter()
        report = request_report(session, plan, province, user, {"kind": half, "year": str(today.year),
                                                                "signer_name": "Nguyễn Văn A",
                                                                "signer_title": "PHÓ CHỦ TỊCH"}, now=utcnow())
        session.commit()
        request_s = clock.perf_counter() - began
        began = clock.perf_counter()
        render_queued_reports(session, now=utcnow(), directory=Path(instance) / "reports")
        render_s = clock.perf_counter() - began
        session.refresh(report)
        assert report.status is ReportStatus.READY, report.error
        size = (Path(instance) / "reports" / report.file_name).stat().st_size
    db.engine.dispose()
    return {"kind": half, "request_seconds": round(request_s, 2), "render_seconds": round(render_s, 2),
            "pdf_bytes": size}


def build_or_reuse(url: str, instance: str, shape: dict, *, reuse: bool) -> dict:
    """Build the data set, or (with `reuse`) take the one a previous run left, with any new index added."""
    from planner.db import Base, make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS bench_state (shape text PRIMARY KEY, ids text)"))
        saved = conn.scalar(text("SELECT ids FROM bench_state WHERE shape = :s"), {"s": json.dumps(shape)})
        if reuse and saved:
            Base.metadata.create_all(conn, checkfirst=True)  # tables added since the data set was built
            for table in Base.metadata.sorted_tables:
                for index in table.indexes:
                    index.create(conn, checkfirst=True)
            if not conn.scalar(text("SELECT count(*) FROM indicator_rollups")):
                from sqlalchemy.orm import Session

                from planner.operations.indicator_rollups import rebuild_indicator_rollups

                with Session(conn) as session:
                    rebuild_indicator_rollups(session)
            conn.execute(text("ANALYZE"))
    engine.dispose()
    if reuse and saved:
        return json.loads(saved)
    began = clock.perf_counter()
    ids = pages.build(url, instance, communes=shape["communes"], villages=shape["villages"], days=shape["days"] // 2)
    ids["days"] = shape["days"]
    ids["build_seconds"] = round(clock.perf_counter() - began, 1)
    ids.update(add_outcomes_and_results(url, instance, ids))
    if reuse:
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO bench_state (shape, ids) VALUES (:s, :i)"),
                         {"s": json.dumps(shape), "i": json.dumps(ids)})
        engine.dispose()
    return ids


def measure(url: str, instance: str, *, small: bool, requests: int, seconds: float, reuse: bool = False) -> dict:
    shape = dict(communes=4, villages=20, days=28) if small else dict(communes=100, villages=40, days=182)
    ids = build_or_reuse(url, instance, shape, reuse=reuse)
    proc, port = pages.start_server(url, instance)
    figures = {"data": {**shape, **ids}, "dashboard": {}}
    try:
        base = f"http://127.0.0.1:{port}"
        clients = [pages.Client(base, "giamsat") for _ in range(pages.CLIENTS)]
        first = (dt.date.today() - dt.timedelta(days=shape["days"])).strftime("%d/%m/%Y")
        period = f"from={first}&to={dt.date.today():%d/%m/%Y}"
        for level, unit in zip(LEVELS, (ids["province"], ids["commune"], ids["village"])):
            for kind, path in (("api", f"/api/v1/plans/{ids['plan']}/dashboard?unit={unit}&{period}"),
                               ("page", f"/plans/{ids['plan']}/dashboard?unit={unit}&{period}")):
                figures["dashboard"][f"{level}_{kind}"] = pages.measure_page(clients, path, requests, seconds)
        figures["server"] = pages.server_memory(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    figures["report"] = measure_report(url, instance, ids)
    return figures


def main() -> dict:
    small = "--small" in sys.argv
    requests = int(sys.argv[sys.argv.index("--requests") + 1]) if "--requests" in sys.argv else 40
    seconds = float(sys.argv[sys.argv.index("--seconds") + 1]) if "--seconds" in sys.argv else 60.0
    figures = {"mode": "small" if small else "full", "clients": pages.CLIENTS, "loadavg_start": os.getloadavg()}
    if "--no-sqlite" not in sys.argv:
        with tempfile.TemporaryDirectory() as tmp:
            figures["sqlite"] = measure(f"sqlite:///{tmp}/supervision.db", tmp, small=small, requests=requests,
                                        seconds=seconds)
    pg_url = storage.pg_url_from(sys.argv)
    if pg_url:
        reuse = "--reuse" in sys.argv
        with storage.pg_schema(pg_url, keep="planner_bench_supervision" if reuse else "") as url, \
                tempfile.TemporaryDirectory() as tmp:
            figures["postgresql"] = measure(str(url), tmp, small=small, requests=requests, seconds=seconds,
                                            reuse=reuse)
    figures["loadavg_end"] = os.getloadavg()
    return figures


if __name__ == "__main__":
    with contextlib.redirect_stdout(sys.stderr):    # stdout carries the JSON only
        result = main()
    print(json.dumps(result))
