"""Persistence figures for bench/schedule.py: insert_placements vs the driver's raw bulk insert, same engine.

Each measurement writes into fresh tables (SQLite: a new file each; PostgreSQL: TRUNCATE between) seeded
with the same plan, message versions and targets. Only driver calls and the commit are timed for the raw
baseline: its rows are prebuilt outside the clock, in batches, in the order insert_placements writes them
(by start), so the ratio is the cost of planner's code, not of a different row order.
"""
from __future__ import annotations

import datetime as dt
import time as clock

import storage
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from planner.models import Delivery, Occurrence
from planner.operations.bulk import DELIVERY_COLUMNS, OCCURRENCE_COLUMNS, insert_placements

UTC = dt.timezone.utc
BATCH = 100_000
CHANNEL = "loudspeaker"


def measure(result, target_ids, versions: dict[int, int], argv, *, now: dt.datetime) -> dict:
    """Explanations, then persistence and raw-insert seconds on SQLite (and PostgreSQL when configured)."""
    began = clock.perf_counter()
    reasons = result.explanations()
    figures = {"explanations_seconds": round(clock.perf_counter() - began, 3)}
    columns = result.columns()
    figures["rows"] = len(reasons)
    figures["sqlite"] = _sqlite(columns, reasons, target_ids, versions, now)
    pg_url = storage.pg_url_from(argv)
    if pg_url:
        figures["postgresql"] = _postgresql(pg_url, columns, reasons, target_ids, versions, now)
    return figures


def _figures(persist_s: float, raw_s: float) -> dict:
    return {"persistence_seconds": round(persist_s, 3), "raw_insert_seconds": round(raw_s, 3),
            "persistence_ratio": round(persist_s / raw_s, 2)}


def _sqlite(columns, reasons, target_ids, versions, now) -> dict:
    with storage.sqlite_engine(name="placements.db") as engine:
        storage.seed(engine, target_ids=target_ids, versions=versions)
        before = _sqlite_bytes(engine)
        persist_s = _time_insert_placements(engine, columns, reasons, now)
        stored = _sqlite_bytes(engine) - before
    with storage.sqlite_engine(name="raw.db") as engine:
        storage.seed(engine, target_ids=target_ids, versions=versions)
        raw_s = _raw_sqlite(engine, columns, _interned(engine, reasons), now)
    return _figures(persist_s, raw_s) | {"bytes_per_placement": round(stored / len(reasons)),
                                         "distinct_explanations": len(set(reasons))}


def _sqlite_bytes(engine) -> int:
    """The database file's size (occurrences, deliveries, their indexes and the shared texts)."""
    with engine.connect() as conn:
        return conn.exec_driver_sql("PRAGMA page_count").scalar() * conn.exec_driver_sql("PRAGMA page_size").scalar()


def _interned(engine, reasons) -> list[int]:
    """The raw baseline writes the same reason ids (texts interned before its clock starts)."""
    from planner.operations.bulk import intern_reasons

    with Session(engine) as session:
        ids = intern_reasons(session, reasons)
        session.commit()
    return ids


def _postgresql(url, columns, reasons, target_ids, versions, now) -> dict:
    with storage.pg_engine(url) as engine:
        storage.seed(engine, target_ids=target_ids, versions=versions)
        _checkpoint(engine)
        persist_s = _time_insert_placements(engine, columns, reasons, now)
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE deliveries, occurrences RESTART IDENTITY"))
        _checkpoint(engine)
        raw_s = _raw_postgresql(engine, columns, _interned(engine, reasons), now)
    return _figures(persist_s, raw_s)


def _checkpoint(engine) -> None:
    """Start each timed phase with a clean WAL (needs a superuser; skipped otherwise)."""
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("CHECKPOINT"))
    except Exception:  # noqa: BLE001 — only levels the playing field
        pass


def _time_insert_placements(engine, columns, reasons, now) -> float:
    """insert_placements + commit, as schedule generation does; checks the row counts after."""
    with Session(engine) as session:
        began = clock.perf_counter()
        insert_placements(session, plan_id=storage.PLAN_ID, channel=CHANNEL, columns=columns, reasons=reasons,
                          now=now)
        session.commit()
        elapsed = clock.perf_counter() - began
        for model in (Occurrence, Delivery):
            assert session.scalar(select(func.count()).select_from(model)) == len(reasons)
    return elapsed


