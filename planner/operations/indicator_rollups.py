"""Indicator rollups (`indicator_rollups`): the rolled-up "latest figure in force of every unit" kept on write.

A unit's figure on a day is its latest result in force (not replaced) measured on or before that day; a higher
unit's figure is the sum of its units' figures (values, denominators) — `supervision.latest_results_at`. Per
indicator and unit that is a step function of the day; it changes only on the dates results were measured.
`indicator_rollups` holds, per indicator × rollup unit (a village folded into its commune, any other unit its own)
× date, the sum of those steps: how much the summed value, denominator and number of units with a figure change
on that date. The figures of every commune of a province on a day are then a sum over rows up to that day.

Kept on write by a session hook: before a flush that adds, changes or deletes results (or moves a village to
another commune), the affected (indicator, unit) pairs' steps are computed from the database as it is; after the
flush, again; the difference is added to the rollups (an upsert per row, so concurrent writers to other pairs of
the same commune add up). Results are written rarely (the form, an upload, the village head's page, the API, all
through `operations.indicators.record_result`); a Core bulk write of results bypasses the hook and must call
`rebuild_indicator_rollups` (`planner counts rebuild` does, `planner counts check` compares).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import delete, event, inspect, select, text, tuple_
from sqlalchemy.orm import Session

from planner.models import Indicator, IndicatorResult, IndicatorRollup, Unit, UnitKind

Key = tuple  # (indicator_id, rollup unit id, day)
_OLD = "indicator_rollups_before_flush"
_CHUNK = 500


def _rollup_units(conn, unit_ids) -> dict[int, int]:
    """{unit id: the unit its figures are rolled into}: a village's parent, any other unit itself."""
    out = {}
    ids = list(unit_ids)
    for i in range(0, len(ids), _CHUNK):
        for uid, kind, parent in conn.execute(select(Unit.id, Unit.kind, Unit.parent_id)
                                              .where(Unit.id.in_(ids[i:i + _CHUNK]))):
            out[uid] = parent if kind is UnitKind.VILLAGE and parent else uid
    return out


def steps(conn, pairs: set[tuple[int, int]] | None = None, plan_id: int | None = None) -> dict[Key, list]:
    """{(indicator, rollup unit, day): [value, denominator, units]}: the rolled-up changes of the figures of the
    given (indicator, unit) pairs (or of every pair of a plan, or of all), computed from the results in force."""
    stmt = (select(IndicatorResult.indicator_id, IndicatorResult.unit_id, IndicatorResult.measured_on,
                   IndicatorResult.value, IndicatorResult.denominator)
            .where(IndicatorResult.replaced_at.is_(None))
            .order_by(IndicatorResult.indicator_id, IndicatorResult.unit_id, IndicatorResult.measured_on,
                      IndicatorResult.id))
    if plan_id is not None:
        stmt = stmt.where(IndicatorResult.indicator_id.in_(select(Indicator.id).where(Indicator.plan_id == plan_id)))
    if pairs is not None:
        if not pairs:
            return {}
        chosen = sorted(pairs)
        rows = []
        for i in range(0, len(chosen), _CHUNK):
            rows += conn.execute(stmt.where(tuple_(IndicatorResult.indicator_id, IndicatorResult.unit_id)
                                            .in_(chosen[i:i + _CHUNK]))).all()
        rows.sort(key=lambda r: (r[0], r[1], r[2]))  # stable: ids stay in order within a date
    else:
        rows = conn.execute(stmt).all()
    # Per pair: the figure on each date it was measured is that date's last result (highest id); the step is
    # the difference to the figure before (none before: the unit starts to count).
    per_pair: dict[tuple[int, int], dict[dt.date, tuple[float, float]]] = defaultdict(dict)
    for ind, unit, day, value, den in rows:
        per_pair[(ind, unit)][day] = (value, den or 0.0)
    into = _rollup_units(conn, {unit for _ind, unit in per_pair})
    out: dict[Key, list] = defaultdict(lambda: [0.0, 0.0, 0])
    for (ind, unit), by_day in per_pair.items():
        before = None
        for day in sorted(by_day):
            value, den = by_day[day]
            acc = out[(ind, into.get(unit, unit), day)]
            if before is None:
                acc[0] += value
                acc[1] += den
                acc[2] += 1
            else:
                acc[0] += value - before[0]
                acc[1] += den - before[1]
            before = (value, den)
    return {key: acc for key, acc in out.items() if acc[0] or acc[1] or acc[2]}


