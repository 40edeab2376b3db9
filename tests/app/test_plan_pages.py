"""Plan pages: a new plan from the form, edits, copies, life cycle, delete/archive, the ZIP download, retiring."""
from __future__ import annotations

import io
import zipfile

from sqlalchemy import func, select

from planner.models import Message, Plan, PlanStatus
from tests.app import factories as f
from tests.conftest import csrf_from

NGOC_LAC = "ngoc-lac-asxh-2026"


def _form(**overrides) -> dict:
    data = {"code": "xa-ngoc-lac-bau-cu-2027", "number": "12/KH-UBND", "issuer": "UBND xã Ngọc Lặc",
            "unit": "xa-ngoc-lac", "place": "Ngọc Lặc", "issued_on": "02/04/2027", "title": "Tuyên truyền bầu cử",
            "summary": "", "starts_on": "05/04/2027", "ends_on": "30/05/2027", "period_rule": "calendar",
            "audiences": "cu-tri: Cử tri trên địa bàn\ncan-bo-thon: Cán bộ thôn",
            "themes": "ngay-bau-cu: Ngày bầu cử", "channels": ["loudspeaker", "fanpage", "banner"],
            "purposes": "Mọi cử tri biết ngày bầu cử\nĐi bầu đúng giờ", "requirements": "Đúng luật",
            "funding": "", "indicators": "- code: cu-tri-di-bau\n  name: Tỷ lệ cử tri đi bầu\n  measure: percentage\n"
                                          "  denominator: Số cử tri\n  target: 99\n  deadline: 25/05/2027\n",
            "duties": "", "deadlines": "- what: Ngày bầu cử\n  due: 23/05/2027\n  unit: xa-ngoc-lac\n",
            "reporting": "", "signer_on_behalf": "TM. ỦY BAN NHÂN DÂN", "signer_title": "CHỦ TỊCH",
            "signer_position": "", "signer_name": "Nguyễn Văn A"}
    return data | overrides


def _post(client, url, data):
    token = csrf_from(client.get(url).get_data(as_text=True))
    return client.post(url, data=data | {"csrf_token": token})


def test_officer_creates_a_draft_plan_from_the_form_and_sees_its_deadlines(login, db):
    client = login("vanhoa")
    resp = _post(client, "/plans/new", _form())
    assert resp.status_code == 302, resp.get_data(as_text=True)
    plan = f.plan(db, "xa-ngoc-lac-bau-cu-2027")
    assert plan.status is PlanStatus.DRAFT and plan.number == "12/KH-UBND"
    assert [a.code for a in plan.audiences] == ["cu-tri", "can-bo-thon"]
    assert plan.details["signer"]["on_behalf"] == "TM. ỦY BAN NHÂN DÂN"
    assert plan.details["indicators"][0]["target"] == 99
    page = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert "23/05/2027" in page and "Ngày bầu cử" in page and "Dự thảo" in page


def test_bad_plan_form_shows_vietnamese_errors_per_field_and_writes_nothing(login, db):
    client = login("vanhoa")
    before = db.scalar(select(func.count()).select_from(Plan))
    resp = _post(client, "/plans/new", _form(title="", starts_on="32/13/2027", audiences="khong co dau hai cham",
                                             indicators="- name: [", channels=[]))
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "thiếu tiêu đề" in html and "32/13/2027" in html and "mã: tên" in html and "Lỗi cú pháp YAML" in html
    assert db.scalar(select(func.count()).select_from(Plan)) == before


def test_plan_for_a_unit_outside_ones_scope_is_refused(login, db):
    client = login("vanhoa")
    resp = _post(client, "/plans/new", _form(unit="bhxh-viet-nam"))
    assert resp.status_code == 400 and "đơn vị của bạn" in resp.get_data(as_text=True)
    assert f.plan(db, "xa-ngoc-lac-bau-cu-2027") is None


