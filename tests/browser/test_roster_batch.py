"""The officer prints every village roster of the commune at once: asks from the calendar, watches the
page follow the worker's progress by itself, and downloads the commune PDF."""
from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select, update

from planner.models import Target, Unit
from tests.app import factories as f
from tests.browser.conftest import login_as, shot


def test_officer_prints_the_commune_rosters_and_downloads_the_pdf(app, contexts, demo):
    from planner.worker import tick

    kept = select(Unit.id).where(Unit.code.in_(("thon-01", "thon-02", "thon-03")))
    demo.execute(update(Target).where(Target.channel == "loudspeaker", Target.unit_id.not_in(kept))
                 .values(is_active=False))  # three villages broadcasting keep the worker's part short
    demo.commit()
    commune = demo.scalar(select(Unit).where(Unit.code == "xa-ngoc-lac"))
    page = contexts.new_page()
    login_as(page, "vanhoa")
    plan_id = f.plan(demo, "ngoc-lac-asxh-2026").id
    page.goto(f"/plans/{plan_id}/calendar?unit={commune.id}&channel=loudspeaker")
    page.get_by_role("link", name="In lịch phát cả xã").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("In lịch phát cả xã · Xã Ngọc Lặc")
    page.get_by_role("button", name="In lịch phát cả xã").click()
    expect(page.locator("#batch-progress")).to_be_visible()
    expect(page.locator("#batch-progress-text")).to_contain_text("Đã in 0/3 thôn")
    shot(page, "roster-batch-progress")

    tick(app.extensions["planner_db"], app.config, instance_path=app.instance_path, worker_id="w-browser")
    # No reload by the test: the page refreshes itself (planner.js, data-refresh-seconds) until done.
    expect(page.locator("#batch-status")).to_have_text("Đã xong", timeout=15_000)
    expect(page.locator("#batch-progress")).to_have_count(0)
    shot(page, "roster-batch-done")
    with page.expect_download() as download:
        page.locator("#batch-pdf").click()
    name = download.value.suggested_filename
    assert name.startswith("lich-phat-xa-ngoc-lac-") and name.endswith(".pdf")
    data = open(download.value.path(), "rb").read()
    assert data.startswith(b"%PDF")
    archive = page.request.get(page.locator("#batch-zip").get_attribute("href"))
    assert archive.status == 200 and archive.headers["content-type"] == "application/zip"


def test_officer_downloads_one_village_roster_made_by_the_worker(app, contexts, demo):
    """The first download of a village's roster is queued: the page follows the worker, then offers the file;
    the roster page's own link then serves the stored file directly."""
    from planner.worker import tick

    target = f.village_target(demo, "thon-07")
    plan_id = f.plan(demo, "ngoc-lac-asxh-2026").id
    page = contexts.new_page()
    login_as(page, "vanhoa")
    page.goto(f"/plans/{plan_id}/targets/{target.id}/roster")
    page.locator("#roster-pdf").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Lịch phát thôn · Thôn 7")
    expect(page.locator("#batch-progress-text")).to_contain_text("Đã in 0/1 thôn")
    tick(app.extensions["planner_db"], app.config, instance_path=app.instance_path, worker_id="w-browser")
    expect(page.locator("#batch-status")).to_have_text("Đã xong", timeout=15_000)
    expect(page.locator("#batch-zip")).to_have_count(0)
    shot(page, "roster-single-done")
    with page.expect_download() as download:
        page.locator("#batch-pdf").click()
    assert open(download.value.path(), "rb").read().startswith(b"%PDF")
    page.goto(f"/plans/{plan_id}/targets/{target.id}/roster")
    with page.expect_download() as again:
        page.locator("#roster-pdf").click()
    assert again.value.suggested_filename.startswith("lich-phat-thon-07-")
