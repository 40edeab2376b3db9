"""The dispatcher's safety rules, with a fake in-process online channel (no HTTP).

Claims are committed before any call and never shared between workers (PostgreSQL: two threads at
once); outcomes are recorded after the call with external ids; unknown outcomes and stale claims
become `unknown`, never `planned`; retryable errors retry only inside the lateness window.
"""
from __future__ import annotations

import datetime as dt
import threading
from array import array

import pytest
from sqlalchemy import select

from planner import dispatch
from planner.channels import REGISTRY, Channel, ChannelError, OutcomeUnknown, Receipt
from planner.models import (AudienceGroup, AuditEntry, Delivery, DeliveryStatus, Message, MessageVersion, Plan,
                            Target, Unit, UnitKind, VersionStatus)
from planner.operations.bulk import insert_placements

UTC = dt.timezone.utc
DUE = dt.datetime(2026, 5, 4, 1, 0, tzinfo=UTC)


class FakeChannel(Channel):
    """Online channel that answers from `behaviour[target name]` and records every call."""

    code, label, kind = "fake", "Kênh giả", "online"

    def __init__(self, db_factory=None):
        self.calls: list[str] = []
        self.behaviour: dict[str, Exception] = {}
        self.seen_status: list = []
        self.db_factory = db_factory

    def validate(self, item):
        return []

    def render(self, item):
        return item.plain_text

    def deliver(self, item, target, settings, *, now, scheduled_at=None, reference=None):
        if self.db_factory:     # what another session sees at call time: the claim is committed
            with self.db_factory() as other:
                raw = other.connection().connection.driver_connection
                # SQLite in memory shares one connection: then "committed" means no transaction is open.
                open_tx = other.get_bind().dialect.name == "sqlite" and raw.in_transaction
                self.seen_status.append((other.scalar(
                    select(Delivery.status).join(Delivery.occurrence).join(Target)
                    .where(Target.name == target.name)), open_tx))
        self.calls.append(target.name)
        error = self.behaviour.get(target.name)
        if error:
            raise error
        return Receipt(external_id=f"post-{target.external_id}-{len(self.calls)}")


@pytest.fixture()
def fake(app, monkeypatch):
    channel = FakeChannel(app.extensions["planner_db"].session)
    monkeypatch.setitem(REGISTRY, "fake", channel)
    return channel


@pytest.fixture()
def settings(app):
    return {**app.config, "DISPATCH_LATENESS_SECONDS": 3600, "DISPATCH_BATCH_SIZE": 500,
            "DISPATCH_STALE_SECONDS": 600}


def _deliveries(db, n: int, *, due: dt.datetime = DUE) -> list[int]:
    """n planned deliveries on the fake channel, one per target, all due at `due`; returns their ids."""
    unit = Unit(code=f"u{n}-{due:%H%M}", name="Xã", kind=UnitKind.COMMUNE, path="/")
    db.add(unit)
    db.flush()
    plan = Plan(code=f"p{unit.id}", number="1", issuer="UBND", unit_id=unit.id, place="X", title="KH",
                starts_on=due.date())
    db.add(plan)
    db.flush()
    audience = AudienceGroup(plan_id=plan.id, code="a", name="A")
    db.add(audience)
    db.flush()
    message = Message(plan_id=plan.id, code="m", audience_id=audience.id, channel="fake")
    db.add(message)
    db.flush()
    version = MessageVersion(message_id=message.id, title="Tin", body_md="**Nội dung** tin.", channel="fake",
                             status=VersionStatus.APPROVED)
    targets = [Target(code=f"fake-{unit.id}-{i}", unit_id=unit.id, channel="fake", name=f"trang-{unit.id}-{i}",
                      external_id=str(i)) for i in range(n)]
    db.add_all([version, *targets])
    db.flush()
    epoch = int(due.timestamp())
    columns = {"target_id": array("q", [t.id for t in targets]), "message_id": array("q", [version.id] * n),
               "session_start": array("q", [epoch] * n), "offset_s": array("q", [0] * n),
               "duration_s": array("q", [60] * n)}
    insert_placements(db, plan_id=plan.id, channel="fake", columns=columns, reasons=[""] * n, now=due)
    db.commit()
    return list(db.scalars(select(Delivery.id).join(Delivery.occurrence).where(
        Delivery.channel == "fake", Delivery.due_at == due).order_by(Delivery.id)))


