"""A rate-limited page is not hammered: it waits (growing, honouring Retry-After), nothing is lost or doubled.

Runs the real fanpage channel against the fake Graph server, with ticks every 5 seconds as the worker does.
"""
from __future__ import annotations

import datetime as dt
from array import array

import pytest
from sqlalchemy import select

from planner import dispatch
from planner.backoffs import backoff_seconds
from planner.fake_platforms import FakePlatforms
from planner.models import (AudienceGroup, Delivery, DeliveryStatus, Message, MessageVersion, Occurrence, Plan,
                            Target, Unit, UnitKind, VersionStatus)
from planner.operations.bulk import insert_placements

UTC = dt.timezone.utc
DUE = dt.datetime(2026, 5, 4, 1, 0, tzinfo=UTC)
PAGES = ("111", "222")


@pytest.fixture()
def fake():
    server = FakePlatforms().start()
    yield server
    server.stop()


@pytest.fixture()
def settings(app, fake):
    return {**app.config, "FACEBOOK_GRAPH_URL": fake.url, "FACEBOOK_PAGE_TOKENS": {p: f"tok-{p}" for p in PAGES},
            "CHANNEL_TIMEOUT_SECONDS": 5, "DISPATCH_LATENESS_SECONDS": 3600, "DISPATCH_BATCH_SIZE": 500,
            "DISPATCH_STALE_SECONDS": 600, "DISPATCH_BACKOFF_SECONDS": 60, "DISPATCH_BACKOFF_MAX_SECONDS": 3600}


def _posts(db, per_page: int) -> dict[str, list[int]]:
    """`per_page` planned fanpage deliveries on each page, all due at DUE; page id → delivery ids."""
    unit = Unit(code="rl", name="Xã", kind=UnitKind.COMMUNE, path="/")
    db.add(unit)
    db.flush()
    plan = Plan(code="rl", number="1", issuer="UBND", unit_id=unit.id, place="X", title="KH", starts_on=DUE.date())
    db.add(plan)
    db.flush()
    audience = AudienceGroup(plan_id=plan.id, code="a", name="A")
    db.add(audience)
    db.flush()
    message = Message(plan_id=plan.id, code="m", audience_id=audience.id, channel="fanpage")
    db.add(message)
    db.flush()
    version = MessageVersion(message_id=message.id, title="Tin", body_md="Nội dung.", channel="fanpage",
                             status=VersionStatus.APPROVED)
    targets = [Target(code=f"fb-{p}", unit_id=unit.id, channel="fanpage", name=f"Trang {p}", external_id=p)
               for p in PAGES]
    db.add_all([version, *targets])
    db.flush()
    n = per_page * len(targets)
    columns = {"target_id": array("q", [t.id for t in targets for _ in range(per_page)]),
               "message_id": array("q", [version.id] * n),
               "session_start": array("q", [int(DUE.timestamp()) - 60 * i for _ in targets for i in range(per_page)]),
               "offset_s": array("q", [0] * n), "duration_s": array("q", [60] * n)}
    insert_placements(db, plan_id=plan.id, channel="fanpage", columns=columns, reasons=[""] * n, now=DUE)
    db.commit()
    rows = db.execute(select(Delivery.id, Target.external_id).join(Delivery.occurrence)
                      .join(Target, Target.id == Occurrence.target_id)).all()
    return {p: sorted(i for i, ext in rows if ext == p) for p in PAGES}


def _tick(db, settings, seconds: int) -> dict:
    return dispatch.dispatch_due(db, settings, now=DUE + dt.timedelta(seconds=seconds), worker_id="w1")


def _statuses(db, ids) -> set:
    db.expire_all()
    return set(db.scalars(select(Delivery.status).where(Delivery.id.in_(ids))))


def _target(db, page) -> Target:
    db.expire_all()
    return db.scalar(select(Target).where(Target.external_id == page))


def test_rate_limited_page_gets_one_request_per_backoff_while_other_pages_post(db, fake, settings):
    ids = _posts(db, 30)
    fake.rate_limit("111", 32, retry_after=120)
    for second in range(0, 45, 5):                        # 40 seconds of 5-second ticks
        _tick(db, settings, second)
    assert fake.requests_to("111") == 1                   # before: every tick re-sent every claimed post
    assert fake.requests_to("222") == 30 and _statuses(db, ids["222"]) == {DeliveryStatus.DELIVERED}
    assert _statuses(db, ids["111"]) == {DeliveryStatus.PLANNED}   # back to due: nothing was published
    page = _target(db, "111")
    assert page.backoff_until == DUE + dt.timedelta(seconds=120) and page.backoff_level == 1
    rows = db.scalars(select(Delivery).where(Delivery.id.in_(ids["111"]))).all()
    assert all("giới hạn tần suất" in r.error and r.finished_at is None for r in rows)   # each says why it waits
    assert all("tạm ngừng nhận bài đến 08:02 04/05/2026" in r.error for r in rows)


def test_backoff_grows_while_limited_and_resets_after_success_without_double_posts(db, fake, settings):
    ids = _posts(db, 5)
    fake.rate_limit("111", 613)
    waits = []
    second = 0
    for _ in range(3):
        _tick(db, settings, second)
        page = _target(db, "111")
        waits.append((page.backoff_until - (DUE + dt.timedelta(seconds=second))).total_seconds())
        _tick(db, settings, second + 1)                   # still waiting: no request at all
        second += int(waits[-1])
    assert waits == [60, 120, 240] and fake.requests_to("111") == 3
    fake.rate_limit("111", None)
    counts = _tick(db, settings, second)
    assert counts["delivered"] == 5 and _statuses(db, ids["111"]) == {DeliveryStatus.DELIVERED}
    page = _target(db, "111")
    assert page.backoff_level == 0 and page.backoff_until is None
    posted = [p for p in fake.posts if p["page_id"] == "111"]
    assert len(posted) == 5 and fake.requests_to("111") == 3 + 5


def test_usage_header_estimate_and_http_429_retry_after_are_honoured(db, fake, settings):
    _posts(db, 2)
    fake.rate_limit("111", 80001, regain_minutes=30)
    fake.rate_limit("222", 32, status=429, retry_after=900)
    _tick(db, settings, 0)
    assert _target(db, "111").backoff_until == DUE + dt.timedelta(minutes=30)
    assert _target(db, "222").backoff_until == DUE + dt.timedelta(seconds=900)
    assert fake.requests_to() == 2


def test_app_wide_limit_makes_every_page_wait(db, fake, settings):
    ids = _posts(db, 3)
    fake.rate_limit("111", 4)
    fake.rate_limit("222", 4)
    counts = _tick(db, settings, 0)
    assert counts["rate_limited"] == 1 and fake.requests_to() == 1
    assert {_target(db, p).backoff_until for p in PAGES} == {DUE + dt.timedelta(seconds=60)}
    assert _statuses(db, ids["111"] + ids["222"]) == {DeliveryStatus.PLANNED}


def test_backoff_takes_the_longer_of_its_growth_and_the_platform_estimate():
    assert backoff_seconds(0, None, base=60, cap=3600) == 60
    assert backoff_seconds(3, 10, base=60, cap=3600) == 480
    assert backoff_seconds(10, None, base=60, cap=3600) == 3600
    assert backoff_seconds(0, 7200, base=60, cap=3600) == 7200
