"""The triggers that keep `activity_counts` in step with `deliveries` and `occurrences` (SQLite and PostgreSQL).

A delivery counts +1 in the bucket (plan, target's unit, local day of the occurrence's start, channel, status,
occurrence is a make-up). Every insert, status/channel change, delete of a delivery, and every move of its
occurrence (day, target, plan, make-up link) moves that +1. PostgreSQL uses statement-level triggers with
transition tables, so a bulk update is one aggregated upsert; SQLite uses row triggers. One exception: the
generated placements bulk.py writes are counted by bulk.py itself, in a few aggregated statements, while the delivery
insert triggers are paused for its own statements (SQLite: a `count_pauses` row; PostgreSQL: the transaction-local
setting PG_PAUSE) — `count_generated_sqlite` / `count_generated_postgresql` below, checked against a recount in
tests/app/test_bulk.py.
An occurrence deleted with its delivery still attached (ON DELETE CASCADE) is counted out by a BEFORE DELETE
row trigger on occurrences; the delivery's own delete trigger then finds no occurrence and does nothing.

The bucket also says whether a make-up (not cancelled) replaces the delivery: `deliveries.made_up`, which the same
triggers keep (a make-up linked/unlinked, its delivery added, cancelled, un-cancelled or deleted, the make-up
occurrence deleted → the replaced delivery's flag is set right, and that update moves its count). Honest reads are
then a plain sum of the rows with `made_up = false`.

Note for later migrations: SQLite's batch_alter_table recreates a table, which drops its triggers; a migration
that batch-alters `deliveries`, `occurrences` or `targets` must call `install_triggers(op.get_bind())` again.
"""
from __future__ import annotations

from collections import Counter
from itertools import repeat
from operator import add, floordiv

COLUMNS = "plan_id, unit_id, day, channel, status, is_makeup, made_up, n"
KEY = "plan_id, unit_id, day, channel, status, is_makeup, made_up"
GROUP_KEY = "1, 2, 3, 4, 5, 6, 7"
SQLITE_DAY = "date({}, '+7 hours')"  # Asia/Ho_Chi_Minh has no daylight saving time
LOCAL_OFFSET_S = 7 * 3600            # the same, for epoch seconds (count_generated_postgresql)
PG_DAY = "(({}) AT TIME ZONE 'Asia/Ho_Chi_Minh')::date"

SQLITE_NAMES = ["trg_counts_delivery_insert", "trg_counts_delivery_update", "trg_counts_delivery_delete",
                "trg_counts_occurrence_update", "trg_counts_occurrence_delete", "trg_counts_village_move",
                "trg_made_up_delivery_insert", "trg_made_up_delivery_update", "trg_made_up_delivery_delete",
                "trg_made_up_occurrence_update", "trg_made_up_occurrence_delete"]
PG_TRIGGERS = {  # name: (table, timing and event, function)
    "trg_counts_delivery_insert": ("deliveries", "AFTER INSERT", "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT",
                                   "counts_delivery_insert"),
    "trg_counts_delivery_update": ("deliveries", "AFTER UPDATE",
                                   "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT",
                                   "counts_delivery_update"),
    "trg_counts_delivery_delete": ("deliveries", "AFTER DELETE", "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT",
                                   "counts_delivery_delete"),
    "trg_counts_occurrence_update": ("occurrences", "AFTER UPDATE",
                                     "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT",
                                     "counts_occurrence_update"),
    "trg_counts_occurrence_delete": ("occurrences", "BEFORE DELETE", "FOR EACH ROW", "counts_occurrence_delete"),
    "trg_counts_village_move": ("units", "AFTER UPDATE OF parent_id", "FOR EACH ROW", "counts_village_move"),
    "trg_made_up_occurrence_delete": ("occurrences", "AFTER DELETE",
                                      "FOR EACH ROW WHEN (OLD.replaces_delivery_id IS NOT NULL)",
                                      "made_up_occurrence_delete"),
}


ROLLUP_UNIT = "COALESCE(CASE WHEN u.kind = 'village' THEN u.parent_id END, u.id)"
TABLES = (("activity_counts", "t.unit_id", ""), ("activity_rollups", ROLLUP_UNIT, " JOIN units u ON u.id = t.unit_id"))


