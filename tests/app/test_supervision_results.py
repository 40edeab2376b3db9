"""Recording results: the officer's form, the CSV/XLSX upload with a dry run, the village head's phone page."""
from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook
from sqlalchemy import func, select

from planner import localtime
from planner.db import utcnow
from planner.models import Indicator, IndicatorResult, ResultSource, Unit
from planner.operations.delivery import make_village_token
from tests.app import factories as f
from tests.conftest import csrf_from


def _ind(db, code="tich-hop-thuong-xuyen") -> Indicator:
    return db.scalar(select(Indicator).where(Indicator.code == code))


def _unit(db, code) -> Unit:
    return db.scalar(select(Unit).where(Unit.code == code))


def _xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_officer_records_a_result_and_sees_field_errors_in_vietnamese(login, db):
    client, plan = login("vanhoa"), f.plan(db, "ngoc-lac-asxh-2026")
    page = client.get(f"/plans/{plan.id}/results").get_data(as_text=True)
    assert "Số liệu chỉ tiêu" in page and "Tỷ lệ công dân đủ điều kiện" in page
    ind, village = _ind(db), _unit(db, "thon-05")
    data = {"csrf_token": csrf_from(page), "indicator_id": ind.id, "unit_id": village.id,
            "on": localtime.fmt_date(localtime.today(utcnow())), "value": "90", "denominator": "60"}
    bad = client.post(f"/plans/{plan.id}/results", data=data)
    assert bad.status_code == 400 and "không được lớn hơn" in bad.get_data(as_text=True)
    ok = client.post(f"/plans/{plan.id}/results", data=data | {"denominator": "120"}, follow_redirects=True)
    assert "Đã ghi số liệu của Thôn 5" in ok.get_data(as_text=True)
    assert db.scalar(select(IndicatorResult.value)) == 90


def test_upload_reports_the_bad_row_writes_nothing_then_writes_the_fixed_file(login, db):
    client, plan, ind = login("vanhoa"), f.plan(db, "ngoc-lac-asxh-2026"), _ind(db)
    rows = [["Mã đơn vị", "Số công dân có tài khoản định danh điện tử mức độ 2", "Số công dân đã tích hợp tài khoản ASXH"]]
    rows += [[f"thon-{n:02d}", 200 + n, 100 + n] for n in range(1, 43)]
    rows[8][2] = 900  # thon-08: more linked than eligible
    page = client.get(f"/plans/{plan.id}/results").get_data(as_text=True)
    form = {"csrf_token": csrf_from(page), "indicator_id": str(ind.id)}
    dry = client.post(f"/plans/{plan.id}/results/upload", data=form | {
        "file": (io.BytesIO(_xlsx(rows)), "so-lieu.xlsx")}, content_type="multipart/form-data")
    html = dry.get_data(as_text=True)
    assert dry.status_code == 400 and "Tệp có 1 lỗi" in html and "Dòng 9, cột C" in html
    assert db.scalar(select(func.count()).select_from(IndicatorResult)) == 0
    rows[8][2] = 108
    checked = client.post(f"/plans/{plan.id}/results/upload", data=form | {
        "file": (io.BytesIO(_xlsx(rows)), "so-lieu.xlsx")}, content_type="multipart/form-data")
    html = checked.get_data(as_text=True)
    assert checked.status_code == 200 and "42 dòng hợp lệ" in html
    assert db.scalar(select(func.count()).select_from(IndicatorResult)) == 0  # a dry run writes nothing
    content = html.split('name="content" value="')[1].split('"')[0]
    done = client.post(f"/plans/{plan.id}/results/upload", data=form | {
        "content": content, "file_name": "so-lieu.xlsx", "confirm": "1",
        "on": localtime.fmt_date(localtime.today(utcnow()))}, follow_redirects=True)
    assert "Đã ghi 42 dòng" in done.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(IndicatorResult)) == 42
    assert set(db.scalars(select(IndicatorResult.source))) == {ResultSource.UPLOAD}


def test_csv_upload_names_unknown_villages_and_bad_dates(login, db):
    client, plan, ind = login("vanhoa"), f.plan(db, "ngoc-lac-asxh-2026"), _ind(db)
    csv = "Đơn vị;Ngày;Tử số;Mẫu số\nThôn 3;01/05/2026;5;10\nThôn 99;01/05/2026;5;10\nThôn 4;31/02/2026;5;10\n"
    page = client.get(f"/plans/{plan.id}/results").get_data(as_text=True)
    resp = client.post(f"/plans/{plan.id}/results/upload", data={
        "csrf_token": csrf_from(page), "indicator_id": str(ind.id), "file": (io.BytesIO(csv.encode()), "a.csv")},
        content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert "Dòng 3, cột A (Đơn vị)" in html and "Thôn 99" in html and "Dòng 4, cột B (Ngày)" in html
    bad = client.post(f"/plans/{plan.id}/results/upload", data={
        "csrf_token": csrf_from(page), "indicator_id": str(ind.id), "file": (io.BytesIO(b"x"), "a.pdf")},
        content_type="multipart/form-data")
    assert bad.status_code == 400 and "Chỉ nhận tệp .csv hoặc .xlsx" in bad.get_data(as_text=True)


def test_village_head_sends_this_weeks_figures_from_the_phone_page(app, demo, db):
    target = f.village_target(db, "thon-07")
    today = localtime.today(utcnow())
    token = make_village_token("test-secret", target.id, today - dt.timedelta(days=1), today)
    client = app.test_client()
    page = client.get(f"/x/{token}").get_data(as_text=True)
    assert "Số liệu tuần này" in page
    ind = _ind(db)
    resp = client.post(f"/x/{token}/results", data={"csrf_token": csrf_from(page), "indicator_id": ind.id,
                                                    "value": "150", "denominator": "200"}, follow_redirects=True)
    assert "Đã gửi số liệu tuần này" in resp.get_data(as_text=True)
    result = db.scalar(select(IndicatorResult))
    assert (result.unit.code, result.value, result.source, result.measured_on) == ("thon-07", 150, ResultSource.PHONE,
                                                                                    today)
    other = _ind(db, "to-huong-dan")  # a commune-level count is not the village's to send
    assert client.post(f"/x/{token}/results", data={"csrf_token": csrf_from(page), "indicator_id": other.id,
                                                    "value": "1"}).status_code == 404


def test_demo_figures_are_added_once_so_the_dashboard_has_outcomes(app, demo, db):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo-history"]).exit_code == 0
    count = db.scalar(select(func.count()).select_from(IndicatorResult))
    assert count == 42 * 4 * 2  # two running village indicators, four weeks
    assert runner.invoke(args=["demo-history"]).exit_code == 0
    assert db.scalar(select(func.count()).select_from(IndicatorResult)) == count