def _raw_rows(columns, reasons, part, fmt, now_s, first_id):
    """Prebuilt occurrence and delivery tuples of the rows `part` (explicit occurrence ids from first_id)."""
    ss, off = columns["session_start"], columns["offset_s"]
    ids = range(first_id, first_id + len(part))
    occurrences = [(oid, storage.PLAN_ID, columns["message_id"][i], columns["target_id"][i], fmt(ss[i]),
                    fmt(ss[i] + off[i]), columns["duration_s"][i], False, "auto", "", reasons[i], now_s)
                   for oid, i in zip(ids, part)]
    deliveries = [(row[0], CHANNEL, row[5], "planned", "", "", "", "", "", now_s) for row in occurrences]
    return occurrences, deliveries


def _batches(columns, reasons, fmt, now_s):
    """(occurrences, deliveries) batches in start order, as insert_placements writes them."""
    starts = [session_start + offset for session_start, offset in zip(columns["session_start"], columns["offset_s"])]
    order = sorted(range(len(reasons)), key=starts.__getitem__)
    for lo in range(0, len(order), BATCH):
        yield _raw_rows(columns, reasons, order[lo:lo + BATCH], fmt, now_s, first_id=lo + 1)


def _cached(fmt):
    cache: dict[int, str] = {}
    return lambda epoch: cache.get(epoch) or cache.setdefault(epoch, fmt(epoch))


def _raw_sqlite(engine, columns, reasons, now) -> float:
    """sqlite3 executemany of prebuilt tuples, one transaction, on the engine's own (pragma'd) connection."""
    fmt = _cached(lambda e: dt.datetime.fromtimestamp(e, UTC).strftime("%Y-%m-%d %H:%M:%S.%f"))
    now_s = now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    occ_sql = f"INSERT INTO occurrences ({', '.join(OCCURRENCE_COLUMNS)}) VALUES ({', '.join('?' * len(OCCURRENCE_COLUMNS))})"
    del_sql = f"INSERT INTO deliveries ({', '.join(DELIVERY_COLUMNS)}) VALUES ({', '.join('?' * len(DELIVERY_COLUMNS))})"
    proxy = engine.raw_connection()
    conn, elapsed = proxy.driver_connection, 0.0
    try:
        for occurrences, deliveries in _batches(columns, reasons, fmt, now_s):
            began = clock.perf_counter()
            conn.executemany(occ_sql, occurrences)
            conn.executemany(del_sql, deliveries)
            elapsed += clock.perf_counter() - began
        began = clock.perf_counter()
        conn.commit()
        elapsed += clock.perf_counter() - began
        assert conn.execute("SELECT count(*) FROM deliveries").fetchone()[0] == len(reasons)
    finally:
        proxy.close()
    return elapsed


def _raw_postgresql(engine, columns, reasons, now) -> float:
    """psycopg COPY of prebuilt tuples (text format), one transaction."""
    fmt = _cached(lambda e: dt.datetime.fromtimestamp(e, UTC).strftime("%Y-%m-%d %H:%M:%S+00"))
    now_s = now.astimezone(UTC).isoformat()
    proxy = engine.raw_connection()
    conn, elapsed = proxy.driver_connection, 0.0
    try:
        with conn.cursor() as cursor:
            for occurrences, deliveries in _batches(columns, reasons, fmt, now_s):
                began = clock.perf_counter()
                with cursor.copy(f"COPY occurrences ({', '.join(OCCURRENCE_COLUMNS)}) FROM STDIN") as copy:
                    for row in occurrences:
                        copy.write_row(row)
                with cursor.copy(f"COPY deliveries ({', '.join(DELIVERY_COLUMNS)}) FROM STDIN") as copy:
                    for row in deliveries:
                        copy.write_row(row)
                elapsed += clock.perf_counter() - began
            began = clock.perf_counter()
            conn.commit()
            elapsed += clock.perf_counter() - began
            cursor.execute("SELECT count(*) FROM deliveries")
            assert cursor.fetchone()[0] == len(reasons)
    finally:
        proxy.close()
    return elapsed
