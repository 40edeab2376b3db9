"""Places in the app: the units tree (add, rename, move with loudspeaker clusters), village codes unique within
their commune, and the village CSV upload with a dry run that writes nothing."""
from __future__ import annotations

from sqlalchemy import func, select

from planner.auth import issue_token
from planner.db import utcnow
from planner.models import AuditEntry, Target, Unit, UnitKind
from tests.app import factories as f
from tests.conftest import csrf_from

API = "/api/v1"


def unit(db, code: str, parent: str | None = None) -> Unit:
    stmt = select(Unit).where(Unit.code == code)
    if parent:
        stmt = stmt.where(Unit.parent_id == select(Unit.id).where(Unit.code == parent).scalar_subquery())
    return db.scalars(stmt.order_by(Unit.path)).first()


def count(db, model, *where) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where))


def add_unit(client, **fields):
    csrf = csrf_from(client.get("/admin/units").get_data(as_text=True))
    return client.post("/admin/units", data={"csrf_token": csrf, **fields})


def bearer(app, db, username: str):
    token, _ = issue_token(db, f.user(db, username), now=utcnow(), hours=1)
    db.commit()
    return app.test_client(), {"Authorization": f"Bearer {token}"}


def new_commune(client, db, code="xa-minh-son", name="Xã Minh Sơn") -> Unit:
    resp = add_unit(client, parent_id=unit(db, "tinh-thanh-hoa").id, kind="commune", code=code, name=name)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return unit(db, code)


def test_commune_admin_adds_a_village_with_its_loudspeaker_cluster(login, db):
    admin = login("quantrixa")
    commune = unit(db, "xa-ngoc-lac")
    resp = add_unit(admin, parent_id=commune.id, kind="village", code="Thon-43", name="Thôn 43")
    assert resp.status_code == 302
    village = unit(db, "thon-43")
    assert village.parent_id == commune.id and village.path.startswith(commune.path) and village.kind is UnitKind.VILLAGE
    cluster = db.scalar(select(Target).where(Target.unit_id == village.id))
    assert cluster.channel == "loudspeaker" and cluster.name == "Cụm loa Thôn 43"
    assert "Thôn 43" in admin.get("/admin/units").get_data(as_text=True)


def test_village_codes_repeat_across_communes_but_not_within_one(login, db):
    admin = login("admin")
    again = add_unit(admin, parent_id=unit(db, "xa-ngoc-lac").id, kind="village", code="thon-01", name="Thôn 1 bis")
    assert again.status_code == 400 and "đã có trong Xã Ngọc Lặc" in again.get_data(as_text=True)
    commune = new_commune(admin, db)
    resp = add_unit(admin, parent_id=commune.id, kind="village", code="thon-01", name="Thôn 1")
    assert resp.status_code == 302
    assert count(db, Unit, Unit.code == "thon-01") == 2
    codes = set(db.scalars(select(Target.code).join(Unit).where(Unit.code == "thon-01")))
    assert len(codes) == 2 and "loa-thon-01" in codes
    clash = add_unit(admin, parent_id=unit(db, "tinh-thanh-hoa").id, kind="commune", code="xa-ngoc-lac",
                     name="Trùng mã")
    assert clash.status_code == 400 and "đã dùng cho" in clash.get_data(as_text=True)
    misplaced = add_unit(admin, parent_id=unit(db, "tinh-thanh-hoa").id, kind="village", code="thon-77", name="X")
    assert misplaced.status_code == 400 and "Thôn phải thuộc xã" in misplaced.get_data(as_text=True)


def test_commune_admin_cannot_touch_units_of_another_commune(app, login, db):
    root = login("admin")
    other = new_commune(root, db)
    admin = login("quantrixa")
    assert admin.get(f"/admin/units/{other.id}").status_code == 404
    assert admin.get(f"/admin/units/{unit(db, 'bhxh-viet-nam').id}").status_code == 404
    resp = add_unit(admin, parent_id=other.id, kind="village", code="thon-99", name="Thôn 99")
    assert resp.status_code == 400 and unit(db, "thon-99") is None
    page = admin.get("/admin/units").get_data(as_text=True)
    assert "Xã Minh Sơn" not in page and "Thôn 42" in page
    client, headers = bearer(app, db, "quantrixa")
    assert client.get(API + f"/units/{other.id}", headers=headers).status_code == 404
    assert client.patch(API + f"/units/{unit(db, 'thon-07').id}", headers=headers,
                        json={"parent_id": other.id}).status_code == 400
    assert login("vanhoa").get("/admin/units").status_code == 403


