"""Bulk writes of schedule placements through the driver's fastest path (never the ORM unit of work).

SQLite: sqlite3 `executemany` fed by C-level iterators; PostgreSQL: psycopg 3 `COPY … FROM STDIN`, with the
foreign keys checked once per parent instead of once per row where the role may (`_copy_postgresql`).
Occurrence ids are allocated up front so deliveries can point at them without RETURNING round trips;
that is safe only inside the caller's transaction (see `_insert_sqlite` and `_copy_postgresql`).
Rows read back through the ORM exactly as if the ORM had written them (tests/app/test_bulk.py).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
from itertools import count, repeat
from operator import add

from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from planner.count_triggers import PG_PAUSE, count_generated_postgresql, count_generated_sqlite
from planner.models import Delivery, DeliveryStatus, Occurrence, OccurrenceSource, PlacementReason

# `reason` stays '' for generated rows: their explanation is the shared text behind `reason_id`.
OCCURRENCE_COLUMNS = ("id", "plan_id", "message_version_id", "target_id", "session_starts_at", "starts_at",
                      "duration_seconds", "is_pinned", "source", "reason", "reason_id", "created_at")
# Columns without a server default are written explicitly ('' for text, NULL stays out).
DELIVERY_COLUMNS = ("occurrence_id", "channel", "due_at", "status", "claimed_by", "confirmed_by_name", "reason",
                    "external_id", "error", "updated_at")
UPSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
PG_BATCH = 100_000
CORE_BATCH = 5_000
REPLICA_ROLE = "session_replication_role"   # 'replica' turns PostgreSQL's per-row foreign-key triggers off
BULK_CACHE_KIB = 64 * 1024    # SQLite page cache while bulk.py writes (the default is 2 MiB)
UTC = dt.timezone.utc
SLOW_CHECKS_NOTED_ROWS = 100_000     # a write this large without the grant is worth one line in the log
log = logging.getLogger(__name__)
_noted_slow_checks = False


def insert_placements(session: Session, *, plan_id: int, channel: str, columns: dict, reasons: list[str],
                      now: dt.datetime) -> int:
    """Insert occurrences and their planned deliveries from the core's columnar placements; returns the count."""
    total = len(columns["target_id"])
    if len(reasons) != total:
        raise ValueError("one reason per placement is required")
    if not total:
        return 0
    session.flush()     # rows the caller added (plan, versions) must exist before the driver writes
    reasons = intern_reasons(session, reasons)
    connection = session.connection()
    dialect = connection.dialect
    raw = connection.connection.driver_connection
    if dialect.name == "sqlite":
        _insert_sqlite(raw, dialect, plan_id, channel, _Rows(columns, reasons, _sqlite_format(dialect)), now)
    elif dialect.name == "postgresql" and dialect.driver == "psycopg":
        _copy_postgresql(raw, plan_id, channel, _Rows(columns, reasons, _pg_moment), now)
    else:
        _insert_core(session, plan_id, channel, columns, reasons, now)
    return total


def intern_reasons(session: Session, texts: list[str]) -> list[int]:
    """The placement_reasons id of each text (inserting the texts not stored yet), aligned with `texts`.

    The core shares one string object per distinct explanation, so the mapping hashes each text once.
    A text another generation inserted meanwhile is simply found (ON CONFLICT DO NOTHING, then read).
    """
    digests = {text: hashlib.sha256(text.encode()).hexdigest() for text in set(texts)}
    by_digest: dict[str, int] = {}
    wanted = list(digests.values())
    for i in range(0, len(wanted), 500):
        by_digest.update(session.execute(select(PlacementReason.digest, PlacementReason.id)
                                         .where(PlacementReason.digest.in_(wanted[i:i + 500]))).all())
    missing = [{"digest": d, "text": t} for t, d in digests.items() if d not in by_digest]
    if missing:
        upsert = UPSERTS.get(session.get_bind().dialect.name)
        stmt = (upsert(PlacementReason).on_conflict_do_nothing(index_elements=["digest"]) if upsert
                else insert(PlacementReason))
        for i in range(0, len(missing), CORE_BATCH):
            session.execute(stmt, missing[i:i + CORE_BATCH])
        for i in range(0, len(missing), 500):
            chunk = [m["digest"] for m in missing[i:i + 500]]
            by_digest.update(session.execute(select(PlacementReason.digest, PlacementReason.id)
                                             .where(PlacementReason.digest.in_(chunk))).all())
    ids = {text: by_digest[d] for text, d in digests.items()}
    return list(map(ids.__getitem__, texts))