def _status(db, ids):
    db.expire_all()
    return {d.id: d for d in db.scalars(select(Delivery).where(Delivery.id.in_(ids)))}


def test_sequential_workers_never_claim_the_same_delivery(db, fake):
    ids = _deliveries(db, 30)
    first = dispatch.claim_due(db, now=DUE, worker_id="w1", limit=20)
    second = dispatch.claim_due(db, now=DUE, worker_id="w2", limit=20)
    third = dispatch.claim_due(db, now=DUE, worker_id="w3", limit=20)
    assert len(first) == 20 and len(second) == 10 and third == []
    assert set(first).isdisjoint(second) and sorted(first + second) == ids
    rows = _status(db, ids)
    assert {rows[i].claimed_by for i in first} == {"w1"} and {rows[i].claimed_by for i in second} == {"w2"}
    assert all(r.status is DeliveryStatus.DISPATCHED and r.claimed_at == DUE for r in rows.values())


def test_deliveries_not_yet_due_or_offline_are_not_claimed(db, fake):
    _deliveries(db, 3, due=DUE + dt.timedelta(minutes=5))
    assert dispatch.claim_due(db, now=DUE, worker_id="w1", limit=10) == []


@pytest.mark.skipif(not __import__("os").environ.get("PLANNER_TEST_DATABASE_URL"), reason="needs PostgreSQL")
def test_concurrent_workers_on_postgresql_skip_each_others_rows(app, db, fake):
    ids = _deliveries(db, 400)
    factory = app.extensions["planner_db"].session
    barrier, claims, errors = threading.Barrier(4), {}, []

    def work(name):
        session = factory()
        try:
            barrier.wait()
            mine = []
            while batch := dispatch.claim_due(session, now=DUE, worker_id=name, limit=25):
                mine += batch
            claims[name] = mine
        except Exception as exc:    # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            session.close()

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(claims) == 4
    taken = [i for mine in claims.values() for i in mine]
    assert sorted(taken) == ids and len(taken) == len(set(taken))
    rows = _status(db, ids)
    assert all(rows[i].claimed_by == name for name, mine in claims.items() for i in mine)


def test_outcomes_are_recorded_after_the_call_with_external_ids(db, fake, settings):
    ids = _deliveries(db, 5)
    counts = dispatch.dispatch_due(db, settings, now=DUE + dt.timedelta(seconds=5), worker_id="w1")
    assert counts["claimed"] == 5 and counts["delivered"] == 5
    assert fake.seen_status == [(DeliveryStatus.DISPATCHED, False)] * 5   # claim committed before each call
    rows = _status(db, ids)
    assert all(r.status is DeliveryStatus.DELIVERED and r.external_id.startswith("post-") for r in rows.values())
    assert all(r.finished_at == DUE + dt.timedelta(seconds=5) and r.error == "" for r in rows.values())
    audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "delivery.dispatch")).all()
    assert sorted(a.entity_id for a in audit) == ids
    assert {(a.from_state, a.to_state, a.actor) for a in audit} == {("dispatched", "delivered", "worker")}
    assert {a.detail["external_id"] for a in audit} == {r.external_id for r in rows.values()}
    assert dispatch.dispatch_due(db, settings, now=DUE + dt.timedelta(seconds=30), worker_id="w2")["claimed"] == 0
    assert len(fake.calls) == 5


def test_unknown_outcome_is_never_resent(db, fake, settings):
    ids = _deliveries(db, 2)
    target = db.scalar(select(Target.name).where(Target.external_id == "0", Target.channel == "fake"))
    fake.behaviour[target] = OutcomeUnknown("timeout", "Hết thời gian chờ sau khi gửi.")
    counts = dispatch.dispatch_due(db, settings, now=DUE, worker_id="w1")
    assert counts["unknown"] == 1 and counts["delivered"] == 1
    dispatch.dispatch_due(db, settings, now=DUE + dt.timedelta(minutes=1), worker_id="w1")
    assert fake.calls.count(target) == 1
    assert {r.status for r in _status(db, ids).values()} == {DeliveryStatus.UNKNOWN, DeliveryStatus.DELIVERED}