def test_moving_a_village_keeps_its_id_clusters_and_history(login, db):
    admin = login("admin")
    commune = new_commune(admin, db)
    village = unit(db, "thon-07")
    target = f.village_target(db, "thon-07")
    page = admin.get(f"/admin/units/{village.id}").get_data(as_text=True)
    resp = admin.post(f"/admin/units/{village.id}", data={"csrf_token": csrf_from(page), "name": "Thôn Bảy",
                                                          "code": "thon-07", "parent_id": commune.id})
    assert resp.status_code == 302
    db.expire_all()
    moved = db.get(Unit, village.id)
    assert moved.parent_id == commune.id and moved.name == "Thôn Bảy"
    assert moved.path == f"{commune.path}{moved.id:08d}/"
    assert db.get(Target, target.id).unit_id == village.id
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "unit.move", AuditEntry.entity_id == village.id))
    assert (entry.from_state, entry.to_state) == ("xa-ngoc-lac", "xa-minh-son")
    into_itself = admin.post(f"/admin/units/{commune.id}", data={"csrf_token": csrf_from(page), "name": commune.name,
                                                                 "code": commune.code, "parent_id": village.id})
    assert into_itself.status_code == 400


def test_loudspeaker_clusters_are_renamed_and_added_on_the_unit_page(login, db):
    admin = login("quantrixa")
    village = unit(db, "thon-03")
    target = f.village_target(db, "thon-03")
    csrf = csrf_from(admin.get(f"/admin/units/{village.id}").get_data(as_text=True))
    admin.post(f"/admin/units/{village.id}/loudspeakers", data={
        "csrf_token": csrf, f"target-{target.id}": "Cụm loa trung tâm", "loudspeaker": "Cụm loa xóm Đồi"})
    db.expire_all()
    names = set(db.scalars(select(Target.name).where(Target.unit_id == village.id)))
    assert names == {"Cụm loa trung tâm", "Cụm loa xóm Đồi"}


def _dry_run(client, unit_id, text, **extra):
    csrf = csrf_from(client.get(f"/admin/units/{unit_id}/villages").get_data(as_text=True))
    from io import BytesIO

    return client.post(f"/admin/units/{unit_id}/villages", content_type="multipart/form-data",
                       data={"csrf_token": csrf, "file": (BytesIO(text.encode()), "thon-moi.csv"), **extra})


def test_village_upload_dry_run_previews_rows_and_writes_nothing_until_confirmed(login, db):
    admin = login("quantrixa")
    commune = unit(db, "xa-ngoc-lac")
    before = count(db, Unit)
    text = ("code,name,parent_code\nthon-01,Thôn Minh Sơn,xa-ngoc-lac\nthon-02,Thôn 2,xa-ngoc-lac\n"
            "thon-43,Thôn 43,xa-ngoc-lac\n")
    resp = _dry_run(admin, commune.id, text)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "1 thôn mới · 1 cập nhật · 0 chuyển xã · 1 không đổi" in html
    assert "tên: Thôn 1 → Thôn Minh Sơn" in html
    assert count(db, Unit) == before and unit(db, "thon-43") is None
    csrf = csrf_from(html)
    done = admin.post(f"/admin/units/{commune.id}/villages/import",
                      data={"csrf_token": csrf, "csv": text, "filename": "thon-moi.csv"})
    assert done.status_code == 302
    assert unit(db, "thon-43") is not None and unit(db, "thon-01", "xa-ngoc-lac").name == "Thôn Minh Sơn"
    assert count(db, Target, Target.unit_id == unit(db, "thon-43").id) == 1


def test_village_upload_lists_every_error_with_line_and_column(login, db):
    admin = login("quantrixa")
    commune = unit(db, "xa-ngoc-lac")
    before = count(db, Unit)
    text = "code,name,parent_code\nthon-50,,xa-ngoc-lac\nTHON 51,Thôn 51,xa-ngoc-lac\nthon-52,Thôn 52,xa-khac\n"
    resp = _dry_run(admin, commune.id, text)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "chưa ghi gì" in html
    for line, column in (("2", "name"), ("3", "code"), ("4", "parent_code")):
        assert f"<td>{line}</td><td><code>{column}</code></td>" in html, (line, column)
    assert "Nhập " not in html.split('id="preview"')[1]  # no import button
    forged = admin.post(f"/admin/units/{commune.id}/villages/import",
                        data={"csrf_token": csrf_from(html), "csv": text, "filename": "x.csv"})
    assert forged.status_code == 400 and count(db, Unit) == before
    under_department = _dry_run(admin, commune.id, "code,name,parent_code\nthon-53,Thôn 53,xa-ngoc-lac-cong-an\n")
    assert under_department.status_code == 400
    assert "<td>2</td><td><code>parent_code</code></td><td>&#39;xa-ngoc-lac-cong-an&#39; không phải là một xã" in \
        under_department.get_data(as_text=True)


