"""Slot grids edited per unit with a preview of their effect; plan windows; exempting a plan from a holiday."""
from __future__ import annotations

import re

from sqlalchemy import select

from planner.models import SlotGrid, Unit, Window
from planner.operations.schedule import window_specs
from tests.app import factories as f
from tests.conftest import csrf_from


def unit(db, code: str) -> Unit:
    return db.scalars(select(Unit).where(Unit.code == code).order_by(Unit.path)).first()


def test_village_gets_its_own_hours_and_the_preview_says_so(login, db):
    admin = login("quantrixa")
    village = unit(db, "thon-07")
    page = admin.get(f"/admin/units/{village.id}/grids").get_data(as_text=True)
    assert "Thôn 7" in page and "sáng 05:30–06:00, chiều 17:00–17:30, T2–CN" in page
    admin.post(f"/admin/units/{village.id}/grids/copy", data={"csrf_token": csrf_from(page), "channel": "loudspeaker"})
    grids = db.scalars(select(SlotGrid).where(SlotGrid.unit_id == village.id).order_by(SlotGrid.start_time)).all()
    assert len(grids) == 2
    for grid, (start, end) in zip(grids, (("06:00", "06:20"), ("17:30", "17:50"))):
        resp = admin.post(f"/admin/grids/{grid.id}", data={"csrf_token": csrf_from(page), "weekdays": "T2-T7",
                                                           "start": start, "end": end, "capacity": "15",
                                                           "name": grid.name})
        assert resp.status_code == 302
    page = admin.get(f"/admin/units/{village.id}/grids").get_data(as_text=True)
    assert "Thôn 7: sáng 06:00–06:20, chiều 17:30–17:50, T2–T7" in page
    commune_page = admin.get(f"/admin/units/{unit(db, 'xa-ngoc-lac').id}/grids").get_data(as_text=True)
    assert "Thôn 7: sáng 06:00–06:20, chiều 17:30–17:50, T2–T7" in commune_page
    assert re.search(r"Thôn 2, [^:]*: sáng 05:30–06:00, chiều 17:00–17:30, T2–CN", commune_page)


