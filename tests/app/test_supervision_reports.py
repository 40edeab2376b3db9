"""Reports: own period and purpose, an editable draft with the figures, issuing (locked, numbered), corrections."""
from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from planner import localtime
from planner.db import utcnow
from planner.models import DueItem, Indicator, Report, ResultSource, Unit
from planner.operations.indicators import record_result
from planner.worker import tick
from tests.app import factories as f
from tests.app.test_api import api, assert_error, plan_id  # noqa: F401 — `api` is a fixture

NL = "ngoc-lac-asxh-2026"


def _render(app, db) -> None:
    tick(app.extensions["planner_db"], app.config, instance_path=app.instance_path, worker_id="w1")
    db.expire_all()


def _results(db, day: dt.date) -> None:
    ind = db.scalar(select(Indicator).where(Indicator.code == "tich-hop-asxh"))
    for code, linked in (("thon-04", 180), ("thon-11", 40)):
        unit = db.scalar(select(Unit).where(Unit.code == code))
        record_result(db, ind, unit, day, linked, 200, user=f.user(db, "vanhoa"), source=ResultSource.FORM,
                      now=utcnow())
    db.commit()


def test_a_custom_period_report_is_drafted_edited_issued_and_locked(app, api, demo):
    _results(demo, dt.date(2026, 4, 10))
    officer, plan = api("vanhoa"), plan_id(demo, NL)
    resp = officer.post(f"/plans/{plan}/reports", json={"period_start": "2026-03-05", "period_end": "2026-04-15",
                                                        "purpose": "final", "signer_name": "Lê Ngọc Sơn",
                                                        "number": "…/BC-BCĐ"})
    assert resp.status_code == 202, resp.get_data(as_text=True)
    report = resp.get_json()
    assert (report["kind"], report["purpose"], report["is_issued"]) == ("custom", "final", False)
    assert "55%" in report["narrative_md"] and "Thôn 11" in report["narrative_md"]  # 220 of 400 linked; behind
    edited = officer.patch(f"/reports/{report['id']}", json={"narrative_md": "**Đánh giá:** đạt khá.\n\n<script>x</script>"})
    assert edited.status_code == 200
    issued = officer.post(f"/reports/{report['id']}/issue")
    assert issued.status_code == 202
    body = issued.get_json()
    assert body["is_issued"] and body["number"] == "01/BC-BCĐ" and body["register_no"] == 1
    assert_error(officer.patch(f"/reports/{report['id']}", json={"narrative_md": "sửa"}), 409)
    assert_error(officer.post(f"/reports/{report['id']}/issue"), 409)
    _render(app, demo)
    pdf = officer.get(f"/reports/{report['id']}/pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "01/BC-BCĐ" in text and "KẾT QUẢ THỰC HIỆN CHỈ TIÊU" in text and "Đánh giá:" in text
    assert "<script>" not in text and "DỰ THẢO" not in text
    assert "Xếp hạng" in text and "Chỉ tiêu" in text  # the SVG charts are drawn in the PDF
    book = load_workbook(io.BytesIO(officer.get(f"/reports/{report['id']}/xlsx").data))
    assert len(book.sheetnames) >= 6


def test_a_correction_is_a_new_report_naming_the_one_it_replaces(app, api, demo):
    officer, plan = api("vanhoa"), plan_id(demo, NL)
    first = officer.post(f"/plans/{plan}/reports", json={"kind": "monthly", "year": 2026, "month": 5,
                                                         "signer_name": "Lê Ngọc Sơn", "number": "…/BC-CA"}).get_json()
    officer.post(f"/reports/{first['id']}/issue")
    assert_error(officer.post(f"/reports/{first['id']}/correct", json={"narrative_md": 5}), 400, "narrative_md")
    fix = officer.post(f"/reports/{first['id']}/correct", json={"narrative_md": "Số liệu đã được rà soát lại."})
    assert fix.status_code == 202
    copy = fix.get_json()
    assert copy["replaces_id"] == first["id"] and not copy["is_issued"] and copy["period_end"] == "2026-05-14"
    issued = officer.post(f"/reports/{copy['id']}/issue").get_json()
    assert issued["number"] == "02/BC-CA"
    _render(app, demo)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(officer.get(f"/reports/{copy['id']}/pdf").data)).pages)
    assert "thay thế Báo cáo số 01/BC-CA" in text.replace("\n", " ")


