"""Above CALENDAR_MAX_TARGETS targets the calendar shows one row per child unit with counts per day,
each linking to that unit's own calendar (drill down to the villages), never every target's sessions."""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from planner import localtime
from planner.db import utcnow
from planner.models import DeliveryStatus, Unit
from tests.app import factories as f


def _row(html: str, name: str) -> list[str]:
    row = re.search(r"<tr><th scope=\"row\">(?:<a[^>]*>)?" + re.escape(name) + r"(.*?)</tr>", html, re.S).group(1)
    return re.findall(r'<td class="num[^"]*">(?:<strong>)?(\d+)', row)


def test_a_big_unit_shows_counts_per_child_unit_and_drills_down(app, login, db):
    monday = localtime.today(utcnow()) - dt.timedelta(days=localtime.today(utcnow()).weekday()) + dt.timedelta(days=7)
    msg = f.message(db, "ngoc-lac-asxh-2026", "loa-loi-ich")
    seven, eight = f.village_target(db, "thon-07"), f.village_target(db, "thon-08")
    for target, day, hour in ((seven, 0, 6), (seven, 0, 17), (seven, 2, 6), (eight, 6, 17)):
        f.occurrence(db, target=target, msg=msg, at=localtime.local_datetime(monday + dt.timedelta(days=day),
                                                                             dt.time(hour, 0)))
    f.occurrence(db, target=eight, msg=msg, at=localtime.local_datetime(monday, dt.time(6, 0)),
                 status=DeliveryStatus.CANCELLED)
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    client = login("vanhoa")
    url = f"/plans/{plan.id}/calendar?channel=loudspeaker&date={monday:%d/%m/%Y}"
    small = client.get(url).get_data(as_text=True)
    assert 'id="unit-counts"' not in small and 'class="calendar week"' in small  # 42 villages ≤ 60
    app.config["CALENDAR_MAX_TARGETS"] = 10
    big = client.get(url).get_data(as_text=True)
    assert 'id="unit-counts"' in big and 'class="calendar week"' not in big and 'class="session' not in big
    assert big.count('<tr><th scope="row">') == 42  # one row per village, not per session
    seven_unit, eight_unit = db.get(Unit, seven.unit_id), db.get(Unit, eight.unit_id)
    assert _row(big, seven_unit.name) == ["1", "2", "0", "1", "0", "0", "0", "0", "3"]  # targets, Mon..Sun, total
    assert _row(big, eight_unit.name) == ["1", "0", "0", "0", "0", "0", "0", "1", "1"]  # the cancelled one is not counted
    link = re.search(r'<a href="([^"]+)">' + re.escape(seven_unit.name) + "</a>", big).group(1).replace("&amp;", "&")
    assert f"unit={seven_unit.id}" in link
    village = client.get(link).get_data(as_text=True)
    assert 'class="calendar week"' in village and 'id="unit-counts"' not in village
    month = client.get(url + "&view=month").get_data(as_text=True)
    assert 'id="unit-counts"' in month and _row(month, seven_unit.name)[-1] == "3"


def test_the_unit_picker_leaves_out_villages_when_the_tree_is_large(app, login, db):
    client = login("vanhoa")
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    village = db.scalar(select(Unit).where(Unit.code == "thon-07"))
    option = f'<option value="{village.id}"'
    assert option in client.get(f"/plans/{plan.id}/calendar").get_data(as_text=True)
    app.config["CALENDAR_PICKER_MAX_UNITS"] = 5
    html = client.get(f"/plans/{plan.id}/calendar").get_data(as_text=True)
    assert option not in html and f'<option value="{village.parent_id}"' in html
    assert option in client.get(f"/plans/{plan.id}/calendar?unit={village.id}").get_data(as_text=True)


