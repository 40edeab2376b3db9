"""The JSON API: tokens, scope and roles, the message/print/report/delivery flows, errors, the OpenAPI document."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from planner import localtime
from planner.auth import issue_token
from planner.db import utcnow
from planner.models import (Delivery, Message, Plan, Report, ReportStatus, SlotGrid, Target, Unit, UnitKind,
                            User)

API = "/api/v1"


# --------------------------------------------------------------------------- helpers and small factories

@pytest.fixture()
def api(app, demo):
    """api('vanhoa') → a client whose requests carry that user's bearer token."""

    def _client(username: str) -> ApiClient:
        user = demo.scalar(select(User).where(User.username == username))
        token, _ = issue_token(demo, user, now=utcnow(), hours=1)
        demo.commit()
        return ApiClient(app.test_client(), token)

    return _client


class ApiClient:
    def __init__(self, client, token: str):
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def get(self, path, **kw):
        return self.client.get(API + path, headers=self.headers, **kw)

    def post(self, path, json=None, **kw):
        return self.client.post(API + path, json=json, headers=self.headers, **kw)

    def put(self, path, json=None):
        return self.client.put(API + path, json=json, headers=self.headers)

    def patch(self, path, json=None):
        return self.client.patch(API + path, json=json, headers=self.headers)


def plan_id(db, code: str) -> int:
    return db.scalar(select(Plan.id).where(Plan.code == code))


def unit_id(db, code: str) -> int:
    return db.scalar(select(Unit.id).where(Unit.code == code))


def approved_version_id(db, plan_code: str, channel: str) -> int:
    messages = db.scalars(select(Message).join(Plan).where(Plan.code == plan_code, Message.channel == channel))
    return next(m.approved.id for m in messages if m.approved is not None)


def assert_error(resp, status: int, *fields: str) -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/json"
    error = resp.get_json()["error"]
    assert error["code"] and error["message"]
    assert "<" not in error["message"] and "Traceback" not in resp.get_data(as_text=True)
    for name in fields:
        assert name in error["fields"], error
    return error


@pytest.fixture()
def village(app, demo):
    """A loudspeaker target in Thôn 1 (Ngọc Lặc) with its own daily 06:00–06:30 session."""
    unit = demo.scalar(select(Unit).where(Unit.code == "thon-01"))
    target = Target(code="api-test-loa-thon-01", unit=unit, channel="loudspeaker", name="Loa thử API")
    demo.add_all([target, SlotGrid(code="api-test-sang", name="Sáng", channel="loudspeaker", target=target,
                                   weekdays=0b1111111, start_time=dt.time(6), end_time=dt.time(6, 30),
                                   capacity_seconds=1800)])
    demo.commit()
    return target


def schedule_next_week(app, db, target: Target) -> tuple[dt.date, dt.date]:
    from planner.operations.schedule import schedule_plan

    plan = db.get(Plan, plan_id(db, "ngoc-lac-asxh-2026"))
    first = localtime.today(utcnow()) + dt.timedelta(days=1)
    last = first + dt.timedelta(days=6)
    outcome = schedule_plan(db, plan, unit=target.unit, channel="loudspeaker", start=first, end=last, now=utcnow(),
                            settings=app.config)
    db.commit()
    assert outcome.placed > 0
    return first, last


def place_soon(app, db, target: Target) -> Delivery:
    """An approved loudspeaker message whose session started a minute ago (confirmable only from then on)."""
    from planner.operations.placement import place_message

    message = next(m for m in db.scalars(select(Message).where(Message.channel == "loudspeaker",
                                                                 Message.plan_id == plan_id(db, "ngoc-lac-asxh-2026")))
                   if m.approved is not None)
    when = localtime.to_local(utcnow() + dt.timedelta(minutes=30))
    occ = place_message(db, message, target, when.strftime("%d/%m/%Y"), when.strftime("%H:%M"),
                        user=None, now=utcnow(), settings=app.config)
    earlier = dt.timedelta(minutes=31)     # placed ahead, as it must be; then the session begins
    occ.session_starts_at, occ.starts_at = occ.session_starts_at - earlier, occ.starts_at - earlier
    occ.delivery.due_at = occ.starts_at
    db.commit()
    return occ.delivery


