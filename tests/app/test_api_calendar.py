"""The calendar's actions in the JSON API: move (422 with the reason when refused), pin, cancel, undo, make-up, handled."""
from __future__ import annotations

import datetime as dt

from planner import localtime
from planner.db import utcnow
from planner.models import DeliveryStatus
from tests.app import factories as f
from tests.app.test_api import api, assert_error  # noqa: F401  (fixture)


def _at(days: int, hour: int, minute: int = 0) -> dt.datetime:
    return localtime.local_datetime(localtime.today(utcnow()) + dt.timedelta(days=days), dt.time(hour, minute))


def _iso(value: dt.datetime) -> str:
    return localtime.to_local(value).isoformat()


def _planned(db):
    return f.occurrence(db, target=f.village_target(db, "thon-07"), msg=f.message(db, "ngoc-lac-asxh-2026", "loa-loi-ich"),
                        at=_at(2, 5, 30))


def test_move_into_a_session_then_undo(api, demo):
    delivery = _planned(demo)
    client = api("vanhoa")
    resp = client.post(f"/occurrences/{delivery.occurrence_id}/move", json={"starts_at": _iso(_at(3, 17, 5))})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["session_starts_at_local"].endswith("17:00") and body["is_pinned"] and not body["is_ad_hoc"]
    undo = client.post(f"/occurrences/{delivery.occurrence_id}/undo")
    assert undo.status_code == 200 and undo.get_json()["undone"] == "move"
    assert undo.get_json()["starts_at_local"].endswith("05:30")
    assert_error(client.post(f"/occurrences/{delivery.occurrence_id}/undo"), 409)


def test_move_outside_sessions_is_422_with_the_reason_unless_ad_hoc(api, demo):
    delivery = _planned(demo)
    client = api("vanhoa")
    error = assert_error(client.post(f"/occurrences/{delivery.occurrence_id}/move",
                                     json={"starts_at": _iso(_at(3, 23, 30))}), 422)
    assert error["code"] == "no_session" and "Không có phiên phát nào" in error["message"]
    resp = client.post(f"/occurrences/{delivery.occurrence_id}/move",
                       json={"starts_at": _iso(_at(3, 12)), "ad_hoc": True})
    assert resp.status_code == 200 and resp.get_json()["is_ad_hoc"]
    assert_error(client.post(f"/occurrences/{delivery.occurrence_id}/move", json={"starts_at": "mai lúc 5 giờ"}),
                 400, "starts_at")
    assert_error(client.post(f"/occurrences/{delivery.occurrence_id}/move", json={"starts_at": "2030-01-01T05:30"}),
                 400, "starts_at")


def test_move_into_a_full_session_is_422(api, demo):
    delivery = _planned(demo)
    f.occurrence(demo, target=f.village_target(demo, "thon-07"), msg=f.message(demo, "ngoc-lac-asxh-2026", "loa-cao-diem"),
                 at=_at(3, 17), duration=900)
    error = assert_error(api("vanhoa").post(f"/occurrences/{delivery.occurrence_id}/move",
                                            json={"starts_at": _iso(_at(3, 17))}), 422)
    assert error["code"] == "session_full" and "đã đầy" in error["message"]