def test_counts_above_the_village_read_from_the_kept_counts_equal_the_occurrences(app, demo, db):
    """The count rows come from `activity_counts`/`activity_rollups` (kept by triggers) unless a message or
    audience filter asks for the occurrences; both say the same after generation, outcomes, make-ups, an
    emergency, cancels and moves (an ad hoc session past midnight counts on the day each broadcast airs)."""
    from planner.models import Delivery, Occurrence
    from planner.operations import attention, moves
    from planner.operations.calendar import STATUS_FILTERS
    from planner.operations.calendar_counts import child_unit_counts
    from planner.operations.demo_history import add_demo_history
    from planner.operations.repairs import insert_emergency_message
    from planner.operations.schedule import schedule_plan

    now = utcnow()
    today = localtime.today(now)
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    units = {code: db.scalar(select(Unit).where(Unit.code == code)) for code in
             ("tinh-thanh-hoa", "xa-ngoc-lac", "thon-07")}
    add_demo_history(db, now=now, settings=app.config, weeks=2)
    schedule_plan(db, plan, unit=units["xa-ngoc-lac"], channel="loudspeaker", start=today + dt.timedelta(days=1),
                  end=today + dt.timedelta(days=9), now=now, settings=app.config)
    db.commit()
    officer = f.user(db, "vanhoa")
    past = list(db.scalars(select(Delivery).join(Occurrence).where(
        Occurrence.plan_id == plan.id, Occurrence.starts_at < now,
        Delivery.status.in_([DeliveryStatus.MISSED, DeliveryStatus.FAILED])).order_by(Delivery.id)))
    attention.make_up_delivery(db, past[0], user=officer, now=now, settings=app.config)
    attention.make_up_delivery(db, past[1], user=officer, now=now, settings=app.config)
    insert_emergency_message(db, f.message(db, "ngoc-lac-asxh-2026", "loa-cao-diem"), units["thon-07"],
                             sessions_ahead=2, now=now, settings=app.config, user=officer)
    seven = f.village_target(db, "thon-07")
    future = list(db.scalars(select(Occurrence).join(Delivery).where(
        Occurrence.plan_id == plan.id, Occurrence.target_id == seven.id, Occurrence.starts_at > now,
        Occurrence.starts_at < now + dt.timedelta(days=5), Delivery.status == DeliveryStatus.PLANNED)
        .order_by(Occurrence.starts_at)))
    moves.cancel_occurrence(db, future[0], user=officer, now=now)
    late = localtime.local_datetime(today + dt.timedelta(days=6), dt.time(23, 59, 30))
    first = future[1]
    second = next(o for o in future[2:] if o.message_version_id != first.message_version_id)
    moves.move_occurrence(db, first, late, user=officer, now=now, ad_hoc=True)
    moves.move_occurrence(db, second, late, user=officer, now=now, ad_hoc=True)
    db.commit()
    assert localtime.to_local(second.starts_at).date() == today + dt.timedelta(days=7)  # airs after midnight
    checked = 0
    for code in ("tinh-thanh-hoa", "xa-ngoc-lac"):
        for channels in (["loudspeaker"], ["loudspeaker", "fanpage", "zalo", "portal"]):
            for lo, hi in ((today - dt.timedelta(days=15), today + dt.timedelta(days=10)),
                           (today + dt.timedelta(days=6), today + dt.timedelta(days=7)),
                           (today - dt.timedelta(days=3), today + dt.timedelta(days=3))):
                for statuses in [None] + [v[1] for v in STATUS_FILTERS.values()]:
                    args = (db, plan, units[code], channels, lo, hi)
                    stored = [(r.unit.id, r.targets, r.days) for r in child_unit_counts(*args, statuses=statuses)]
                    live = [(r.unit.id, r.targets, r.days)
                            for r in child_unit_counts(*args, statuses=statuses, live=True)]
                    assert stored == live, (code, channels, lo, hi, statuses)
                    checked += sum(n for _, _, days in stored for n in days.values())
    assert checked > 1000
    commune = child_unit_counts(db, plan, units["xa-ngoc-lac"], ["loudspeaker"], today + dt.timedelta(days=6),
                                today + dt.timedelta(days=7))
    row = next(r for r in commune if r.unit.id == units["thon-07"].id)
    assert row.days[today + dt.timedelta(days=7)] >= 1    # the broadcast after midnight, on its own day