# --------------------------------------------------------------------------- tokens and authentication

def test_token_is_issued_for_good_credentials_and_opens_the_api(app, demo):
    client = app.test_client()
    resp = client.post(f"{API}/tokens", json={"username": "VanHoa ", "password": "pw-test-123"})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["user"]["username"] == "vanhoa" and body["user"]["role"] == "planner"
    assert body["expires_at"].endswith("Z") and re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", body["expires_at_local"])
    plans = client.get(f"{API}/plans", headers={"Authorization": f"Bearer {body['token']}"})
    assert plans.status_code == 200


def test_token_is_denied_for_bad_credentials_missing_fields_and_non_json(app, demo):
    client = app.test_client()
    assert_error(client.post(f"{API}/tokens", json={"username": "vanhoa", "password": "sai"}), 401)
    assert_error(client.post(f"{API}/tokens", json={"username": "vanhoa"}), 400, "password")
    assert_error(client.post(f"{API}/tokens", json={"username": 7, "password": "x"}), 400, "username")
    assert_error(client.post(f"{API}/tokens", data="{nope", content_type="application/json"), 400)
    assert_error(client.post(f"{API}/tokens", json=["vanhoa"]), 400)
    assert_error(client.post(f"{API}/tokens", data={"username": "vanhoa", "password": "pw-test-123"}), 415)


def test_token_requests_are_throttled_after_repeated_failures(app, demo):
    client = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert client.post(f"{API}/tokens", json={"username": "duyet", "password": "sai"}).status_code == 401
    error = assert_error(client.post(f"{API}/tokens", json={"username": "duyet", "password": "pw-test-123"}), 429)
    assert "thử lại" in error["message"]


def test_requests_without_a_valid_token_get_401_json(app, demo):
    client = app.test_client()
    user = demo.scalar(select(User).where(User.username == "admin"))
    expired, _ = issue_token(demo, user, now=utcnow() - dt.timedelta(days=2), hours=24)
    demo.commit()
    for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": f"Bearer {expired}"},
                    {"Authorization": f"Basic {expired}"}):
        resp = client.get(f"{API}/plans", headers=headers)
        assert_error(resp, 401)
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert_error(client.post(f"{API}/deliveries/1/confirm", json={"aired": True}), 401)


def test_unknown_paths_and_methods_answer_json(api):
    admin = api("admin")
    assert_error(admin.get("/nothing-here"), 404)
    assert_error(admin.client.delete(f"{API}/plans", headers=admin.headers), 405)
    assert_error(admin.get("/plans/999999"), 404)
    assert_error(admin.get("/plans/99999999999999999999"), 404)  # beyond any INTEGER id: no overflow
    assert_error(admin.get("/occurrences?plan=99999999999999999999"), 400, "plan")
    assert_error(admin.post("/print-orders", json={"version_id": 10**20}), 400, "version_id")


# --------------------------------------------------------------------------- plans, scope and roles

def test_plans_list_and_detail_with_audiences_windows_and_details(api, demo):
    resp = api("admin").get("/plans")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["total"] == 2 and {p["code"] for p in body["items"]} == {"bhxh-2728-2023", "ngoc-lac-asxh-2026"}
    detail = api("admin").get(f"/plans/{plan_id(demo, 'ngoc-lac-asxh-2026')}").get_json()
    assert detail["number"] and detail["starts_on"] == "2026-03-05" and detail["starts_on_local"] == "05/03/2026"
    assert detail["audiences"] and {"id", "code", "name"} <= set(detail["audiences"][0])
    assert isinstance(detail["windows"], list) and isinstance(detail["details"], dict)
    paged = api("admin").get("/plans?limit=1&offset=1").get_json()
    assert len(paged["items"]) == 1 and paged["total"] == 2 and paged["offset"] == 1


