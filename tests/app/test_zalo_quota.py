"""Zalo OA: the daily broadcast quota is shown before scheduling (page and API), day by day."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from planner import localtime
from planner.db import utcnow
from planner.models import Message
from tests.app import factories as f
from tests.app.test_api import api  # noqa: F401 — the `api` fixture
from tests.conftest import csrf_from


def test_the_message_page_and_the_api_show_the_zalo_quota_used_per_day(api, login, db):
    editor = login("bientap")
    message = f.message(db, "bhxh-2728-2023", next(
        m.code for m in db.scalars(select(Message).where(Message.channel == "zalo")) if m.approved))
    target = db.scalar(select(f.Target).where(f.Target.code == "zalo-bhxh-vn"))
    day = localtime.today(utcnow()) + dt.timedelta(days=2)
    page = editor.get(f"/messages/{message.id}").get_data(as_text=True)
    assert "Hạn mức Zalo OA" in page and f"{localtime.fmt_date(day)}: đã dùng 0/1" in page
    editor.post(f"/messages/{message.id}/place", data={"csrf_token": csrf_from(page), "target_id": target.id,
                                                       "day": day.strftime("%d/%m/%Y"), "at": "09:00"})
    page = editor.get(f"/messages/{message.id}").get_data(as_text=True)
    assert f"{localtime.fmt_date(day)}: đã dùng 1/1 — đã đủ" in page
    targets = api("bientap").get("/targets?channel=zalo").get_json()["items"]
    quota = next(t for t in targets if t["id"] == target.id)["daily_quota"]
    assert len(quota) == 7 and quota[2] == {"date": day.isoformat(), "date_local": localtime.fmt_date(day),
                                            "used": 1, "limit": 1}
    fanpages = api("bientap").get("/targets?channel=fanpage").get_json()["items"]
    assert fanpages and all("daily_quota" not in t for t in fanpages)