class _Rows:
    """The placements in start order, as lazy per-column iterators with times already formatted.

    The core orders rows by target; inserting them by start instead keeps the inserts into the time indexes
    (starts_at, deliveries' status+due_at) local, which halves SQLite's write time, and lets PostgreSQL append to
    the right edge of (plan_id, starts_at, id) (an index half the size of one filled in session order).
    """

    def __init__(self, columns: dict, reasons: list[int], fmt):
        self.columns, self.reasons = columns, reasons
        starts = columns["session_start"]
        begins = list(map(add, starts, columns["offset_s"]))
        # stable: target order (and so ascending ids) kept among equal starts
        self.order = sorted(range(len(reasons)), key=begins.__getitem__)
        self.times = {epoch: fmt(epoch) for epoch in set(starts).union(begins)}

    def pick(self, seq, part):
        return map(seq.__getitem__, part)

    def starts_at(self, part):
        cols = self.columns
        return map(self.times.__getitem__, map(add, self.pick(cols["session_start"], part),
                                               self.pick(cols["offset_s"], part)))

    def occurrences(self, part, ids, plan_id, now_s, pinned, source):
        """Occurrence tuples of rows `part` in OCCURRENCE_COLUMNS order (zip: no Python code per row)."""
        cols, pick = self.columns, self.pick
        return zip(ids, repeat(plan_id), pick(cols["message_id"], part), pick(cols["target_id"], part),
                   map(self.times.__getitem__, pick(cols["session_start"], part)), self.starts_at(part),
                   pick(cols["duration_s"], part), repeat(pinned), repeat(source), repeat(""),
                   pick(self.reasons, part), repeat(now_s))

    def deliveries(self, part, ids, channel, now_s, status):
        """Delivery tuples in DELIVERY_COLUMNS order: one planned delivery per occurrence, due at its start."""
        blanks = [repeat("") for _ in range(5)]    # claimed_by … error: NOT NULL, no server default
        return zip(ids, repeat(channel), self.starts_at(part), repeat(status), *blanks, repeat(now_s))


def _sqlite_format(dialect):
    """Epoch → exactly the string SQLAlchemy's UTCDateTime writes on SQLite (naive UTC with microseconds)."""
    process = Occurrence.__table__.c.starts_at.type.dialect_impl(dialect).bind_processor(dialect)
    return lambda epoch: process(dt.datetime.fromtimestamp(epoch, UTC) if isinstance(epoch, int) else epoch)


def _pg_moment(epoch) -> dt.datetime:
    """Epoch (or an aware datetime) → an aware UTC datetime for COPY's binary format."""
    return dt.datetime.fromtimestamp(epoch, UTC) if isinstance(epoch, int) else epoch.astimezone(UTC)