def test_users_see_only_plans_in_their_scope(api, demo):
    bhxh, ngoc_lac = plan_id(demo, "bhxh-2728-2023"), plan_id(demo, "ngoc-lac-asxh-2026")
    vanhoa, bientap = api("vanhoa"), api("bientap")
    assert [p["id"] for p in vanhoa.get("/plans").get_json()["items"]] == [ngoc_lac]
    assert_error(vanhoa.get(f"/plans/{bhxh}"), 404)
    assert_error(vanhoa.get(f"/plans/{bhxh}/messages"), 404)
    assert_error(vanhoa.post(f"/plans/{bhxh}/messages", json={"title": "x"}), 404)
    assert_error(bientap.get(f"/plans/{ngoc_lac}"), 404)
    bhxh_message = demo.scalar(select(Message.id).where(Message.plan_id == bhxh))
    assert_error(vanhoa.get(f"/messages/{bhxh_message}"), 404)
    messages = bientap.get(f"/plans/{bhxh}/messages?count=true").get_json()
    assert messages["total"] > 0 and all(m["plan_id"] == bhxh for m in messages["items"])
    assert bientap.get(f"/plans/{bhxh}/messages?channel=fanpage&count=true").get_json()["total"] > 0


def proof_approved(app, client, order_id: int) -> dict:
    """The worker renders the order's proof; the orderer approves it (the shop sees the order from then)."""
    from planner.worker import tick

    tick(app.extensions["planner_db"], app.config, instance_path=app.instance_path, worker_id="w1")
    resp = client.post(f"/print-orders/{order_id}/approve", json={})
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_print_shop_sees_only_its_own_orders_and_no_plans(app, api, demo):
    ngoc_lac = plan_id(demo, "ngoc-lac-asxh-2026")
    other_shop = Unit(code="in-khac", name="Cơ sở in khác", kind=UnitKind.PRINT_SHOP,
                      parent_id=unit_id(demo, "xa-ngoc-lac"), path="")
    demo.add(other_shop)
    demo.flush()
    other_shop.path = demo.get(Unit, unit_id(demo, "xa-ngoc-lac")).path + f"{other_shop.id:08d}/"
    demo.commit()
    leaflet = approved_version_id(demo, "ngoc-lac-asxh-2026", "leaflet")
    vanhoa = api("vanhoa")
    ids = [vanhoa.post("/print-orders", json={"version_id": leaflet, "product": "leaflet_a5", "quantity": 100,
                                              "print_shop_id": shop}).get_json()["id"]
           for shop in (unit_id(demo, "in-ngoc-lac"), other_shop.id)]
    for order_id in ids:
        proof_approved(app, vanhoa, order_id)
    inan = api("inan")
    listed = inan.get("/print-orders?count=true").get_json()
    assert [o["id"] for o in listed["items"]] == [ids[0]] and listed["total"] == 1
    assert inan.get(f"/print-orders/{ids[0]}").status_code == 200
    assert_error(inan.get(f"/print-orders/{ids[1]}"), 404)
    assert {o["id"] for o in vanhoa.get("/print-orders").get_json()["items"]} == set(ids)
    for path in ("/plans", f"/plans/{ngoc_lac}", f"/plans/{ngoc_lac}/messages", "/occurrences",
                 f"/plans/{ngoc_lac}/reports"):
        assert_error(inan.get(path), 403)
    assert_error(inan.post("/print-orders", json={"version_id": leaflet}), 403)
    assert_error(api("giamsat").get("/print-orders"), 403)


# --------------------------------------------------------------------------- messages