def test_bad_grid_input_is_explained_and_nothing_is_written(login, db):
    admin = login("quantrixa")
    commune = unit(db, "xa-ngoc-lac")
    before = db.scalars(select(SlotGrid.id)).all()
    page = admin.get(f"/admin/units/{commune.id}/grids").get_data(as_text=True)
    resp = admin.post(f"/admin/units/{commune.id}/grids", data={
        "csrf_token": csrf_from(page), "channel": "loudspeaker", "weekdays": "T8", "start": "18:00",
        "end": "17:00", "capacity": "0"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    for text in ("không hợp lệ (dùng T2…T7, CN)", "Giờ kết thúc phải sau giờ bắt đầu", "Sức chứa"):
        assert text in html, text
    assert db.scalars(select(SlotGrid.id)).all() == before


def test_commune_admin_cannot_edit_the_provinces_grids(login, db):
    admin = login("quantrixa")
    province_grid = db.scalar(select(SlotGrid).where(SlotGrid.code == "loa-sang-thanh-hoa"))
    page = admin.get(f"/admin/units/{unit(db, 'xa-ngoc-lac').id}/grids").get_data(as_text=True)
    assert admin.get(f"/admin/units/{unit(db, 'tinh-thanh-hoa').id}/grids").status_code == 404
    assert admin.post(f"/admin/grids/{province_grid.id}/delete",
                      data={"csrf_token": csrf_from(page)}).status_code == 404
    assert db.get(SlotGrid, province_grid.id) is not None


def test_plan_windows_are_added_and_one_holiday_can_be_exempted_for_one_plan(login, db):
    admin = login("quantrixa")
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    other = f.plan(db, "bhxh-2728-2023")
    page = admin.get(f"/admin/plans/{plan.id}/windows").get_data(as_text=True)
    resp = admin.post(f"/admin/plans/{plan.id}/windows", data={
        "csrf_token": csrf_from(page), "kind": "peak", "name": "Tháng cao điểm tháng 5", "starts_on": "01/05/2026",
        "ends_on": "31/05/2026", "channels": "loudspeaker"})
    assert resp.status_code == 302
    window = db.scalar(select(Window).where(Window.name == "Tháng cao điểm tháng 5"))
    assert window.plan_id == plan.id and window.channels == ["loudspeaker"]
    bad = admin.post(f"/admin/plans/{plan.id}/windows", data={"csrf_token": csrf_from(page), "kind": "x",
                                                              "name": "", "starts_on": "31/05/2026",
                                                              "ends_on": "01/05/2026"})
    assert bad.status_code == 400 and "Ngày kết thúc trước ngày bắt đầu" in bad.get_data(as_text=True)
    holiday = db.scalar(select(Window).where(Window.code.startswith("le-2026-04"), Window.plan_id.is_(None))
                        .order_by(Window.starts_on))
    assert holiday is not None and holiday.name in page
    admin.post(f"/admin/plans/{plan.id}/holidays/{holiday.id}", data={"csrf_token": csrf_from(page), "exempt": "1"})
    assert holiday.id not in {w.id for w in window_specs(db, plan, "loudspeaker")}
    assert holiday.id in {w.id for w in window_specs(db, other, "loudspeaker")}
    assert admin.get(f"/admin/plans/{other.id}/windows").status_code == 404
    assert "Kế hoạch này vẫn phát" in admin.get(f"/admin/plans/{plan.id}/windows").get_data(as_text=True)


def test_grids_and_windows_api_use_the_same_checks(app, demo, db):
    from planner.auth import issue_token
    from planner.db import utcnow

    token, _ = issue_token(db, f.user(db, "quantrixa"), now=utcnow(), hours=1)
    db.commit()
    client, headers = app.test_client(), {"Authorization": f"Bearer {token}"}
    village = unit(db, "thon-09")
    created = client.post(f"/api/v1/units/{village.id}/grids", headers=headers, json={
        "channel": "loudspeaker", "weekdays": "T2-T7", "start": "06:00", "end": "06:20", "capacity": 10})
    assert created.status_code == 201, created.get_json()
    grid = created.get_json()
    assert grid["weekdays"] == "T2–T7" and grid["capacity"] == 10
    listing = client.get(f"/api/v1/units/{village.id}/grids", headers=headers).get_json()
    assert listing["preview"] == ["Thôn 9: sáng 06:00–06:20, T2–T7"]
    patched = client.patch(f"/api/v1/grids/{grid['id']}", headers=headers, json={"end": "06:30"})
    assert patched.get_json()["end"] == "06:30" and patched.get_json()["weekdays"] == "T2–T7"
    bad = client.patch(f"/api/v1/grids/{grid['id']}", headers=headers, json={"start": "25:00"})
    assert bad.status_code == 400 and "start" in bad.get_json()["error"]["fields"]
    assert client.delete(f"/api/v1/grids/{grid['id']}", headers=headers).status_code == 204
    province = unit(db, "tinh-thanh-hoa")
    assert client.get(f"/api/v1/units/{province.id}/grids", headers=headers).status_code == 404
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    window = client.post(f"/api/v1/plans/{plan.id}/windows", headers=headers, json={
        "kind": "blackout", "name": "Bầu cử", "starts_on": "15/03/2026", "ends_on": "15/03/2026",
        "channels": ["loudspeaker"]})
    assert window.status_code == 201 and window.get_json()["channels"] == ["loudspeaker"]
    windows = client.get(f"/api/v1/plans/{plan.id}/windows", headers=headers).get_json()
    holiday = windows["holidays"][0]
    exempt = client.post(f"/api/v1/plans/{plan.id}/holidays/{holiday['id']}", headers=headers, json={"exempt": True})
    assert exempt.get_json()["exempt"] is True
    own = windows["windows"][0]
    assert client.post(f"/api/v1/plans/{plan.id}/holidays/{own['id']}", headers=headers,
                       json={"exempt": True}).status_code == 409
    other = f.plan(db, "bhxh-2728-2023")
    assert client.get(f"/api/v1/plans/{other.id}/windows", headers=headers).status_code == 404


def test_plan_page_links_its_windows_only_for_who_may_edit_them(login, db):
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    other = f.plan(db, "bhxh-2728-2023")
    link = f'href="/admin/plans/{plan.id}/windows"'
    admin = login("quantrixa")
    assert link in admin.get(f"/plans/{plan.id}").get_data(as_text=True)
    province_page = admin.get(f"/plans/{other.id}")
    assert province_page.status_code in (200, 404) and "/windows" not in province_page.get_data(as_text=True)
    # Officers run the campaign, so they edit its windows too; an approver only reviews messages.
    assert link in login("vanhoa").get(f"/plans/{plan.id}").get_data(as_text=True)
    assert link not in login("duyetxa").get(f"/plans/{plan.id}").get_data(as_text=True)
    assert login("duyetxa").get(f"/admin/plans/{plan.id}/windows").status_code == 404
