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

    body = app.test_client().get("/healthz").get_json()
    assert body["database"]["ok"] is True and body["worker"]["ok"] is False
    tick(app.extensions["planner_db"], app.config, instance_path=app.instance_path, worker_id="w")
    body = app.test_client().get("/healthz").get_json()
    assert body["worker"]["ok"] is True and body["status"] == "ok"


def test_migrations_build_the_same_schema_as_the_models(tmp_path):
    from sqlalchemy import create_engine, inspect

    from planner.db import Base, upgrade_database
    import planner.models  # noqa: F401

    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade_database(url)
    tables = set(inspect(create_engine(url)).get_table_names()) - {"alembic_version"}
    assert tables == set(Base.metadata.tables)