def test_message_is_written_submitted_and_approved_by_someone_else(api, demo):
    bhxh = plan_id(demo, "bhxh-2728-2023")
    bientap, duyet = api("bientap"), api("duyet")
    audience = bientap.get(f"/plans/{bhxh}").get_json()["audiences"][0]["id"]
    resp = bientap.post(f"/plans/{bhxh}/messages", json={
        "title": "Dịch vụ công trực tuyến", "body_md": "Nộp hồ sơ **trực tuyến**.", "audience_id": audience,
        "channel": "fanpage", "min_per_week": 2})
    assert resp.status_code == 201, resp.get_json()
    message = resp.get_json()
    assert resp.headers["Location"].endswith(f"/api/v1/messages/{message['id']}")
    assert message["versions"][0]["status"] == "draft" and "<strong>" in message["versions"][0]["body_html"]
    mid, vid = message["id"], message["versions"][0]["id"]
    patched = bientap.patch(f"/messages/{mid}", json={"title": "Dịch vụ công trực tuyến toàn trình"}).get_json()
    assert len(patched["versions"]) == 1 and patched["latest_version"]["title"].endswith("toàn trình")
    assert patched["min_per_week"] == 2
    assert_error(duyet.post(f"/messages/{mid}/versions/{vid}/submit"), 403)
    assert bientap.post(f"/messages/{mid}/versions/{vid}/submit").get_json()["latest_version"]["status"] == \
        "submitted"
    assert_error(bientap.post(f"/messages/{mid}/versions/{vid}/review", json={"decision": "approve"}), 403)
    assert_error(duyet.post(f"/messages/{mid}/versions/{vid}/review", json={"decision": "changes"}), 400, "note")
    assert_error(duyet.post(f"/messages/{mid}/versions/{vid}/review", json={"decision": "ok"}), 400, "decision")
    approved = duyet.post(f"/messages/{mid}/versions/{vid}/review", json={"decision": "approve", "note": "Tốt"})
    assert approved.status_code == 200
    shown = bientap.get(f"/messages/{mid}").get_json()
    assert shown["latest_version"]["status"] == "approved" and shown["approved_version_id"] == vid
    assert shown["versions"][0]["reviewed_by"]["username"] == "duyet"
    assert_error(duyet.post(f"/messages/{mid}/versions/{vid}/review", json={"decision": "approve"}), 409)
    edited = bientap.put(f"/messages/{mid}", json={
        "title": "Dịch vụ công (bản 2)", "body_md": "Nội dung mới.", "audience_id": audience, "channel": "fanpage"})
    body = edited.get_json()
    assert edited.status_code == 200 and len(body["versions"]) == 2 and body["saved_version_id"] != vid
    assert body["latest_version"]["status"] == "draft" and body["approved_version_id"] == vid
    assert_error(bientap.post(f"/messages/{mid}/versions/{vid}/submit"), 409)


def test_admin_cannot_approve_a_version_they_wrote(api, demo):
    ngoc_lac = plan_id(demo, "ngoc-lac-asxh-2026")
    admin = api("admin")
    audience = admin.get(f"/plans/{ngoc_lac}").get_json()["audiences"][0]["id"]
    message = admin.post(f"/plans/{ngoc_lac}/messages", json={
        "title": "Tin thử", "body_md": "Nội dung.", "audience_id": audience, "channel": "loudspeaker"}).get_json()
    mid, vid = message["id"], message["versions"][0]["id"]
    admin.post(f"/messages/{mid}/versions/{vid}/submit")
    error = assert_error(admin.post(f"/messages/{mid}/versions/{vid}/review", json={"decision": "approve"}), 403)
    assert "tự duyệt" in error["message"]


