"""Issue 6 "Done when", in the browser only: the administrator adds a commune that did not exist, uploads its
villages (dry run, then confirmed), gives it its own golden hours six days a week (previewed), a fanpage, a print
shop and its officer, approver and print-shop users; the officer creates the plan (several audiences; the
administrator adds a peak window starting on a public holiday), writes a loudspeaker message for two audiences
kept off some weekdays, a fanpage post at exact times and a banner slogan; the commune's approver approves
them; the officer schedules the plan, sees a correct calendar and orders the banner, whose proof shows the
slogan; the print shop receives the order."""
from __future__ import annotations

import datetime as dt
import re

import holidays

from playwright.sync_api import expect
from sqlalchemy import select

from planner import localtime
from planner.db import utcnow
from tests.browser.conftest import login_as, shot

PASSWORD = "mat-khau-xa-2026"
VILLAGES = ("code,name,parent_code,households,population\n"
            "thon-01,Thôn Bản Mới,xa-minh-son,120,480\nthon-02,Thôn Đồng Tâm,xa-minh-son,95,\n"
            "thon-03,Thôn Làng Sẻ,xa-minh-son,80,310\n")
SLOGAN = "Tích hợp tài khoản an sinh xã hội trên VNeID"


def _next_holiday(today: dt.date) -> dt.date:
    """The next 01/01, 30/04 or 02/09 at least a week away (all three are public holidays every year)."""
    for year in (today.year, today.year + 1):
        for month, day in ((1, 1), (4, 30), (9, 2)):
            if dt.date(year, month, day) >= today + dt.timedelta(days=7):
                return dt.date(year, month, day)
    raise AssertionError("unreachable")


def _add_unit(page, parent: str, kind: str, name: str, code: str) -> int:
    page.goto("/admin/units")
    form = page.locator("#add-unit")
    form.get_by_label("Thuộc đơn vị").select_option(label=parent)
    form.get_by_label("Loại").select_option(label=kind)
    form.get_by_label("Tên", exact=True).fill(name)
    form.get_by_label(re.compile("^Mã")).fill(code)
    form.get_by_role("button", name="Thêm đơn vị").click()
    expect(page.get_by_role("status")).to_contain_text(f"Đã thêm {kind.lower()} {name}")
    return int(re.search(r"#unit-(\d+)$", page.url).group(1))


def _create_user(page, username, full_name, role, unit_id):
    page.goto("/admin/users")
    page.get_by_role("link", name="Tạo người dùng").click()
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Họ tên").fill(full_name)
    page.get_by_label("Vai trò").select_option(label=role)
    page.get_by_label("Đơn vị").select_option(value=str(unit_id))
    page.get_by_label("Mật khẩu ban đầu").fill(PASSWORD)
    page.get_by_role("button", name="Tạo người dùng").click()
    expect(page.get_by_role("status")).to_contain_text(f"Đã tạo người dùng {username}")


def _add_session(page, name, weekdays, start, end, minutes):
    form = page.locator("#add-grid")
    form.get_by_label("Tên").fill(name)
    form.get_by_label("Ngày trong tuần").fill(weekdays)
    form.get_by_label(re.compile(r"^Từ \(HH:MM\)")).fill(start)
    form.get_by_label(re.compile(r"^Đến \(HH:MM\)")).fill(end)
    form.get_by_label(re.compile("^Số phút")).fill(str(minutes))
    form.get_by_role("button", name="Thêm buổi phát").click()


