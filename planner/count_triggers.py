"""The triggers that keep `activity_counts` in step with `deliveries` and `occurrences` (SQLite and PostgreSQL).

A delivery counts +1 in the bucket (plan, target's unit, local day of the occurrence's start, channel, status,
occurrence is a make-up). Every insert, status/channel change, delete of a delivery, and every move of its
occurrence (day, target, plan, make-up link) moves that +1. PostgreSQL uses statement-level triggers with
transition tables, so a COPY of a million deliveries is one aggregated upsert; SQLite uses row triggers.
An occurrence deleted with its delivery still attached (ON DELETE CASCADE) is counted out by a BEFORE DELETE
row trigger on occurrences; the delivery's own delete trigger then finds no occurrence and does nothing.

Note for later migrations: SQLite's batch_alter_table recreates a table, which drops its triggers; a migration
that batch-alters `deliveries`, `occurrences` or `targets` must call `install_triggers(op.get_bind())` again.
"""
from __future__ import annotations

COLUMNS = "plan_id, unit_id, day, channel, status, is_makeup, n"
KEY = "plan_id, unit_id, day, channel, status, is_makeup"
SQLITE_DAY = "date({}, '+7 hours')"  # Asia/Ho_Chi_Minh has no daylight saving time
PG_DAY = "(({}) AT TIME ZONE 'Asia/Ho_Chi_Minh')::date"

SQLITE_NAMES = ["trg_counts_delivery_insert", "trg_counts_delivery_update", "trg_counts_delivery_delete",
                "trg_counts_occurrence_update", "trg_counts_occurrence_delete"]
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
}


def _sqlite_upsert(select_sql: str) -> str:
    # "WHERE" before ON CONFLICT keeps SQLite's parser from reading ON CONFLICT as a join constraint.
    return (f"INSERT INTO activity_counts ({COLUMNS}) {select_sql} "
            f"ON CONFLICT ({KEY}) DO UPDATE SET n = activity_counts.n + excluded.n;")


def _sqlite_bucket(delivery: str, occ: str, sign: str) -> str:
    """SELECT of one delivery's bucket; `delivery`/`occ` are row aliases (NEW, OLD, d, o)."""
    return (f"SELECT {occ}.plan_id, t.unit_id, {SQLITE_DAY.format(occ + '.starts_at')}, {delivery}.channel, "
            f"{delivery}.status, {occ}.replaces_delivery_id IS NOT NULL, {sign}1")


SQLITE = {
    "trg_counts_delivery_insert": "AFTER INSERT ON deliveries BEGIN " + _sqlite_upsert(
        _sqlite_bucket("NEW", "o", "") + " FROM occurrences o JOIN targets t ON t.id = o.target_id "
        "WHERE o.id = NEW.occurrence_id") + " END",
    "trg_counts_delivery_update": (
        "AFTER UPDATE OF status, channel, occurrence_id ON deliveries WHEN OLD.status IS NOT NEW.status "
        "OR OLD.channel IS NOT NEW.channel OR OLD.occurrence_id IS NOT NEW.occurrence_id BEGIN "
        + _sqlite_upsert(_sqlite_bucket("OLD", "o", "-") + " FROM occurrences o JOIN targets t ON t.id = o.target_id "
                         "WHERE o.id = OLD.occurrence_id")
        + _sqlite_upsert(_sqlite_bucket("NEW", "o", "") + " FROM occurrences o JOIN targets t ON t.id = o.target_id "
                         "WHERE o.id = NEW.occurrence_id") + " END"),
    "trg_counts_delivery_delete": "AFTER DELETE ON deliveries BEGIN " + _sqlite_upsert(
        _sqlite_bucket("OLD", "o", "-") + " FROM occurrences o JOIN targets t ON t.id = o.target_id "
        "WHERE o.id = OLD.occurrence_id") + " END",
    "trg_counts_occurrence_update": (
        "AFTER UPDATE OF starts_at, target_id, plan_id, replaces_delivery_id ON occurrences WHEN "
        f"{SQLITE_DAY.format('OLD.starts_at')} IS NOT {SQLITE_DAY.format('NEW.starts_at')} "
        "OR OLD.target_id IS NOT NEW.target_id OR OLD.plan_id IS NOT NEW.plan_id "
        "OR (OLD.replaces_delivery_id IS NULL) IS NOT (NEW.replaces_delivery_id IS NULL) BEGIN "
        + _sqlite_upsert(_sqlite_bucket("d", "OLD", "-") + " FROM deliveries d JOIN targets t ON t.id = OLD.target_id "
                         "WHERE d.occurrence_id = OLD.id")
        + _sqlite_upsert(_sqlite_bucket("d", "NEW", "") + " FROM deliveries d JOIN targets t ON t.id = NEW.target_id "
                         "WHERE d.occurrence_id = NEW.id") + " END"),
    "trg_counts_occurrence_delete": "BEFORE DELETE ON occurrences BEGIN " + _sqlite_upsert(
        _sqlite_bucket("d", "OLD", "-") + " FROM deliveries d JOIN targets t ON t.id = OLD.target_id "
        "WHERE d.occurrence_id = OLD.id") + " END",
}