def _sqlite_upsert(delivery: str, occ: str, sign: str, source: str) -> str:
    """Both tables' upserts of one delivery's bucket; `delivery`/`occ` are row aliases (NEW, OLD, d, o), `source`
    the FROM … WHERE naming `t` (the target); "WHERE" before ON CONFLICT keeps SQLite's parser from reading ON
    CONFLICT as a join constraint."""
    frm, where = source.split(" WHERE ")
    out = ""
    for table, unit, join in TABLES:
        out += (f"INSERT INTO {table} ({COLUMNS}) SELECT {occ}.plan_id, {unit}, "
                f"{SQLITE_DAY.format(occ + '.starts_at')}, {delivery}.channel, {delivery}.status, "
                f"{occ}.replaces_delivery_id IS NOT NULL, {delivery}.made_up, {sign}1 {frm}{join} WHERE {where} "
                f"ON CONFLICT ({KEY}) DO UPDATE SET n = {table}.n + excluded.n; ")
    return out


_BY_OCC = "FROM occurrences o JOIN targets t ON t.id = o.target_id WHERE o.id = {}.occurrence_id"
_BY_DELIVERY = "FROM deliveries d JOIN targets t ON t.id = {0}.target_id WHERE d.occurrence_id = {0}.id"
_MOVE_VILLAGE = ("INSERT INTO activity_rollups ({cols}) SELECT plan_id, {unit}, day, channel, status, is_makeup, "
                 "made_up, {sign}n FROM activity_counts WHERE unit_id = NEW.id AND n <> 0 "
                 "ON CONFLICT ({key}) DO UPDATE SET n = activity_rollups.n + excluded.n;")


MADE_UP = ("EXISTS (SELECT 1 FROM occurrences m JOIN deliveries md ON md.occurrence_id = m.id "
           "WHERE m.replaces_delivery_id = deliveries.id AND md.status <> 'cancelled')")


def _refresh(ids: str) -> str:
    """Set `made_up` right on the deliveries whose ids the query gives (NULLs ignored) where it is wrong."""
    return f"UPDATE deliveries SET made_up = NOT made_up WHERE id IN ({ids}) AND made_up <> ({MADE_UP});"


def _pg_refresh(ids: str) -> str:
    """PostgreSQL: the same, only when the query finds a delivery. A statement trigger fires even for an UPDATE of
    no rows, so an unconditional refresh would fire the delivery update trigger again, and so on without end.
    The ids are gathered whole (array_agg), not tested with EXISTS: for a first row PostgreSQL nests loops over the
    transition tables, which have no index — quadratic when a bulk update finds none."""
    return (f" SELECT array_agg(DISTINCT i) INTO made_up_ids FROM ({ids}) AS q(i) WHERE i IS NOT NULL;"
            f" IF made_up_ids IS NOT NULL THEN {_refresh('SELECT unnest(made_up_ids)')} END IF;")


def _move_village(sign: str, unit: str) -> str:
    return _MOVE_VILLAGE.format(cols=COLUMNS, unit=unit, sign=sign, key=KEY)


