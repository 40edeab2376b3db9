"""The dashboard's activity counts stay exactly equal to a fresh recount through every write path, and the
dashboard reads the same numbers from them as from the deliveries."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import create_engine, delete, select, text, update
from sqlalchemy.orm import Session

from planner import dispatch, localtime
from planner.channels import ChannelError
from planner.db import utcnow
from planner.models import (ActivityCount, ActivityRollup, ConfirmedVia, Delivery, DeliveryStatus, Occurrence, Plan, Target, Unit,
                            UnitKind)
from planner.operations import attention, moves
from planner.operations.counts import rebuild_counts, recount, rolled_up, stored_counts
from planner.operations.delivery import confirm_delivery, mark_missed
from planner.operations.demo_history import add_demo_history
from planner.operations.schedule import schedule_plan
from planner.reports import Tally
from planner.supervision import Filters, _raw_activity, drilldown
from tests.app import factories as f
from tests.app.test_dispatch import DUE, _deliveries, fake, settings  # noqa: F401 — fixtures


def _same(db) -> None:
    db.flush()
    fresh, stored = recount(db), stored_counts(db)
    assert fresh, "the scenario made no deliveries"
    assert stored == fresh
    assert stored_counts(db, table=ActivityRollup) == rolled_up(db, fresh)


def _unit(db, code: str) -> Unit:
    return db.scalar(select(Unit).where(Unit.code == code))


def test_counts_equal_a_recount_after_a_whole_scenario(app, demo, db):
    now = utcnow()
    plan, commune = f.plan(db, "ngoc-lac-asxh-2026"), _unit(db, "xa-ngoc-lac")
    add_demo_history(db, now=now, settings=app.config, weeks=2)     # generation, then Core updates of outcomes
    db.commit()
    _same(db)
    today = localtime.today(now)
    span = dict(unit=_unit(db, "thon-07"), channel="loudspeaker", start=today + dt.timedelta(days=1),
                end=today + dt.timedelta(days=4), now=now, settings=app.config)
    schedule_plan(db, plan, **span)
    schedule_plan(db, plan, **span)     # regeneration replaces unpinned placements (bulk delete + insert)
    db.commit()
    _same(db)
    officer = f.user(db, "vanhoa")
    past = list(db.scalars(select(Delivery).join(Occurrence).where(Occurrence.plan_id == plan.id,
                                                                   Occurrence.starts_at < now).order_by(Delivery.id)))
    missed = [d for d in past if d.status is DeliveryStatus.MISSED][:3]
    failed = [d for d in past if d.status is DeliveryStatus.FAILED][:3]
    assert missed and failed
    made = attention.make_up_delivery(db, failed[0], user=officer, now=now, settings=app.config)
    attention.make_up_delivery(db, missed[0], user=officer, now=now, settings=app.config)
    db.commit()
    _same(db)
    # A late confirmation of the missed one cancels its make-up; an officer corrects a failed one.
    confirm_delivery(db, missed[0], aired=True, reason="", via=ConfirmedVia.USER, now=now, user=officer)
    confirm_delivery(db, failed[1], aired=True, reason="", via=ConfirmedVia.USER, now=now, user=officer)
    attention.apply_to_many(db, [missed[1], failed[2]], attention.mark_handled, reason="Đã phát bằng xe loa",
                            user=officer, now=now)
    db.commit()
    _same(db)
    future = list(db.scalars(select(Occurrence).where(Occurrence.plan_id == plan.id, Occurrence.starts_at > now,
                                                      Occurrence.replaces_delivery_id.is_(None))
                             .order_by(Occurrence.starts_at)))
    moves.cancel_occurrence(db, future[0], user=officer, now=now)
    moves.undo_last_change(db, future[0], user=officer, now=now)
    moves.cancel_occurrence(db, future[1], user=officer, now=now)
    db.commit()
    _same(db)
    # The made-up occurrence moved to another day and village by a bulk Core update, then deleted by cascade.
    other = f.village_target(db, "thon-08")
    db.execute(update(Occurrence).where(Occurrence.id == future[2].id)
               .values(starts_at=future[2].starts_at + dt.timedelta(days=1), target_id=other.id))
    db.execute(update(Occurrence).where(Occurrence.id == made.id).values(replaces_delivery_id=None))
    db.execute(delete(Occurrence).where(Occurrence.id == future[3].id))
    db.commit()
    _same(db)
    # A village moves to another commune: its counts follow it in the rollup.
    village, elsewhere = _unit(db, "thon-08"), _unit(db, "tinh-thanh-hoa")
    village.parent_id, village.path = elsewhere.id, f"{elsewhere.path}{village.id:08d}/"
    db.commit()
    _same(db)
    # The day ends: the worker's Core update marks unconfirmed broadcasts missed.
    mark_missed(db, now=now + dt.timedelta(days=3))
    db.commit()
    _same(db)
    kept = attention.make_up_delivery(db, missed[2], user=officer, now=now, settings=app.config)
    db.execute(update(Delivery).where(Delivery.occurrence_id == kept.id).values(status=DeliveryStatus.DELIVERED))
    db.commit()
    _same(db)
    wrong = db.scalar(select(ActivityCount).where(ActivityCount.plan_id == plan.id, ActivityCount.n > 0))
    wrong.n += 5
    db.commit()
    assert stored_counts(db) != recount(db)
    assert rebuild_counts(db, plan.id) > 0
    db.commit()
    _same(db)
    _dashboard_reads_the_same_as_the_deliveries(db, plan, commune, officer)


def _dashboard_reads_the_same_as_the_deliveries(db, plan, commune, officer) -> None:
    filters = Filters(plan.starts_on, localtime.today(utcnow()) + dt.timedelta(days=10))
    made_up = 0
    for root in (commune, _unit(db, "thon-07"), _unit(db, "tinh-thanh-hoa")):
        raw = Tally()
        for _path, channel, status, makeup, n in _raw_activity(db, plan, root, filters):
            if channel == "loudspeaker":
                raw.add(status, n, is_makeup=bool(makeup))
        counted = drilldown(db, plan, root, filters, scope_top=officer.unit).root.broadcasts
        assert counted == raw and counted.planned > 0 and counted.delivered > 0
        made_up = max(made_up, counted.made_up)
    assert made_up == 1     # the kept make-up: its missed broadcast is not counted twice


def test_online_dispatch_and_outcomes_keep_the_counts(db, fake, settings):  # noqa: F811 — fixtures
    ids = _deliveries(db, 12)
    _same(db)
    fake.behaviour = {"trang-%d-3" % db.get(Delivery, ids[0]).occurrence.target.unit_id: ChannelError("refused", "Bị từ chối.")}
    dispatch.dispatch_due(db, settings, now=DUE, worker_id="w")
    db.commit()
    _same(db)
    statuses = {s for s in db.scalars(select(Delivery.status).where(Delivery.id.in_(ids)))}
    assert DeliveryStatus.DELIVERED in statuses


def test_a_broadcast_counts_on_its_local_day(demo, db):
    target, msg = f.village_target(db, "thon-07"), f.message(db, "ngoc-lac-asxh-2026", "loa-loi-ich")
    early = localtime.local_datetime(dt.date(2026, 4, 2), dt.time(5, 30))     # 22:30 UTC on 1 April
    f.occurrence(db, target=target, msg=msg, at=early, status=DeliveryStatus.DELIVERED)
    (key, n), = stored_counts(db).items()
    assert key[2] == dt.date(2026, 4, 2) and key[3:] == ("loudspeaker", "delivered", False, False) and n == 1


def test_the_migration_installs_the_triggers_and_counts_what_is_there(tmp_path):
    from planner.count_triggers import SQLITE_NAMES
    from planner.db import upgrade_database

    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade_database(url, "0002_scale")
    engine = create_engine(url)     # foreign keys off: the message need not exist
    with Session(engine) as session:     # one broadcast recorded before the counts existed
        unit = Unit(code="x", name="Xã", kind=UnitKind.COMMUNE, path="00000001/")
        session.add(unit)
        session.flush()
        plan = Plan(code="p", number="1", issuer="UBND", unit_id=unit.id, place="X", title="KH",
                    starts_on=dt.date(2026, 4, 1))
        target = Target(code="t", unit_id=unit.id, channel="loudspeaker", name="Loa")
        session.add_all([plan, target])
        session.flush()
        at = dt.datetime(2026, 4, 1, 22, 30, tzinfo=dt.timezone.utc)
        occ = Occurrence(plan_id=plan.id, message_version_id=1, target_id=target.id, session_starts_at=at,
                         starts_at=at, duration_seconds=60)
        session.add(occ)
        session.flush()
        # The deliveries table of 0002_scale (no `made_up` yet): the model's columns would not fit it.
        session.execute(text(
            "INSERT INTO deliveries (occurrence_id, channel, due_at, status, claimed_by, confirmed_by_name, reason, "
            "external_id, error, is_replaced, handled_reason, updated_at) "
            "VALUES (:occ, 'loudspeaker', :at, 'delivered', '', '', '', '', '', 0, '', :at)"),
            {"occ": occ.id, "at": "2026-04-01 22:30:00.000000"})
        session.commit()
    upgrade_database(url)
    with engine.begin() as conn:
        names = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        assert set(SQLITE_NAMES) <= names
        assert conn.exec_driver_sql("SELECT day, status, n FROM activity_counts").all() == [("2026-04-02", "delivered", 1)]
        assert conn.exec_driver_sql("SELECT unit_id, n FROM activity_rollups").all() == [(1, 1)]
        conn.exec_driver_sql("UPDATE deliveries SET status = 'missed' WHERE id = 1")
        assert conn.exec_driver_sql("SELECT status, n FROM activity_counts WHERE n <> 0").all() == [("missed", 1)]
    engine.dispose()


def test_the_counts_commands_check_and_rebuild(app, demo, db):
    target, msg = f.village_target(db, "thon-07"), f.message(db, "ngoc-lac-asxh-2026", "loa-loi-ich")
    f.occurrence(db, target=target, msg=msg, at=DUE, status=DeliveryStatus.DELIVERED)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["counts", "check"]).exit_code == 0
    db.execute(update(ActivityCount).values(n=ActivityCount.n + 1))
    db.commit()
    broken = runner.invoke(args=["counts", "check", "--plan", "ngoc-lac-asxh-2026"])
    assert broken.exit_code == 1 and "Lệch 1 nhóm" in broken.output
    assert runner.invoke(args=["counts", "rebuild", "--plan", "nope"]).exit_code == 2
    assert runner.invoke(args=["counts", "rebuild"]).exit_code == 0
    assert runner.invoke(args=["counts", "check"]).exit_code == 0


def test_the_weekly_progress_sweep_equals_the_latest_results_of_each_week(demo, db):
    from planner.models import Indicator, IndicatorResult, ResultSource
    from planner.supervision import Figure, latest_results, progress_series

    plan, commune = f.plan(db, "ngoc-lac-asxh-2026"), _unit(db, "xa-ngoc-lac")
    indicator = next(i for i in db.scalars(select(Indicator).where(Indicator.plan_id == plan.id)) if i.is_percentage)
    first, last = dt.date(2026, 4, 1), dt.date(2026, 5, 20)
    for code, day, value, den in (("thon-07", dt.date(2026, 4, 3), 10, 100), ("thon-07", dt.date(2026, 4, 20), 30, 100),
                                  ("thon-08", dt.date(2026, 4, 9), 5, 50), ("thon-08", dt.date(2026, 5, 2), 45, 50),
                                  ("thon-07", dt.date(2026, 5, 30), 99, 100)):
        db.add(IndicatorResult(indicator_id=indicator.id, unit_id=_unit(db, code).id, measured_on=day, value=value,
                               denominator=den, source=ResultSource.FORM))
    db.add(IndicatorResult(indicator_id=indicator.id, unit_id=_unit(db, "thon-08").id, measured_on=dt.date(2026, 4, 9),
                           value=49, denominator=50, source=ResultSource.FORM, replaced_at=utcnow()))
    db.commit()
    series = progress_series(db, indicator, commune, first, last)
    expected = []
    for day, _ in series:
        found = latest_results(db, [indicator.id], commune, day)
        expected.append((day, Figure(indicator, sum(v for v, _ in found.values()) if found else None,
                                     sum(d or 0 for _, d in found.values()) or None).measure))
    assert series == expected
    assert series[0] == (dt.date(2026, 4, 5), 10.0) and series[-1][1] == round(100 * 75 / 150, 1)


def test_a_made_up_broadcast_is_counted_apart_until_its_make_up_goes(demo, db):
    """`deliveries.made_up` and the counts' `made_up` key follow the make-up's link, its delivery's cancellation
    and its deletion, however written: the honest read is then a plain sum."""
    target, msg = f.village_target(db, "thon-07"), f.message(db, "ngoc-lac-asxh-2026", "loa-loi-ich")
    at = localtime.local_datetime(dt.date(2026, 4, 2), dt.time(6, 30))
    missed = f.occurrence(db, target=target, msg=msg, at=at, status=DeliveryStatus.MISSED)
    makeup = f.occurrence(db, target=target, msg=msg, at=at + dt.timedelta(days=1), status=DeliveryStatus.DELIVERED)

    def made_up() -> bool:
        _same(db)
        return db.scalar(select(Delivery.made_up).where(Delivery.id == missed.id))

    assert not made_up()
    db.execute(update(Occurrence).where(Occurrence.id == makeup.occurrence_id).values(replaces_delivery_id=missed.id))
    assert made_up()
    db.execute(update(Delivery).where(Delivery.id == makeup.id).values(status=DeliveryStatus.CANCELLED))
    assert not made_up()
    db.execute(update(Delivery).where(Delivery.id == makeup.id).values(status=DeliveryStatus.PLANNED))
    assert made_up()
    db.execute(delete(Delivery).where(Delivery.id == makeup.id))
    assert not made_up()
    db.add(Delivery(occurrence_id=makeup.occurrence_id, channel="loudspeaker", due_at=at, status=DeliveryStatus.PLANNED))
    db.flush()
    assert made_up()
    db.execute(delete(Occurrence).where(Occurrence.id == makeup.occurrence_id))
    assert not made_up()
    db.commit()
    # A flag set wrong by hand: the counts follow the flag, the recount does not; a rebuild repairs both.
    db.execute(update(Delivery).where(Delivery.id == missed.id).values(made_up=True))
    assert stored_counts(db) != recount(db)
    rebuild_counts(db)
    assert not made_up()
    db.commit()


def test_a_target_moved_to_another_village_takes_its_counts_along(demo, db):
    """The triggers watch deliveries, occurrences and units; a target whose unit changes (an import that moves it,
    an edit) is recounted in the same flush, so the counts and the rollups stay equal to a recount."""
    target, msg = f.village_target(db, "thon-07"), f.message(db, "ngoc-lac-asxh-2026", "loa-loi-ich")
    at = localtime.local_datetime(dt.date(2026, 4, 2), dt.time(18, 0))
    f.occurrence(db, target=target, msg=msg, at=at, status=DeliveryStatus.DELIVERED)
    db.flush()
    old_unit = target.unit_id
    target.unit = _unit(db, "thon-01")
    db.flush()
    (key, n), = stored_counts(db).items()
    assert key[1] == target.unit_id != old_unit and n == 1
    _same(db)
    db.rollback()
    assert not db.info.get("planner.counts.moved_targets")


def test_the_weekly_chart_of_a_commune_reads_the_rollups_and_equals_its_villages_counts(app, demo, db):
    """delivered_by_day needs no unit breakdown: at a commune it reads `activity_rollups` (the villages folded
    into the commune), and gives what summing the villages' own `activity_counts` gives; at a village its own rows."""
    from planner.operations.counts import delivered_by_day

    now = utcnow()
    plan, commune = f.plan(db, "ngoc-lac-asxh-2026"), _unit(db, "xa-ngoc-lac")
    add_demo_history(db, now=now, settings=app.config, weeks=2)
    db.commit()
    today = localtime.today(now)
    first, last = today - dt.timedelta(days=20), today
    statements = []

    def seen(conn, cursor, statement, *rest):
        statements.append(statement)

    def by_villages(root):
        out: dict = {}
        for (path, channel, status, _makeup, _made_up, day), n in _day_counts(db, plan, root, first, last).items():
            if status == DeliveryStatus.DELIVERED.value:
                out[(day, channel)] = out.get((day, channel), 0) + n
        return {k: n for k, n in out.items() if n}

    from sqlalchemy import event
    event.listen(db.get_bind(), "before_cursor_execute", seen)
    try:
        found = delivered_by_day(db, plan, commune, first, last)
    finally:
        event.remove(db.get_bind(), "before_cursor_execute", seen)
    assert found and found == by_villages(commune)
    assert any("activity_rollups" in s for s in statements) and not any("activity_counts" in s for s in statements)
    village = _unit(db, "thon-07")
    assert delivered_by_day(db, plan, village, first, last) == by_villages(village)


def _day_counts(db, plan, root, first, last) -> dict:
    """The villages' own rows (`activity_counts`) at `root` and below, by every key, for the comparison above."""
    from sqlalchemy import func

    t = ActivityCount
    rows = db.execute(select(Unit.path, t.channel, t.status, t.is_makeup, t.made_up, t.day, func.sum(t.n))
                      .join(Unit, Unit.id == t.unit_id)
                      .where(t.plan_id == plan.id, Unit.path.startswith(root.path, autoescape=True),
                             t.day >= first, t.day <= last)
                      .group_by(Unit.path, t.channel, t.status, t.is_makeup, t.made_up, t.day))
    return {tuple(r[:6]): r[6] for r in rows}