def test_bad_inputs_are_refused_with_field_messages(api, demo, village):
    ngoc_lac = plan_id(demo, "ngoc-lac-asxh-2026")
    vanhoa = api("vanhoa")
    audience = vanhoa.get(f"/plans/{ngoc_lac}").get_json()["audiences"][0]["id"]
    good = {"title": "Tiêu đề", "body_md": "Nội dung", "audience_id": audience, "channel": "loudspeaker"}
    error = assert_error(vanhoa.post(f"/plans/{ngoc_lac}/messages", json={**good, "title": ""}), 400, "title")
    assert error["fields"]["title"] == "Vui lòng nhập tiêu đề."
    assert_error(vanhoa.post(f"/plans/{ngoc_lac}/messages", json={**good, "channel": "telegram"}), 400, "channel")
    assert_error(vanhoa.post(f"/plans/{ngoc_lac}/messages", json={**good, "title": ["x"]}), 400, "title")
    assert_error(vanhoa.post(f"/plans/{ngoc_lac}/messages", json={**good, "min_per_week": "nhiều"}), 400,
                 "min_per_week")
    assert_error(vanhoa.post(f"/plans/{ngoc_lac}/messages", data="title=x"), 415)
    assert_error(vanhoa.post(f"/plans/{ngoc_lac}/messages", data="{", content_type="application/json"), 400)
    error = assert_error(vanhoa.get("/occurrences?from=31/02/2026"), 400, "from")
    assert "không hợp lệ" in error["fields"]["from"]
    assert_error(vanhoa.get("/occurrences?from=10/12/2026&to=01/12/2026"), 400, "to")
    assert_error(vanhoa.get("/occurrences?channel=fax"), 400, "channel")
    assert_error(vanhoa.get("/occurrences?limit=1001"), 400, "limit")
    leaflet = approved_version_id(demo, "ngoc-lac-asxh-2026", "leaflet")
    order = {"version_id": leaflet, "product": "leaflet_a5", "print_shop_id": unit_id(demo, "in-ngoc-lac")}
    for quantity in (0, "mười", -3, 1.5):
        assert_error(vanhoa.post("/print-orders", json={**order, "quantity": quantity}), 400, "quantity")
    assert_error(vanhoa.post("/print-orders", json={**order, "quantity": 5, "product": "tờ to"}), 400, "product")
    assert_error(vanhoa.post("/print-orders", json={"quantity": 5}), 400, "version_id")
    count = demo.scalar(select(func.count()).select_from(Message).where(Message.plan_id == ngoc_lac))
    assert vanhoa.get(f"/plans/{ngoc_lac}/messages?count=true").get_json()["total"] == count  # nothing was created


# --------------------------------------------------------------------------- schedule and deliveries

def test_occurrences_are_listed_with_filters_and_paging(app, api, demo, village):
    first, last = schedule_next_week(app, demo, village)
    ngoc_lac = plan_id(demo, "ngoc-lac-asxh-2026")
    vanhoa = api("vanhoa")
    query = f"/occurrences?plan={ngoc_lac}&target={village.id}&count=true"
    body = vanhoa.get(query).get_json()
    assert body["total"] > 0 and body["limit"] == 100
    item = body["items"][0]
    assert item["target"] == {"id": village.id, "name": "Loa thử API", "channel": "loudspeaker",
                              "unit": item["target"]["unit"]} and item["target"]["unit"]["code"] == "thon-01"
    assert item["starts_at"].endswith("Z") and item["starts_at_local"][11:13] == "06"  # the 06:00 session
    assert item["delivery"]["status"] == "planned" and item["duration_seconds"] > 0 and item["title"]
    assert all(first <= dt.datetime.strptime(i["starts_at_local"][:10], "%d/%m/%Y").date() <= last
               for i in body["items"])
    busy = dt.datetime.strptime(item["starts_at_local"][:10], "%d/%m/%Y").date()
    day = vanhoa.get(f"{query}&from={busy:%d/%m/%Y}&to={busy:%Y-%m-%d}").get_json()
    assert 0 < day["total"] < body["total"]
    assert all(i["starts_at_local"].startswith(f"{busy:%d/%m/%Y}") for i in day["items"])
    assert vanhoa.get(f"{query}&from={last + dt.timedelta(days=1):%d/%m/%Y}").get_json()["total"] == 0
    assert vanhoa.get(f"{query}&channel=fanpage").get_json()["total"] == 0
    in_village = vanhoa.get(f"/occurrences?unit={unit_id(demo, 'thon-01')}&limit=1000&count=true").get_json()
    assert in_village["total"] >= body["total"]  # the library may add the village's own loudspeakers
    assert {i["target"]["unit"]["code"] for i in in_village["items"]} == {"thon-01"}
    page = vanhoa.get(f"{query}&limit=2&offset=1").get_json()
    assert [i["id"] for i in page["items"]] == [i["id"] for i in body["items"][1:3]]
    bientap = api("bientap")
    assert bientap.get("/occurrences?count=true").get_json()["total"] == 0
    assert_error(bientap.get(f"/occurrences?target={village.id}"), 404)
    assert_error(bientap.get(f"/occurrences?plan={ngoc_lac}"), 404)
    assert api("giamsat").get(query).get_json()["total"] == body["total"]