SQLITE = {
    "trg_counts_delivery_insert": "AFTER INSERT ON deliveries WHEN NOT EXISTS (SELECT 1 FROM count_pauses) BEGIN "
        + _sqlite_upsert("NEW", "o", "", _BY_OCC.format("NEW")) + " END",
    "trg_counts_delivery_update": (
        "AFTER UPDATE OF status, channel, occurrence_id, made_up ON deliveries WHEN OLD.status IS NOT NEW.status "
        "OR OLD.channel IS NOT NEW.channel OR OLD.occurrence_id IS NOT NEW.occurrence_id "
        "OR OLD.made_up IS NOT NEW.made_up BEGIN "
        + _sqlite_upsert("OLD", "o", "-", _BY_OCC.format("OLD"))
        + _sqlite_upsert("NEW", "o", "", _BY_OCC.format("NEW")) + " END"),
    "trg_counts_delivery_delete": "AFTER DELETE ON deliveries BEGIN "
        + _sqlite_upsert("OLD", "o", "-", _BY_OCC.format("OLD")) + " END",
    "trg_counts_occurrence_update": (
        "AFTER UPDATE OF starts_at, target_id, plan_id, replaces_delivery_id ON occurrences WHEN "
        f"{SQLITE_DAY.format('OLD.starts_at')} IS NOT {SQLITE_DAY.format('NEW.starts_at')} "
        "OR OLD.target_id IS NOT NEW.target_id OR OLD.plan_id IS NOT NEW.plan_id "
        "OR (OLD.replaces_delivery_id IS NULL) IS NOT (NEW.replaces_delivery_id IS NULL) BEGIN "
        + _sqlite_upsert("d", "OLD", "-", _BY_DELIVERY.format("OLD"))
        + _sqlite_upsert("d", "NEW", "", _BY_DELIVERY.format("NEW")) + " END"),
    "trg_counts_occurrence_delete": "BEFORE DELETE ON occurrences BEGIN "
        + _sqlite_upsert("d", "OLD", "-", _BY_DELIVERY.format("OLD")) + " END",
    # A village moved to another commune takes its counts along in the rollup.
    "trg_counts_village_move": (
        "AFTER UPDATE OF parent_id ON units WHEN NEW.kind = 'village' AND OLD.kind = 'village' "
        "AND OLD.parent_id IS NOT NEW.parent_id BEGIN "
        + _move_village("-", "COALESCE(OLD.parent_id, NEW.id)") + " " + _move_village("", "COALESCE(NEW.parent_id, NEW.id)")
        + " END"),
    # `deliveries.made_up`: set when a make-up (not cancelled) comes to replace a delivery, cleared when it goes.
    # The flag's own update moves the delivery's count (trg_counts_delivery_update above).
    # Not while `count_pauses` holds a row: only bulk.py's generated placements are inserted then, and they never
    # replace a delivery (one query and update per row saved on a province generation).
    "trg_made_up_delivery_insert": "AFTER INSERT ON deliveries WHEN NEW.status <> 'cancelled' "
        "AND NOT EXISTS (SELECT 1 FROM count_pauses) BEGIN "
        + _refresh("SELECT replaces_delivery_id FROM occurrences WHERE id = NEW.occurrence_id") + " END",
    "trg_made_up_delivery_update": (
        "AFTER UPDATE OF status, occurrence_id ON deliveries WHEN (OLD.status = 'cancelled') IS NOT "
        "(NEW.status = 'cancelled') OR OLD.occurrence_id IS NOT NEW.occurrence_id BEGIN "
        + _refresh("SELECT replaces_delivery_id FROM occurrences WHERE id IN (OLD.occurrence_id, NEW.occurrence_id)")
        + " END"),
    "trg_made_up_delivery_delete": "AFTER DELETE ON deliveries WHEN OLD.status <> 'cancelled' BEGIN "
        + _refresh("SELECT replaces_delivery_id FROM occurrences WHERE id = OLD.occurrence_id") + " END",
    "trg_made_up_occurrence_update": (
        "AFTER UPDATE OF replaces_delivery_id ON occurrences WHEN OLD.replaces_delivery_id IS NOT "
        "NEW.replaces_delivery_id BEGIN " + _refresh("SELECT OLD.replaces_delivery_id UNION SELECT NEW.replaces_delivery_id")
        + " END"),
    "trg_made_up_occurrence_delete": "AFTER DELETE ON occurrences WHEN OLD.replaces_delivery_id IS NOT NULL BEGIN "
        + _refresh("SELECT OLD.replaces_delivery_id") + " END",
}


def _pg_bucket(delivery: str, occ: str, sign: str) -> str:
    return (f"SELECT {occ}.plan_id, t.unit_id, {PG_DAY.format(occ + '.starts_at')} AS day, {delivery}.channel, "
            f"{delivery}.status, {occ}.replaces_delivery_id IS NOT NULL AS is_makeup, {delivery}.made_up, {sign}1 AS n")


def _pg_apply(deltas: str) -> str:
    """Upsert the summed deltas into both tables (one statement, a writable CTE), in key order: concurrent
    writers lock counts rows in one order."""
    upserts = []
    for table, unit, _join in TABLES:
        src = "delta t" + ("" if table == "activity_counts" else " JOIN units u ON u.id = t.unit_id")
        upserts.append(f"INSERT INTO {table} ({COLUMNS}) SELECT t.plan_id, {unit}, t.day, t.channel, t.status, "
                       f"t.is_makeup, t.made_up, sum(t.n) FROM {src} GROUP BY {GROUP_KEY} ORDER BY {GROUP_KEY} "
                       f"ON CONFLICT ({KEY}) DO UPDATE SET n = {table}.n + EXCLUDED.n")
    return (f"WITH delta AS (SELECT {KEY}, sum(n) AS n FROM ({deltas}) AS x GROUP BY {KEY} HAVING sum(n) <> 0), "
            f"first AS ({upserts[0]} RETURNING 1) {upserts[1]};")


_CHANGED = ("(o2.status IS DISTINCT FROM n2.status OR o2.channel IS DISTINCT FROM n2.channel "
            "OR o2.occurrence_id IS DISTINCT FROM n2.occurrence_id OR o2.made_up IS DISTINCT FROM n2.made_up)")
