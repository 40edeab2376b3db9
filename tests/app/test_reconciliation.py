"""Unknown outcomes resolve themselves: after a crash mid-burst only posts the platform cannot account for
wait for a person; found posts become delivered with the platform's id, absent ones are sent once."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from planner import dispatch
from planner.channels import REGISTRY, Channel
from planner.channels.marker import find_markers
from planner.models import AuditEntry, ConfirmedVia, Delivery, DeliveryStatus
from tests.app.test_rate_limits import DUE, _posts, _statuses, fake, settings  # noqa: F401 (fixtures)

STALE = 600


class KilledMidBurst(BaseException):
    """Stands for kill -9: nothing after it runs, not even the outcome flush."""


@pytest.fixture()
def crash_after(monkeypatch):
    """crash_after(n): the next dispatch sends n posts for real, then the worker 'dies' without recording."""

    def _arm(n: int) -> None:
        real = REGISTRY["fanpage"]
        calls = []

        class Dying(Channel):
            code, label, kind = real.code, real.label, real.kind
            validate, render = real.validate, real.render

            def deliver(self, *args, **kwargs):
                if len(calls) == n:
                    raise KilledMidBurst
                calls.append(1)
                return real.deliver(*args, **kwargs)

        monkeypatch.setitem(REGISTRY, "fanpage", Dying())
        monkeypatch.setattr(dispatch._Outcomes, "flush", lambda self: None)    # killed before any batch write

    return _arm


def _tick(db, settings, seconds):
    return dispatch.dispatch_due(db, settings, now=DUE + dt.timedelta(seconds=seconds), worker_id="w2")


def test_after_a_crash_mid_burst_nothing_waits_for_a_person_and_nothing_is_posted_twice(
        db, fake, settings, crash_after, monkeypatch):
    ids = _posts(db, 20)
    crash_after(13)
    with pytest.raises(KilledMidBurst):
        dispatch.dispatch_due(db, settings, now=DUE, worker_id="killed")
    monkeypatch.undo()
    db.rollback()
    assert len(fake.posts) == 13
    assert _tick(db, settings, STALE + 1)["stale"] == 40          # every claim became unknown…
    counts = _tick(db, settings, STALE + 1 + 121)                 # …and after the grace period is looked up
    assert counts["reconciled"] == 40 and counts["delivered"] == 27
    everything = ids["111"] + ids["222"]
    assert _statuses(db, everything) == {DeliveryStatus.DELIVERED}
    markers = [m for p in fake.posts for m in find_markers(p["message"])]
    assert sorted(markers) == sorted(everything)                  # each delivery on its page exactly once
    rows = db.scalars(select(Delivery).where(Delivery.id.in_(everything))).all()
    by_id = {p["id"]: find_markers(p["message"])[0] for p in fake.posts}
    assert all(by_id[r.external_id] == r.id for r in rows)        # the platform's id of *that* post
    first = {p["id"] for p in fake.posts[:13]}
    found = [r for r in rows if r.external_id in first]
    assert len(found) == 13 and all(r.confirmed_via is ConfirmedVia.PLATFORM for r in found)
    audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "delivery.reconcile_auto")).all()
    assert sorted((a.entity_id, a.to_state) for a in audit) == sorted(
        (r.id, "delivered" if r in found else "planned") for r in rows)
    assert {a.actor for a in audit} == {"worker"}


def test_platform_that_cannot_tell_leaves_the_posts_for_a_person_and_is_asked_again_later(db, fake, settings):
    ids = _posts(db, 3)
    dispatch.claim_due(db, now=DUE, worker_id="killed", limit=100)
    _tick(db, settings, STALE + 1)
    fake.fail_listing()
    _tick(db, settings, STALE + 200)
    everything = ids["111"] + ids["222"]
    assert _statuses(db, everything) == {DeliveryStatus.UNKNOWN} and fake.posts == []
    asked = fake.requests_to()
    assert asked == 2                                             # one listing per page
    _tick(db, settings, STALE + 300)
    assert fake.requests_to() == asked                            # not asked again before the interval
    fake.fail_listing(False)
    _tick(db, settings, STALE + 200 + settings["RECONCILE_INTERVAL_SECONDS"])
    assert _statuses(db, everything) == {DeliveryStatus.DELIVERED} and len(fake.posts) == 6


def test_timeout_after_sending_is_found_on_the_page_after_the_grace_period(db, fake, settings):
    ids = _posts(db, 1)
    settings["CHANNEL_TIMEOUT_SECONDS"] = 0.3
    fake.hang_next(1)
    _tick(db, settings, 0)
    unknown = [i for i, s in ((i, db.get(Delivery, i).status) for i in ids["111"] + ids["222"])
               if s is DeliveryStatus.UNKNOWN]
    assert len(unknown) == 1
    _tick(db, settings, 60)                                       # inside the grace period: untouched
    assert _statuses(db, unknown) == {DeliveryStatus.UNKNOWN}
    _tick(db, settings, 130)
    db.expire_all()
    row = db.get(Delivery, unknown[0])
    assert row.status is DeliveryStatus.DELIVERED and row.external_id in {p["id"] for p in fake.posts}
    assert len(fake.posts) == 2
    assert db.scalar(select(func.count()).select_from(AuditEntry)
                     .where(AuditEntry.action == "delivery.reconcile_auto")) == 1


def test_an_unmarked_post_with_the_same_text_leaves_that_page_to_a_person(db, fake, settings):
    from planner.channels import ChannelSettings, TargetInfo

    ids = _posts(db, 1)
    claimed = dispatch.claim_due(db, now=DUE, worker_id="killed", limit=100)
    (row,) = [r for r in dispatch._claimed_rows(db, claimed) if r.target_external_id == "111"]
    REGISTRY["fanpage"].deliver(dispatch.content_of(row), TargetInfo(row.target_name, "111"),
                                ChannelSettings(settings), now=DUE)          # same text, but no marker
    _tick(db, settings, STALE + 1)
    _tick(db, settings, STALE + 1 + 121)
    db.expire_all()
    assert db.get(Delivery, ids["111"][0]).status is DeliveryStatus.UNKNOWN   # maybe it: a person looks
    assert db.get(Delivery, ids["111"][0]).checked_at is not None
    assert db.get(Delivery, ids["222"][0]).status is DeliveryStatus.DELIVERED
    assert len(fake.posts) == 2


def test_a_page_backing_off_from_a_rate_limit_is_not_even_read(db, fake, settings):
    from planner.models import Target

    ids = _posts(db, 1)
    dispatch.claim_due(db, now=DUE, worker_id="killed", limit=100)
    _tick(db, settings, STALE + 1)
    page = db.scalar(select(Target).where(Target.external_id == "111"))
    page.backoff_until = DUE + dt.timedelta(hours=1)
    db.commit()
    _tick(db, settings, STALE + 200)
    assert fake.requests_to("111") == 0 and fake.requests_to("222") == 2      # a listing, then the post
    assert _statuses(db, ids["111"]) == {DeliveryStatus.UNKNOWN}
