"""What a message can say: several audiences, weekdays, exact post times, public headline, https link —
through the API, the form, generation and the dashboard."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from planner import localtime
from planner.db import utcnow
from planner.models import Message, Occurrence, ScheduleRun, Target
from planner.operations.schedule import schedule_plan
from tests.app import factories as f
from tests.app.test_api import ApiClient, api, assert_error, plan_id  # noqa: F401 — the `api` fixture
from tests.conftest import csrf_from


def _audiences(api, db, plan_code="bhxh-2728-2023"):
    return [a["id"] for a in api("bientap").get(f"/plans/{plan_id(db, plan_code)}").get_json()["audiences"]]


def _local(days: int, at: str) -> str:
    day = localtime.today(utcnow()) + dt.timedelta(days=days)
    return f"{day:%d/%m/%Y} {at}"


def test_api_round_trips_audiences_headline_link_weekdays_and_post_times(api, demo):
    groups = _audiences(api, demo)
    when = _local(3, "19:30")
    resp = api("bientap").post(f"/plans/{plan_id(demo, 'bhxh-2728-2023')}/messages", json={
        "title": "FB: DVC cho doanh nghiệp và người dân", "headline": "Nộp hồ sơ BHXH trực tuyến, không cần đến",
        "body_md": "Nội dung.", "link": "https://dichvucong.gov.vn/p/home/dvc-trang-chu.html",
        "audience_ids": groups[1:3], "channel": "fanpage", "weekdays": "T2-T7", "post_at": [when]})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    version = body["latest_version"]
    assert [a["id"] for a in body["audiences"]] == groups[1:3] and body["audience"]["id"] == groups[1]
    assert version["headline"].startswith("Nộp hồ sơ") and version["link"].startswith("https://dichvucong")
    assert version["weekdays"] == "T2-T7" and version["post_at"] == [when] and version["channel"] == "fanpage"
    # PATCH with the one-group shorthand replaces the list; other fields stay.
    patched = api("bientap").patch(f"/messages/{body['id']}", json={"audience_id": groups[0]}).get_json()
    assert patched["latest_version"]["audience_ids"] == [groups[0]]
    assert patched["latest_version"]["post_at"] == [when] and patched["latest_version"]["weekdays"] == "T2-T7"


def test_api_rejects_non_https_links_bad_weekdays_and_post_times_with_vietnamese_reasons(api, demo):
    groups = _audiences(api, demo)
    url = f"/plans/{plan_id(demo, 'bhxh-2728-2023')}/messages"
    base = {"title": "Tin", "body_md": "Nội dung.", "audience_ids": groups[:1], "channel": "fanpage"}
    editor = api("bientap")
    for link in ("http://bhxh.gov.vn", "javascript:alert(1)", "https://", "ftp://bhxh.gov.vn/a",
                 "https://bhxh.gov.vn/a b"):
        error = assert_error(editor.post(url, json={**base, "link": link}), 400, "link")
        assert "https" in error["fields"]["link"] or "khoảng trắng" in error["fields"]["link"]
    assert_error(editor.post(url, json={**base, "weekdays": "T2-T9"}), 400, "weekdays")
    assert_error(editor.post(url, json={**base, "post_at": ["31/02/2026 10:00"]}), 400, "post_at")
    assert_error(editor.post(url, json={**base, "post_at": "05/04/2026 10:00"}), 400, "post_at")
    assert_error(editor.post(url, json={**base, "audience_ids": [999999]}), 400, "audience_ids")
    assert_error(editor.post(url, json={**base, "channel": "loudspeaker", "post_at": [_local(3, "10:00")]}),
                 400, "post_at")
    before = demo.scalar(select(Message.id).order_by(Message.id.desc()))
    demo.expire_all()
    assert demo.scalar(select(Message.id).order_by(Message.id.desc())) == before    # nothing half-written


def test_form_takes_several_audiences_and_explains_a_bad_link(login, demo):
    plan = f.plan(demo, "bhxh-2728-2023")
    editor = login("bientap")
    page = editor.get(f"/plans/{plan.id}/messages/new").get_data(as_text=True)
    assert 'name="audience_ids"' in page and 'id="headline"' in page and 'id="post_at"' in page
    form = {"csrf_token": csrf_from(page), "title": "Áp phích: VssID", "headline": "CÀI VSSID NGAY HÔM NAY",
            "body_md": "Nội dung", "audience_ids": [str(plan.audiences[1].id), str(plan.audiences[2].id)],
            "channel": "poster", "link": "http://vssid.vn"}
    resp = editor.post(f"/plans/{plan.id}/messages/new", data=form)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "https://" in html and "CÀI VSSID NGAY HÔM NAY" in html
    resp = editor.post(f"/plans/{plan.id}/messages/new", data={**form, "link": "https://vssid.vn"})
    assert resp.status_code == 302
    message = demo.scalar(select(Message).order_by(Message.id.desc()))
    assert [a.id for a in message.audiences] == [plan.audiences[1].id, plan.audiences[2].id]
    assert message.latest.headline == "CÀI VSSID NGAY HÔM NAY" and message.latest.link == "https://vssid.vn"
    shown = editor.get(f"/messages/{message.id}").get_data(as_text=True)
    assert plan.audiences[1].name in shown and plan.audiences[2].name in shown and "https://vssid.vn" in shown


def _approved_fanpage_post(api, db, post_at, weekdays=""):
    groups = _audiences(api, db)
    body = api("bientap").post(f"/plans/{plan_id(db, 'bhxh-2728-2023')}/messages", json={
        "title": "FB: giờ đăng cố định", "body_md": "Nội dung.", "audience_ids": groups[:2], "channel": "fanpage",
        "post_at": post_at, "weekdays": weekdays}).get_json()
    vid = body["latest_version"]["id"]
    assert api("bientap").post(f"/messages/{body['id']}/versions/{vid}/submit").status_code == 200
    assert api("duyet").post(f"/messages/{body['id']}/versions/{vid}/review",
                             json={"decision": "approve"}).status_code == 200
    return vid


def test_generation_pins_exact_post_times_and_reports_those_it_cannot_honour(app, api, demo):
    today = localtime.today(utcnow())
    good, far = _local(3, "19:30"), _local(45, "19:30")
    sunday = today + dt.timedelta(days=(6 - today.weekday()) % 7 + 7)
    vid = _approved_fanpage_post(api, demo, [good, f"{sunday:%d/%m/%Y} 08:00", far], weekdays="T2-T7")
    page = demo.scalar(select(Target).where(Target.code == "fanpage-bhxh-vn"))
    plan = f.plan(demo, "bhxh-2728-2023")
    for _ in range(2):    # a second run keeps the pinned post and adds no copy
        outcome = schedule_plan(demo, plan, unit=page.unit, channel="fanpage", start=today,
                                end=today + dt.timedelta(days=60), now=utcnow(), settings=app.config)
        demo.commit()
    pinned = demo.scalars(select(Occurrence).where(Occurrence.message_version_id == vid,
                                                   Occurrence.target_id == page.id, Occurrence.is_pinned)).all()
    assert [localtime.fmt_datetime(o.starts_at) for o in pinned] == [good]
    assert pinned[0].delivery.due_at == pinned[0].starts_at
    run = demo.get(ScheduleRun, outcome.run.id)
    details = [i["detail"] for i in run.issues if i["kind"] == "post_at"]
    assert any("không thuộc các ngày trong tuần" in d for d in details), details
    too_far = [i["detail"] for i in run.issues if i["kind"] == "post_at_far"]
    assert len(too_far) == 1 and far in too_far[0] and "xa hơn" in too_far[0], too_far
    assert not any(far in d for d in details)


def test_the_run_summary_tells_the_officer_which_post_times_are_beyond_facebooks_30_days(app, api, login, demo):
    today = localtime.today(utcnow())
    far, near = _local(45, "19:30"), _local(3, "19:30")
    _approved_fanpage_post(api, demo, [near, far])
    page = demo.scalar(select(Target).where(Target.code == "fanpage-bhxh-vn"))
    plan = f.plan(demo, "bhxh-2728-2023")
    outcome = schedule_plan(demo, plan, unit=page.unit, channel="fanpage", start=today,
                            end=today + dt.timedelta(days=60), now=utcnow(), settings=app.config)
    demo.commit()
    html = login("admin").get(f"/plans/{plan.id}/schedule/runs/{outcome.run.id}").get_data(as_text=True)
    summary = html.split('id="outcome"')[1].split('id="exceptions"')[0]
    assert 'id="post-at-far"' in summary and "tối đa 30 ngày" in summary and far in summary
    assert near not in summary
    # a run with every time within reach says nothing of the kind
    quiet = schedule_plan(demo, plan, unit=page.unit, channel="fanpage", start=today,
                          end=today + dt.timedelta(days=7), now=utcnow(), settings=app.config)
    demo.commit()
    assert 'id="post-at-far"' not in login("admin").get(f"/plans/{plan.id}/schedule/runs/{quiet.run.id}").get_data(as_text=True)


def test_dashboard_counts_a_two_audience_message_under_each_group_once_in_the_total(app, api, demo):
    from planner.reports import plan_dashboard

    vid = _approved_fanpage_post(api, demo, [_local(3, "19:30")])
    page = demo.scalar(select(Target).where(Target.code == "fanpage-bhxh-vn"))
    plan = f.plan(demo, "bhxh-2728-2023")
    today = localtime.today(utcnow())
    schedule_plan(demo, plan, unit=page.unit, channel="fanpage", start=today, end=today + dt.timedelta(days=7),
                  now=utcnow(), settings=app.config)
    demo.commit()
    mine = demo.scalars(select(Occurrence).where(Occurrence.message_version_id == vid)).all()
    data = plan_dashboard(demo, plan, f.user(demo, "admin"))
    total = sum(t.planned for t in data.by_channel.values())
    assert data.total.planned == total
    first, second = plan.audiences[0].name, plan.audiences[1].name
    assert data.by_audience[first].planned >= len(mine) and data.by_audience[second].planned >= len(mine)
    assert sum(t.planned for t in data.by_audience.values()) == total + len(mine)
