"""Text no database can store and absurd JSON get a clear 400, never a 500 (on SQLite and PostgreSQL)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import csrf_from

API = "/api/v1"


def api_error(resp, status=400):
    assert resp.status_code == status, resp.get_data(as_text=True)
    error = resp.get_json()["error"]
    assert error["code"] and error["message"]
    return error


@pytest.mark.parametrize("raw", ['{"username": "\\ud800", "password": "x"}',
                                 '{"username": "vanhoa", "password": "a\\u0000b"}',
                                 '{"username": "vanhoa", "password": "x", "\\udfff": 1}'])
def test_anonymous_token_request_with_unstorable_text_is_400(app, demo, raw):
    resp = app.test_client().post(f"{API}/tokens", data=raw, content_type="application/json")
    error = api_error(resp)
    assert error["code"] == "invalid_input" and ("NUL" in error["message"] or "Unicode" in error["message"])


def test_json_nested_100000_deep_is_400(app, demo):
    raw = "[" * 100_000 + "]" * 100_000
    error = api_error(app.test_client().post(f"{API}/tokens", data=raw, content_type="application/json"))
    assert error["code"] == "malformed_json" and "quá sâu" in error["message"]
    nested = '{"username": ' + "[" * 40 + "]" * 40 + ', "password": "x"}'
    assert api_error(app.test_client().post(f"{API}/tokens", data=nested,
                                            content_type="application/json"))["code"] == "malformed_json"


def test_authenticated_writes_and_queries_with_nul_or_surrogates_are_400(app, demo):
    from planner.auth import issue_token
    from planner.db import utcnow
    from planner.models import Plan, User

    user = demo.scalar(select(User).where(User.username == "bientap"))
    token, _ = issue_token(demo, user, now=utcnow(), hours=1)
    demo.commit()
    plan_id = demo.scalar(select(Plan.id).where(Plan.code == "bhxh-2728-2025"))
    client, auth = app.test_client(), {"Authorization": f"Bearer {token}"}
    for body in ('{"title": "A\\u0000", "body_md": "x", "audience_id": 1, "channel": "fanpage"}',
                 '{"title": "A", "body_md": "\\ud83d", "audience_id": 1, "channel": "fanpage"}'):
        resp = client.post(f"{API}/plans/{plan_id or 1}/messages", data=body, content_type="application/json",
                           headers=auth)
        assert api_error(resp)["code"] == "invalid_input"
    assert api_error(client.get(f"{API}/occurrences?channel=fan%00page", headers=auth))["code"] == "invalid_input"
    assert api_error(client.get(f"{API}/plans", headers={"Authorization": f"Bearer {token}\x00"}))


def test_login_and_page_forms_with_nul_are_400_with_a_vietnamese_page(app, login):
    client = app.test_client()
    csrf = csrf_from(client.get("/login").get_data(as_text=True))
    resp = client.post("/login", data={"username": "van\x00hoa", "password": "x", "csrf_token": csrf})
    assert resp.status_code == 400 and "ký tự NUL" in resp.get_data(as_text=True)
    officer = login("vanhoa")
    csrf = csrf_from(officer.get("/").get_data(as_text=True))
    resp = officer.post("/messages/preview", data={"csrf_token": csrf, "body_md": "a\x00b", "channel": "fanpage"})
    assert resp.status_code == 400 and "ký tự NUL" in resp.get_data(as_text=True)
    assert officer.get("/plans/1/calendar?date=%00").status_code == 400


@pytest.mark.parametrize("part", [b'Content-Disposition: form-data; name="\\"', b"Content-Disposition: form-data",
                                  b'Content-Disposition: form-data; filename="a.png"'])
def test_a_multipart_part_without_a_readable_name_is_a_400_not_a_500(app, demo, login, part):
    """Found by fuzzing POST /messages/{id}/images: such a part reaches Flask named None (a 500 in CSRF and guards)."""
    body = b"--b\r\n" + part + b"\r\n\r\nv\r\n--b--\r\n"
    kind = "multipart/form-data; boundary=b"
    assert api_error(app.test_client().post(f"{API}/messages/1/images", data=body, content_type=kind)
                     )["message"] == "Dữ liệu gửi lên có một phần không đọc được tên trường. Vui lòng gửi lại biểu mẫu."
    for client in (app.test_client(), login("vanhoa")):
        resp = client.post("/login" if client.get("/").status_code == 302 else "/messages/1/images", data=body,
                           content_type=kind)
        assert resp.status_code == 400 and "không đọc được tên trường" in resp.get_data(as_text=True)
