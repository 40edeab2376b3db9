"""In-process profile of the dashboard PAGE (one client, Flask test client) on the data set bench/supervision.py keeps.

Run: python bench/dashboard_profile.py --pg URL [--requests N] [--levels province,commune,village] [--profile]
(or PLANNER_BENCH_PG_URL). Reads schema `planner_bench_supervision` (built by `bench/supervision.py --reuse`) and
never writes to it beyond what the page itself writes (due items, sessions). Per level: the SQL statements one page
issues (and the milliseconds PostgreSQL took for each, with --profile), wall and CPU milliseconds per page (p50 of
N, after one warm-up), and the page size; with --profile, the functions taking the most time (cProfile, on
stderr). The load average is recorded before and after: the machine is shared, the wall figures move with it.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import contextlib  # noqa: E402
import cProfile  # noqa: E402
import datetime as dt  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time as clock  # noqa: E402

import pages  # noqa: E402
import storage  # noqa: E402
from sqlalchemy import event, text  # noqa: E402

SCHEMA = "planner_bench_supervision"
SHAPE = {"communes": 100, "villages": 40, "days": 182}


def main() -> dict:
    url = storage.pg_url_from(sys.argv)
    if not url:
        raise SystemExit("--pg URL (or PLANNER_BENCH_PG_URL) is required: the data set is bench/supervision.py's")
    requests = int(sys.argv[sys.argv.index("--requests") + 1]) if "--requests" in sys.argv else 20
    levels = (sys.argv[sys.argv.index("--levels") + 1].split(",") if "--levels" in sys.argv
              else ["province", "commune", "village"])
    profile = "--profile" in sys.argv
    from sqlalchemy.engine import Engine, make_url

    from planner import create_app

    schema_url = make_url(url).update_query_dict({"options": f"-csearch_path={SCHEMA}"}) \
        .render_as_string(hide_password=False)
    out = {"loadavg_start": os.getloadavg(), "requests": requests, "levels": {}}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["PLANNER_INSTANCE_PATH"] = tmp
        app = create_app({"DATABASE_URL": schema_url, "SECRET_KEY": pages.SECRET})
        with app.extensions["planner_db"].session() as session:
            ids = json.loads(session.scalar(text("SELECT ids FROM bench_state WHERE shape = :s"),
                                            {"s": json.dumps(SHAPE)}))
        statements: list[tuple[str, float]] = []

        @event.listens_for(Engine, "before_cursor_execute")
        def before(conn, cursor, statement, *rest):
            conn.info["began"] = clock.perf_counter()

        @event.listens_for(Engine, "after_cursor_execute")
        def after(conn, cursor, statement, *rest):
            statements.append((statement, (clock.perf_counter() - conn.info.pop("began")) * 1000))

        client = app.test_client()
        login = client.get("/login").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
        client.post("/login", data={"username": "giamsat", "password": pages.PASSWORD, "csrf_token": csrf})
        first = (dt.date.today() - dt.timedelta(days=SHAPE["days"])).strftime("%d/%m/%Y")
        period = f"from={first}&to={dt.date.today():%d/%m/%Y}"
        for level in levels:
            path = f"/plans/{ids['plan']}/dashboard?unit={ids[level]}&{period}"
            client.get(path)  # warm-up
            statements.clear()
            body = client.get(path).get_data()
            seen = list(statements)
            wall, cpu = [], []
            for _ in range(requests):
                began, began_cpu = clock.perf_counter(), clock.process_time()
                client.get(path)
                wall.append((clock.perf_counter() - began) * 1000)
                cpu.append((clock.process_time() - began_cpu) * 1000)
            figures = {"statements": len(seen), "sql_ms": round(sum(ms for _, ms in seen), 1),
                       "wall_ms_p50": round(statistics.median(wall), 1), "cpu_ms_p50": round(statistics.median(cpu), 1),
                       "bytes": len(body)}
            if profile:
                figures["sql"] = [[round(ms, 2), s[:120].replace("\n", " ")] for s, ms in seen]
                prof = cProfile.Profile()
                prof.enable()
                for _ in range(5):
                    client.get(path)
                prof.disable()
                report = io.StringIO()
                pstats.Stats(prof, stream=report).sort_stats("cumulative").print_stats(r"planner/", 40)
                print(f"== {level}\n{report.getvalue()}", file=sys.stderr)
            out["levels"][level] = figures
    out["loadavg_end"] = os.getloadavg()
    return out


if __name__ == "__main__":
    with contextlib.redirect_stdout(sys.stderr):    # stdout carries the JSON only
        result = main()
    print(json.dumps(result))
