"""The drill-down at province scale: both dates of the indicator figures in one query, the province page leaves
the audience table and the loss reasons (read from the deliveries) to the communes and the CSV."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import event, select

from planner import localtime
from planner.db import utcnow
from planner.models import Indicator, ResultSource, Unit
from planner.operations.indicators import record_result
from planner.supervision import latest_results, latest_results_at
from tests.app import factories as f


def _unit(db, code):
    return db.scalar(select(Unit).where(Unit.code == code))


def test_latest_figures_for_now_and_a_week_earlier_come_from_one_pass_and_skip_corrected_ones(demo, db):
    ind = db.scalar(select(Indicator).where(Indicator.code == "tich-hop-asxh"))
    today = localtime.today(utcnow())
    officer = f.user(db, "vanhoa")
    for code, days_ago, value in (("thon-02", 12, 50), ("thon-02", 3, 80), ("thon-02", 3, 90), ("thon-10", 12, 20),
                                  ("thon-10", 1, 25)):
        record_result(db, ind, _unit(db, code), today - dt.timedelta(days=days_ago), value, 200, user=officer,
                      source=ResultSource.FORM, now=utcnow())
    db.flush()
    commune, two, ten = _unit(db, "xa-ngoc-lac"), _unit(db, "thon-02").path, _unit(db, "thon-10").path
    as_of, earlier = today - dt.timedelta(days=2), today - dt.timedelta(days=9)
    statements = []

    def seen(conn, cursor, statement, *rest):
        statements.append(statement)

    event.listen(db.get_bind(), "before_cursor_execute", seen)
    try:
        found = latest_results_at(db, [ind.id], commune, (as_of, earlier))
    finally:
        event.remove(db.get_bind(), "before_cursor_execute", seen)
    assert len([s for s in statements if "indicator_results" in s]) == 2  # latest ids for both days, then rows
    assert found[as_of] == {(ind.id, two): (90, 200), (ind.id, ten): (20, 200)}  # 80 was corrected to 90
    assert found[earlier] == {(ind.id, two): (50, 200), (ind.id, ten): (20, 200)}
    assert found[as_of] == latest_results(db, [ind.id], commune, as_of)
    assert latest_results(db, [ind.id], commune, today)[(ind.id, ten)] == (25, 200)
    assert latest_results(db, [ind.id], commune, today - dt.timedelta(days=13)) == {}


def _audience_reads(db, client, url):
    statements = []

    def seen(conn, cursor, statement, *rest):
        statements.append(statement)

    event.listen(db.get_bind(), "before_cursor_execute", seen)
    try:
        resp = client.get(url)
    finally:
        event.remove(db.get_bind(), "before_cursor_execute", seen)
    # The audience table and the loss reasons are the page's only reads of the deliveries themselves.
    return resp, [s for s in statements if "FROM deliveries" in s]


def test_province_page_leaves_the_audience_table_and_reasons_to_communes_and_the_csv(login, db):
    client, plan = login("giamsat"), f.plan(db, "ngoc-lac-asxh-2026")
    province, commune = _unit(db, "tinh-thanh-hoa"), _unit(db, "xa-ngoc-lac")
    resp, reads = _audience_reads(db, client, f"/plans/{plan.id}/dashboard?unit={province.id}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and reads == []
    assert 'id="details-note"' in html and "chọn một xã để xem" in html and "table=audiences" in html
    resp, reads = _audience_reads(db, client, f"/plans/{plan.id}/dashboard?unit={commune.id}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and reads and 'id="details-note"' not in html
    assert "<h2>Theo nhóm đối tượng</h2>" in html
    csv = client.get(f"/plans/{plan.id}/dashboard.csv?unit={province.id}&table=audiences")
    assert csv.status_code == 200 and "Nhóm đối tượng" in csv.get_data(as_text=True)