def test_retryable_errors_return_to_planned_only_inside_the_lateness_window(db, fake, settings):
    ids = _deliveries(db, 1)
    name = db.scalar(select(Target.name).where(Target.channel == "fake"))
    fake.behaviour[name] = ChannelError("throttled", "Nền tảng yêu cầu gửi chậm lại.", retryable=True)
    counts = dispatch.dispatch_due(db, settings, now=DUE + dt.timedelta(minutes=1), worker_id="w1")
    assert counts["retry"] == 1 and fake.calls == [name]              # one call, no hammering in the same pass
    row = _status(db, ids)[ids[0]]
    assert row.status is DeliveryStatus.PLANNED and row.finished_at is None and "chậm lại" in row.error
    # Claimed again later, but now past the lateness window: a definite failure, not another retry.
    settings["DISPATCH_LATENESS_SECONDS"] = 60
    dispatch.deliver_claimed(db, dispatch.claim_due(db, now=DUE + dt.timedelta(minutes=5), worker_id="w1", limit=5),
                             settings, now=DUE + dt.timedelta(minutes=5))
    row = _status(db, ids)[ids[0]]
    assert row.status is DeliveryStatus.FAILED and len(fake.calls) == 2


def test_expired_deliveries_are_never_sent(db, fake, settings):
    ids = _deliveries(db, 3)
    counts = dispatch.dispatch_due(db, settings, now=DUE + dt.timedelta(hours=2), worker_id="w1")
    assert counts["expired"] == 3 and counts["claimed"] == 0 and fake.calls == []
    rows = _status(db, ids)
    assert all(r.status is DeliveryStatus.EXPIRED and "không tự gửi lại" in r.error for r in rows.values())


def test_stale_dispatched_rows_become_unknown_never_planned(db, fake, settings):
    ids = _deliveries(db, 4)
    dispatch.claim_due(db, now=DUE, worker_id="crashed", limit=2)               # crash: no outcome recorded
    dispatch.claim_due(db, now=DUE + dt.timedelta(minutes=9), worker_id="slow", limit=1)
    counts = dispatch.dispatch_due(db, settings, now=DUE + dt.timedelta(minutes=10, seconds=1), worker_id="w2")
    rows = _status(db, ids)
    stale = [r for r in rows.values() if r.claimed_by == "crashed"]
    assert counts["stale"] == 2 and len(stale) == 2
    assert all(r.status is DeliveryStatus.UNKNOWN and "không tự gửi lại" in r.error for r in stale)
    assert [r.status for r in rows.values() if r.claimed_by == "slow"] == [DeliveryStatus.DISPATCHED]
    assert counts["delivered"] == 1 and len(fake.calls) == 1                  # only the unclaimed one is sent
    audit = db.scalars(select(AuditEntry).where(AuditEntry.to_state == "unknown")).all()
    assert sorted(a.entity_id for a in audit) == sorted(r.id for r in stale)


def test_claims_left_when_time_runs_out_are_released_unsent(db, fake, settings):
    ids = _deliveries(db, 3)
    settings["DISPATCH_STALE_SECONDS"] = 0                 # no time budget at all
    claimed = dispatch.claim_due(db, now=DUE, worker_id="w1", limit=10)
    counts = dispatch.deliver_claimed(db, claimed, settings, now=DUE)
    assert counts["released"] == 3 and fake.calls == []
    assert all(r.status is DeliveryStatus.PLANNED and r.claimed_by == "" for r in _status(db, ids).values())


def test_a_pass_drains_more_than_one_batch(db, fake, settings):
    ids = _deliveries(db, 12)
    settings["DISPATCH_BATCH_SIZE"] = 5
    counts = dispatch.dispatch_due(db, settings, now=DUE, worker_id="w1")
    assert counts["claimed"] == 12 and counts["delivered"] == 12 and sorted(fake.calls) == sorted(set(fake.calls))
    assert all(r.status is DeliveryStatus.DELIVERED for r in _status(db, ids).values())