def test_delivery_confirmation_is_idempotent_and_scoped(app, api, demo, village):
    delivery_id = place_soon(app, demo, village).id
    vanhoa = api("vanhoa")
    first = vanhoa.post(f"/deliveries/{delivery_id}/confirm", json={"aired": True})
    assert first.status_code == 200 and first.get_json()["changed"] is True
    again = vanhoa.post(f"/deliveries/{delivery_id}/confirm", json={"aired": True})
    assert again.status_code == 200 and again.get_json()["changed"] is False
    shown = vanhoa.get(f"/deliveries/{delivery_id}").get_json()
    assert shown["status"] == "delivered" and shown["confirmed_via"] == "user"
    assert shown["confirmed_by"]["username"] == "vanhoa" and shown["occurrence"]["target"]["id"] == village.id
    # A logged-in officer may correct an outcome (e.g. a village head's mis-tap); it is recorded, not refused.
    corrected = vanhoa.post(f"/deliveries/{delivery_id}/confirm", json={"aired": False, "reason": "Mất điện"})
    assert corrected.status_code == 200 and corrected.get_json()["status"] == "failed"
    assert_error(api("bientap").post(f"/deliveries/{delivery_id}/confirm", json={"aired": True}), 404)
    assert_error(api("bientap").get(f"/deliveries/{delivery_id}"), 404)
    assert_error(api("giamsat").post(f"/deliveries/{delivery_id}/confirm", json={"aired": True}), 403)
    other = place_soon(app, demo, village).id
    assert_error(vanhoa.post(f"/deliveries/{other}/confirm", json={"aired": False}), 400, "reason")
    assert_error(vanhoa.post(f"/deliveries/{other}/confirm", json={"aired": "yes"}), 400, "aired")
    missed = vanhoa.post(f"/deliveries/{other}/confirm", json={"aired": False, "reason": "Loa hỏng"}).get_json()
    assert missed["status"] == "failed" and missed["reason"] == "Loa hỏng"
    schedule_next_week(app, demo, village)
    future = demo.scalar(select(Delivery.id).join(Delivery.occurrence)
                         .where(Delivery.due_at > utcnow() + dt.timedelta(days=1)).limit(1))
    error = assert_error(vanhoa.post(f"/deliveries/{future}/confirm", json={"aired": True}), 409)
    assert "Chưa đến giờ" in error["message"]


# --------------------------------------------------------------------------- print orders and reports