def _set_up_commune(admin, tmp_path) -> int:
    commune = _add_unit(admin, "Tỉnh Thanh Hóa", "Xã", "Xã Minh Sơn", "xa-minh-son")
    csv = tmp_path / "minh-son.csv"
    csv.write_text(VILLAGES, encoding="utf-8")
    admin.goto(f"/admin/units/{commune}/villages")
    admin.get_by_label("Tệp CSV").set_input_files(str(csv))
    admin.get_by_role("button", name="Kiểm tra tệp").click()
    expect(admin.locator("#preview")).to_contain_text("3 thôn mới")
    admin.get_by_role("button", name="Nhập 3 dòng").click()
    expect(admin.get_by_role("status")).to_contain_text("Đã nhập: 3 thôn mới")

    admin.goto(f"/admin/units/{commune}/grids")
    _add_session(admin, "Loa buổi sáng", "T2-T7", "06:00", "06:20", 20)
    _add_session(admin, "Loa buổi chiều", "T2-T7", "17:30", "17:50", 20)
    preview = admin.locator("#preview")
    expect(preview).to_contain_text("Thôn Bản Mới")
    expect(preview).to_contain_text("06:00–06:20")
    expect(preview).to_contain_text("17:30–17:50")
    expect(preview).to_contain_text("T2–T7")
    shot(admin, "64-new-commune-grids")

    admin.goto(f"/admin/units/{commune}/accounts")
    form = admin.locator("#add-account")
    form.get_by_label("Kênh").select_option(value="fanpage")
    form.get_by_label("Tên trang").fill("Xã Minh Sơn")
    form.get_by_label(re.compile("^Mã trang")).fill("100200300")
    form.get_by_label(re.compile("^Mã truy cập")).fill("EAAB-token-minh-son-1234")
    form.get_by_role("button", name="Thêm trang").click()
    expect(admin.locator("form[id^=account-]")).to_contain_text("…1234")

    shop = _add_unit(admin, "Xã Minh Sơn", "Cơ sở in", "In Minh Sơn", "in-minh-son")
    _create_user(admin, "canbo.minhson", "Lê Văn Sơn", "Cán bộ Văn hóa - Xã hội", commune)
    _create_user(admin, "duyet.minhson", "Hà Thị Duyệt", "Người duyệt", commune)
    _create_user(admin, "in.minhson", "Phạm Văn In", "Cơ sở in", shop)
    return commune


def _create_plan(officer, start: dt.date, end: dt.date) -> str:
    officer.get_by_role("link", name="Lập kế hoạch mới").click()
    fields = {r"^Mã kế hoạch": "xa-minh-son-asxh", r"^Số hiệu": "05/KH-UBND", r"^Ngày ban hành": localtime.fmt_date(start),
              r"^Cơ quan ban hành": "UBND xã Minh Sơn", r"^Địa danh": "Minh Sơn",
              r"^Tên kế hoạch": "Tuyên truyền tích hợp tài khoản an sinh xã hội", r"^Bắt đầu": localtime.fmt_date(start),
              r"^Kết thúc": localtime.fmt_date(end),
              r"^Nhóm đối tượng": "nguoi-dan: Người dân\nnguoi-cao-tuoi: Người cao tuổi\ndoan-vien: Đoàn viên",
              r"^Chủ đề": "huong-dan: Hướng dẫn tích hợp"}
    for label, value in fields.items():
        officer.get_by_label(re.compile(label)).fill(value)
    officer.get_by_label("Đơn vị chủ trì").select_option(value="xa-minh-son")
    for channel in ("Loa truyền thanh", "Fanpage Facebook", "Băng rôn"):
        officer.get_by_role("checkbox", name=channel).check()
    officer.get_by_role("button", name="Tạo kế hoạch (dự thảo)").click()
    expect(officer.locator("#plan-status")).to_have_text("Dự thảo")
    return officer.url


def _write_message(officer, plan_url, title, channel, audiences, body, **extra) -> str:
    """A draft written in the editor and sent for approval; returns the message's URL."""
    officer.goto(plan_url)
    officer.get_by_role("link", name="Viết tin bài mới").click()
    officer.get_by_label(re.compile(r"^Tiêu đề \(nội bộ")).fill(title)
    boxes = officer.get_by_role("group", name=re.compile("Nhóm đối tượng")).get_by_role("checkbox")
    for n in audiences:
        boxes.nth(n).check()
    officer.get_by_label("Kênh", exact=True).select_option(label=channel)
    for label, value in extra.items():
        officer.get_by_label(re.compile(label)).fill(value)
    officer.get_by_label("Nội dung (Markdown)").fill(body)
    officer.get_by_role("button", name="Lưu bản nháp").click()
    expect(officer.get_by_role("status")).to_contain_text("Đã lưu bản nháp")
    url = officer.url
    officer.get_by_role("button", name="Gửi duyệt").click()
    expect(officer.get_by_role("status")).to_contain_text("Đã gửi duyệt")
    return url


def _schedule(officer, plan_url, channel, first: dt.date, last: dt.date):
    officer.goto(plan_url)
    officer.get_by_role("navigation", name="Kế hoạch").get_by_role("link", name="Lập lịch").click()
    officer.get_by_label("Đơn vị").select_option(label="Xã Minh Sơn")
    officer.get_by_label("Kênh").select_option(label=channel)
    officer.get_by_label("Từ ngày").fill(localtime.fmt_date(first))
    officer.get_by_label("Đến ngày").fill(localtime.fmt_date(last))
    officer.get_by_role("button", name="Lập lịch").click()
    return officer.locator("#outcome")


