"""People in the app: unit administrators manage users of their unit and below; resets and deactivation end
sessions and tokens; usernames are case-insensitive; approval routes to the nearest unit with an approver."""
from __future__ import annotations

from sqlalchemy import func, select

from planner.auth import hash_password, issue_token
from planner.db import utcnow
from planner.models import ApiToken, AuditEntry, Message, Role, Unit, UnitKind, User
from tests.app import factories as f
from tests.conftest import csrf_from

API = "/api/v1"


def unit(db, code: str) -> Unit:
    return db.scalars(select(Unit).where(Unit.code == code).order_by(Unit.path)).first()


def bearer(app, db, username: str):
    """A test client and headers carrying a fresh bearer token of `username`."""
    token, _ = issue_token(db, f.user(db, username), now=utcnow(), hours=1)
    db.commit()
    return app.test_client(), {"Authorization": f"Bearer {token}"}


def create_form(client, **fields):
    csrf = csrf_from(client.get("/admin/users/new").get_data(as_text=True))
    return client.post("/admin/users/new", data={"csrf_token": csrf, **fields})


def test_commune_admin_creates_an_officer_who_logs_in_with_any_letter_case(app, login, db):
    admin = login("quantrixa")
    resp = create_form(admin, username="  CanBo.Xa ", full_name="Cán bộ xã", role="planner",
                       unit_id=unit(db, "xa-ngoc-lac").id, password="mat-khau-moi")
    assert resp.status_code == 302
    user = f.user(db, "canbo.xa")
    assert user is not None and user.role is Role.PLANNER and user.unit.code == "xa-ngoc-lac"
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "user.create", AuditEntry.entity_id == user.id))
    client = app.test_client()
    csrf = csrf_from(client.get("/login").get_data(as_text=True))
    login_resp = client.post("/login", data={"username": "CANBO.XA", "password": "mat-khau-moi", "csrf_token": csrf})
    assert login_resp.status_code == 302


def test_username_differing_only_in_case_is_refused_and_nothing_is_written(login, db):
    admin = login("quantrixa")
    before = db.scalar(select(func.count()).select_from(User))
    resp = create_form(admin, username="VanHoa", full_name="Trùng tên", role="planner",
                       unit_id=unit(db, "xa-ngoc-lac").id, password="12345678")
    assert resp.status_code == 400
    assert "đã có người dùng" in resp.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(User)) == before


def test_bad_user_form_explains_each_field_in_vietnamese(login, db):
    admin = login("quantrixa")
    resp = create_form(admin, username="a", full_name="", role="admin", unit_id="", password="123")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    for text in ("Tên đăng nhập 3–64 ký tự", "Vui lòng nhập họ tên", "Chọn một vai trò bạn được phép giao",
                 "Chọn một đơn vị trong phạm vi", "ít nhất 8 ký tự"):
        assert text in html, text


def test_commune_admin_cannot_touch_users_or_units_of_another_unit(app, login, db):
    admin = login("quantrixa")
    outsider = f.user(db, "duyet")  # BHXH communications centre
    assert admin.get(f"/admin/users/{outsider.id}").status_code == 404
    csrf = csrf_from(admin.get("/admin/users").get_data(as_text=True))
    assert admin.post(f"/admin/users/{outsider.id}/password",
                      data={"csrf_token": csrf, "password": "hijacked-123"}).status_code == 404
    assert admin.post(f"/admin/users/{outsider.id}/active", data={"csrf_token": csrf, "active": "0"}).status_code == 404
    listing = admin.get("/admin/users").get_data(as_text=True)
    assert "vanhoa" in listing and "duyet<" not in listing and "bientap" not in listing
    resp = create_form(admin, username="ngoai-pham-vi", full_name="X", role="editor",
                       unit_id=unit(db, "bhxh-trung-tam-truyen-thong").id, password="12345678")
    assert resp.status_code == 400 and f.user(db, "ngoai-pham-vi") is None
    db.expire_all()
    assert f.user(db, "duyet").is_active


def test_officers_and_approvers_have_no_people_pages(login):
    for username in ("vanhoa", "duyetxa"):
        assert login(username).get("/admin/users").status_code == 403


