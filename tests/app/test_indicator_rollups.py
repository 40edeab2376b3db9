"""`indicator_rollups` (the rolled-up latest figures kept on write) give above a commune exactly what the probes
of every unit's latest result give, through corrections, a village moved to another commune, and rebuilds."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import select, update

from planner.db import utcnow
from planner.models import Indicator, IndicatorResult, ResultSource, Unit, UnitKind
from planner.operations.indicator_rollups import mismatches
from planner.operations.indicators import record_result
from planner.supervision import (Figure, Filters, drilldown, latest_results, latest_results_at, progress_series,
                                 rolled_up_results_at)
from tests.app import factories as f


def _unit(db, code: str) -> Unit:
    return db.scalar(select(Unit).where(Unit.code == code))


def _per_commune(found: dict, root: Unit, db) -> dict:
    """Each unit's latest figure (`latest_results_at`) added up per commune, as the rollups keep them."""
    units = {u.path: u for u in db.scalars(select(Unit).where(Unit.path.startswith(root.path)))}
    paths = {u.id: u.path for u in units.values()}
    out: dict = defaultdict(lambda: [0.0, 0.0])
    for (ind, path), (value, den) in found.items():
        unit = units[path]
        key = (ind, paths[unit.parent_id] if unit.kind is UnitKind.VILLAGE and unit.parent_id else path)
        out[key][0] += value
        out[key][1] += den or 0
    return {key: tuple(v) for key, v in out.items()}


def _assert_same(db, indicators, province, days):
    ids = [i.id for i in indicators]
    probed = latest_results_at(db, ids, province, days)
    rolled = rolled_up_results_at(db, ids, province, days)
    for day in days:
        assert rolled[day] == _per_commune(probed[day], province, db), day
    assert mismatches(db.connection()) == []
    for ind in indicators:
        first, last = min(days), max(days)
        series = progress_series(db, ind, province, first, last)
        expected = []
        for day, _ in series:
            found = latest_results(db, [ind.id], province, day)
            expected.append((day, Figure(ind, sum(v for v, _ in found.values()) if found else None,
                                         sum(d or 0 for _, d in found.values()) or None).measure))
        assert series == expected


def test_rollups_equal_the_probes_through_corrections_moves_and_rebuilds(app, demo, db):
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    province, commune = _unit(db, "tinh-thanh-hoa"), _unit(db, "xa-ngoc-lac")
    indicators = [i for i in db.scalars(select(Indicator).where(Indicator.plan_id == plan.id).order_by(Indicator.id))
                  if i.is_percentage][:2]
    ind, other = indicators
    villages = sorted(db.scalars(select(Unit).where(Unit.parent_id == commune.id, Unit.kind == UnitKind.VILLAGE)),
                      key=lambda u: u.id)[:4]
    # A second commune of the province (outside the plan's commune: written through the ORM directly).
    second = Unit(code="xa-thu-2", name="Xã Thử 2", kind=UnitKind.COMMUNE, parent_id=province.id, path="")
    db.add(second)
    db.flush()
    second.path = f"{province.path}{second.id}/"
    far = Unit(code="thon-thu-1", name="Thôn Thử 1", kind=UnitKind.VILLAGE, parent_id=second.id, path="")
    db.add(far)
    db.flush()
    far.path = f"{second.path}{far.id}/"
    now = utcnow()
    d = dt.date(2026, 4, 1)
    for n, (unit, day, value, den) in enumerate((
            (villages[0], d, 10, 100), (villages[0], d + dt.timedelta(days=14), 30, 100),
            (villages[1], d + dt.timedelta(days=3), 5, 50), (villages[1], d + dt.timedelta(days=30), 45, 50),
            (villages[2], d + dt.timedelta(days=7), 0.1, 3), (villages[2], d + dt.timedelta(days=7), 0.2, 3),
            (villages[0], d + dt.timedelta(days=14), 35, 100))):  # the last two: corrections of the same day
        record_result(db, other if n == 3 else ind, unit, day, value, den, user=None,
                      source=ResultSource.FORM, now=now, name="test")
    record_result(db, other, villages[3], d + dt.timedelta(days=8), 7, 9, user=None, source=ResultSource.FORM,
                  now=now, name="test")
    db.add(IndicatorResult(indicator=ind, unit=far, measured_on=d + dt.timedelta(days=2), value=4, denominator=8,
                           source=ResultSource.FORM))
    db.commit()
    days = (d - dt.timedelta(days=1), d + dt.timedelta(days=3), d + dt.timedelta(days=10), d + dt.timedelta(days=20),
            d + dt.timedelta(days=40))
    _assert_same(db, indicators, province, days)
    # The province's drill-down reads them: Ngọc Lặc's row shows its villages' sum, the other commune its own.
    data = drilldown(db, plan, province, Filters(d, d + dt.timedelta(days=40)), scope_top=province)
    by_code = {r.unit.code: r for r in data.rows}
    assert by_code["xa-thu-2"].figures[0].value == 4 and by_code["xa-thu-2"].figures[0].denominator == 8
    # A village moved to the other commune takes its figures along.
    villages[1].parent_id = second.id
    db.commit()
    _assert_same(db, indicators, province, days)
    # A write that bypasses the session (Core) is caught by `counts check` and repaired by `counts rebuild`.
    db.execute(update(IndicatorResult).where(IndicatorResult.unit_id == far.id).values(value=6))
    db.commit()
    assert mismatches(db.connection()) != []
    runner = app.test_cli_runner()
    assert runner.invoke(args=["counts", "check"]).exit_code == 1
    assert runner.invoke(args=["counts", "rebuild"]).exit_code == 0
    db.expire_all()
    assert runner.invoke(args=["counts", "check"]).exit_code == 0
    _assert_same(db, indicators, province, days)


def test_two_writers_of_the_same_figure_at_once_leave_the_rollups_right(app, demo, db):
    """On PostgreSQL two transactions correcting the same indicator, unit and date at the same moment each
    compute their step from the other's absence; the per-pair advisory lock makes them take turns."""
    import threading

    from sqlalchemy.orm import Session

    if db.get_bind().dialect.name != "postgresql":
        import pytest

        pytest.skip("PostgreSQL only: SQLite has one writer at a time")
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    ind = next(i for i in db.scalars(select(Indicator).where(Indicator.plan_id == plan.id).order_by(Indicator.id))
               if i.is_percentage)
    village = db.scalar(select(Unit).where(Unit.kind == UnitKind.VILLAGE, Unit.code == "thon-03"))
    day = dt.date.today() - dt.timedelta(days=3)
    engine = db.get_bind()
    db.commit()
    barrier, errors = threading.Barrier(2), []

    def write(value: int) -> None:
        try:
            with Session(engine) as session:
                indicator, unit = session.get(Indicator, ind.id), session.get(Unit, village.id)
                barrier.wait(timeout=10)
                record_result(session, indicator, unit, day, value, 100, user=None, source=ResultSource.FORM,
                              now=utcnow())
                session.commit()
        except Exception as exc:      # noqa: BLE001 — reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(v,)) for v in (10, 20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    db.expire_all()
    assert mismatches(db.connection()) == []