def test_a_new_commune_runs_its_whole_campaign_in_the_browser(app, contexts, demo, tmp_path):
    import io

    from pypdf import PdfReader

    from planner.models import Occurrence, Plan
    from planner.worker import tick

    today = localtime.today(utcnow())
    holiday = _next_holiday(today)
    days_off = set(holidays.VN(years=(holiday.year - 1, holiday.year)))  # as schedules/windows.yaml expands them
    start, first, last = today + dt.timedelta(days=1), holiday - dt.timedelta(days=5), holiday + dt.timedelta(days=8)
    admin = contexts.new_page()
    login_as(admin, "admin")
    commune = _set_up_commune(admin, tmp_path)

    officer = contexts.new_page()
    login_as(officer, "canbo.minhson", PASSWORD)
    plan_url = _create_plan(officer, start, holiday + dt.timedelta(days=60))

    # The peak window starts on the public holiday: the holiday itself stays silent on the loudspeakers.
    admin.goto(plan_url)
    admin.get_by_role("link", name="Đợt cao điểm, ngày tạm dừng, ngày lễ của kế hoạch").click()
    form = admin.locator("#add-window")
    form.get_by_label("Loại").select_option(value="peak")
    form.get_by_label("Tên").fill("Cao điểm đầu năm")
    form.get_by_label("Từ ngày").fill(localtime.fmt_date(holiday))
    form.get_by_label("Đến ngày").fill(localtime.fmt_date(holiday + dt.timedelta(days=6)))
    form.get_by_role("button", name="Thêm đợt").click()
    expect(admin.locator("#windows")).to_contain_text("Cao điểm đầu năm")
    expect(admin.locator("#holidays")).to_contain_text(localtime.fmt_date(holiday))

    # Facebook takes scheduled posts at most FACEBOOK_MAX_LEAD_DAYS (30) ahead: the posts are in the next days.
    posts = [dt.datetime.combine(start + dt.timedelta(days=1), dt.time(19, 30)),
             dt.datetime.combine(start + dt.timedelta(days=4), dt.time(20, 15))]
    messages = [
        _write_message(officer, plan_url, "Loa: mời bà con tích hợp tài khoản ASXH", "Loa truyền thanh", (0, 1),
                       "Bà con mang căn cước đến nhà văn hóa thôn để được hướng dẫn.",
                       **{"^Số lần/tuần": "3", "^Số lần/ngày cao điểm": "1", "^Ngày trong tuần": "T2,T4,T6"}),
        _write_message(officer, plan_url, "Fanpage: hướng dẫn tích hợp", "Fanpage Facebook", (1, 2),
                       "Ba bước tích hợp tài khoản an sinh xã hội trên VNeID.",
                       **{"^Giờ đăng chính xác": "\n".join(p.strftime("%d/%m/%Y %H:%M") for p in posts)}),
        _write_message(officer, plan_url, "Băng rôn: khẩu hiệu tích hợp", "Băng rôn", (0,), SLOGAN),
    ]
    approver = contexts.new_page()
    login_as(approver, "duyet.minhson", PASSWORD)
    for url in messages:
        approver.goto(url)
        approver.get_by_label("Ý kiến duyệt").fill("Đồng ý.")
        approver.get_by_role("button", name="Duyệt", exact=True).click()
        expect(approver.get_by_role("status")).to_contain_text("Đã duyệt")

    officer.goto(plan_url)
    officer.get_by_role("button", name="Chuyển sang “Đang thực hiện”").click()
    expect(officer.locator("#plan-status")).to_have_text("Đang thực hiện")
    outcome = _schedule(officer, plan_url, "Loa truyền thanh", first, last)
    expect(outcome).to_contain_text("cho 3 điểm phát")
    outcome.get_by_role("link", name="Xem lịch").click()
    week = officer.locator("table.calendar.week")
    expect(week).to_be_visible()
    assert week.locator("tbody tr").count() == 3
    # The officer's week with the holiday: that day is marked and silent, the peak days are marked, and only
    # Monday, Wednesday and Friday carry broadcasts.
    officer.goto(re.sub(r"([?&]date=)[^&]*", "", officer.url) + "&date=" + localtime.fmt_date(holiday))
    heads = week.locator("thead th")
    expect(heads.nth(1 + holiday.weekday())).to_have_class(re.compile(r"\bblackout\b"))
    for n in range(holiday.weekday() + 1, 7):
        expect(heads.nth(1 + n)).to_have_class(re.compile(r"\bpeak\b"))
    monday = holiday - dt.timedelta(days=holiday.weekday())
    for n in range(7):
        airs = week.locator(f"tbody tr td:nth-of-type({n + 1}) a.occ")
        if n in (0, 2, 4) and monday + dt.timedelta(days=n) not in days_off:
            expect(airs.first).to_be_visible()
        else:
            expect(airs).to_have_count(0)
    shot(officer, "63-new-commune-calendar")
    outcome = _schedule(officer, plan_url, "Fanpage Facebook", start, start + dt.timedelta(days=13))
    expect(outcome).to_contain_text("Đã xếp 2 lượt cho 1 điểm phát")
    outcome.get_by_role("link", name="Xem lịch").click()
    for post in posts:
        officer.goto(re.sub(r"([?&]date=)[^&]*", "", officer.url) + "&date=" + localtime.fmt_date(post.date()))
        expect(week.locator(f"tbody td:nth-of-type({post.weekday() + 1}) a.occ[title*='· {post:%H:%M} ·']")).to_have_text(
            re.compile("Fanpage: hướng dẫn tích hợp"))

    demo.expire_all()
    plan = demo.scalar(select(Plan).where(Plan.code == "xa-minh-son-asxh"))
    occurrences = demo.scalars(select(Occurrence).where(Occurrence.plan_id == plan.id)).all()
    loud = [localtime.to_local(o.starts_at) for o in occurrences if o.target.channel == "loudspeaker"]
    assert loud and all(o.target.unit.parent_id == commune for o in occurrences if o.target.channel == "loudspeaker")
    # Only inside the commune's own golden hours, only Monday/Wednesday/Friday, never on the holiday.
    for at in loud:
        assert dt.time(6, 0) <= at.time() < dt.time(6, 20) or dt.time(17, 30) <= at.time() < dt.time(17, 50), at
        assert at.weekday() in (0, 2, 4), at
        assert at.date() != holiday and at.date() not in days_off, at
    # The peak (from the day after the holiday): every village airs it on each allowed peak day.
    for day in (holiday + dt.timedelta(days=n) for n in range(1, 7)):
        if day.weekday() in (0, 2, 4) and day not in days_off:
            assert len({o.target_id for o in occurrences if o.target.channel == "loudspeaker"
                        and localtime.to_local(o.starts_at).date() == day}) == 3, day
    online = sorted(localtime.to_local(o.starts_at).replace(tzinfo=None) for o in occurrences
                    if o.target.channel == "fanpage")
    assert online == posts

    # The banner is ordered from its message; the proof prints the slogan.
    officer.goto(messages[2])
    officer.get_by_role("link", name="Đặt in").click()
    officer.get_by_label("Ấn phẩm").select_option("banner_09x6")
    officer.get_by_label("Số lượng").fill("3")
    officer.get_by_label("Cơ sở in", exact=True).select_option(label="In Minh Sơn")
    officer.get_by_role("button", name="Gửi đơn in").click()
    expect(officer.get_by_role("status")).to_contain_text("bản in thử đang được dựng")
    tick(app.extensions["planner_db"], app.config, instance_path=app.instance_path, worker_id="w-minh-son")
    officer.reload()
    expect(officer.locator("#proof")).to_contain_text("Mọi phông chữ đã được nhúng")
    pdf = officer.request.get(officer.locator("#order-pdf").get_attribute("href"))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    assert SLOGAN.upper() in " ".join(text.split()).upper()
    officer.get_by_role("button", name="Duyệt bản in thử và gửi cơ sở in").click()
    expect(officer.get_by_role("status")).to_contain_text("Đã duyệt bản in thử")

    # The commune's print shop sees the approved order (and only the print-shop pages).
    shop = contexts.new_page()
    login_as(shop, "in.minhson", PASSWORD)
    expect(shop).to_have_url(re.compile(r"/print-orders$"))
    expect(shop.locator("#orders tbody tr")).to_have_count(1)
    expect(shop.locator("#orders")).to_contain_text("Băng rôn: khẩu hiệu tích hợp")
