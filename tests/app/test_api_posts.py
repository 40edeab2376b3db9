"""API: targets a user may use, scheduling an online post (Idempotency-Key), starting a generation (409 busy)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from planner import localtime
from planner.db import utcnow
from planner.models import IdempotencyKey, Message, Occurrence, PrintOrder, ScheduleRun
from planner.operations.generation_lock import lock_generation
from tests.app import factories as f
from tests.app.test_api import ApiClient, api, approved_version_id, plan_id, unit_id  # noqa: F401


def fanpage_message_id(db) -> int:
    return next(m.id for m in db.scalars(select(Message).where(Message.channel == "fanpage").order_by(Message.id))
                if m.approved)


def fanpage_id(db) -> int:
    return db.scalar(select(f.Target.id).where(f.Target.code == "fanpage-bhxh-vn"))


def in_hours(hours: float) -> str:
    return (utcnow() + dt.timedelta(hours=hours)).replace(microsecond=0).isoformat()



def _keyed(client: ApiClient, key: str) -> ApiClient:
    keyed = ApiClient(client.client, "x")
    keyed.headers = {**client.headers, "Idempotency-Key": key}
    return keyed


def test_targets_lists_only_the_users_scope_filtered_by_channel(api, demo):
    commune = api("vanhoa").get("/targets?channel=loudspeaker").get_json()
    assert commune["total"] == 42 and all(t["channel"] == "loudspeaker" for t in commune["items"])
    assert all(t["unit"]["kind"] == "village" for t in commune["items"])
    editor = api("bientap").get("/targets?channel=fanpage").get_json()
    assert [t["code"] for t in editor["items"]] == ["fanpage-bhxh-vn"] and editor["items"][0]["is_online"]
    assert not any(t["channel"] == "loudspeaker" for t in api("bientap").get("/targets").get_json()["items"])
    assert api("vanhoa").get("/targets?channel=radio").status_code == 400


def test_post_is_scheduled_once_for_a_repeated_idempotency_key(api, demo):
    editor = _keyed(api("bientap"), "post-key-0001")
    body = {"target_id": fanpage_id(demo), "at": in_hours(3)}
    first = editor.post(f"/messages/{fanpage_message_id(demo)}/posts", json=body)
    assert first.status_code == 201, first.get_json()
    again = editor.post(f"/messages/{fanpage_message_id(demo)}/posts", json=body)
    assert again.status_code == 201 and again.get_json() == first.get_json()
    assert again.headers["Location"] == first.headers["Location"] and again.headers["Idempotent-Replayed"] == "true"
    assert first.get_json()["is_pinned"] and first.get_json()["delivery"]["status"] == "planned"
    assert demo.scalar(select(func.count()).select_from(Occurrence)) == 1
    other = editor.post(f"/messages/{fanpage_message_id(demo)}/posts", json={**body, "at": in_hours(4)})
    assert other.status_code == 422 and other.get_json()["error"]["code"] == "idempotency_key_reused"
    assert demo.scalar(select(func.count()).select_from(Occurrence)) == 1


def test_post_without_key_follows_the_pages_checks(api, demo):
    editor = api("bientap")
    url = f"/messages/{fanpage_message_id(demo)}/posts"
    too_soon = editor.post(url, json={"target_id": fanpage_id(demo), "at": in_hours(0.05)})
    assert too_soon.status_code == 422 and "ít nhất 10 phút" in too_soon.get_json()["error"]["message"]
    too_far = editor.post(url, json={"target_id": fanpage_id(demo), "at": in_hours(24 * 40)})
    assert too_far.status_code == 422 and too_far.get_json()["error"]["code"] == "outside_window"
    assert "30 ngày" in too_far.get_json()["error"]["message"]
    assert editor.post(url, json={"target_id": fanpage_id(demo), "at": "mai"}).status_code == 400
    village = f.village_target(demo)
    assert editor.post(url, json={"target_id": village.id, "at": in_hours(3)}).status_code == 404   # out of scope
    assert api("vanhoa").post(url, json={"target_id": village.id, "at": in_hours(3)}).status_code in (400, 404)
    local = localtime.to_local(utcnow() + dt.timedelta(hours=5)).replace(tzinfo=None, second=0, microsecond=0)
    naive = editor.post(url, json={"target_id": fanpage_id(demo), "at": local.isoformat()})
    assert naive.status_code == 201 and naive.get_json()["starts_at_local"] == local.strftime("%d/%m/%Y %H:%M")
    unapproved = demo.scalar(select(Message).where(Message.channel == "fanpage", Message.id != fanpage_message_id(demo)))
    if unapproved is not None and unapproved.approved is None:
        assert editor.post(f"/messages/{unapproved.id}/posts",
                           json={"target_id": fanpage_id(demo), "at": in_hours(3)}).status_code == 409
    assert api("giamsat").post(url, json={"target_id": fanpage_id(demo), "at": in_hours(3)}).status_code == 403
    assert demo.scalar(select(func.count()).select_from(IdempotencyKey)) == 0


def test_print_order_is_created_once_for_a_repeated_idempotency_key(api, demo):
    vanhoa = _keyed(api("vanhoa"), "print-key-0001")
    order = {"version_id": approved_version_id(demo, "ngoc-lac-asxh-2026", "leaflet"), "product": "leaflet_a5",
             "quantity": 100, "print_shop_id": unit_id(demo, "in-ngoc-lac")}
    first, again = vanhoa.post("/print-orders", json=order), vanhoa.post("/print-orders", json=order)
    assert first.status_code == again.status_code == 201 and first.get_json()["id"] == again.get_json()["id"]
    assert demo.scalar(select(func.count()).select_from(PrintOrder)) == 1


def test_generation_api_runs_once_per_key_and_answers_409_while_the_plan_is_being_scheduled(app, api, demo):
    vanhoa = _keyed(api("vanhoa"), "run-key-00001")
    plan = plan_id(demo, "ngoc-lac-asxh-2026")
    start = localtime.today(utcnow()) + dt.timedelta(days=1)
    body = {"channel": "loudspeaker", "start": start.isoformat(), "end": (start + dt.timedelta(days=6)).isoformat()}
    first = vanhoa.post(f"/plans/{plan}/schedule-runs", json=body)
    assert first.status_code == 201 and first.get_json()["status"] == "done" and first.get_json()["placed"] > 0
    assert vanhoa.post(f"/plans/{plan}/schedule-runs", json=body).get_json()["id"] == first.get_json()["id"]
    assert demo.scalar(select(func.count()).select_from(ScheduleRun)) == 1
    assert api("vanhoa").get(first.headers["Location"].removeprefix("/api/v1")).get_json()["id"] == first.get_json()["id"]
    app.config["SCHEDULE_LOCK_WAIT_SECONDS"] = 0.2
    holder = app.extensions["planner_db"].session()
    try:
        if holder.get_bind().dialect.name != "postgresql":
            return      # in-memory SQLite shares one connection between sessions: nothing to hold apart
        assert lock_generation(holder, plan, "loudspeaker", now=utcnow(), wait_seconds=1)
        busy = api("vanhoa").post(f"/plans/{plan}/schedule-runs", json=body)
        assert busy.status_code == 409 and busy.get_json()["error"]["code"] == "schedule_in_progress"
    finally:
        holder.rollback()
        holder.close()
