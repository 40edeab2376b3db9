"""API lists page by key: a stable order, every row exactly once across pages, a total only when asked,
and a forged cursor refused with a JSON 400."""
from __future__ import annotations

import datetime as dt

from planner import localtime
from planner.db import utcnow
from planner.models import DeliveryStatus
from tests.app import factories as f
from tests.app.test_api import api, assert_error  # noqa: F401  (fixture)


def _walk(client, url: str) -> list[dict]:
    """Every item of a list, following next_cursor page by page."""
    items, cursor, pages = [], None, 0
    while True:
        body = client.get(url + (f"&cursor={cursor}" if cursor else "")).get_json()
        assert "total" not in body  # counting is only on request
        items += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return items
        assert pages < 100


def _occurrences(db, count: int, *, status=DeliveryStatus.PLANNED, days: int = 2) -> list:
    """`count` occurrences over a few villages, several sharing one start time (ties broken by id)."""
    msg = f.message(db, "ngoc-lac-asxh-2026", "loa-loi-ich")
    base = localtime.local_datetime(localtime.today(utcnow()) + dt.timedelta(days=days), dt.time(5, 30))
    villages = [f.village_target(db, f"thon-{n:02d}") for n in range(1, 5)]
    out = []
    for i in range(count):
        at = base - dt.timedelta(days=i // 4) if status is not DeliveryStatus.PLANNED else base + dt.timedelta(days=i // 4)
        out.append(f.occurrence(db, target=villages[i % 4], msg=msg, at=at, status=status))
    return out


def test_occurrence_pages_by_cursor_cover_every_row_once_in_start_order(api, demo):
    made = _occurrences(demo, 11)
    plan = made[0].occurrence.plan_id
    client = api("vanhoa")
    url = f"/occurrences?plan={plan}&limit=3"
    items = _walk(client, url)
    ids = [i["id"] for i in items]
    assert sorted(ids) == sorted(d.occurrence_id for d in made) and len(set(ids)) == len(ids)
    keys = [(i["starts_at"], i["id"]) for i in items]
    assert keys == sorted(keys)  # starts_at, then id for the four that share a time
    counted = client.get(f"{url}&count=true").get_json()
    assert counted["total"] == 11 and len(counted["items"]) == 3 and counted["next_cursor"]


def test_a_row_added_before_the_cursor_neither_repeats_nor_shifts_the_next_page(api, demo):
    made = _occurrences(demo, 6)
    client = api("vanhoa")
    url = f"/occurrences?plan={made[0].occurrence.plan_id}&limit=3"
    first = client.get(url).get_json()
    early = localtime.local_datetime(localtime.today(utcnow()) + dt.timedelta(days=1), dt.time(5, 30))
    f.occurrence(demo, target=f.village_target(demo, "thon-09"), msg=f.message(demo, "ngoc-lac-asxh-2026", "loa-loi-ich"),
                 at=early)
    second = client.get(f"{url}&cursor={first['next_cursor']}").get_json()
    assert [i["id"] for i in second["items"]] == sorted(d.occurrence_id for d in made)[3:6]


def test_offset_paging_still_works_and_still_counts(api, demo):
    made = _occurrences(demo, 5)
    client = api("vanhoa")
    body = client.get(f"/occurrences?plan={made[0].occurrence.plan_id}&limit=2&offset=2").get_json()
    assert body["total"] == 5 and body["offset"] == 2
    assert [i["id"] for i in body["items"]] == sorted(d.occurrence_id for d in made)[2:4]


def test_a_bad_cursor_is_a_json_400(api, demo):
    client = api("vanhoa")
    for cursor in ("!!!", "bm90IGpzb24", "WzEsMl0", "WyJ4IiwxXQ"):  # garbage, "not json", [1,2], ["x",1]
        error = assert_error(client.get(f"/occurrences?cursor={cursor}"), 400)
        assert error["code"] == "invalid_cursor" and "cursor" in error["message"]
    assert_error(client.get("/occurrences?cursor=WyJ4IiwxXQ&offset=3"), 400, "cursor")
    assert_error(client.get("/occurrences?count=maybe"), 400, "count")
    assert_error(client.get("/print-orders?cursor=WyJ4IiwxXQ"), 400)


def test_attention_pages_newest_first_by_cursor(api, demo):
    made = _occurrences(demo, 7, status=DeliveryStatus.MISSED, days=-1)
    client = api("vanhoa")
    items = _walk(client, f"/plans/{made[0].occurrence.plan_id}/attention?limit=2")
    assert sorted(i["id"] for i in items) == sorted(d.id for d in made)
    keys = [(i["due_at"], i["id"]) for i in items]
    assert keys == sorted(keys, reverse=True)


def test_messages_page_by_cursor(api, demo):
    client = api("vanhoa")
    plan = f.plan(demo, "ngoc-lac-asxh-2026").id
    everything = client.get(f"/plans/{plan}/messages?limit=1000&count=true").get_json()
    assert everything["next_cursor"] is None and everything["total"] == len(everything["items"]) > 2
    walked = _walk(client, f"/plans/{plan}/messages?limit=2")
    assert [m["id"] for m in walked] == [m["id"] for m in everything["items"]]


def _orders(db, count: int) -> list[int]:
    from sqlalchemy import select

    from planner.models import MessageVersion, PrintOrder, Unit, UnitKind, VersionStatus

    version = db.scalars(select(MessageVersion).where(MessageVersion.status == VersionStatus.APPROVED)).first()
    shop = db.scalar(select(Unit).where(Unit.kind == UnitKind.PRINT_SHOP))
    vanhoa = f.user(db, "vanhoa")
    rows = [PrintOrder(message_version_id=version.id, product="leaflet_a5", width_mm=148, height_mm=210,
                       quantity=10 + i, print_shop_id=shop.id, unit_id=vanhoa.unit_id, created_by_id=vanhoa.id)
            for i in range(count)]
    db.add_all(rows)
    db.commit()
    return [r.id for r in rows]


def test_the_print_order_page_shows_fifty_a_page_newest_first(login, demo):
    ids = _orders(demo, 55)
    client = login("vanhoa")
    first = client.get("/print-orders").get_data(as_text=True)
    assert first.count('href="/print-orders/') - first.count('href="/print-orders/new') == 50
    assert f"DI-{max(ids):05d}" in first and f"DI-{min(ids):05d}" not in first and "Trang 1/2" in first
    second = client.get("/print-orders?page=2").get_data(as_text=True)
    assert f"DI-{min(ids):05d}" in second and f"DI-{max(ids):05d}" not in second and "Trang 2/2" in second
    assert "Trang 2/2" in client.get("/print-orders?page=99").get_data(as_text=True)  # clamped to the last page
    body = client.get("/print-orders?page=abc")
    assert body.status_code == 200 and "Trang 1/2" in body.get_data(as_text=True)


def test_the_counted_total_of_a_plan_is_summed_from_the_counts_and_equals_the_occurrences(api, app, demo):
    """count=true on one plan (no target, message or audience filter) sums the trigger-kept counts instead of
    counting the occurrences; after outcomes, make-ups, cancels, an emergency and an ad hoc move both agree for
    every user scope, unit, channel, status and date filter."""
    from sqlalchemy import func, select

    from planner.models import Delivery, Occurrence, Target, Unit
    from planner.operations import attention, moves
    from planner.operations.calendar import STATUS_FILTERS
    from planner.operations.demo_history import add_demo_history
    from planner.operations.repairs import insert_emergency_message

    db, now = demo, utcnow()
    today = localtime.today(now)
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    add_demo_history(db, now=now, settings=app.config, weeks=2)
    db.commit()
    officer = f.user(db, "vanhoa")
    broken = list(db.scalars(select(Delivery).join(Occurrence).where(
        Occurrence.plan_id == plan.id, Delivery.status.in_([DeliveryStatus.MISSED, DeliveryStatus.FAILED]))
        .order_by(Delivery.id).limit(2)))
    for delivery in broken:
        attention.make_up_delivery(db, delivery, user=officer, now=now, settings=app.config)
    village = db.scalar(select(Unit).where(Unit.code == "thon-07"))
    insert_emergency_message(db, f.message(db, "ngoc-lac-asxh-2026", "loa-cao-diem"), village, sessions_ahead=1,
                             now=now, settings=app.config, user=officer)
    coming = list(db.scalars(select(Occurrence).join(Delivery).where(
        Occurrence.plan_id == plan.id, Occurrence.starts_at > now, Delivery.status == DeliveryStatus.PLANNED)
        .order_by(Occurrence.starts_at).limit(2)))
    moves.cancel_occurrence(db, coming[0], user=officer, now=now)
    moves.move_occurrence(db, coming[1], localtime.local_datetime(today + dt.timedelta(days=3), dt.time(23, 59)),
                          user=officer, now=now, ad_hoc=True)
    db.commit()

    def live(user_code: str, unit: Unit | None, channel: str, statuses, first, last) -> int:
        scope = f.user(db, user_code).unit
        stmt = (select(func.count(Occurrence.id)).join(Target, Target.id == Occurrence.target_id)
                .join(Unit, Unit.id == Target.unit_id).join(Delivery, Delivery.occurrence_id == Occurrence.id)
                .where(Occurrence.plan_id == plan.id))
        if user_code != "admin":
            stmt = stmt.where(Unit.path.startswith(scope.path))
        if unit is not None:
            stmt = stmt.where(Unit.path.startswith(unit.path))
        if channel:
            stmt = stmt.where(Target.channel == channel)
        if statuses:
            stmt = stmt.where(Delivery.status.in_(statuses))
        if first:
            stmt = stmt.where(Occurrence.starts_at >= localtime.local_day_bounds(first)[0])
        if last:
            stmt = stmt.where(Occurrence.starts_at < localtime.local_day_bounds(last)[1])
        return db.scalar(stmt)

    commune = db.scalar(select(Unit).where(Unit.code == "xa-ngoc-lac"))
    checked = 0
    for user_code in ("admin", "giamsat", "vanhoa"):
        client = api(user_code)
        for unit in (None, commune, village):
            for channel in ("", "loudspeaker", "fanpage"):
                for status in ("", *STATUS_FILTERS):
                    for first, last in ((None, None), (today - dt.timedelta(days=4), today + dt.timedelta(days=4)),
                                        (today + dt.timedelta(days=4), None)):
                        url = f"/occurrences?plan={plan.id}&limit=1&count=true"
                        url += f"&unit={unit.id}" if unit else ""
                        url += f"&channel={channel}" if channel else ""
                        url += f"&status={status}" if status else ""
                        url += f"&from={first:%d/%m/%Y}" if first else ""
                        url += f"&to={last:%d/%m/%Y}" if last else ""
                        body = client.get(url).get_json()
                        expected = live(user_code, unit, channel, STATUS_FILTERS[status][1] if status else None,
                                        first, last)
                        assert body["total"] == expected, url
                        checked += expected
    assert checked > 1000