def _apply(conn, changes: dict[Key, list]) -> None:
    """Add the changes to the stored rollups (upsert; rows left at zero are removed)."""
    rows = [{"indicator_id": i, "unit_id": u, "day": d, "value": v, "denominator": n, "units": c}
            for (i, u, d), (v, n, c) in sorted(changes.items()) if v or n or c]
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(IndicatorRollup)
    table = IndicatorRollup.__table__
    stmt = stmt.on_conflict_do_update(
        index_elements=["indicator_id", "unit_id", "day"],
        set_={"value": table.c.value + stmt.excluded.value,
              "denominator": table.c.denominator + stmt.excluded.denominator,
              "units": table.c.units + stmt.excluded.units})
    conn.execute(stmt, rows)
    keys = [(r["indicator_id"], r["unit_id"], r["day"]) for r in rows]
    for i in range(0, len(keys), _CHUNK):
        conn.execute(delete(IndicatorRollup).where(
            tuple_(IndicatorRollup.indicator_id, IndicatorRollup.unit_id, IndicatorRollup.day).in_(keys[i:i + _CHUNK]),
            IndicatorRollup.units == 0, IndicatorRollup.value == 0, IndicatorRollup.denominator == 0))


def difference(new: dict[Key, list], old: dict[Key, list]) -> dict[Key, list]:
    out = {}
    for key in new.keys() | old.keys():
        a, b = new.get(key, (0.0, 0.0, 0)), old.get(key, (0.0, 0.0, 0))
        change = [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
        if any(change):
            out[key] = change
    return out


def stored(conn, plan_id: int | None = None) -> dict[Key, list]:
    stmt = select(IndicatorRollup.indicator_id, IndicatorRollup.unit_id, IndicatorRollup.day, IndicatorRollup.value,
                  IndicatorRollup.denominator, IndicatorRollup.units)
    if plan_id is not None:
        stmt = stmt.where(IndicatorRollup.indicator_id.in_(select(Indicator.id).where(Indicator.plan_id == plan_id)))
    return {(i, u, d): [v, n, c] for i, u, d, v, n, c in conn.execute(stmt) if v or n or c}


def mismatches(conn, plan_id: int | None = None, tolerance: float = 1e-6) -> list[Key]:
    """The rollup rows that differ from a fresh computation (`planner counts check`)."""
    return [key for key, change in difference(steps(conn, plan_id=plan_id), stored(conn, plan_id)).items()
            if abs(change[0]) > tolerance or abs(change[1]) > tolerance or change[2]]


def rebuild_indicator_rollups(session: Session, plan_id: int | None = None) -> int:
    """Throw the rollups of a plan's indicators (or all) away and compute them again; returns rows."""
    conn = session.connection()
    gone = delete(IndicatorRollup)
    if plan_id is not None:
        gone = gone.where(IndicatorRollup.indicator_id.in_(select(Indicator.id).where(Indicator.plan_id == plan_id)))
    conn.execute(gone)
    fresh = steps(conn, plan_id=plan_id)
    _apply(conn, fresh)
    return len(fresh)


# --- the session hook -------------------------------------------------------------------------------------------

def _touched_pairs(session: Session) -> set[tuple[int, int]]:
    pairs: set[tuple[int, int]] = set()
    moved: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, IndicatorResult):
            state = inspect(obj)
            for ind in _values(state, "indicator_id", "indicator"):
                for unit in _values(state, "unit_id", "unit"):
                    pairs.add((ind, unit))
        elif isinstance(obj, Unit) and obj.id is not None and inspect(obj).attrs.parent_id.history.has_changes():
            moved.add(obj.id)
    if moved:  # a village moved: every figure it has moves to the other commune
        conn = session.connection()
        for i in range(0, len(ids := sorted(moved)), _CHUNK):
            pairs |= set(conn.execute(select(IndicatorResult.indicator_id, IndicatorResult.unit_id).distinct()
                                      .where(IndicatorResult.unit_id.in_(ids[i:i + _CHUNK]))).all())
    return {p for p in pairs if None not in p}


def _values(state, name: str, relation: str) -> set:
    """The column's values before and after the flush; for a new row given only the related object, its id
    (read from what is loaded: no query inside a flush)."""
    history = state.attrs[name].history
    found = {v for v in (*history.added, *history.unchanged, *history.deleted) if v is not None}
    related = state.dict.get(relation)
    return found or ({related.id} if related is not None and related.id is not None else set())


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context, _instances) -> None:
    pairs = _touched_pairs(session)
    if pairs:
        conn = session.connection()
        if conn.dialect.name == "postgresql":
            # Two transactions writing results of the same indicator and unit would each compute their "before"
            # without the other's row and leave the rollup one step off: they take turns per pair (held to the
            # transaction's end, taken in one order so they cannot deadlock). SQLite has one writer anyway.
            for indicator_id, unit_id in sorted(pairs):
                conn.execute(text("SELECT pg_advisory_xact_lock(CAST(:i AS integer), CAST(:u AS integer))"),
                             {"i": indicator_id, "u": unit_id})
        session.info.setdefault(_OLD, []).append((pairs, steps(conn, pairs)))


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context) -> None:
    pending = session.info.pop(_OLD, None)
    if not pending:
        return
    conn = session.connection()
    for pairs, old in pending:
        _apply(conn, difference(steps(conn, pairs), old))


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_OLD, None)
