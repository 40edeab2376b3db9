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