def test_edit_changes_fields_and_keeps_free_text_details(login, db):
    client = login("vanhoa")
    plan = f.plan(db, NGOC_LAC)
    page = client.get(f"/plans/{plan.id}/edit").get_data(as_text=True)
    assert "tich-hop-asxh" in page and "PHÓ TRƯỞNG BAN" in page
    import re

    def value(name):
        return re.search(rf'name="{name}" value="([^"]*)"', page).group(1)

    def area(name):
        import html
        return html.unescape(re.search(rf'name="{name}"[^>]*>(.*?)</textarea>', page, re.S).group(1))

    data = {k: value(k) for k in ("code", "number", "issuer", "place", "issued_on", "title", "starts_on", "ends_on",
                                  "signer_on_behalf", "signer_title", "signer_position", "signer_name")}
    data |= {k: area(k) for k in ("summary", "audiences", "themes", "purposes", "requirements", "funding",
                                  "indicators", "duties", "deadlines", "reporting")}
    data |= {"unit": "xa-ngoc-lac", "period_rule": "decree_09", "replan_missed": "1",
             "channels": list(plan.details["channels"]), "row_version": str(plan.row_version)}
    data["number"] = "15/KH-BCĐ"
    resp = _post(client, f"/plans/{plan.id}/edit", data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    db.expire_all()
    plan = f.plan(db, NGOC_LAC)
    assert plan.number == "15/KH-BCĐ"
    assert plan.details["eligibility"].startswith("Có tài khoản định danh")    # not on the form, kept
    assert len(plan.details["indicators"]) == 4


def test_copy_life_cycle_delete_and_archive_from_the_plan_page(login, db):
    client = login("vanhoa")
    source = f.plan(db, NGOC_LAC)
    resp = _post(client, f"/plans/{source.id}/copy", {"code": "ngoc-lac-2027", "starts_on": "05/03/2027"})
    assert resp.status_code == 302
    copy = f.plan(db, "ngoc-lac-2027")
    assert copy.status is PlanStatus.DRAFT and copy.ends_on is None
    url = f"/plans/{copy.id}"
    token = csrf_from(client.get(url).get_data(as_text=True))
    client.post(f"{url}/status", data={"status": "active", "csrf_token": token})
    client.post(f"{url}/status", data={"status": "closed", "csrf_token": token})
    db.expire_all()
    assert f.plan(db, "ngoc-lac-2027").status is PlanStatus.CLOSED
    assert "Sửa kế hoạch" not in client.get(url).get_data(as_text=True)
    client.post(f"{url}/delete", data={"csrf_token": token})      # no deliveries yet: deleted
    db.expire_all()
    assert f.plan(db, "ngoc-lac-2027") is None


def test_bad_copy_input_is_refused_in_vietnamese(login, db):
    client = login("vanhoa")
    source = f.plan(db, NGOC_LAC)
    resp = _post(client, f"/plans/{source.id}/copy", {"code": "Mã Sai", "starts_on": "hôm nay"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "chữ thường không dấu" in html and "dd/mm/yyyy" in html
    taken = _post(client, f"/plans/{source.id}/copy", {"code": "bhxh-2728-2023", "starts_on": "01/01/2027"})
    assert taken.status_code == 400 and "đã có kế hoạch khác dùng" in taken.get_data(as_text=True)


def test_plan_page_offers_a_zip_bundle_in_the_library_format(login, db):
    client = login("vanhoa")
    plan = f.plan(db, NGOC_LAC)
    resp = client.get(f"/plans/{plan.id}/export.zip")
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(resp.data)).namelist()
    assert "plans/ngoc-lac-asxh-2026/plan.yaml" in names and "units.yaml" in names
    assert "plans/ngoc-lac-asxh-2026/messages/loa-loi-ich.md" in names


def test_supervisor_cannot_create_edit_or_change_plans(login, db):
    client = login("giamsat")
    plan = f.plan(db, NGOC_LAC)
    assert client.get("/plans/new").status_code == 403
    assert client.get(f"/plans/{plan.id}/edit").status_code == 403


def test_retiring_a_message_from_its_page(login, db):
    client = login("vanhoa")
    message = f.message(db, NGOC_LAC, "loa-loi-ich")
    token = csrf_from(client.get(f"/plans/{message.plan_id}").get_data(as_text=True))
    resp = client.post(f"/messages/{message.id}/retire", data={"csrf_token": token})
    assert resp.status_code == 302
    db.expire_all()
    assert db.get(Message, message.id).retired_at is not None