def test_password_reset_ends_the_users_sessions_and_revokes_api_tokens(app, login, db):
    officer = login("vanhoa")
    assert officer.get("/").status_code == 200
    api_client, headers = bearer(app, db, "vanhoa")
    assert api_client.get(API + "/plans", headers=headers).status_code == 200
    admin = login("quantrixa")
    target = f.user(db, "vanhoa")
    csrf = csrf_from(admin.get(f"/admin/users/{target.id}").get_data(as_text=True))
    resp = admin.post(f"/admin/users/{target.id}/password", data={"csrf_token": csrf, "password": "mat-khau-2026"})
    assert resp.status_code == 302
    assert officer.get("/").status_code == 302  # back to the login page
    assert api_client.get(API + "/plans", headers=headers).status_code == 401
    assert db.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.user_id == target.id)) == 0
    assert admin.get("/").status_code == 200  # the administrator's own session is untouched


def test_deactivated_user_is_logged_out_and_cannot_log_in_again(app, login, db):
    officer = login("vanhoa")
    admin = login("quantrixa")
    target = f.user(db, "vanhoa")
    csrf = csrf_from(admin.get(f"/admin/users/{target.id}").get_data(as_text=True))
    admin.post(f"/admin/users/{target.id}/active", data={"csrf_token": csrf, "active": "0"})
    assert officer.get("/").status_code == 302
    client = app.test_client()
    csrf = csrf_from(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"username": "vanhoa", "password": "pw-test-123",
                                       "csrf_token": csrf}).status_code == 401
    self_csrf = csrf_from(admin.get("/admin/users").get_data(as_text=True))
    me = f.user(db, "quantrixa")
    admin.post(f"/admin/users/{me.id}/active", data={"csrf_token": self_csrf, "active": "0"})
    db.expire_all()
    assert f.user(db, "quantrixa").is_active  # nobody locks themselves out


def test_api_manages_users_with_the_same_checks(app, demo, db):
    client, headers = bearer(app, db, "quantrixa")
    commune = unit(db, "xa-ngoc-lac")
    resp = client.post(API + "/users", headers=headers, json={
        "username": "DuyetXa2", "full_name": "Người duyệt 2", "role": "approver", "unit_id": commune.id,
        "password": "duyet-2026"})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["username"] == "duyetxa2" and body["role"] == "approver" and body["is_active"] is True
    assert "password" not in str(body).lower()
    user_id = body["id"]
    assert client.patch(API + f"/users/{user_id}", headers=headers, json={"role": "editor"}).get_json()["role"] == "editor"
    bad = client.post(API + "/users", headers=headers, json={"username": "x", "role": "admin", "unit_id": 1})
    assert bad.status_code == 400 and {"full_name", "password"} <= set(bad.get_json()["error"]["fields"])
    outsider = f.user(db, "bientap")
    assert client.get(API + f"/users/{outsider.id}", headers=headers).status_code == 404
    assert client.post(API + f"/users/{outsider.id}/active", headers=headers,
                       json={"is_active": False}).status_code == 404
    assert client.post(API + f"/users/{user_id}/password", headers=headers, json={"password": "short"}).status_code == 400
    assert client.post(API + f"/users/{user_id}/active", headers=headers,
                       json={"is_active": False}).get_json()["is_active"] is False
    me = f.user(db, "quantrixa")
    assert client.post(API + f"/users/{me.id}/active", headers=headers, json={"is_active": False}).status_code == 409
    listing = client.get(API + "/users", headers=headers).get_json()
    assert {u["username"] for u in listing["items"]} >= {"vanhoa", "duyetxa", "duyetxa2"}
    assert all(u["unit"]["code"] != "bhxh-trung-tam-truyen-thong" for u in listing["items"])
    officer, officer_headers = bearer(app, db, "vanhoa")
    assert officer.get(API + "/users", headers=officer_headers).status_code == 403
    paths = app.test_client().get(API + "/openapi.json").get_json()["paths"]
    assert {"/users", "/users/{user_id}", "/users/{user_id}/password", "/users/{user_id}/active"} <= set(paths)


