"""The supervisor's dashboard page: drill-down links, filters, charts as SVG, XLSX/CSV downloads, due items."""
from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook
from sqlalchemy import select

from planner import localtime
from planner.db import utcnow
from planner.models import DueItem, Indicator, ResultSource, Unit
from planner.operations.due_items import due_items_for
from planner.operations.indicators import record_result
from tests.app import factories as f


def _unit(db, code):
    return db.scalar(select(Unit).where(Unit.code == code))


def _results(db):
    ind = db.scalar(select(Indicator).where(Indicator.code == "tich-hop-asxh"))
    day = localtime.today(utcnow()) - dt.timedelta(days=1)
    for code, linked in (("thon-02", 150), ("thon-10", 30)):
        record_result(db, ind, _unit(db, code), day, linked, 200, user=f.user(db, "vanhoa"), source=ResultSource.FORM,
                      now=utcnow())
    db.commit()


def test_supervisor_drills_down_to_villages_and_sees_charts(login, db):
    _results(db)
    client, plan = login("giamsat"), f.plan(db, "ngoc-lac-asxh-2026")
    top = client.get(f"/plans/{plan.id}/dashboard").get_data(as_text=True)
    province = _unit(db, "tinh-thanh-hoa")
    assert f"unit={province.id}" in top and "Tỉnh Thanh Hóa" in top
    page = client.get(f"/plans/{plan.id}/dashboard?unit={_unit(db, 'xa-ngoc-lac').id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.index("Thôn 10") < html.index("Thôn 2<") or html.index(">Thôn 10<") < html.index(">Thôn 2<")
    assert "<svg" in html and "Chỉ tiêu" in html and "Tỉnh Thanh Hóa</a>" in html  # breadcrumb back up
    assert "15%" in html  # Thôn 10: 30 of 200


def test_dashboard_filters_refuse_bad_dates_in_vietnamese(login, db):
    client, plan = login("giamsat"), f.plan(db, "ngoc-lac-asxh-2026")
    resp = client.get(f"/plans/{plan.id}/dashboard?from=20/05/2026&to=01/05/2026")
    assert resp.status_code == 400 and "Ngày kết thúc phải sau ngày bắt đầu" in resp.get_data(as_text=True)
    assert client.get(f"/plans/{plan.id}/dashboard?unit={_unit(db, 'bhxh-tap-chi').id}").status_code in (200, 404)
    officer = login("vanhoa")
    assert officer.get(f"/plans/{plan.id}/dashboard?unit={_unit(db, 'tinh-thanh-hoa').id}").status_code == 404


def test_every_dashboard_table_downloads_as_xlsx_and_csv(login, db):
    _results(db)
    client, plan = login("giamsat"), f.plan(db, "ngoc-lac-asxh-2026")
    commune = _unit(db, "xa-ngoc-lac")
    resp = client.get(f"/plans/{plan.id}/dashboard.xlsx?unit={commune.id}")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(resp.data))
    assert len(book.sheetnames) == 5
    units = book[book.sheetnames[0]]
    names = [row[0].value for row in units.iter_rows(min_row=2)]
    assert names[:1] != ["Thôn 2"] and "Thôn 10" in names and names[-1] == "Tổng cộng"
    csv = client.get(f"/plans/{plan.id}/dashboard.csv?unit={commune.id}&table=channels")
    assert csv.status_code == 200 and csv.data.startswith("\ufeff".encode()) and "Kênh" in csv.data.decode()
    assert client.get(f"/plans/{plan.id}/dashboard.csv?table=nope").status_code == 404


def test_reporting_duties_become_due_items_with_reminders_and_overdue(demo, db):
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    commune = _unit(db, "xa-ngoc-lac")
    states = {d.item.code: d for d in due_items_for(db, plan, commune, today=dt.date(2026, 5, 29))}
    may = states["monthly-xa-ngoc-lac-cong-an-2026-05"]  # Decree 09 May: 15/04–14/05, due 05/06
    assert may.item.due_on == dt.date(2026, 6, 5) and may.state == "due_7" and may.label == "Còn 7 ngày"
    assert states["once-xa-ngoc-lac-van-phong-2026-04-20"].state == "overdue"
    later = {d.item.code: d for d in due_items_for(db, plan, commune, today=dt.date(2026, 6, 4))}
    assert later["monthly-xa-ngoc-lac-cong-an-2026-05"].state == "due_1"
    assert later["monthly-xa-ngoc-lac-cong-an-2026-06"].state == "later"
    count = db.scalar(select(DueItem.id).order_by(DueItem.id.desc()))
    due_items_for(db, plan, commune, today=dt.date(2026, 5, 29))
    assert db.scalar(select(DueItem.id).order_by(DueItem.id.desc())) == count  # idempotent


def test_plan_page_shows_a_report_due_in_seven_days(login, db):
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    due = localtime.today(utcnow()) + dt.timedelta(days=7)
    plan.details = dict(plan.details, reporting=list(plan.details["reporting"]) + [{
        "unit": "xa-ngoc-lac-cong-an", "to": "Công an tỉnh", "frequency": "once", "due": localtime.fmt_date(due)}])
    db.commit()
    html = login("vanhoa").get(f"/plans/{plan.id}").get_data(as_text=True)
    assert 'id="plan-due"' in html and "Còn 7 ngày" in html and "Báo cáo gửi Công an tỉnh" in html