def _pg_bucket(delivery: str, occ: str, sign: str) -> str:
    return (f"SELECT {occ}.plan_id, t.unit_id, {PG_DAY.format(occ + '.starts_at')} AS day, {delivery}.channel, "
            f"{delivery}.status, {occ}.replaces_delivery_id IS NOT NULL AS is_makeup, {sign}1 AS n")


def _pg_apply(deltas: str) -> str:
    """Upsert the summed deltas, in key order (concurrent writers lock counts rows in one order: no deadlock)."""
    return (f"INSERT INTO activity_counts ({COLUMNS}) SELECT {KEY}, sum(n) FROM ({deltas}) AS x "
            f"GROUP BY {KEY} HAVING sum(n) <> 0 ORDER BY {KEY} "
            f"ON CONFLICT ({KEY}) DO UPDATE SET n = activity_counts.n + EXCLUDED.n;")


_CHANGED = ("(o2.status IS DISTINCT FROM n2.status OR o2.channel IS DISTINCT FROM n2.channel "
            "OR o2.occurrence_id IS DISTINCT FROM n2.occurrence_id)")
_MOVED = (f"({PG_DAY.format('o2.starts_at')} IS DISTINCT FROM {PG_DAY.format('n2.starts_at')} "
          "OR o2.target_id IS DISTINCT FROM n2.target_id OR o2.plan_id IS DISTINCT FROM n2.plan_id "
          "OR (o2.replaces_delivery_id IS NULL) IS DISTINCT FROM (n2.replaces_delivery_id IS NULL))")
PG_FUNCTIONS = {
    "counts_delivery_insert": _pg_apply(
        _pg_bucket("d", "o", "") + " FROM new_rows d JOIN occurrences o ON o.id = d.occurrence_id "
        "JOIN targets t ON t.id = o.target_id"),
    "counts_delivery_update": _pg_apply(
        _pg_bucket("o2", "o", "-") + " FROM old_rows o2 JOIN new_rows n2 ON n2.id = o2.id "
        "JOIN occurrences o ON o.id = o2.occurrence_id JOIN targets t ON t.id = o.target_id WHERE " + _CHANGED
        + " UNION ALL " + _pg_bucket("n2", "o", "") + " FROM old_rows o2 JOIN new_rows n2 ON n2.id = o2.id "
        "JOIN occurrences o ON o.id = n2.occurrence_id JOIN targets t ON t.id = o.target_id WHERE " + _CHANGED),
    "counts_delivery_delete": _pg_apply(
        _pg_bucket("d", "o", "-") + " FROM old_rows d JOIN occurrences o ON o.id = d.occurrence_id "
        "JOIN targets t ON t.id = o.target_id"),
    "counts_occurrence_update": _pg_apply(
        _pg_bucket("d", "o2", "-") + " FROM old_rows o2 JOIN new_rows n2 ON n2.id = o2.id "
        "JOIN deliveries d ON d.occurrence_id = o2.id JOIN targets t ON t.id = o2.target_id WHERE " + _MOVED
        + " UNION ALL " + _pg_bucket("d", "n2", "") + " FROM old_rows o2 JOIN new_rows n2 ON n2.id = o2.id "
        "JOIN deliveries d ON d.occurrence_id = n2.id JOIN targets t ON t.id = n2.target_id WHERE " + _MOVED),
    "counts_occurrence_delete": _pg_apply(
        _pg_bucket("d", "OLD", "-") + " FROM deliveries d JOIN targets t ON t.id = OLD.target_id "
        "WHERE d.occurrence_id = OLD.id"),
}


def install_triggers(connection) -> None:
    """(Re)create the counting triggers on this connection's database."""
    if connection.dialect.name == "sqlite":
        for name in SQLITE_NAMES:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
            connection.exec_driver_sql(f"CREATE TRIGGER {name} {SQLITE[name]}")
        return
    for fn, body in PG_FUNCTIONS.items():
        ret = "OLD" if fn == "counts_occurrence_delete" else "NULL"
        connection.exec_driver_sql(f"CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS "
                                   f"$$ BEGIN {body} RETURN {ret}; END $$")
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
