"""The Decree 30 report header and signer are edited with the plan (form and API), checked, and printed on the
reports of a plan created in the app."""
from __future__ import annotations

from sqlalchemy import func, select

from planner.models import Plan
from tests.app import factories as f
from tests.app.test_api import api  # noqa: F401 — the bearer-token client fixture
from tests.app.test_plan_pages import _form, _post
from tests.app.test_report_decree30 import _issued_pdf_pages

CODE = "xa-ngoc-lac-bau-cu-2027"
HEADER = {"governing_body": "UBND HUYỆN NGỌC LẶC", "issuing_body": "ỦY BAN NHÂN DÂN XÃ NGỌC LẶC MỚI",
          "issuer_abbreviation": "UBND-XA", "signer_authority": "KT. CHỦ TỊCH",
          "report_signer_title": "PHÓ CHỦ TỊCH", "report_signer_name": "Đỗ Thị Ký"}


def test_the_plan_form_saves_the_report_header_and_signer_and_shows_them_again(login, db):
    client = login("vanhoa")
    resp = _post(client, "/plans/new", _form(**HEADER))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    plan = f.plan(db, CODE)
    assert (plan.governing_body, plan.issuing_body, plan.issuer_abbreviation, plan.signer_authority,
            plan.signer_title, plan.signer_name) == tuple(HEADER.values())
    assert plan.details["signer"]["name"] == "Nguyễn Văn A"          # the plan's own signer stays apart
    shown = client.get(f"/plans/{plan.id}").get_data(as_text=True).split('id="plan-report-header"')[1].split("</p>")[0]
    assert "UBND HUYỆN NGỌC LẶC" in shown and "BC-UBND-XA" in shown and "KT. CHỦ TỊCH PHÓ CHỦ TỊCH Đỗ Thị Ký" in shown
    page = client.get(f"/plans/{plan.id}/edit").get_data(as_text=True)
    for value in HEADER.values():
        assert f'value="{value}"' in page, value
    resp = _post(client, f"/plans/{plan.id}/edit",
                 _form(**(HEADER | {"report_signer_name": "Lê Văn Mới", "row_version": str(plan.row_version)})))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    db.expire_all()
    assert f.plan(db, CODE).signer_name == "Lê Văn Mới"


def test_a_bad_report_header_is_explained_per_field_and_nothing_is_written(login, db):
    client = login("vanhoa")
    before = db.scalar(select(func.count()).select_from(Plan))
    resp = _post(client, "/plans/new", _form(governing_body="X" * 201, issuer_abbreviation="UB ND",
                                             signer_authority="CHỦ TỊCH"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    for field, text in (("governing_body", "dài tối đa 200 ký tự"), ("issuer_abbreviation", "không có dấu cách"),
                        ("signer_authority", "KT., TM., Q.")):
        assert f'id="err-{field}"' in html and text in html, field
    assert db.scalar(select(func.count()).select_from(Plan)) == before


def test_the_plan_api_takes_the_report_header_with_the_same_checks(api, demo):
    client = api("vanhoa")
    doc = {"code": "xa-ngoc-lac-api-2027", "number": "20/KH-UBND", "issuer": "UBND xã Ngọc Lặc",
           "unit": "xa-ngoc-lac", "place": "Ngọc Lặc", "title": "Kế hoạch qua API", "starts_on": "01/06/2027",
           "audiences": [{"code": "nguoi-dan", "name": "Người dân"}], "channels": ["loudspeaker"],
           "governing_body": "UBND TỈNH THANH HÓA", "signer_authority": "TM. ỦY BAN NHÂN DÂN",
           "signer_title": "CHỦ TỊCH", "signer_name": "Lê Văn A"}
    resp = client.post("/plans", json=doc)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["report_header"]["signer_authority"] == "TM. ỦY BAN NHÂN DÂN"
    patched = client.patch(f"/plans/{body['id']}", json={"signer_name": "Lê Văn B", "issuer_abbreviation": "UBND"})
    assert patched.status_code == 200 and patched.get_json()["report_header"]["signer_name"] == "Lê Văn B"
    bad = client.patch(f"/plans/{body['id']}", json={"signer_authority": "Chủ tịch", "issuer_abbreviation": "A/B"})
    assert bad.status_code == 400
    assert {"signer_authority", "issuer_abbreviation"} <= set(bad.get_json()["error"]["fields"])
    assert f.plan(demo, "xa-ngoc-lac-api-2027").signer_authority == "TM. ỦY BAN NHÂN DÂN"


def test_a_report_of_a_plan_created_in_the_app_prints_its_header_and_signer(app, api, login, demo):
    client = login("vanhoa")
    resp = _post(client, "/plans/new", _form(**HEADER, starts_on="01/03/2026", ends_on="30/06/2026",
                                             issued_on="01/03/2026"))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    plan = f.plan(demo, CODE)
    assert api("vanhoa").post(f"/plans/{plan.id}/status", json={"status": "active"}).status_code == 200
    report, pages = _issued_pdf_pages(app, demo, api("vanhoa"), CODE, signer_name="")
    assert report["number"] == "01/BC-UBND-XA"
    first, last = " ".join(pages[0].split()), " ".join(pages[-1].split())
    assert "UBND HUYỆN NGỌC LẶC" in first and "ỦY BAN NHÂN DÂN XÃ NGỌC LẶC MỚI" in first
    assert "KT. CHỦ TỊCH" in last and "PHÓ CHỦ TỊCH" in last and "Đỗ Thị Ký" in last