def test_pin_cancel_and_undo_cancel(api, demo):
    delivery = _planned(demo)
    client = api("vanhoa")
    occ = delivery.occurrence_id
    assert client.post(f"/occurrences/{occ}/pin", json={"pinned": True}).get_json()["is_pinned"]
    assert not client.post(f"/occurrences/{occ}/pin", json={"pinned": False}).get_json()["is_pinned"]
    cancelled = client.post(f"/occurrences/{occ}/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["delivery"]["status"] == "cancelled"
    assert_error(client.post(f"/occurrences/{occ}/cancel"), 409)
    assert client.post(f"/occurrences/{occ}/undo").get_json()["delivery"]["status"] == "planned"


def test_make_up_and_handled_on_deliveries(api, demo):
    at = localtime.local_datetime(localtime.today(utcnow()) - dt.timedelta(days=1), dt.time(17, 0))
    target, msg = f.village_target(demo, "thon-07"), f.message(demo, "ngoc-lac-asxh-2026", "loa-loi-ich")
    missed = f.occurrence(demo, target=target, msg=msg, at=at, status=DeliveryStatus.MISSED)
    failed = f.occurrence(demo, target=target, msg=msg, at=at - dt.timedelta(days=1), status=DeliveryStatus.FAILED)
    client = api("vanhoa")
    plan = missed.occurrence.plan_id
    listed = client.get(f"/plans/{plan}/attention?village={target.unit_id}&count=true").get_json()
    assert listed["total"] == 2 and all(i["can_make_up"] for i in listed["items"])
    # The first page also lists what falls due within 30 days: the monthly report is due on the 5th.
    assert any(d["what"].startswith("Báo cáo kết quả tháng") and 0 <= d["days_left"] <= 30
               for d in listed["deadlines"])
    assert "deadlines" not in client.get(f"/plans/{plan}/attention?limit=1&offset=1").get_json()
    made = client.post(f"/deliveries/{missed.id}/make-up")
    assert made.status_code == 201 and made.get_json()["target"]["id"] == target.id
    assert_error(client.post(f"/deliveries/{missed.id}/make-up"), 409)
    assert_error(client.post(f"/deliveries/{failed.id}/handled", json={"reason": ""}), 400, "reason")
    done = client.post(f"/deliveries/{failed.id}/handled", json={"reason": "Đã phát bằng xe loa"})
    assert done.status_code == 200 and done.get_json()["handled_reason"] == "Đã phát bằng xe loa"
    assert client.get(f"/plans/{plan}/attention?village={target.unit_id}&count=true").get_json()["total"] == 0
    assert_error(client.get(f"/plans/{plan}/attention?status=planned"), 400, "status")


def test_calendar_actions_need_scheduling_rights(api, demo):
    delivery = _planned(demo)
    supervisor = api("giamsat")
    for path in ("cancel", "undo", "pin"):
        assert_error(supervisor.post(f"/occurrences/{delivery.occurrence_id}/{path}"), 403)
    assert_error(supervisor.post(f"/deliveries/{delivery.id}/make-up"), 403)


def test_an_emergency_is_inserted_through_the_api_once_per_key(api, demo):
    from sqlalchemy import func, select

    from planner.models import Occurrence, OccurrenceSource, Unit

    _planned(demo)
    plan = f.plan(demo, "ngoc-lac-asxh-2026")
    village = demo.scalar(select(Unit).where(Unit.code == "thon-07"))
    urgent = f.message(demo, "ngoc-lac-asxh-2026", "loa-cao-diem")
    client = api("vanhoa")
    client.headers = {**client.headers, "Idempotency-Key": "khan-thon-7-0001"}
    body = {"message_id": urgent.id, "unit_id": village.id, "sessions": 2}
    resp = client.post(f"/plans/{plan.id}/emergency", json=body)
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["placed"] == 2 and f"unit={village.id}" in resp.headers["Location"]
    again = client.post(f"/plans/{plan.id}/emergency", json=body)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    client.headers.pop("Idempotency-Key")
    demo.expire_all()
    assert demo.scalar(select(func.count()).select_from(Occurrence)
                       .where(Occurrence.source == OccurrenceSource.EMERGENCY)) == 2
    assert_error(client.post(f"/plans/{plan.id}/emergency", json={**body, "sessions": 7}), 400, "sessions")
    assert_error(client.post(f"/plans/{plan.id}/emergency", json={**body, "unit_id": 999999}), 404)
    assert_error(api("giamsat").post(f"/plans/{plan.id}/emergency", json=body), 403)


def test_attention_bulk_makes_up_ticked_items_and_marks_the_filtered_rest_handled(api, demo):
    at = localtime.local_datetime(localtime.today(utcnow()) - dt.timedelta(days=1), dt.time(17, 0))
    target, msg = f.village_target(demo, "thon-07"), f.message(demo, "ngoc-lac-asxh-2026", "loa-loi-ich")
    missed = f.occurrence(demo, target=target, msg=msg, at=at, status=DeliveryStatus.MISSED)
    failed = [f.occurrence(demo, target=target, msg=msg, at=at - dt.timedelta(days=d), status=DeliveryStatus.FAILED)
              for d in (1, 2)]
    client = api("vanhoa")
    plan = missed.occurrence.plan_id
    made = client.post(f"/plans/{plan}/attention/bulk", json={"action": "make_up", "ids": [missed.id]})
    assert made.status_code == 200, made.get_json()
    assert made.get_json() | {"errors": []} == {"action": "make_up", "matched": 1, "done": 1, "skipped": 0,
                                               "errors": []}
    assert_error(client.post(f"/plans/{plan}/attention/bulk", json={"action": "handled", "all": True}), 400, "reason")
    assert_error(client.post(f"/plans/{plan}/attention/bulk", json={"action": "handled", "reason": "x"}), 400, "ids")
    assert_error(client.post(f"/plans/{plan}/attention/bulk", json={"action": "xoá", "ids": [1]}), 400, "action")
    done = client.post(f"/plans/{plan}/attention/bulk", json={
        "action": "handled", "reason": "Loa hỏng, đã sửa", "all": True, "village": target.unit_id, "status": "failed"})
    assert done.get_json()["done"] == len(failed) == done.get_json()["matched"]
    assert client.get(f"/plans/{plan}/attention?village={target.unit_id}&count=true").get_json()["total"] == 0
    assert_error(api("giamsat").post(f"/plans/{plan}/attention/bulk", json={"action": "make_up", "all": True}), 403)