def _submitted_commune_message(db) -> Message:
    from planner.models import VersionStatus

    plan = f.plan(db, "ngoc-lac-asxh-2026")
    message = db.scalars(select(Message).where(Message.plan_id == plan.id, Message.channel == "loudspeaker")
                         .order_by(Message.id)).first()
    message.latest.status = VersionStatus.SUBMITTED
    db.commit()
    return message


def _review(client, message):
    csrf = csrf_from(client.get(f"/messages/{message.id}").get_data(as_text=True))
    return client.post(f"/messages/{message.id}/versions/{message.latest.id}/review",
                       data={"csrf_token": csrf, "decision": "approve", "note": ""})


def test_commune_approver_approves_commune_messages_and_a_province_approver_then_may_not(app, login, db):
    province = User(username="duyettinh", full_name="Người duyệt tỉnh", role=Role.APPROVER,
                    unit=unit(db, "tinh-thanh-hoa"), password_hash=hash_password("pw-test-123"))
    db.add(province)
    db.commit()
    message = _submitted_commune_message(db)
    page = login("duyettinh").get(f"/messages/{message.id}").get_data(as_text=True)
    assert "Duyệt</button>" not in page
    assert _review(login("duyettinh"), message).status_code == 403
    commune_approver = login("duyetxa")
    assert "Duyệt</button>" in commune_approver.get(f"/messages/{message.id}").get_data(as_text=True)
    assert _review(commune_approver, message).status_code == 302
    db.expire_all()
    assert db.get(Message, message.id).latest.status.value == "approved"


def test_approval_goes_up_the_tree_when_the_commune_has_no_approver(app, login, db):
    from planner.access import approving_unit

    commune_approver = f.user(db, "duyetxa")
    commune_approver.is_active = False
    db.add(User(username="duyettinh", full_name="Người duyệt tỉnh", role=Role.APPROVER,
                unit=unit(db, "tinh-thanh-hoa"), password_hash=hash_password("pw-test-123")))
    db.commit()
    assert approving_unit(db, unit(db, "xa-ngoc-lac")).code == "tinh-thanh-hoa"
    message = _submitted_commune_message(db)
    client, headers = bearer(app, db, "duyettinh")
    resp = client.post(API + f"/messages/{message.id}/versions/{message.latest.id}/review", headers=headers,
                       json={"decision": "approve"})
    assert resp.status_code == 200, resp.get_json()


def test_migration_lowercases_existing_usernames_and_lets_villages_share_codes(tmp_path):
    from alembic import command
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import IntegrityError

    from planner.db import alembic_config

    url = f"sqlite:///{tmp_path / 'm.db'}"
    command.upgrade(alembic_config(url), "0001")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO units (id, code, name, kind, path, duties) VALUES "
                          "(1, 'xa-a', 'Xã A', 'commune', '/00000001/', ''), (2, 'xa-b', 'Xã B', 'commune', "
                          "'/00000002/', '')"))
        conn.execute(text("INSERT INTO units (id, code, name, kind, parent_id, path, duties) VALUES "
                          "(3, 'thon-01', 'Thôn 1', 'village', 1, '/00000001/00000003/', '')"))
        conn.execute(text("INSERT INTO users (username, full_name, password_hash, role, unit_id, is_active, "
                          "created_at) VALUES ('VanHoa', 'x', 'h', 'planner', 1, 1, '2026-01-01 00:00:00')"))
    command.upgrade(alembic_config(url), "head")
    with engine.begin() as conn:
        assert conn.execute(text("SELECT username FROM users")).all() == [("vanhoa",)]
        conn.execute(text("INSERT INTO units (code, name, kind, parent_id, path, duties) VALUES "
                          "('thon-01', 'Thôn 1', 'village', 2, '/00000002/00000004/', '')"))
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO units (code, name, kind, parent_id, path, duties) VALUES "
                              "('thon-01', 'Thôn 1 trùng', 'village', 1, '/x/', '')"))
        raise AssertionError("a second thon-01 in the same commune was accepted")
    except IntegrityError:
        pass
    engine.dispose()
    assert UnitKind.VILLAGE.value == "village"
