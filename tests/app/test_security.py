"""Security baseline: throttled login, CSRF everywhere, cookie flags, health check."""
from __future__ import annotations

from tests.conftest import csrf_from


def test_login_is_throttled_after_repeated_failures(app, demo):
    client = app.test_client()
    for _ in range(5):
        csrf = csrf_from(client.get("/login").get_data(as_text=True))
        resp = client.post("/login", data={"username": "vanhoa", "password": "sai", "csrf_token": csrf})
        assert resp.status_code == 401
        assert "không đúng" in resp.get_data(as_text=True)
    csrf = csrf_from(client.get("/login").get_data(as_text=True))
    resp = client.post("/login", data={"username": "vanhoa", "password": "pw-test-123", "csrf_token": csrf})
    assert resp.status_code == 429 and "quá nhiều lần" in resp.get_data(as_text=True)


def test_forms_without_csrf_token_are_refused(app, demo):
    client = app.test_client()
    resp = client.post("/login", data={"username": "vanhoa", "password": "pw-test-123"})
    assert resp.status_code == 400 and "Biểu mẫu hết hạn" in resp.get_data(as_text=True)


def test_session_cookie_is_httponly_and_samesite(login):
    client = login("vanhoa")
    cookie = client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax"


def test_pages_need_login(app, demo):
    resp = app.test_client().get("/plans/1")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_open_redirect_after_login_is_ignored(app, demo):
    client = app.test_client()
    csrf = csrf_from(client.get("/login").get_data(as_text=True))
    resp = client.post("/login?next=https://evil.example/", data={
        "username": "vanhoa", "password": "pw-test-123", "csrf_token": csrf})
    assert resp.headers["Location"] == "/"


def test_healthz_reports_database_and_worker(app, demo):
    from planner.worker import tick

    resp = app.test_client().get("/healthz")
    body = resp.get_json()
    assert resp.status_code == 503 and body["down"] == ["worker"] and "Worker" in body["problems"][0]
    assert body["database"]["ok"] is True and body["worker"]["ok"] is False
    tick(app.extensions["planner_db"], app.config, instance_path=app.instance_path, worker_id="w")
    resp = app.test_client().get("/healthz")
    body = resp.get_json()
    assert resp.status_code == 200 and body["worker"]["ok"] is True and body["status"] == "ok"


def test_parent_plan_content_is_read_only_for_units_below(login, db):
    from planner.auth import hash_password
    from planner.models import Role, Unit, User
    from sqlalchemy import select
    from tests.app import factories as f

    police = db.scalar(select(Unit).where(Unit.code == "xa-ngoc-lac-cong-an")) or db.scalar(
        select(Unit).where(Unit.name == "Công an xã"))
    db.add(User(username="ca-editor", full_name="Biên tập Công an xã", password_hash=hash_password("pw-test-123"),
                role=Role.EDITOR, unit=police))
    db.commit()
    client = login("ca-editor")
    message = f.message(db, "ngoc-lac-asxh-2026", "loa-loi-ich")
    assert client.get(f"/messages/{message.id}").status_code == 200
    assert client.get(f"/messages/{message.id}/edit").status_code == 403


def test_only_people_who_confirm_broadcasts_get_village_links(login, db):
    from tests.app import factories as f

    plan = f.plan(db, "ngoc-lac-asxh-2026")
    target = f.village_target(db)
    supervisor = login("giamsat")
    page = supervisor.get(f"/plans/{plan.id}/targets/{target.id}/roster").get_data(as_text=True)
    assert "/x/" not in page
    assert supervisor.get(f"/plans/{plan.id}/targets/{target.id}/roster.pdf").status_code == 403


def test_village_links_never_confirm_online_posts(app, demo, db):
    import datetime as dt

    from planner import localtime
    from planner.db import utcnow
    from planner.operations.delivery import make_village_token
    from tests.app import factories as f
    from sqlalchemy import select

    page = db.scalar(select(f.Target).where(f.Target.code == "fanpage-bhxh-vn"))
    today = localtime.today(utcnow())
    token = make_village_token("test-secret", page.id, today - dt.timedelta(days=1), today)
    assert app.test_client().get(f"/x/{token}").status_code == 404


def test_pathological_markdown_is_refused_quickly(login, db):
    import time

    client = login("bientap")
    csrf = csrf_from(client.get("/").get_data(as_text=True))
    started = time.monotonic()
    body = client.post("/messages/preview", data={"csrf_token": csrf, "body_md": "[a](" * 15000,
                                                  "channel": "fanpage"}).get_json()
    assert time.monotonic() - started < 2 and "quá nhiều dấu ngoặc" in body["problems"][0]
    shop = login("inan")
    assert shop.post("/messages/preview", data={"csrf_token": csrf_from(shop.get("/print-orders").get_data(
        as_text=True)), "body_md": "x"}).status_code == 403


def test_odd_ids_numbers_and_dates_get_clear_answers_not_500(login, db):
    from tests.app import factories as f

    client = login("vanhoa")
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    huge = "99999999999999999999"
    for url in (f"/plans/{huge}", f"/messages/{huge}", f"/occurrences/{huge}", f"/print-orders/{huge}",
                f"/reports/{huge}.pdf"):
        assert client.get(url).status_code == 404, url
    for url in (f"/plans/{plan.id}/calendar?unit={huge}", f"/plans/{plan.id}/calendar?unit=²",
                f"/plans/{plan.id}/calendar?date=01/01/0001", f"/plans/{plan.id}/calendar?date=31/12/9999"):
        assert client.get(url).status_code in (200, 404), url
    page = client.get(f"/plans/{plan.id}/schedule").get_data(as_text=True)
    resp = client.post(f"/plans/{plan.id}/schedule", data={"csrf_token": csrf_from(page), "unit": f.user(db, "vanhoa").unit_id,
                                                          "channel": "loudspeaker", "start": "01/01/0001",
                                                          "end": "31/12/9999"})
    assert resp.status_code == 400 and "nằm ngoài khoảng" in resp.get_data(as_text=True)
    page = client.get(f"/plans/{plan.id}/emergency").get_data(as_text=True)
    resp = client.post(f"/plans/{plan.id}/emergency", data={"csrf_token": csrf_from(page), "message_id": "1",
                                                           "sessions": "²"})
    assert resp.status_code == 400
