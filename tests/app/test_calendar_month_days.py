"""The month calendar's per-day totals (summed in Python, no longer in the template)."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from planner.operations.calendar import CalendarItem, CalendarSession, DayInfo, month_days

DAY = dt.date(2026, 12, 7)
AT = dt.datetime(2026, 12, 7, 0, 30, tzinfo=dt.timezone.utc)


def _item(title: str, marks: list[str], duration: int = 60) -> CalendarItem:
    return CalendarItem(1, 1, title, AT, duration, "planned", "Chưa phát", False, True, marks)


def test_a_day_sums_every_target_and_lists_each_title_once_in_first_seen_order():
    a, b = SimpleNamespace(id=1), SimpleNamespace(id=2)
    morning = CalendarSession(AT, "06:00–06:30", 600, [_item("Tin B", []), _item("Tin A", ["Tin khẩn"])])
    extra = CalendarSession(AT, "07:00 · Phiên đột xuất", 0, [_item("Tin A", ["Phiên đột xuất"], 120)])
    other = CalendarSession(AT, "06:00–06:30", 600, [_item("Tin C", ["Tin khẩn", "Phiên đột xuất"])])
    data = {1: {DAY: [morning, extra]}, 2: {DAY: [other]}}
    days = [DayInfo(DAY, [], []), DayInfo(DAY + dt.timedelta(days=1), [], [])]
    out = month_days([a, b], data, days)
    first = out[DAY]
    assert (first.count, first.used, first.cap) == (4, 300, 1200)
    assert first.titles == ["Tin B", "Tin A", "Tin C"]
    assert (first.urgent, first.adhoc) == (2, 2)
    empty = out[DAY + dt.timedelta(days=1)]
    assert (empty.count, empty.cap, empty.titles) == (0, 0, [])


def test_the_month_totals_read_directly_equal_those_summed_from_every_session(app, demo, db):
    """unit_month (the month page of several targets) gives month_days(unit_calendar(…)) exactly: counts, fill,
    emergencies, ad hoc sessions (after the grid ones, past midnight too) and the titles in the same order."""
    import datetime as dt

    from sqlalchemy import select

    from planner import localtime
    from planner.db import utcnow
    from planner.models import Delivery, DeliveryStatus, Occurrence, Unit
    from planner.operations import attention, moves
    from planner.operations import calendar as cal
    from planner.operations.demo_history import add_demo_history
    from planner.operations.repairs import insert_emergency_message
    from planner.operations.schedule import schedule_plan
    from tests.app import factories as f

    now = utcnow()
    today = localtime.today(now)
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    commune = db.scalar(select(Unit).where(Unit.code == "xa-ngoc-lac"))
    village = db.scalar(select(Unit).where(Unit.code == "thon-07"))
    add_demo_history(db, now=now, settings=app.config, weeks=2)
    schedule_plan(db, plan, unit=commune, channel="loudspeaker", start=today + dt.timedelta(days=1),
                  end=today + dt.timedelta(days=20), now=now, settings=app.config)
    db.commit()
    officer = f.user(db, "vanhoa")
    broken = db.scalar(select(Delivery).join(Occurrence).where(
        Occurrence.plan_id == plan.id, Delivery.status == DeliveryStatus.MISSED).order_by(Delivery.id).limit(1))
    attention.make_up_delivery(db, broken, user=officer, now=now, settings=app.config)
    insert_emergency_message(db, f.message(db, "ngoc-lac-asxh-2026", "loa-cao-diem"), village, sessions_ahead=2,
                             now=now, settings=app.config, user=officer)
    seven = f.village_target(db, "thon-07")
    coming = list(db.scalars(select(Occurrence).join(Delivery).where(
        Occurrence.plan_id == plan.id, Occurrence.target_id == seven.id, Occurrence.starts_at > now,
        Delivery.status == DeliveryStatus.PLANNED).order_by(Occurrence.starts_at).limit(8)))
    moves.cancel_occurrence(db, coming[0], user=officer, now=now)
    late = localtime.local_datetime(today + dt.timedelta(days=5), dt.time(23, 59, 30))
    early = localtime.local_datetime(today + dt.timedelta(days=5), dt.time(3, 0))
    moves.move_occurrence(db, coming[1], late, user=officer, now=now, ad_hoc=True)
    second = next(o for o in coming[2:] if o.message_version_id != coming[1].message_version_id)
    moves.move_occurrence(db, second, late, user=officer, now=now, ad_hoc=True)
    third = next(o for o in coming[2:] if o is not second)
    moves.move_occurrence(db, third, early, user=officer, now=now, ad_hoc=True)
    db.commit()
    compared = 0
    for channels in (["loudspeaker"], ["loudspeaker", "fanpage", "zalo", "portal"]):
        for anchor in (today - dt.timedelta(days=14), today, today + dt.timedelta(days=20)):
            first = anchor.replace(day=1)
            last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
            days = cal.day_infos(db, plan, "loudspeaker", first, last, commune)
            for statuses in [None] + [v[1] for v in cal.STATUS_FILTERS.values()]:
                targets, data = cal.unit_calendar(db, plan, commune, channels, first, last, statuses=statuses)
                expected = cal.month_days(targets, data, days)
                got_targets, got = cal.unit_month(db, plan, commune, channels, days, statuses=statuses)
                assert [t.id for t in got_targets] == [t.id for t in targets]
                assert got == expected, (channels, first, statuses)
                compared += sum(d.count for d in got.values())
    assert compared > 1000