def _insert_sqlite(raw, dialect, plan_id, channel, rows: _Rows, now) -> None:
    """executemany of the occurrences on the session's own sqlite3 connection, then their planned deliveries and
    counts derived from them inside SQLite (one INSERT … SELECT each: no row crosses the driver twice).

    The first row is inserted without an id: that takes SQLite's write lock (held until the caller
    commits) and gives the next rowid; the following rows get the ids after it, which nobody else can
    take while the lock is held, so the range first_id … last_id is exactly this batch.
    A larger page cache while writing keeps the hot pages of the (target, start) index in memory.
    """
    fmt = _sqlite_format(dialect)
    now_s, source, status = fmt(now), OccurrenceSource.AUTO.value, DeliveryStatus.PLANNED.value
    occurrence_sql = (f"INSERT INTO occurrences ({', '.join(OCCURRENCE_COLUMNS)}) "
                      f"VALUES ({', '.join('?' * len(OCCURRENCE_COLUMNS))})")
    # Blank text for the NOT NULL columns without a server default (as DELIVERY_COLUMNS lists them).
    delivery_sql = (f"INSERT INTO deliveries ({', '.join(DELIVERY_COLUMNS)}) SELECT id, ?, starts_at, ?, "
                    f"'', '', '', '', '', ? FROM occurrences WHERE id BETWEEN ? AND ? ORDER BY id")
    order = rows.order
    cursor = raw.cursor()
    cache, paused = cursor.execute("PRAGMA cache_size").fetchone()[0], False
    cursor.execute(f"PRAGMA cache_size={-BULK_CACHE_KIB}")
    try:
        cursor.execute(occurrence_sql, next(rows.occurrences(order[:1], [None], plan_id, now_s, 0, source)))
        first_id = cursor.lastrowid
        last_id = first_id + len(order) - 1
        cursor.executemany(occurrence_sql, rows.occurrences(order[1:], count(first_id + 1), plan_id, now_s, 0,
                                                            source))
        # The activity counts: one aggregated statement instead of a trigger per row (count_triggers.py).
        cursor.execute("INSERT INTO count_pauses (id) VALUES (1)")
        paused = True
        cursor.execute(delivery_sql, (channel, status, now_s, first_id, last_id))
        count_generated_sqlite(cursor, first_id, last_id, channel=channel, status=status)
    finally:
        if paused:      # never left behind, even if the caller went on with the transaction after an error
            cursor.execute("DELETE FROM count_pauses")
        cursor.execute(f"PRAGMA cache_size={int(cache)}")
        cursor.close()


