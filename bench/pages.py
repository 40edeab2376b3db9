"""Benchmark: the pages and lists of a province under 4 concurrent clients against a real server; prints JSON.

Run: python bench/pages.py [--small|--medium] [--pg URL] [--pg-only] [--keep|--reuse] [--seconds S] [--requests N]
     [--werkzeug]  (or PLANNER_BENCH_PG_URL)

Builds the data set in a fresh database (tmp SQLite, or a private PostgreSQL schema with --pg): the real
library, then extra communes with villages under Tỉnh Thanh Hóa (full: 100 × 40 = 4,000 villages beside
Ngọc Lặc's 42; --small: 4 × 20), the plan's loudspeaker schedule for all of them (full: 8 weeks back to 8
ahead; --medium: 20 × 40, 4 weeks each way; --small: 2 weeks each way) and a share of past broadcasts missed.
--pg-only skips SQLite. --keep leaves the PostgreSQL data set in schema `planner_bench_pages` (for EXPLAIN
ANALYZE) instead of a throwaway schema; --reuse measures an existing kept data set without building it. Then it starts the app in its own
process on 127.0.0.1 — gunicorn with 2 workers × 4 threads, as production serves it (--werkzeug: one threaded
werkzeug process, as before) — and 4 client threads request each page or list N times in all
(default 40; at most S seconds per page, default 60), logged in (pages) or with a bearer token (API).
Per page: p50/p95/max ms, the response size, status codes; and the server's peak and current RSS.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import contextlib  # noqa: E402
import datetime as dt  # noqa: E402
import http.cookiejar  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time as clock  # noqa: E402
import urllib.parse  # noqa: E402
import urllib.request  # noqa: E402

import storage  # noqa: E402
from sqlalchemy import select, text, update  # noqa: E402

from planner.db import Base, utcnow  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-pages-password"
SECRET = "bench-pages-secret"
CLIENTS = 4
KEPT_SCHEMA = "planner_bench_pages"
SHAPES = {"small": dict(communes=4, villages=20, days=14), "medium": dict(communes=20, villages=40, days=28),
          "full": dict(communes=100, villages=40, days=56)}
PLAN, PROVINCE, COMMUNE = "ngoc-lac-asxh-2026", "tinh-thanh-hoa", "xa-ngoc-lac"


def build(url: str, instance: str, *, communes: int, villages: int, days: int) -> dict:
    """The province data set; returns the ids the pages need."""
    from planner import create_app
    from planner.models import Delivery, DeliveryStatus, Plan, Target, Unit, UnitKind
    from planner.operations.importing import import_paths
    from planner.operations.schedule import schedule_plan

    os.environ["PLANNER_INSTANCE_PATH"] = instance
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "DEMO_PASSWORD": PASSWORD})
    db = app.extensions["planner_db"]
    Base.metadata.create_all(db.engine)
    with db.session() as session:
        import_paths(session, [ROOT / "content_library", ROOT / "schedules"], now=utcnow())
        session.commit()
    assert app.test_cli_runner().invoke(args=["users", "demo"]).exit_code == 0
    today = dt.date.today()
    with db.session() as session:
        province = session.scalar(select(Unit).where(Unit.code == PROVINCE))
        for c in range(communes):
            commune = Unit(code=f"bench-xa-{c:03d}", name=f"Xã Thử {c + 1}", kind=UnitKind.COMMUNE,
                           parent_id=province.id, path="")
            session.add(commune)
            session.flush()
            commune.path = f"{province.path}{commune.id}/"
            for v in range(villages):
                village = Unit(code=f"thon-{v + 1:02d}", name=f"Thôn {v + 1}", kind=UnitKind.VILLAGE,
                               parent_id=commune.id, path="")
                session.add(village)
                session.flush()
                village.path = f"{commune.path}{village.id}/"
                session.add(Target(code=f"loa-bench-{c}-{v}", unit_id=village.id, channel="loudspeaker",
                                   name=f"Loa Thôn {v + 1}, Xã Thử {c + 1}"))
        session.commit()
        plan = session.scalar(select(Plan).where(Plan.code == PLAN))
        began = clock.perf_counter()
        outcome = schedule_plan(session, plan, unit=province, channel="loudspeaker",
                                start=today - dt.timedelta(days=days), end=today + dt.timedelta(days=days),
                                now=utcnow() - dt.timedelta(days=days + 1), settings=app.config)
        session.commit()
        generate_s = clock.perf_counter() - began
        session.execute(update(Delivery).where(Delivery.due_at < utcnow(), Delivery.id % 7 == 0)
                        .values(status=DeliveryStatus.MISSED))
        session.execute(update(Delivery).where(Delivery.due_at < utcnow(), Delivery.id % 7 != 0)
                        .values(status=DeliveryStatus.DELIVERED))
        session.commit()
        if session.bind.dialect.name == "postgresql":
            # Autovacuum would analyze the new rows within a minute or so; measured at once, the planner would
            # still assume empty tables (one API page took minutes with such a plan).
            session.execute(text("ANALYZE"))
            session.commit()
        ids = {**known_ids(session), "targets": outcome.targets, "placements": outcome.placed,
               "generate_seconds": round(generate_s, 1)}
    db.engine.dispose()
    return ids


def known_ids(session) -> dict:
    """The plan, province, commune and one of the commune's loudspeakers (the village phone page)."""
    from planner.models import Plan, Target, Unit

    commune = session.scalar(select(Unit).where(Unit.code == COMMUNE))
    village_target = session.scalar(select(Target.id).join(Unit, Unit.id == Target.unit_id).where(
        Unit.parent_id == commune.id, Target.channel == "loudspeaker").order_by(Target.id).limit(1))
    return {"plan": session.scalar(select(Plan.id).where(Plan.code == PLAN)),
            "province": session.scalar(select(Unit.id).where(Unit.code == PROVINCE)),
            "commune": commune.id, "village_target": village_target}


