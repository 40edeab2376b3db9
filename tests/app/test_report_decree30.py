"""Reports follow Decree 30/2020: governing and issuing body, the issuer's number suffix and place, the signer."""
from __future__ import annotations

import io
import os

from pypdf import PdfReader

from planner.worker import tick
from tests.app.test_api import api, plan_id  # noqa: F401 — `api` is a fixture

NL, BHXH = "ngoc-lac-asxh-2026", "bhxh-2728-2023"


def _issued_pdf_pages(app, demo, client, plan: str, **form) -> tuple[dict, list[str]]:
    resp = client.post(f"/plans/{plan_id(demo, plan)}/reports", json={
        "period_start": "2026-03-05", "period_end": "2026-04-15", "signer_name": "Lê Văn Hùng", **form})
    assert resp.status_code == 202, resp.get_data(as_text=True)
    report = client.post(f"/reports/{resp.get_json()['id']}/issue").get_json()
    tick(app.extensions["planner_db"], app.config, instance_path=app.instance_path, worker_id="w1")
    data = client.get(f"/reports/{report['id']}/pdf").data
    if os.environ.get("PLANNER_KEEP_PDF"):   # for looking at the pages (pdftoppm) while changing the layout
        with open(os.environ["PLANNER_KEEP_PDF"], "wb") as out:
            out.write(data)
    return report, [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_commune_report_has_governing_and_issuing_body_ubnd_number_place_and_signer_from_the_plan(app, api, demo):
    report, pages = _issued_pdf_pages(app, demo, api("vanhoa"), NL)
    assert report["number"] == "01/BC-UBND"
    first = " ".join(pages[0].split())
    for phrase in ("UBND TỈNH THANH HÓA", "ỦY BAN NHÂN DÂN XÃ NGỌC LẶC", "Số: 01/BC-UBND", "Ngọc Lặc, ngày"):
        assert phrase in first, phrase
    assert "Xã Ngọc Lặc, ngày" not in first     # a place, never an organisation's name
    last = " ".join(pages[-1].split())
    assert "TM. ỦY BAN NHÂN DÂN" in last and "CHỦ TỊCH" in last and "Lê Văn Hùng" in last
    assert "THỦ TRƯỞNG ĐƠN VỊ" not in " ".join(pages)
    # the last page carries more than "Nơi nhận" and the signature: the body's last words come with them
    assert last.index("./.") < last.index("Nơi nhận")


def test_agency_report_names_bhxh_above_its_communication_centre_and_hanoi(app, api, demo):
    report, pages = _issued_pdf_pages(app, demo, api("bientap"), BHXH, signer_title="PHÓ GIÁM ĐỐC")
    first = " ".join(pages[0].split())
    assert report["number"] == "01/BC-TTTT"
    assert "BẢO HIỂM XÃ HỘI VIỆT NAM" in first and "TRUNG TÂM TRUYỀN THÔNG" in first and "Hà Nội, ngày" in first
    assert "PHÓ GIÁM ĐỐC" in " ".join(pages[-1].split())   # the report form's title wins over the plan's


def test_rate_is_a_dash_where_nothing_was_due(api, demo):
    from planner.dashboard_tables import tally_row
    from planner.reports import Tally

    assert tally_row("Thôn 1", Tally())[-1] == "–"
    due = Tally()
    due.delivered, due.lost = 3, 1
    assert tally_row("Thôn 2", due)[-1] == "75%"
