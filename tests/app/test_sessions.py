"""Sessions end for good at logout, expiry or password reset; API tokens are listed, revoked, expire."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from planner.db import utcnow
from tests.conftest import csrf_from

API = "/api/v1"


def test_a_cookie_captured_before_logout_no_longer_opens_pages(app, login):
    client = login("vanhoa")
    stolen = client.get_cookie("session").value
    assert client.get("/").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))})
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    resp = thief.get("/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_idle_and_old_sessions_end(app, login, db):
    from planner.models import UserSession

    client = login("vanhoa")
    row = db.scalars(select(UserSession)).one()
    row.last_seen_at = utcnow() - dt.timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1)
    db.commit()
    assert client.get("/").status_code == 302
    client = login("vanhoa")
    row = db.scalars(select(UserSession).order_by(UserSession.created_at.desc())).first()
    row.expires_at = utcnow() - dt.timedelta(seconds=1)
    db.commit()
    assert client.get("/").status_code == 302


def test_password_reset_ends_sessions_and_revokes_tokens(app, login, db):
    client = login("bientap")
    token = app.test_client().post(f"{API}/tokens", json={"username": "bientap", "password": "pw-test-123"})
    bearer = {"Authorization": f"Bearer {token.get_json()['token']}"}
    assert app.test_client().get(f"{API}/plans", headers=bearer).status_code == 200
    result = app.test_cli_runner().invoke(args=["users", "reset", "bientap"],
                                          input="mat-khau-moi-2026\nmat-khau-moi-2026\n")
    assert result.exit_code == 0, result.output
    assert client.get("/").status_code == 302
    assert app.test_client().get(f"{API}/plans", headers=bearer).status_code == 401


@pytest.mark.parametrize("password, reason", [
    ("ngan-qua", "ít nhất 10"), ("1234567890", "phổ biến"), ("aaaaaaaaaaaa", "phổ biến"),
    ("bientap-2026-x", "tên đăng nhập")])
def test_weak_passwords_are_refused_with_the_reason(app, demo, password, reason):
    result = app.test_cli_runner().invoke(args=["users", "reset", "bientap"], input=f"{password}\n{password}\n")
    assert result.exit_code != 0 and reason in result.output


def test_the_demo_password_meets_the_policy():
    from planner.auth import check_password_policy
    from planner.config import DEFAULTS

    for username in ("admin", "vanhoa", "bientap", "duyet", "inan", "giamsat"):
        check_password_policy(DEFAULTS["DEMO_PASSWORD"], username)


def test_api_tokens_are_listed_and_revoked(app, demo):
    client = app.test_client()
    first = client.post(f"{API}/tokens", json={"username": "vanhoa", "password": "pw-test-123"}).get_json()
    second = client.post(f"{API}/tokens", json={"username": "vanhoa", "password": "pw-test-123"}).get_json()
    other = client.post(f"{API}/tokens", json={"username": "duyet", "password": "pw-test-123"}).get_json()
    auth = {"Authorization": f"Bearer {first['token']}"}
    listed = client.get(f"{API}/tokens", headers=auth).get_json()["items"]
    assert [t["id"] for t in listed] == [second["id"], first["id"]] and listed[1]["current"] is True
    assert "token" not in listed[0] and listed[0]["expires_at"].endswith("Z")
    assert client.delete(f"{API}/tokens/{other['id']}", headers=auth).status_code == 404  # not theirs
    assert client.delete(f"{API}/tokens/{second['id']}", headers=auth).status_code == 204
    assert client.get(f"{API}/plans", headers={"Authorization": f"Bearer {second['token']}"}).status_code == 401
    assert client.delete(f"{API}/tokens/{first['id']}", headers=auth).status_code == 204
    assert client.get(f"{API}/tokens", headers=auth).status_code == 401
    assert client.get(f"{API}/plans", headers={"Authorization": f"Bearer {other['token']}"}).status_code == 200


def test_the_worker_prunes_ended_sessions_expired_tokens_and_old_throttles(app, login, db):
    from planner.auth import issue_token, prune_expired
    from planner.models import ApiToken, LoginThrottle, User, UserSession

    login("vanhoa")
    user = db.scalar(select(User).where(User.username == "vanhoa"))
    issue_token(db, user, now=utcnow() - dt.timedelta(days=3), hours=1)
    db.add(LoginThrottle(key="a:1.2.3.4", failures=3, last_failure_at=utcnow() - dt.timedelta(days=2)))
    db.commit()
    later = utcnow() + dt.timedelta(hours=app.config["SESSION_MAX_HOURS"] + 1)
    assert prune_expired(db, now=later, settings=app.config) >= 3
    db.commit()
    assert db.scalars(select(UserSession)).all() == [] and db.scalars(select(ApiToken)).all() == []
    assert db.get(LoginThrottle, "a:1.2.3.4") is None


def test_users_change_their_own_password_and_other_sessions_end(app, login):
    other_browser = login("vanhoa")
    client = login("vanhoa")
    token = app.test_client().post(f"{API}/tokens", json={"username": "vanhoa", "password": "pw-test-123"})
    bearer = {"Authorization": f"Bearer {token.get_json()['token']}"}
    page = client.get("/account/password").get_data(as_text=True)
    bad = client.post("/account/password", data={"csrf_token": csrf_from(page), "current_password": "sai",
                                                 "new_password": "ngan", "confirm_password": "ngan"})
    assert bad.status_code == 400 and "không đúng" in bad.get_data(as_text=True)
    ok = client.post("/account/password", data={"csrf_token": csrf_from(page), "current_password": "pw-test-123",
                                                "new_password": "mat-khau-moi-2026",
                                                "confirm_password": "mat-khau-moi-2026"})
    assert ok.status_code == 302 and client.get("/").status_code == 200  # this browser stays logged in
    assert other_browser.get("/").status_code == 302
    assert app.test_client().get(f"{API}/plans", headers=bearer).status_code == 401


def test_password_change_through_the_api_checks_the_policy_and_revokes_tokens(app, demo):
    client = app.test_client()
    token = client.post(f"{API}/tokens", json={"username": "duyet", "password": "pw-test-123"}).get_json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    weak = client.post(f"{API}/account/password", headers=bearer,
                       json={"current_password": "pw-test-123", "new_password": "duyet12345678"})
    assert weak.status_code == 400 and "new_password" in weak.get_json()["error"]["fields"]
    done = client.post(f"{API}/account/password", headers=bearer,
                       json={"current_password": "pw-test-123", "new_password": "mat-khau-moi-2026"})
    assert done.status_code == 204
    assert client.get(f"{API}/plans", headers=bearer).status_code == 401
    assert client.post(f"{API}/tokens", json={"username": "duyet", "password": "mat-khau-moi-2026"}).status_code == 201
