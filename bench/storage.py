"""Benchmark databases: a throwaway SQLite file or a private PostgreSQL schema, seeded with the rows FKs need.

Not a benchmark itself; bench/schedule.py and bench/dispatch.py use it.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from planner.db import Base, make_engine  # noqa: E402
from planner.models import (AudienceGroup, Message, MessageVersion, Plan, Target, Unit, UnitKind,  # noqa: E402
                            VersionStatus)

PG_SCHEMA = "planner_bench"
PLAN_ID, UNIT_ID, AUDIENCE_ID = 1, 1, 1


def pg_url_from(argv: list[str]) -> str | None:
    """The PostgreSQL URL from `--pg URL` or PLANNER_BENCH_PG_URL, else None."""
    if "--pg" in argv:
        return argv[argv.index("--pg") + 1]
    return os.environ.get("PLANNER_BENCH_PG_URL") or None


@contextlib.contextmanager
def sqlite_engine(directory: str | None = None, name: str = "bench.db"):
    """A fresh SQLite file (WAL, as the app uses) with the schema; removed afterwards."""
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        engine = make_engine(f"sqlite:///{tmp}/{name}")
        Base.metadata.create_all(engine)
        try:
            yield engine
        finally:
            engine.dispose()


@contextlib.contextmanager
def pg_schema(url: str, *, keep: str = ""):
    """A private PostgreSQL schema (dropped afterwards, so no data is ever touched); yields a URL using it.

    With `keep` (a schema name), that schema is kept between runs instead: created if missing, never dropped."""
    schema = keep or PG_SCHEMA
    admin = make_engine(url)
    with admin.begin() as conn:
        if not keep:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
    try:
        yield make_url(url).update_query_dict({"options": f"-csearch_path={schema}"}) \
            .render_as_string(hide_password=False)
    finally:
        if not keep:
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


@contextlib.contextmanager
def pg_engine(url: str):
    """An engine on the app's schema inside the private PostgreSQL schema."""
    with pg_schema(url) as schema_url:
        engine = make_engine(schema_url)
        Base.metadata.create_all(engine)
        try:
            yield engine
        finally:
            engine.dispose()


def seed(engine, *, target_ids, versions: dict[int, int], channel: str = "loudspeaker") -> None:
    """A province, one plan, its messages' versions (ids as given: version id → message id) and the targets."""
    now = dt.datetime(2025, 12, 1, tzinfo=dt.timezone.utc)
    with engine.begin() as conn:
        conn.execute(insert(Unit), [{"id": UNIT_ID, "code": "tinh-bench", "name": "Tỉnh thử",
                                     "kind": UnitKind.PROVINCE, "path": f"/{UNIT_ID}/", "duties": ""}])
        conn.execute(insert(Plan), [{"id": PLAN_ID, "code": "bench", "number": "1/KH", "issuer": "UBND tỉnh",
                                     "unit_id": UNIT_ID, "place": "Thanh Hóa", "title": "Kế hoạch thử",
                                     "starts_on": dt.date(2026, 1, 1), "created_at": now}])
        conn.execute(insert(AudienceGroup), [{"id": AUDIENCE_ID, "plan_id": PLAN_ID, "code": "all", "name": "Mọi người"}])
        messages = sorted(set(versions.values()))
        conn.execute(insert(Message), [{"id": mid, "plan_id": PLAN_ID, "code": f"m{mid}", "audience_id": AUDIENCE_ID,
                                        "channel": channel, "created_at": now} for mid in messages])
        conn.execute(insert(MessageVersion), [
            {"id": vid, "message_id": mid, "number": 1, "title": f"Tin {vid}", "body_md": f"Nội dung tin {vid}.",
             "status": VersionStatus.APPROVED, "channel": channel, "created_at": now} for vid, mid in versions.items()])
        conn.execute(insert(Target), [{"id": tid, "code": f"{channel}-{tid}", "unit_id": UNIT_ID, "channel": channel,
                                       "name": f"Điểm {tid}", "external_id": str(tid)} for tid in target_ids])
