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


def test_rotating_the_link_voids_the_old_one_on_the_page_and_in_the_api(app, login, db):
    from tests.conftest import csrf_from

    client = login("vanhoa")
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    html = client.get(f"/plans/{plan.id}/calendar").get_data(as_text=True)
    old_url = re.search(r'(http[^"]*/ical/[^"]+\.ics)', html).group(1).split("localhost", 1)[-1]
    unit_id = re.search(r'name="unit" value="(\d+)"', html).group(1)
    assert app.test_client().get(old_url).status_code == 200
    resp = client.post(f"/plans/{plan.id}/ical/rotate", data={"csrf_token": csrf_from(html), "unit": unit_id})
    assert resp.status_code == 302
    assert app.test_client().get(old_url).status_code == 404
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    new_url = re.search(r'(http[^"]*/ical/[^"]+\.ics)', html).group(1).split("localhost", 1)[-1]
    assert new_url != old_url and app.test_client().get(new_url).status_code == 200
    token = app.test_client().post("/api/v1/tokens", json={"username": "vanhoa", "password": "pw-test-123"})
    auth = {"Authorization": f"Bearer {token.get_json()['token']}"}
    api_url = client.get(f"/api/v1/units/{unit_id}/ical", headers=auth).get_json()["ical_url"]
    assert app.test_client().get(api_url.split("localhost", 1)[-1]).status_code == 200
    rotated = client.post(f"/api/v1/units/{unit_id}/ical/rotate", headers=auth).get_json()
    assert app.test_client().get(new_url).status_code == 404
    assert app.test_client().get(rotated["ical_url"].split("localhost", 1)[-1]).status_code == 200
    supervisor = app.test_client().post("/api/v1/tokens", json={"username": "giamsat", "password": "pw-test-123"})
    denied = client.post(f"/api/v1/units/{unit_id}/ical/rotate",
                         headers={"Authorization": f"Bearer {supervisor.get_json()['token']}"})
    assert denied.status_code == 403


def test_links_expire(app, demo, db):
    import time

    target = f.village_target(db, "thon-07")
    token = make_feed_token("test-secret", "t", target.id)
    assert app.test_client().get(f"/ical/{token}.ics").status_code == 200
    app.config["ICAL_LINK_DAYS"] = -1  # every link is older than that
    time.sleep(1)
    assert app.test_client().get(f"/ical/{token}.ics").status_code == 404