def existing(url: str, instance: str) -> dict:
    """The ids of a kept data set (--reuse)."""
    from planner import create_app

    os.environ["PLANNER_INSTANCE_PATH"] = instance
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET})
    db = app.extensions["planner_db"]
    with db.session() as session:
        ids = known_ids(session)
    db.engine.dispose()
    return ids


SERVER = """
import os, sys
sys.path.insert(0, {root!r})
from werkzeug.serving import run_simple
from planner import create_app
app = create_app({{"DATABASE_URL": {url!r}, "SECRET_KEY": {secret!r}}})
run_simple("127.0.0.1", {port}, app, threaded=True)
"""
# As production serves it (and as issue 8 measured): gunicorn, WORKERS processes × THREADS threads each.
WORKERS, THREADS = 2, 4
GUNICORN_APP = """
import sys
sys.path.insert(0, {root!r})
from planner import create_app
app = create_app({{"DATABASE_URL": {url!r}, "SECRET_KEY": {secret!r}}})
"""


def start_server(url: str, instance: str, mode: str = "gunicorn") -> tuple[subprocess.Popen, int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(os.environ, PLANNER_INSTANCE_PATH=instance)
    if mode == "gunicorn":
        module = Path(instance) / "bench_pages_app.py"
        module.write_text(GUNICORN_APP.format(root=str(ROOT), url=url, secret=SECRET))
        env["PYTHONPATH"] = instance
        command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS),
                   "--threads", str(THREADS), "--timeout", "120", "bench_pages_app:app"]
    else:
        command = [sys.executable, "-c", SERVER.format(root=str(ROOT), url=url, secret=SECRET, port=port)]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return proc, port
        clock.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def rss_mb(pid: int) -> dict:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return {"peak_rss_mb": round(int(fields["VmHWM"].split()[0]) / 1024, 1),
            "rss_mb": round(int(fields["VmRSS"].split()[0]) / 1024, 1)}