def test_upload_that_moves_a_village_to_another_commune_needs_confirmation(app, login, db):
    admin = login("admin")
    other = new_commune(admin, db)
    village = unit(db, "thon-05", "xa-ngoc-lac")
    text = "code,name,parent_code\nthon-04,Thôn 4,xa-ngoc-lac\nthon-05,Thôn 5,xa-minh-son\n"
    province = unit(db, "tinh-thanh-hoa")
    refused = _dry_run(admin, province.id, text)
    assert refused.status_code == 400 and "đang thuộc Xã Ngọc Lặc" in refused.get_data(as_text=True)
    client, headers = bearer(app, db, "admin")
    api = client.post(API + f"/units/{province.id}/villages", headers=headers,
                      json={"csv": text, "dry_run": False})
    assert api.status_code == 400 and unit(db, "thon-05", "xa-minh-son") is None
    ok = client.post(API + f"/units/{province.id}/villages", headers=headers,
                     json={"csv": text, "dry_run": False, "confirm_moves": True})
    assert ok.status_code == 200 and ok.get_json()["counts"]["moved"] == 1
    db.expire_all()
    assert db.get(Unit, village.id).parent_id == other.id


def test_cli_village_csv_for_a_new_commune_creates_its_own_thon_01(app, login, db, tmp_path):
    new_commune(login("admin"), db)
    csv = tmp_path / "minh-son.csv"
    csv.write_text("code,name,parent_code\nthon-01,Thôn 1,xa-minh-son\nthon-02,Thôn 2,xa-minh-son\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import", str(csv)])
    assert result.exit_code == 0, result.output
    assert "unit.created: 2" in result.output
    assert unit(db, "thon-01", "xa-ngoc-lac").name == "Thôn 1" and unit(db, "thon-01", "xa-minh-son") is not None
    assert app.test_cli_runner().invoke(args=["import", str(csv)]).output.strip().endswith("không có thay đổi")


def test_units_api_adds_and_renames_with_the_same_checks(app, demo, db):
    client, headers = bearer(app, db, "quantrixa")
    commune = unit(db, "xa-ngoc-lac")
    resp = client.post(API + "/units", headers=headers, json={"parent_id": commune.id, "kind": "village",
                                                              "code": "thon-60", "name": "Thôn 60"})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["loudspeakers"][0]["name"] == "Cụm loa Thôn 60"
    bad = client.post(API + "/units", headers=headers, json={"parent_id": commune.id, "kind": "province",
                                                             "code": "thon-01", "name": "X"})
    assert bad.status_code == 400 and "kind" in bad.get_json()["error"]["fields"]
    renamed = client.patch(API + f"/units/{body['id']}", headers=headers, json={"name": "Thôn Sáu Mươi"})
    assert renamed.get_json()["name"] == "Thôn Sáu Mươi"
    listing = client.get(API + "/units", headers=headers).get_json()
    assert {u["code"] for u in listing["items"]} >= {"xa-ngoc-lac", "thon-60"}
    assert "bhxh-viet-nam" not in {u["code"] for u in listing["items"]}
    dry = client.post(API + f"/units/{commune.id}/villages", headers=headers,
                      json={"csv": "code,name,parent_code\nthon-61,Thôn 61,xa-ngoc-lac\n"})
    assert dry.get_json()["counts"]["created"] == 1 and unit(db, "thon-61") is None


def test_one_file_may_list_the_same_village_code_under_two_communes(app, login, db, tmp_path):
    from planner.library import load_units_csv

    new_commune(login("admin"), db)
    csv = tmp_path / "huyen.csv"
    csv.write_text("code,name,parent_code\nthon-01,Thôn 1,xa-ngoc-lac\nthon-01,Thôn 1,xa-minh-son\n"
                   "thon-01,Thôn 1 lặp,xa-minh-son\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import", str(csv)])
    assert result.exit_code == 1 and "bị trùng" in result.output  # the same commune twice is still an error
    csv.write_text("code,name,parent_code\nthon-01,Thôn 1,xa-ngoc-lac\nthon-01,Thôn 1,xa-minh-son\n",
                   encoding="utf-8")
    assert [(r.parent_code, r.code) for r in load_units_csv(csv, known_unit_codes=frozenset(
        {"xa-ngoc-lac", "xa-minh-son"}))] == [("xa-ngoc-lac", "thon-01"), ("xa-minh-son", "thon-01")]
    result = app.test_cli_runner().invoke(args=["import", str(csv)])
    assert result.exit_code == 0 and "unit.created: 1" in result.output, result.output
    assert unit(db, "thon-01", "xa-minh-son") is not None