_MOVED = (f"({PG_DAY.format('o2.starts_at')} IS DISTINCT FROM {PG_DAY.format('n2.starts_at')} "
          "OR o2.target_id IS DISTINCT FROM n2.target_id OR o2.plan_id IS DISTINCT FROM n2.plan_id "
          "OR (o2.replaces_delivery_id IS NULL) IS DISTINCT FROM (n2.replaces_delivery_id IS NULL))")
# PostgreSQL: set (transaction-local) by bulk.py while it COPYs generated deliveries, which it counts itself.
PG_PAUSE = "planner.pause_counts"
PG_FUNCTIONS = {
    "counts_delivery_insert": f"IF current_setting('{PG_PAUSE}', true) = 'on' THEN RETURN NULL; END IF; " + _pg_apply(
        _pg_bucket("d", "o", "") + " FROM new_rows d JOIN occurrences o ON o.id = d.occurrence_id "
        "JOIN targets t ON t.id = o.target_id") + _pg_refresh(
        "SELECT o.replaces_delivery_id FROM new_rows d JOIN occurrences o ON o.id = d.occurrence_id "
        "WHERE o.replaces_delivery_id IS NOT NULL AND d.status <> 'cancelled'"),
    "counts_delivery_update": _pg_apply(
        _pg_bucket("o2", "o", "-") + " FROM old_rows o2 JOIN new_rows n2 ON n2.id = o2.id "
        "JOIN occurrences o ON o.id = o2.occurrence_id JOIN targets t ON t.id = o.target_id WHERE " + _CHANGED
        + " UNION ALL " + _pg_bucket("n2", "o", "") + " FROM old_rows o2 JOIN new_rows n2 ON n2.id = o2.id "
        "JOIN occurrences o ON o.id = n2.occurrence_id JOIN targets t ON t.id = o.target_id WHERE " + _CHANGED)
        # Only rows whose cancellation or occurrence changed, then occurrences by key (an `o.id IN (a, b)` join
        # made PostgreSQL scan the occurrences for every updated row: minutes for a bulk mark-missed).
        + _pg_refresh("SELECT o.replaces_delivery_id FROM (SELECT x.occ FROM old_rows o2 JOIN new_rows n2 "
                      "ON n2.id = o2.id, LATERAL (VALUES (o2.occurrence_id), (n2.occurrence_id)) AS x(occ) "
                      "WHERE (o2.status = 'cancelled') IS DISTINCT FROM (n2.status = 'cancelled') "
                      "OR o2.occurrence_id IS DISTINCT FROM n2.occurrence_id) AS c "
                      "JOIN occurrences o ON o.id = c.occ WHERE o.replaces_delivery_id IS NOT NULL"),
    "counts_delivery_delete": _pg_apply(
        _pg_bucket("d", "o", "-") + " FROM old_rows d JOIN occurrences o ON o.id = d.occurrence_id "
        "JOIN targets t ON t.id = o.target_id") + _pg_refresh(
        "SELECT o.replaces_delivery_id FROM old_rows d JOIN occurrences o ON o.id = d.occurrence_id "
        "WHERE o.replaces_delivery_id IS NOT NULL AND d.status <> 'cancelled'"),
    "counts_occurrence_update": _pg_apply(
        _pg_bucket("d", "o2", "-") + " FROM old_rows o2 JOIN new_rows n2 ON n2.id = o2.id "
        "JOIN deliveries d ON d.occurrence_id = o2.id JOIN targets t ON t.id = o2.target_id WHERE " + _MOVED
        + " UNION ALL " + _pg_bucket("d", "n2", "") + " FROM old_rows o2 JOIN new_rows n2 ON n2.id = o2.id "
        "JOIN deliveries d ON d.occurrence_id = n2.id JOIN targets t ON t.id = n2.target_id WHERE " + _MOVED)
        + _pg_refresh("SELECT x.id FROM old_rows o2 JOIN new_rows n2 ON n2.id = o2.id, "
                   "LATERAL (VALUES (o2.replaces_delivery_id), (n2.replaces_delivery_id)) AS x(id) "
                   "WHERE o2.replaces_delivery_id IS DISTINCT FROM n2.replaces_delivery_id"),
    "counts_occurrence_delete": _pg_apply(
        _pg_bucket("d", "OLD", "-") + " FROM deliveries d JOIN targets t ON t.id = OLD.target_id "
        "WHERE d.occurrence_id = OLD.id"),
    "counts_village_move": ("IF NEW.kind = 'village' AND OLD.kind = 'village' AND OLD.parent_id IS DISTINCT FROM "
                            "NEW.parent_id THEN " + _move_village("-", "COALESCE(OLD.parent_id, NEW.id)") + " "
                            + _move_village("", "COALESCE(NEW.parent_id, NEW.id)") + " END IF;"),
    "made_up_occurrence_delete": _pg_refresh("SELECT OLD.replaces_delivery_id"),
}


