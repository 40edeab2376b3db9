"""The iCal feed: a signed link per unit or target that phone calendars subscribe to."""
from __future__ import annotations

import datetime as dt
import re

from icalendar import Calendar

from planner.db import utcnow
from planner.operations.feeds import make_feed_token
from tests.app import factories as f


def test_calendar_page_offers_a_feed_that_lists_the_units_broadcasts(app, login, db):
    target = f.village_target(db, "thon-07")
    msg = f.message(db, "ngoc-lac-asxh-2026", "loa-loi-ich")
    f.occurrence(db, target=target, msg=msg, at=utcnow() + dt.timedelta(days=1))
    client = login("vanhoa")
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    html = client.get(f"/plans/{plan.id}/calendar").get_data(as_text=True)
    url = re.search(r'(http[^"]*/ical/[^"]+\.ics)', html).group(1)
    feed = app.test_client().get(url.split("localhost", 1)[-1])
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    events = [c for c in Calendar.from_ical(feed.data).walk("VEVENT")]
    assert len(events) == 1 and msg.approved.title in str(events[0]["summary"])


def test_feed_for_one_target_and_forged_links(app, demo, db):
    target = f.village_target(db, "thon-07")
    other = f.village_target(db, "thon-08")
    msg = f.message(db, "ngoc-lac-asxh-2026", "loa-loi-ich")
    f.occurrence(db, target=target, msg=msg, at=utcnow() + dt.timedelta(hours=5))
    f.occurrence(db, target=other, msg=msg, at=utcnow() + dt.timedelta(hours=5))
    client = app.test_client()
    body = client.get(f"/ical/{make_feed_token('test-secret', 't', target.id)}.ics").data
    assert len(Calendar.from_ical(body).walk("VEVENT")) == 1
    assert client.get(f"/ical/{make_feed_token('wrong-secret', 't', target.id)}.ics").status_code == 404