def server_memory(pid: int) -> dict:
    """The serving process's RSS; under gunicorn, each worker's (the arbiter only forks them), the largest first."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    workers = [int(p) for p in children.read_text().split()] if children.exists() else []
    if not workers:
        return rss_mb(pid)
    each = sorted((rss_mb(w) for w in workers), key=lambda r: -r["peak_rss_mb"])
    return {**each[0], "workers": each}


class Client:
    """One browser-like client: a cookie jar (logged in) and a bearer token for the API."""

    def __init__(self, base: str, username: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        page = self.opener.open(base + "/login").read().decode()
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"username": username, "password": PASSWORD, "csrf_token": csrf}).encode()
        self.opener.open(base + "/login", data=form)
        request = urllib.request.Request(base + "/api/v1/tokens", method="POST", headers={
            "Content-Type": "application/json"}, data=json.dumps({"username": username, "password": PASSWORD}).encode())
        self.token = json.loads(urllib.request.urlopen(request).read())["token"]

    def get(self, path: str) -> tuple[int, int, float]:
        # As browsers and calendar apps do; `bytes` is then what went over the wire (only iCal is compressed).
        headers = {"Accept-Encoding": "gzip"}
        if path.startswith("/api/"):
            headers["Authorization"] = f"Bearer {self.token}"
        began = clock.perf_counter()
        try:
            resp = self.opener.open(urllib.request.Request(self.base + path, headers=headers), timeout=120)
            status, size = resp.status, len(resp.read())
        except urllib.error.HTTPError as exc:
            status, size = exc.code, len(exc.read())
        return status, size, (clock.perf_counter() - began) * 1000


def measure_page(clients: list[Client], path: str, requests: int, seconds: float) -> dict:
    """`requests` GETs of `path` shared by the client threads, stopping after `seconds`."""
    # Warm-up, not measured: one request per client at once, so that every gunicorn worker (not only the one the
    # first request reaches) has compiled the page's templates and statements before the timed requests.
    warm = [threading.Thread(target=c.get, args=(path,)) for c in clients]
    for t in warm:
        t.start()
    for t in warm:
        t.join()
    results, lock, deadline = [], threading.Lock(), clock.monotonic() + seconds
    todo = iter(range(requests))

    def work(client):
        while clock.monotonic() < deadline:
            with lock:
                if next(todo, None) is None:
                    return
            outcome = client.get(path)
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    times = sorted(r[2] for r in results)
    return {"requests": len(times), "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[max(0, round(0.95 * len(times)) - 1)], 1), "max_ms": round(times[-1], 1),
            "bytes": max(r[1] for r in results), "statuses": sorted({r[0] for r in results})}


def pages(ids: dict, cursor: str | None) -> dict[str, tuple[str, str]]:
    """name → (user, path) of every page and list measured."""
    from planner.operations.delivery import make_village_token
    from planner.operations.feeds import make_feed_token

    plan, province, commune = ids["plan"], ids["province"], ids["commune"]
    monday = dt.date.today() - dt.timedelta(days=dt.date.today().weekday())
    cal = f"/plans/{plan}/calendar?channel=loudspeaker&date={monday:%d/%m/%Y}"
    out = {
        "province_calendar_week": ("giamsat", f"{cal}&unit={province}&view=week"),
        "province_calendar_month": ("giamsat", f"{cal}&unit={province}&view=month"),
        "commune_calendar_week": ("vanhoa", f"{cal}&unit={commune}&view=week"),
        "commune_calendar_month": ("vanhoa", f"{cal}&unit={commune}&view=month"),
        "commune_ical": ("vanhoa", f"/ical/{make_feed_token(SECRET, 'u', commune)}.ics"),
        "api_occurrences_first_page": ("giamsat", f"/api/v1/occurrences?plan={plan}&limit=100"),
        "api_occurrences_count": ("giamsat", f"/api/v1/occurrences?plan={plan}&limit=100&count=true"),
        "attention_page": ("vanhoa", f"/plans/{plan}/attention"),
        "api_attention": ("vanhoa", f"/api/v1/plans/{plan}/attention"),
        "print_orders_page": ("vanhoa", "/print-orders"),
        "api_print_orders": ("vanhoa", "/api/v1/print-orders"),
        "runs_page": ("vanhoa", f"/plans/{plan}/schedule/runs"),
        "village_phone_page": ("vanhoa", "/x/" + make_village_token(
            SECRET, ids["village_target"], dt.date.today() - dt.timedelta(days=7), dt.date.today() + dt.timedelta(days=7))),
    }
    if cursor:
        out["api_occurrences_cursor_page"] = ("giamsat", f"/api/v1/occurrences?plan={plan}&limit=100&cursor={cursor}")
    return out


def measure(url: str, instance: str, *, size: str, requests: int, seconds: float, reuse: bool = False,
            mode: str = "gunicorn") -> dict:
    shape = SHAPES[size]
    ids = existing(url, instance) if reuse else build(url, instance, **shape)
    proc, port = start_server(url, instance, mode)
    try:
        base = f"http://127.0.0.1:{port}"
        users = {name: [Client(base, name) for _ in range(CLIENTS)] for name in ("giamsat", "vanhoa")}
        first = json.loads(users["giamsat"][0].opener.open(urllib.request.Request(
            f"{base}/api/v1/occurrences?plan={ids['plan']}&limit=100",
            headers={"Authorization": f"Bearer {users['giamsat'][0].token}"})).read())
        # A page deep in the list: follow cursors 20 pages in.
        cursor = first["next_cursor"]
        for _ in range(19):
            if not cursor:
                break
            cursor = json.loads(users["giamsat"][0].opener.open(urllib.request.Request(
                f"{base}/api/v1/occurrences?plan={ids['plan']}&limit=100&cursor={cursor}",
                headers={"Authorization": f"Bearer {users['giamsat'][0].token}"})).read())["next_cursor"]
        figures = {"data": {**shape, **ids}, "pages": {},
                   "served_by": f"gunicorn, {WORKERS} workers × {THREADS} threads" if mode == "gunicorn"
                   else "werkzeug, one threaded process"}
        for name, (user, path) in pages(ids, cursor).items():
            figures["pages"][name] = measure_page(users[user], path, requests, seconds)
        figures["server"] = server_memory(proc.pid)
        return figures
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@contextlib.contextmanager
def kept_schema(url: str, *, fresh: bool):
    """The named schema of --keep/--reuse (recreated when fresh, never dropped afterwards); yields its URL."""
    from sqlalchemy.engine import make_url

    from planner.db import make_engine

    if fresh:
        admin = make_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {KEPT_SCHEMA} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {KEPT_SCHEMA}"))
        admin.dispose()
    yield make_url(url).update_query_dict({"options": f"-csearch_path={KEPT_SCHEMA}"}).render_as_string(
        hide_password=False)


def main() -> dict:
    size = "small" if "--small" in sys.argv else "medium" if "--medium" in sys.argv else "full"
    requests = int(sys.argv[sys.argv.index("--requests") + 1]) if "--requests" in sys.argv else 40
    seconds = float(sys.argv[sys.argv.index("--seconds") + 1]) if "--seconds" in sys.argv else 60.0
    reuse, keep = "--reuse" in sys.argv, "--keep" in sys.argv
    mode = "werkzeug" if "--werkzeug" in sys.argv else "gunicorn"
    figures = {"mode": size, "clients": CLIENTS, "load_average": list(os.getloadavg())}
    if "--pg-only" not in sys.argv:
        with tempfile.TemporaryDirectory() as tmp:
            figures["sqlite"] = measure(f"sqlite:///{tmp}/pages.db", tmp, size=size, requests=requests,
                                        seconds=seconds, mode=mode)
    pg_url = storage.pg_url_from(sys.argv)
    if pg_url:
        schema = kept_schema(pg_url, fresh=not reuse) if keep or reuse else storage.pg_schema(pg_url)
        with schema as url, tempfile.TemporaryDirectory() as tmp:
            figures["postgresql"] = measure(str(url), tmp, size=size, requests=requests, seconds=seconds,
                                            reuse=reuse, mode=mode)
    figures["load_average_after"] = list(os.getloadavg())
    return figures


if __name__ == "__main__":
    with contextlib.redirect_stdout(sys.stderr):    # stdout carries the JSON only
        result = main()
    print(json.dumps(result))