def count_generated_postgresql(cursor, plan_id: int, channel: str, status: str, columns: dict) -> None:
    """What the insert trigger would have added for the deliveries bulk.py COPYed while PG_PAUSE was on, from the
    core's columns: summed per (target, local day), all of the plan, channel and status given, none a make-up nor
    made up. One statement upserts both tables in key order, as the trigger does."""
    starts = map(add, columns["session_start"], columns["offset_s"])
    days = map(floordiv, map(add, starts, repeat(LOCAL_OFFSET_S)), repeat(86400))      # days since 1970-01-01
    groups = Counter(zip(columns["target_id"], days))
    if not groups:
        return
    # Sent as array literals: joining ≈ 0.5 M integers into text is a quarter of what adapting three lists costs.
    targets, days, counts = ("{" + ",".join(map(str, column)) + "}"
                             for column in zip(*((t, d, n) for (t, d), n in groups.items())))
    deltas = (f"SELECT %s::int AS plan_id, t.unit_id, DATE '1970-01-01' + g.day AS day, %s::text AS channel, "
              f"%s::text AS status, false AS is_makeup, false AS made_up, g.n "
              f"FROM unnest(%s::int[], %s::int[], %s::int[]) AS g(target_id, day, n) JOIN targets t ON t.id = g.target_id")
    cursor.execute(_pg_apply(deltas), (plan_id, channel, status, targets, days, counts))


def count_generated_sqlite(cursor, first_occurrence_id: int, last_occurrence_id: int, *, channel: str,
                           status: str) -> None:
    """Count the deliveries bulk.py inserted for the occurrences with ids in the range (while `count_pauses` held a
    row), exactly as the insert trigger would have one by one. Every one of them has the given channel and status,
    is not made up, and its occurrence replaces no delivery, so the buckets come from the occurrences alone: one
    pass groups them per plan, target and local day into a temporary table, and one statement per count table adds
    those groups per unit (reading the occurrences once, not once per table)."""
    cursor.execute("CREATE TEMP TABLE IF NOT EXISTS bulk_day_counts (plan_id INTEGER, target_id INTEGER, day TEXT, "
                   "k INTEGER)")
    cursor.execute("DELETE FROM temp.bulk_day_counts")
    cursor.execute(f"INSERT INTO temp.bulk_day_counts SELECT plan_id, target_id, {SQLITE_DAY.format('starts_at')}, "
                   f"count(*) FROM occurrences WHERE id BETWEEN ? AND ? GROUP BY 1, 2, 3",
                   (first_occurrence_id, last_occurrence_id))
    for table, unit, join in TABLES:
        cursor.execute(
            f"INSERT INTO {table} ({COLUMNS}) SELECT g.plan_id, {unit}, g.day, ?, ?, 0, 0, sum(g.k) FROM "
            f"temp.bulk_day_counts g JOIN targets t ON t.id = g.target_id{join} WHERE 1 GROUP BY 1, 2, 3 "
            f"ON CONFLICT ({KEY}) DO UPDATE SET n = {table}.n + excluded.n", (channel, status))
    cursor.execute("DELETE FROM temp.bulk_day_counts")


def install_triggers(connection) -> None:
    """(Re)create the counting triggers on this connection's database."""
    if connection.dialect.name == "sqlite":
        for name in SQLITE_NAMES:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
            connection.exec_driver_sql(f"CREATE TRIGGER {name} {SQLITE[name]}")
        return
    for fn, body in PG_FUNCTIONS.items():
        ret = {"counts_occurrence_delete": "OLD", "counts_village_move": "NEW"}.get(fn, "NULL")
        connection.exec_driver_sql(f"CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS "
                                   f"$$ DECLARE made_up_ids integer[]; BEGIN {body} RETURN {ret}; END $$")
    for name, (table, when, refs, fn) in PG_TRIGGERS.items():
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        connection.exec_driver_sql(f"CREATE TRIGGER {name} {when} ON {table} {refs} EXECUTE FUNCTION {fn}()")


def drop_triggers(connection) -> None:
    """Remove the counting triggers (migration downgrade)."""
    if connection.dialect.name == "sqlite":
        for name in SQLITE_NAMES:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        return
    for name, (table, *_rest) in PG_TRIGGERS.items():
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    for fn in PG_FUNCTIONS:
        connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {fn}()")
