"""Peak/blackout windows per unit: edited by the unit's officers and administrators, inherited down the tree,
previewed, honoured by scheduling at each village, shown beside a plan's own windows; copies keep exemptions."""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select

from planner import localtime
from planner.db import utcnow
from planner.models import Occurrence, Target, Unit, Window, WindowExemption, WindowKind
from tests.app import factories as f
from tests.conftest import csrf_from

PLAN = "ngoc-lac-asxh-2026"


def unit(db, code: str) -> Unit:
    return db.scalars(select(Unit).where(Unit.code == code).order_by(Unit.path)).first()


def fmt(day: dt.date) -> str:
    return localtime.fmt_date(day)


def test_an_officer_adds_a_commune_blackout_that_every_village_inherits_and_the_preview_says_so(login, db):
    officer = login("vanhoa")
    commune, village = unit(db, "xa-ngoc-lac"), unit(db, "thon-07")
    page = officer.get(f"/admin/units/{commune.id}/windows")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    resp = officer.post(f"/admin/units/{commune.id}/windows", data={
        "csrf_token": csrf_from(html), "kind": "blackout", "name": "Bầu cử đại biểu", "starts_on": "15/03/2027",
        "ends_on": "16/03/2027", "channels": "loudspeaker"})
    assert resp.status_code == 302
    window = db.scalar(select(Window).where(Window.name == "Bầu cử đại biểu"))
    assert window.unit_id == commune.id and window.plan_id is None and window.channels == ["loudspeaker"]
    line = "tạm dừng 15/03/2027 – 16/03/2027 (Bầu cử đại biểu)"
    assert line in officer.get(f"/admin/units/{commune.id}/windows").get_data(as_text=True)
    village_page = officer.get(f"/admin/units/{village.id}/windows").get_data(as_text=True)
    assert re.search(r"<p>Thôn 7: [^<]*" + re.escape(line), village_page)
    assert "Bầu cử đại biểu" in village_page.split('id="inherited"')[1]       # shown as inherited, not own
    plan = f.plan(db, PLAN)
    plan_page = officer.get(f"/admin/plans/{plan.id}/windows").get_data(as_text=True)
    assert "Bầu cử đại biểu" in plan_page.split('id="unit-windows"')[1]    # both kinds shown on the plan page