def test_a_may_report_and_a_decree_09_six_monthly_report_coexist_and_quarters_are_calendar(api, demo):
    officer, plan = api("vanhoa"), plan_id(demo, NL)
    may = officer.post(f"/plans/{plan}/reports", json={"kind": "monthly", "year": 2026, "month": 5,
                                                       "signer_name": "A"}).get_json()
    half = officer.post(f"/plans/{plan}/reports", json={"kind": "first_half", "year": 2026, "signer_name": "A"}).get_json()
    quarter = officer.post(f"/plans/{plan}/reports", json={"kind": "quarter", "year": 2026, "month": 2,
                                                           "signer_name": "A"}).get_json()
    assert (may["period_start"], may["period_end"]) == ("2026-04-15", "2026-05-14")
    assert (half["period_start"], half["period_end"], half["purpose"]) == ("2025-12-15", "2026-06-14", "six_monthly")
    assert (quarter["period_start"], quarter["period_end"]) == ("2026-04-01", "2026-06-30")
    assert_error(officer.post(f"/plans/{plan}/reports", json={"period_start": "2026-05-01", "period_end": "2026-04-01",
                                                              "signer_name": "A"}), 400, "period_end")
    assert_error(officer.post(f"/plans/{plan}/reports", json={"kind": "quarter", "year": 2026, "month": 5,
                                                              "signer_name": "A"}), 400, "month")


def test_issuing_a_report_closes_its_due_item(api, demo):
    from planner.operations.due_items import due_items_for

    plan = f.plan(demo, NL)
    commune = demo.scalar(select(Unit).where(Unit.code == "xa-ngoc-lac"))
    due_items_for(demo, plan, commune, today=localtime.today(utcnow()))
    demo.commit()
    item = demo.scalar(select(DueItem).where(DueItem.code == "monthly-xa-ngoc-lac-cong-an-2026-05"))
    officer = api("vanhoa")
    report = officer.post(f"/plans/{plan.id}/reports", json={"kind": "monthly", "year": 2026, "month": 5,
                                                             "signer_name": "A"}).get_json()
    officer.post(f"/reports/{report['id']}/issue")
    demo.expire_all()
    assert demo.get(DueItem, item.id).done_at is not None


def test_report_page_edits_the_draft_and_issues_it(app, login, db):
    from tests.conftest import csrf_from

    client, plan = login("vanhoa"), f.plan(db, NL)
    page = client.get(f"/plans/{plan.id}/reports").get_data(as_text=True)
    resp = client.post(f"/plans/{plan.id}/reports", data={
        "csrf_token": csrf_from(page), "kind": "first_half", "year": "2026", "signer_name": "Lê Ngọc Sơn",
        "unit": str(f.user(db, "vanhoa").unit_id)})
    assert resp.status_code == 302
    show = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Dự thảo" in show and "narrative_md" in show and "Bảng 5. Kết quả thực hiện chỉ tiêu" in show
    saved = client.post(resp.headers["Location"], data={"csrf_token": csrf_from(show), "action": "issue",
                                                        "narrative_md": "Đạt kết quả tốt.", "signer_name": "Lê Ngọc Sơn",
                                                        "number": "", "signer_title": ""}, follow_redirects=True)
    html = saved.get_data(as_text=True)
    assert "Đã ban hành" in html and "01/BC" in html and 'id="narrative-form"' not in html
    report = db.scalar(select(Report))
    assert report.register_no == 1


def test_command_line_prints_a_draft_report_for_custom_dates(app, demo, tmp_path):
    out = tmp_path / "bc.pdf"
    result = app.test_cli_runner().invoke(args=["report", "--plan", NL, "--unit", "xa-ngoc-lac", "--kind", "custom",
                                                "--from", "01/03/2026", "--to", "15/04/2026", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(out.read_bytes())).pages)
    assert "từ 01/03/2026 đến 15/04/2026" in text and "KẾT QUẢ THỰC HIỆN CHỈ TIÊU" in text
    assert demo.scalar(select(Report)) is None  # a printout, nothing stored
    bad = app.test_cli_runner().invoke(args=["report", "--plan", NL, "--unit", "xa-ngoc-lac", "--kind", "custom",
                                             "--from", "31/02/2026", "--to", "15/04/2026", "-o", str(out)])
    assert bad.exit_code != 0 and "không hợp lệ" in bad.output