def _copy_postgresql(raw, plan_id, channel, rows: _Rows, now) -> None:
    """COPY in batches on the session's psycopg connection (same transaction), then the counts in one statement.

    Binary COPY: the server reads each integer and timestamp as it is instead of parsing its text (a sixth of
    its time in text format), with each column's type read from the table itself (`_column_types`).
    Occurrence ids are reserved from the table's own sequence with nextval, so inserts by others
    never collide; deliveries take their ids from their column default.
    Foreign keys: PostgreSQL checks each new row with one query per key (five per placement, about 60 % of the
    write). Where this role may set session_replication_role and lock the parents (`_may_check_once`), the parents
    are instead checked and locked once each, exactly as those per-row checks would (`_lock_parents`), and the
    COPYs run with the per-row checks off; otherwise PostgreSQL checks every row as usual.
    """
    now_s, source, status = _pg_moment(now), OccurrenceSource.AUTO.value, DeliveryStatus.PLANNED.value
    with raw.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence('occurrences', 'id')")
        sequence = cursor.fetchone()[0]
        types = {table: _column_types(cursor, table, columns)
                 for table, columns in (("occurrences", OCCURRENCE_COLUMNS), ("deliveries", DELIVERY_COLUMNS))}
        occurrence_types = dict(zip(OCCURRENCE_COLUMNS, types["occurrences"]))
        keys = _parent_keys(plan_id, rows)
        # Binary COPY sends integers as they are: one too large for its column would be stored wrapped, not refused.
        _check_int_ranges(occurrence_types, {**keys, "duration_seconds": rows.columns["duration_s"]})
        role = None
        # Checked before either setting changes: a missing parent raises in Python, which does not abort the
        # transaction, so nothing may be left switched off behind it.
        if _may_check_once(cursor):
            _lock_parents(cursor, keys)
            cursor.execute("SELECT current_setting(%s)", (REPLICA_ROLE,))
            role = cursor.fetchone()[0]
            cursor.execute("SELECT set_config(%s, 'replica', true)", (REPLICA_ROLE,))
        elif len(rows.order) >= SLOW_CHECKS_NOTED_ROWS:
            _note_slow_checks(len(rows.order))
        # The count trigger is paused for this transaction's COPYs: the buckets are summed here from the columns.
        cursor.execute("SELECT set_config(%s, 'on', true)", (PG_PAUSE,))
        # From here on every error aborts the transaction — the server's, or one raised while a COPY is open (psycopg
        # then fails that COPY) — and both settings are transaction-local, so the rollback that must follow
        # restores them.
        for lo in range(0, len(rows.order), PG_BATCH):
            part = rows.order[lo:lo + PG_BATCH]
            cursor.execute("SELECT array_agg(nextval(%s)) FROM generate_series(1, %s)", (sequence, len(part)))
            ids = cursor.fetchone()[0]
            with cursor.copy(f"COPY occurrences ({', '.join(OCCURRENCE_COLUMNS)}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types["occurrences"])
                _check_int_ranges(occurrence_types, {"id": ids})
                write = copy.write_row
                for row in rows.occurrences(part, ids, plan_id, now_s, False, source):
                    write(row)
            # Each delivery's occurrence_id is one of `ids`, written just above in this transaction: it exists.
            with cursor.copy(f"COPY deliveries ({', '.join(DELIVERY_COLUMNS)}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types["deliveries"])
                write = copy.write_row
                for row in rows.deliveries(part, ids, channel, now_s, status):
                    write(row)
        if role is not None:
            cursor.execute("SELECT set_config(%s, %s, true)", (REPLICA_ROLE, role))
        cursor.execute("SELECT set_config(%s, 'off', true)", (PG_PAUSE,))
        count_generated_postgresql(cursor, plan_id, channel, status, rows.columns)


INT_BOUNDS = {21: 2**15, 23: 2**31, 20: 2**63}     # smallint, integer, bigint oids: values lie in [-bound, bound)


def _check_int_ranges(types: dict[str, int], values: dict[str, object]) -> None:
    """Refuse (ValueError) any value outside its integer column's range, as PostgreSQL does for text input: binary
    COPY would store it wrapped around (2**40 as 0)."""
    for column, seq in values.items():
        bound = INT_BOUNDS.get(types[column])
        if bound is None or not len(seq):
            continue
        low, high = min(seq), max(seq)
        if low < -bound or high >= bound:
            raise ValueError(f"{column}: {high if high >= bound else low} is out of range for its column")


def _column_types(cursor, table: str, columns: tuple[str, ...]) -> list[int]:
    """The type oid of each column, as the table (found by the search path, like COPY's) declares it: binary COPY
    needs each value sent exactly in its column's type."""
    cursor.execute("SELECT attname, atttypid::int FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
                   "AND NOT attisdropped", (table,))
    oids = dict(cursor.fetchall())
    return [oids[column] for column in columns]


def _note_slow_checks(rows: int) -> None:
    """Once per process: the operator can make large generations store about 2.8× faster (README, deploying)."""
    global _noted_slow_checks
    if not _noted_slow_checks:
        _noted_slow_checks = True
        log.info("Storing %d placements with PostgreSQL checking foreign keys row by row: this database role may not "
                 "set session_replication_role (PostgreSQL 15+: GRANT SET ON PARAMETER session_replication_role TO "
                 "<role>; before 15 only a superuser may) or may not lock the rows placements refer to.", rows)


class MissingParent(ValueError):
    """A placement names a plan, message version, target or explanation that does not exist (what PostgreSQL's own
    foreign-key check would have refused)."""


def _checked_keys() -> list[tuple[str, str, str, str]]:
    """(child table, column, parent table, parent column) of every foreign key the COPYs must honour, from the
    tables' own definitions. Anything these checks could not stand in for exactly raises instead: a key of several
    columns, or a column with a default the COPYs leave to the database."""
    out = []
    for table, written in ((Occurrence.__table__, OCCURRENCE_COLUMNS), (Delivery.__table__, DELIVERY_COLUMNS)):
        for constraint in sorted(table.foreign_key_constraints, key=lambda c: c.column_keys):
            if len(constraint.elements) != 1:
                raise RuntimeError(f"bulk.py cannot check the foreign key {constraint.name} of several columns")
            fk = constraint.elements[0]
            column = fk.parent
            if table is Delivery.__table__ and column.name == "occurrence_id":
                continue        # the occurrences this same COPY writes
            if column.name not in written:
                if column.default is not None or column.server_default is not None:
                    raise RuntimeError(f"bulk.py leaves {table.name}.{column.name} to its default, unchecked")
                continue        # NULL in every row
            out.append((table.name, column.name, fk.column.table.name, fk.column.name))
    return out


def _may_check_once(cursor) -> bool:
    """Whether this role may set session_replication_role (a superuser; on PostgreSQL 15 and later, a role given
    `GRANT SET ON PARAMETER session_replication_role`) and lock every parent table's rows FOR KEY SHARE (SELECT and
    UPDATE on it), none of which hides rows by row-level security (PostgreSQL's own check does not see it)."""
    cursor.execute("SELECT current_setting('server_version_num')::int >= 150000")
    if cursor.fetchone()[0]:
        cursor.execute("SELECT has_parameter_privilege(%s, 'SET')", (REPLICA_ROLE,))
    else:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    if not cursor.fetchone()[0]:
        return False
    parents = sorted({parent for _child, _column, parent, _key in _checked_keys()})
    cursor.execute("SELECT bool_and(has_table_privilege(c.oid, 'SELECT') AND has_table_privilege(c.oid, 'UPDATE') "
                   "AND NOT c.relrowsecurity) FROM pg_class c WHERE c.oid = ANY(%s::regclass[])", (parents,))
    return bool(cursor.fetchone()[0])


def _parent_keys(plan_id: int, rows: _Rows) -> dict[str, set]:
    """Per foreign-key column of the occurrences written, the distinct values the rows hold."""
    columns = rows.columns
    return {"plan_id": {plan_id}, "message_version_id": set(columns["message_id"]),
            "target_id": set(columns["target_id"]), "reason_id": set(rows.reasons)}


def _lock_parents(cursor, keys: dict[str, set]) -> None:
    """For every foreign key of a column the COPYs write: each referenced row must exist, and is locked FOR KEY
    SHARE until the transaction ends — what PostgreSQL's per-row check does, here once per distinct parent and in
    key order."""
    for child, column, parent, key in _checked_keys():
        if column not in keys:
            raise RuntimeError(f"bulk.py writes {child}.{column} but does not check its foreign key")
        wanted = sorted(value for value in keys[column] if value is not None)
        cursor.execute(f"SELECT {key} FROM {parent} WHERE {key} = ANY(%s) ORDER BY {key} FOR KEY SHARE", (wanted,))
        missing = set(wanted).difference(row[0] for row in cursor.fetchall())
        if missing:
            raise MissingParent(f"{child}.{column}: no {parent} row with {key} "
                                f"{', '.join(map(str, sorted(missing)[:10]))}")


def _insert_core(session: Session, plan_id, channel, columns, reasons, now) -> None:
    """Any other engine: Core executemany with RETURNING, in chunks."""
    moments: dict[int, dt.datetime] = {}
    rows = []
    for tid, mid, start, off, dur, why in zip(columns["target_id"], columns["message_id"], columns["session_start"],
                                              columns["offset_s"], columns["duration_s"], reasons):
        session_start = moments.get(start) or moments.setdefault(start, dt.datetime.fromtimestamp(start, UTC))
        rows.append({"plan_id": plan_id, "message_version_id": mid, "target_id": tid,
                     "session_starts_at": session_start, "starts_at": session_start + dt.timedelta(seconds=off),
                     "duration_seconds": dur, "is_pinned": False, "source": OccurrenceSource.AUTO,
                     "reason": "", "reason_id": why, "created_at": now})
    for i in range(0, len(rows), CORE_BATCH):
        chunk = rows[i:i + CORE_BATCH]
        ids = session.scalars(insert(Occurrence).returning(Occurrence.id, sort_by_parameter_order=True),
                              chunk).all()
        session.execute(insert(Delivery), [
            {"occurrence_id": oid, "channel": channel, "due_at": row["starts_at"], "status": DeliveryStatus.PLANNED,
             "updated_at": now} for oid, row in zip(ids, chunk)])