def test_bad_unit_window_input_is_explained_and_nothing_is_written(login, db):
    officer = login("vanhoa")
    commune = unit(db, "xa-ngoc-lac")
    before = db.scalar(select(func.count()).select_from(Window))
    html = officer.get(f"/admin/units/{commune.id}/windows").get_data(as_text=True)
    resp = officer.post(f"/admin/units/{commune.id}/windows", data={
        "csrf_token": csrf_from(html), "kind": "", "name": "", "starts_on": "32/01/2027", "ends_on": "01/01/2027",
        "channels": "fax"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400
    for text in ("Chọn đợt cao điểm", "Tên 1–300 ký tự", "Ngày dạng dd/mm/yyyy", "Kênh không hợp lệ"):
        assert text in body, text
    assert db.scalar(select(func.count()).select_from(Window)) == before
    again = officer.post(f"/admin/units/{commune.id}/windows", data={
        "csrf_token": csrf_from(html), "kind": "peak", "name": "", "starts_on": "01/01/2027", "ends_on": "02/01/2027",
        "channels": ["loudspeaker", "fanpage"], "is_yearly": "1"}).get_data(as_text=True)
    for value in ("loudspeaker", "fanpage"):        # what was ticked stays ticked
        assert f'name="channels" value="{value}" checked' in again, value
    assert 'name="channels" value="zalo" checked' not in again and 'name="is_yearly" value="1" checked' in again


def test_unit_windows_are_scoped_to_the_users_unit_and_below(login, db):
    province = unit(db, "tinh-thanh-hoa")
    commune = unit(db, "xa-ngoc-lac")
    province_window = Window(unit_id=province.id, code="tinh-cao-diem", name="Cao điểm của tỉnh",
                             kind=WindowKind.PEAK, starts_on=dt.date(2027, 5, 1), ends_on=dt.date(2027, 5, 31),
                             channels=[])
    db.add(province_window)
    db.commit()
    officer = login("vanhoa")
    assert officer.get(f"/admin/units/{province.id}/windows").status_code == 404
    html = officer.get(f"/admin/units/{commune.id}/windows").get_data(as_text=True)
    assert "Cao điểm của tỉnh" in html                               # inherited from above, read-only here
    assert officer.post(f"/admin/units/{commune.id}/windows/{province_window.id}/delete",
                        data={"csrf_token": csrf_from(html)}).status_code == 404
    assert officer.post(f"/admin/units/{province.id}/windows/{province_window.id}/delete",
                        data={"csrf_token": csrf_from(html)}).status_code == 404
    assert db.get(Window, province_window.id) is not None
    # an approver reviews messages; the print shop prints: neither edits windows
    assert login("duyetxa").get(f"/admin/units/{commune.id}/windows").status_code == 404
    assert login("inan").get(f"/admin/units/{commune.id}/windows").status_code == 404
    assert login("quantrixa").get(f"/admin/units/{commune.id}/windows").status_code == 200


def test_a_village_blackout_keeps_that_village_silent_while_its_neighbours_air(app, login, db):
    from planner.operations.schedule import schedule_plan

    plan, commune = f.plan(db, PLAN), unit(db, "xa-ngoc-lac")
    village, neighbour = unit(db, "thon-07"), unit(db, "thon-09")
    first = localtime.today(utcnow()) + dt.timedelta(days=1)
    last = first + dt.timedelta(days=6)
    quiet = [first + dt.timedelta(days=2), first + dt.timedelta(days=3)]
    officer = login("vanhoa")
    html = officer.get(f"/admin/units/{village.id}/windows").get_data(as_text=True)
    assert officer.post(f"/admin/units/{village.id}/windows", data={
        "csrf_token": csrf_from(html), "kind": "blackout", "name": "Sửa loa thôn 7", "starts_on": fmt(quiet[0]),
        "ends_on": fmt(quiet[1])}).status_code == 302
    schedule_plan(db, plan, unit=commune, channel="loudspeaker", start=first, end=last, now=utcnow(),
                  settings=app.config)
    db.commit()

    def days_of(u: Unit) -> set[dt.date]:
        rows = db.scalars(select(Occurrence.starts_at).join(Target, Occurrence.target_id == Target.id)
                          .where(Occurrence.plan_id == plan.id, Target.unit_id == u.id)).all()
        return {localtime.to_local(r).date() for r in rows}

    assert days_of(village) and not set(quiet) & days_of(village)
    assert set(quiet) & days_of(neighbour)          # the neighbour does not inherit the village's own window


def test_unit_windows_api_has_the_same_checks(app, demo, db):
    from planner.auth import issue_token

    token, _ = issue_token(db, f.user(db, "vanhoa"), now=utcnow(), hours=1)
    db.commit()
    client, headers = app.test_client(), {"Authorization": f"Bearer {token}"}
    commune, village = unit(db, "xa-ngoc-lac"), unit(db, "thon-09")
    created = client.post(f"/api/v1/units/{commune.id}/windows", headers=headers, json={
        "kind": "peak", "name": "Tuần cao điểm xã", "starts_on": "01/06/2027", "ends_on": "07/06/2027"})
    assert created.status_code == 201, created.get_json()
    window = created.get_json()
    assert window["unit_id"] == commune.id and window["plan_id"] is None
    listing = client.get(f"/api/v1/units/{village.id}/windows", headers=headers).get_json()
    assert [w["name"] for w in listing["inherited"]] == ["Tuần cao điểm xã"] and listing["own"] == []
    assert any("Thôn 9" in line and "cao điểm 01/06/2027 – 07/06/2027" in line for line in listing["preview"])
    bad = client.post(f"/api/v1/units/{commune.id}/windows", headers=headers, json={
        "kind": "peak", "name": "x", "starts_on": "07/06/2027", "ends_on": "01/06/2027", "channels": ["fax"]})
    assert bad.status_code == 400 and {"ends_on", "channels"} <= set(bad.get_json()["error"]["fields"])
    assert client.delete(f"/api/v1/units/{village.id}/windows/{window['id']}", headers=headers).status_code == 404
    province = unit(db, "tinh-thanh-hoa")
    assert client.get(f"/api/v1/units/{province.id}/windows", headers=headers).status_code == 404
    assert client.post(f"/api/v1/units/{province.id}/windows", headers=headers, json={
        "kind": "peak", "name": "x", "starts_on": "01/06/2027", "ends_on": "02/06/2027"}).status_code == 404
    plan = f.plan(db, PLAN)
    plan_windows = client.get(f"/api/v1/plans/{plan.id}/windows", headers=headers).get_json()
    assert "Tuần cao điểm xã" in [w["name"] for w in plan_windows["unit_windows"]]
    assert client.delete(f"/api/v1/units/{commune.id}/windows/{window['id']}", headers=headers).status_code == 204
    assert db.get(Window, window["id"]) is None


def test_a_copied_plan_keeps_its_holiday_exemptions_moved_with_its_dates(demo):
    from planner.operations.plans import copy_plan
    from planner.operations.windows import holidays, set_holiday_exemption

    source, user = f.plan(demo, PLAN), f.user(demo, "vanhoa")
    may_day = demo.scalar(select(Window).where(Window.code == "le-2026-05-01"))
    assert may_day is not None
    set_holiday_exemption(demo, user, source, may_day, True)
    demo.commit()
    copy = copy_plan(demo, source, user, code="ngoc-lac-asxh-2027", starts_on=source.starts_on + dt.timedelta(days=365),
                     now=utcnow())
    demo.commit()
    exempt = demo.scalars(select(Window.code).join(WindowExemption, WindowExemption.window_id == Window.id)
                          .where(WindowExemption.plan_id == copy.id)).all()
    assert exempt == ["le-2027-05-01"]
    assert [w.code for w, is_exempt in holidays(demo, copy) if is_exempt] == ["le-2027-05-01"]
    # the source keeps its own exemption
    assert demo.scalar(select(func.count()).select_from(WindowExemption)
                       .where(WindowExemption.plan_id == source.id)) == 1


def test_yearly_windows_are_shown_by_day_and_month_never_with_their_stored_year(login, db):
    admin = login("admin")
    plan = f.plan(db, "bhxh-2728-2023")
    html = admin.get(f"/admin/plans/{plan.id}/windows").get_data(as_text=True)
    assert "01/05 – 31/05 hằng năm" in html and "/05/2000" not in html
    commune = unit(db, "xa-ngoc-lac")
    html = admin.get(f"/admin/units/{commune.id}/windows").get_data(as_text=True)
    assert "01/10 – 10/10 hằng năm" in html and "/10/2000" not in html


def test_a_unit_window_in_the_files_imports_as_that_units_window(demo, tmp_path):
    import shutil
    from pathlib import Path

    from planner.operations.importing import import_paths

    schedules = tmp_path / "schedules"
    shutil.copytree(Path(__file__).resolve().parents[2] / "schedules", schedules)
    text = (schedules / "windows.yaml").read_text(encoding="utf-8")
    (schedules / "windows.yaml").write_text(text.replace("    plan: ngoc-lac-asxh-2026\n", "    unit: xa-ngoc-lac\n", 1),
                                            encoding="utf-8")
    import_paths(demo, [schedules], now=utcnow())
    demo.commit()
    window = demo.scalar(select(Window).where(Window.code == "ngoc-lac-cao-diem"))
    assert window.unit_id == unit(demo, "xa-ngoc-lac").id and window.plan_id is None
