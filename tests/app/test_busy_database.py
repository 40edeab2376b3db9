"""A busy or broken database gives a clear Vietnamese 503 (JSON with Retry-After in the API), never a hang or 500."""
from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import OperationalError

from tests.conftest import csrf_from


@pytest.fixture()
def locked_app(tmp_path, monkeypatch):
    """An app on a SQLite file with a 0.2 s busy timeout, and a way to hold the write lock from outside."""
    from planner import create_app
    from planner.db import Base

    monkeypatch.setenv("PLANNER_INSTANCE_PATH", str(tmp_path / "instance"))
    path = tmp_path / "busy.db"
    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "s", "DATABASE_BUSY_TIMEOUT_SECONDS": 0.2})
    Base.metadata.create_all(app.extensions["planner_db"].engine)
    holder = sqlite3.connect(path, isolation_level=None)
    yield app, holder
    holder.close()
    app.extensions["planner_db"].engine.dispose()


def test_a_locked_database_answers_503_in_vietnamese_with_retry_after(locked_app):
    app, holder = locked_app
    client = app.test_client()
    csrf = csrf_from(client.get("/login").get_data(as_text=True))
    holder.execute("BEGIN IMMEDIATE")
    page = client.post("/login", data={"username": "vanhoa", "password": "x", "csrf_token": csrf})
    assert page.status_code == 503 and page.headers["Retry-After"].isdigit()
    assert "Hệ thống đang bận" in page.get_data(as_text=True)
    api = client.post("/api/v1/tokens", json={"username": "vanhoa", "password": "x"})
    assert api.status_code == 503 and api.headers["Retry-After"].isdigit()
    assert api.get_json()["error"]["code"] == "service_unavailable"
    holder.execute("ROLLBACK")
    csrf = csrf_from(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"username": "vanhoa", "password": "x", "csrf_token": csrf}).status_code == 401


def busy_error():
    return OperationalError("UPDATE x", {}, sqlite3.OperationalError("database is locked"))


def test_reads_are_retried_when_the_database_is_busy(app):
    calls = []

    @app.get("/__flaky")
    def _flaky():
        calls.append(1)
        if len(calls) < 3:
            raise busy_error()
        return "ok"

    @app.post("/__flaky")
    def _flaky_write():
        calls.append(1)
        raise busy_error()

    app.extensions["csrf"].exempt(_flaky_write)
    assert app.test_client().get("/__flaky").get_data(as_text=True) == "ok" and len(calls) == 3
    calls.clear()
    assert app.test_client().post("/__flaky").status_code == 503 and len(calls) == 1


def test_an_unexpected_error_page_needs_no_database(app, login, monkeypatch):
    import planner.auth

    app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    @app.get("/__boom")
    def _boom():
        raise RuntimeError("boom")

    @app.get("/api/v1/__boom")
    def _api_boom():
        raise RuntimeError("boom")

    client = login("vanhoa")

    def broken(*_a, **_k):
        raise busy_error()

    monkeypatch.setattr(planner.auth, "session_user", broken)
    page = client.get("/__boom")
    assert page.status_code == 500 and "Lỗi hệ thống" in page.get_data(as_text=True)
    assert "Werkzeug" not in page.get_data(as_text=True) and "Traceback" not in page.get_data(as_text=True)
    body = app.test_client().get("/api/v1/__boom").get_json()
    assert body["error"] == {"code": "internal_error", "message": "Đã có lỗi xảy ra. Vui lòng thử lại sau."}


@pytest.mark.parametrize("method, path, status, code", [
    ("get", "/api/v1/nothing", 404, "not_found"), ("delete", "/api/v1/plans", 405, "method_not_allowed"),
    ("post", "/api/v1/tokens", 413, "payload_too_large")])
def test_api_errors_have_a_machine_code_and_a_vietnamese_message(app, method, path, status, code):
    kwargs = {"data": "x" * (6 * 1024 * 1024), "content_type": "application/json"} if status == 413 else {}
    resp = getattr(app.test_client(), method)(path, **kwargs)
    assert resp.status_code == status and resp.mimetype == "application/json"
    error = resp.get_json()["error"]
    assert error["code"] == code and error["message"] and set(error) <= {"code", "message", "fields"}
    if status == 405:
        assert "GET" in resp.headers["Allow"]


def test_a_lock_held_elsewhere_gives_503_on_postgresql_too(tmp_path, monkeypatch):
    from tests.conftest import PG_URL

    if not PG_URL:
        pytest.skip("PostgreSQL only (PLANNER_TEST_DATABASE_URL); SQLite is covered above")
    from sqlalchemy import create_engine

    from planner import create_app
    from planner.db import Base

    monkeypatch.setenv("PLANNER_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"DATABASE_URL": PG_URL, "SECRET_KEY": "s", "DATABASE_BUSY_TIMEOUT_SECONDS": 0.3})
    engine = app.extensions["planner_db"].engine
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    holder = create_engine(PG_URL).connect()
    try:
        holder.exec_driver_sql("BEGIN")
        holder.exec_driver_sql("LOCK TABLE login_throttles IN ACCESS EXCLUSIVE MODE")
        resp = app.test_client().post("/api/v1/tokens", json={"username": "vanhoa", "password": "x"})
        assert resp.status_code == 503 and resp.headers["Retry-After"].isdigit()
        assert resp.get_json()["error"]["code"] == "service_unavailable"
    finally:
        holder.exec_driver_sql("ROLLBACK")
        holder.close()
        Base.metadata.drop_all(engine)
        engine.dispose()