def test_print_order_moves_through_statuses_and_renders_a_pdf(app, api, demo):
    leaflet = approved_version_id(demo, "ngoc-lac-asxh-2026", "leaflet")
    vanhoa, inan = api("vanhoa"), api("inan")
    resp = vanhoa.post("/print-orders", json={"version_id": leaflet, "product": "leaflet_a5", "quantity": "500",
                                              "print_shop_id": unit_id(demo, "in-ngoc-lac"), "note": "Giao sớm"})
    assert resp.status_code == 201, resp.get_json()
    order = resp.get_json()
    assert order["status"] == "submitted" and order["width_mm"] == 148 and order["number"].startswith("DI-")
    oid = order["id"]
    assert order["proof"]["status"] == "queued"
    proof_approved(app, vanhoa, oid)
    assert_error(vanhoa.post(f"/print-orders/{oid}/status", json={"status": "accepted"}), 409)
    assert_error(inan.post(f"/print-orders/{oid}/status", json={"status": "lost"}), 400, "status")
    moved = inan.post(f"/print-orders/{oid}/status", json={"status": "accepted"}).get_json()
    assert moved["status"] == "accepted" and moved["next_statuses"] == ["cancelled", "printed"]
    assert_error(inan.post(f"/print-orders/{oid}/status", json={"status": "cancelled"}), 409)
    assert vanhoa.get(f"/print-orders/{oid}").get_json()["status"] == "accepted"
    pdf = inan.get(f"/print-orders/{oid}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    fanpage = approved_version_id(demo, "ngoc-lac-asxh-2026", "fanpage")
    assert_error(vanhoa.post("/print-orders", json={"version_id": fanpage, "product": "leaflet_a5", "quantity": 5,
                                                    "print_shop_id": unit_id(demo, "in-ngoc-lac")}), 400, "form")
    bhxh_version = approved_version_id(demo, "bhxh-2728-2023", "fanpage")
    assert_error(vanhoa.post("/print-orders", json={"version_id": bhxh_version, "quantity": 5}), 404)


def test_reports_are_queued_listed_and_downloadable_once_ready(app, api, demo):
    ngoc_lac = plan_id(demo, "ngoc-lac-asxh-2026")
    vanhoa = api("vanhoa")
    resp = vanhoa.post(f"/plans/{ngoc_lac}/reports", json={"kind": "monthly", "year": 2026, "month": 11,
                                                           "signer_name": "Nguyễn Thị Hoa", "number": "12/BC"})
    assert resp.status_code == 202, resp.get_json()
    report = resp.get_json()
    assert report["status"] == "queued" and report["unit"]["code"] == "xa-ngoc-lac" and report["pdf_url"] is None
    assert report["period_start"] == "2026-10-15" and report["period_end_local"] == "14/11/2026"
    assert [r["id"] for r in vanhoa.get(f"/plans/{ngoc_lac}/reports").get_json()["items"]] == [report["id"]]
    assert vanhoa.get(f"/reports/{report['id']}").get_json()["kind"] == "monthly"
    assert_error(vanhoa.get(f"/reports/{report['id']}/pdf"), 404)
    assert_error(vanhoa.post(f"/plans/{ngoc_lac}/reports", json={"kind": "monthly", "year": 2026}), 400,
                 "month", "signer_name")
    assert_error(vanhoa.post(f"/plans/{ngoc_lac}/reports", json={
        "kind": "annual", "year": 2026, "signer_name": "X", "unit_id": unit_id(demo, "viet-nam")}), 404)
    assert_error(api("bientap").get(f"/reports/{report['id']}"), 404)
    assert_error(api("duyet").post(f"/plans/{plan_id(demo, 'bhxh-2728-2023')}/reports", json={}), 403)
    folder = Path(app.instance_path) / app.config["REPORT_DIR"]  # as the worker would leave it
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bao-cao-test.pdf").write_bytes(b"%PDF-1.7 test")
    row = demo.get(Report, report["id"])
    row.status, row.file_name = ReportStatus.READY, "bao-cao-test.pdf"
    demo.commit()
    assert vanhoa.get(f"/reports/{report['id']}").get_json()["pdf_url"].endswith("/pdf")
    pdf = vanhoa.get(f"/reports/{report['id']}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")


# --------------------------------------------------------------------------- the OpenAPI document

def test_openapi_document_describes_every_registered_route(app):
    resp = app.test_client().get(f"{API}/openapi.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    doc = resp.get_json()
    assert doc["openapi"].startswith("3.1") and doc["servers"] == [{"url": API}]
    bearer = doc["components"]["securitySchemes"]["bearerAuth"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer") and doc["security"] == [{"bearerAuth": []}]
    assert {"error"} == set(doc["components"]["schemas"]["Error"]["properties"])
    routes = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("api.")]
    assert len(routes) >= 20
    for rule in routes:
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix(API))
        assert path in doc["paths"], path
        item = doc["paths"][path]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = item.get(method.lower())
            assert operation and operation["responses"], (method, path)
            declared = {p["name"] for p in item.get("parameters", []) + operation.get("parameters", [])
                        if "name" in p}
            assert set(rule.arguments) <= declared, (method, path)
            if method in ("PUT", "PATCH") or (method == "POST" and not path.endswith(("/submit", "/rotate"))):
                assert "requestBody" in operation, (method, path)
    assert doc["paths"]["/tokens"]["post"]["security"] == []
    refs = list(_refs(doc))
    assert len(refs) > 50
    for ref in refs:
        _, _, kind, name = ref.split("/")
        assert name in doc["components"][kind], ref


def _refs(node):
    """Every $ref in a document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)
