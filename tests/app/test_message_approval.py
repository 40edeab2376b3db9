"""Only what was approved leaves the building: a change to what the public sees or where it goes needs
a new approval, and the scheduler, dispatcher and printer use the approved version's own channel."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from planner import dispatch, localtime
from planner.db import utcnow
from planner.models import Delivery, DeliveryStatus, Occurrence, OccurrenceSource, Target, VersionStatus
from planner.operations.schedule import message_specs, schedule_plan
from tests.app import factories as f
from tests.app.test_api import ApiClient, api, assert_error  # noqa: F401 — the `api` fixture
from tests.conftest import csrf_from

POSTER = ("bhxh-2728-2023", "ap-phich-tien-ich-so")


def _switch_poster_to_fanpage(api, db):
    message = f.message(db, *POSTER)
    approved = message.approved
    resp = api("bientap").patch(f"/messages/{message.id}", json={"channel": "fanpage"})
    assert resp.status_code == 200, resp.get_json()
    db.expire_all()
    return message, approved, resp.get_json()


def test_patching_the_channel_of_an_approved_poster_makes_a_draft_and_keeps_the_approved_poster(api, demo):
    message, approved, body = _switch_poster_to_fanpage(api, demo)
    assert body["latest_version"]["status"] == "draft" and body["latest_version"]["channel"] == "fanpage"
    assert body["approved_version_id"] == approved.id
    assert demo.get(type(approved), approved.id).channel == "poster"
    assert body["channel"] == "fanpage"    # the working copy shows what the editor is preparing
    assert body["latest_version"]["changes_since_approved"] == ["kênh"]


def test_poster_switched_to_fanpage_is_never_scheduled_on_the_fanpage_until_reapproved(app, api, demo):
    message, approved, body = _switch_poster_to_fanpage(api, demo)
    plan = message.plan
    assert message.id not in {s.message_id for s in message_specs(plan, "fanpage", app.config, demo)}
    unit = demo.scalar(select(Target).where(Target.code == "fanpage-bhxh-vn")).unit
    today = localtime.today(utcnow())
    schedule_plan(demo, plan, unit=unit, channel="fanpage", start=today, end=today + dt.timedelta(days=14),
                  now=utcnow(), settings=app.config)
    demo.commit()
    versions = {v.id for v in message.versions}
    assert not demo.scalars(select(Occurrence).where(Occurrence.message_version_id.in_(versions))).all()
    # Re-approved: now it is a fanpage post.
    draft_id = body["latest_version"]["id"]
    assert api("bientap").post(f"/messages/{message.id}/versions/{draft_id}/submit").status_code == 200
    review = api("duyet").post(f"/messages/{message.id}/versions/{draft_id}/review", json={"decision": "approve"})
    assert review.status_code == 200
    demo.expire_all()
    assert message.id in {s.message_id for s in message_specs(plan, "fanpage", app.config, demo)}


def test_dispatcher_refuses_a_version_approved_for_another_channel(app, api, demo):
    message, approved, _ = _switch_poster_to_fanpage(api, demo)
    page = demo.scalar(select(Target).where(Target.code == "fanpage-bhxh-vn"))
    due = utcnow() - dt.timedelta(seconds=30)
    occ = Occurrence(plan_id=message.plan_id, message_version_id=approved.id, target_id=page.id,
                     session_starts_at=due, starts_at=due, duration_seconds=60, source=OccurrenceSource.MANUAL)
    demo.add(occ)
    demo.flush()
    delivery = Delivery(occurrence_id=occ.id, channel="fanpage", due_at=due, status=DeliveryStatus.PLANNED)
    demo.add(delivery)
    demo.commit()
    settings = {**app.config, "FACEBOOK_GRAPH_URL": "http://127.0.0.1:9/unreachable"}
    counts = dispatch.dispatch_due(demo, settings, now=utcnow(), worker_id="t")
    demo.expire_all()
    assert counts["failed"] == 1 and counts["delivered"] == 0
    assert delivery.status is DeliveryStatus.FAILED and "chưa được duyệt cho kênh này" in delivery.error


def test_placing_a_switched_message_on_a_fanpage_by_hand_is_refused(app, api, login, demo):
    message, _, _ = _switch_poster_to_fanpage(api, demo)
    page = demo.scalar(select(Target).where(Target.code == "fanpage-bhxh-vn"))
    from planner.operations.placement import PlacementError, place_message

    later = localtime.to_local(utcnow() + dt.timedelta(days=2))
    try:
        place_message(demo, message, page, later.strftime("%d/%m/%Y"), "19:00", user=f.user(demo, "bientap"),
                      now=utcnow(), settings=app.config)
    except PlacementError as exc:
        assert "kênh" in str(exc)
    else:
        raise AssertionError("a poster approved for print was placed on a fanpage")


def test_form_edit_of_public_fields_needs_reapproval_but_frequency_alone_does_not(login, demo):
    message = f.message(demo, "ngoc-lac-asxh-2026", "loa-loi-ich")
    approved = message.approved
    officer = login("vanhoa")
    page = officer.get(f"/messages/{message.id}/edit").get_data(as_text=True)
    form = {"csrf_token": csrf_from(page), "title": approved.title, "body_md": approved.body_md,
            "audience_ids": [str(a.id) for a in approved.audiences], "channel": "loudspeaker",
            "min_per_week": str(message.min_per_week + 1), "peak_per_day": str(message.peak_per_day),
            "min_gap_hours": str(message.min_gap_hours), "priority": message.priority.value,
            "valid_from": localtime.fmt_date(approved.valid_from), "valid_to": localtime.fmt_date(approved.valid_to),
            "audio_seconds": approved.audio_seconds or "", "headline": approved.headline, "link": approved.link,
            "weekdays": "", "post_at": ""}
    assert officer.post(f"/messages/{message.id}/edit", data=form).status_code == 302
    demo.expire_all()
    assert len(message.versions) == 1 and message.min_per_week == int(form["min_per_week"])
    assert message.latest.status is VersionStatus.APPROVED
    resp = officer.post(f"/messages/{message.id}/edit", data={**form, "weekdays": "T2-T6"})
    assert resp.status_code == 302
    demo.expire_all()
    assert [v.status for v in message.versions] == [VersionStatus.APPROVED, VersionStatus.DRAFT]
    assert message.approved.weekdays == 0b1111111 and message.latest.weekdays == 0b0011111


def test_message_page_tells_the_approver_what_the_new_version_changes(login, api, demo):
    message, approved, _ = _switch_poster_to_fanpage(api, demo)
    html = login("duyet").get(f"/messages/{message.id}").get_data(as_text=True)
    assert f"So với bản đã duyệt (phiên bản {approved.number})" in html and "đổi: kênh." in html
