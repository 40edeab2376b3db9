"""The bulk placement writer: rows written by the fast path (executemany / COPY) read back through the
ORM exactly as rows written by SQLAlchemy Core, on SQLite and (PLANNER_TEST_DATABASE_URL) PostgreSQL."""
from __future__ import annotations

import datetime as dt
from array import array

import pytest
from sqlalchemy import func, select, text

from planner.models import (AudienceGroup, Delivery, DeliveryStatus, Message, MessageVersion, Occurrence,
                            OccurrenceSource, Plan, Target, Unit, UnitKind, VersionStatus)
from planner.operations import bulk
from planner.operations.bulk import insert_placements

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 3, 1, 8, 15, 30, 123456, tzinfo=UTC)
SESSION = int(dt.datetime(2026, 3, 2, 22, 30, tzinfo=UTC).timestamp())   # 05:30 local on 3/3
REASONS = ["Tần suất tối thiểu: cần 2 lần trong tuần.", "Tab\there, newline\nhere, backslash \\ and 'quotes'",
           "", "Ngày cao điểm"]


@pytest.fixture()
def world(db):
    """One commune with two villages' loudspeakers, a plan and a message with two approved versions."""
    unit = Unit(code="xa-bulk", name="Xã Thử", kind=UnitKind.COMMUNE, path="/")
    db.add(unit)
    db.flush()
    unit.path = f"/{unit.id}/"
    plan = Plan(code="bulk", number="1/KH", issuer="UBND", unit_id=unit.id, place="Thử", title="Kế hoạch thử",
                starts_on=dt.date(2026, 1, 1))
    db.add(plan)
    db.flush()
    audience = AudienceGroup(plan_id=plan.id, code="all", name="Mọi người")
    db.add(audience)
    db.flush()
    message = Message(plan_id=plan.id, code="m", audience_id=audience.id, channel="loudspeaker")
    db.add(message)
    db.flush()
    versions = [MessageVersion(message_id=message.id, number=n, title=f"Tin {n}", body_md="Nội dung.", channel="loudspeaker",
                               status=VersionStatus.APPROVED) for n in (1, 2)]
    targets = [Target(code=f"loa-{n}", unit_id=unit.id, channel="loudspeaker", name=f"Thôn {n}") for n in (1, 2)]
    db.add_all(versions + targets)
    db.commit()
    return plan, [v.id for v in versions], [t.id for t in targets]


def _columns(version_ids, target_ids):
    return {"target_id": array("q", [target_ids[0], target_ids[0], target_ids[1], target_ids[1]]),
            "message_id": array("q", [version_ids[0], version_ids[1], version_ids[0], version_ids[1]]),
            "session_start": array("q", [SESSION, SESSION, SESSION + 86400, SESSION + 43200]),
            "offset_s": array("q", [0, 95, 0, 600]),
            "duration_s": array("q", [95, 120, 95, 45])}


def _expected(plan_id, columns):
    rows = []
    for i in range(len(columns["target_id"])):
        session_start = dt.datetime.fromtimestamp(columns["session_start"][i], UTC)
        rows.append((plan_id, columns["message_id"][i], columns["target_id"][i], session_start,
                     session_start + dt.timedelta(seconds=columns["offset_s"][i]), columns["duration_s"][i],
                     False, OccurrenceSource.AUTO, REASONS[i], NOW,
                     "loudspeaker", session_start + dt.timedelta(seconds=columns["offset_s"][i]),
                     DeliveryStatus.PLANNED, "", None, None, None, "", None, "", "", "", NOW))
    return rows


def _read(session, plan_id):
    """Occurrences with their delivery, through the ORM, by target and time (the columns' order)."""
    out = []
    for occ, d in session.execute(select(Occurrence, Delivery).join(Delivery, Delivery.occurrence_id == Occurrence.id)
                                  .where(Occurrence.plan_id == plan_id)
                                  .order_by(Occurrence.target_id, Occurrence.starts_at)):
        out.append((occ.plan_id, occ.message_version_id, occ.target_id, occ.session_starts_at, occ.starts_at,
                    occ.duration_seconds, occ.is_pinned, occ.source, occ.explanation, occ.created_at,
                    d.channel, d.due_at, d.status, d.claimed_by, d.claimed_at, d.finished_at, d.confirmed_by_id,
                    d.confirmed_by_name, d.confirmed_via, d.reason, d.external_id, d.error, d.updated_at))
    return out


def test_fast_path_rows_read_back_through_the_orm(app, db, world):
    plan, versions, targets = world
    columns = _columns(versions, targets)
    assert db.bind.dialect.name in ("sqlite", "postgresql")
    assert insert_placements(db, plan_id=plan.id, channel="loudspeaker", columns=columns, reasons=REASONS,
                             now=NOW) == 4
    db.commit()
    fresh = app.extensions["planner_db"].session()
    try:
        rows = _read(fresh, plan.id)
        assert rows == sorted(_expected(plan.id, columns), key=lambda r: (r[2], r[4]))
        assert all(r[3].tzinfo is not None and r[3].utcoffset() == dt.timedelta(0) for r in rows)
    finally:
        fresh.close()


def test_fast_path_stores_the_same_values_as_sqlalchemy_core(app, db, world):
    """Byte-for-byte the same stored values (SQLite compares datetimes as strings)."""
    plan, versions, targets = world
    columns = _columns(versions, targets)
    insert_placements(db, plan_id=plan.id, channel="loudspeaker", columns=columns, reasons=REASONS, now=NOW)
    bulk._insert_core(db, plan.id, "loudspeaker", columns, bulk.intern_reasons(db, REASONS), NOW)
    db.commit()
    raw = db.execute(text(
        "SELECT o.plan_id, o.message_version_id, o.target_id, o.session_starts_at, o.starts_at, o.duration_seconds,"
        " o.is_pinned, o.source, o.reason, o.reason_id, o.created_at, d.channel, d.due_at, d.status, d.claimed_by,"
        " d.claimed_at, d.confirmed_by_name, d.reason, d.external_id, d.error, d.updated_at"
        " FROM occurrences o JOIN deliveries d ON d.occurrence_id = o.id ORDER BY o.id")).all()
    assert len(raw) == 8 and sorted(raw[:4]) == sorted(raw[4:])
    if db.bind.dialect.name == "sqlite":
        assert min(r.starts_at for r in raw) == "2026-03-02 22:30:00.000000"
        assert raw[0].starts_at == "2026-03-02 22:30:00.000000" and raw[0].created_at == "2026-03-01 08:15:30.123456"


def test_fast_path_ids_link_deliveries_and_leave_the_sequence_usable(app, db, world):
    plan, versions, targets = world
    columns = _columns(versions, targets)
    insert_placements(db, plan_id=plan.id, channel="loudspeaker", columns=columns, reasons=REASONS, now=NOW)
    insert_placements(db, plan_id=plan.id, channel="loudspeaker", columns=columns, reasons=REASONS, now=NOW)
    db.commit()
    pairs = db.execute(select(Occurrence.id, Occurrence.starts_at, Delivery.due_at)
                       .join(Delivery, Delivery.occurrence_id == Occurrence.id).order_by(Occurrence.id)).all()
    assert len(pairs) == 8 and all(start == due for _, start, due in pairs)
    assert len({oid for oid, _, _ in pairs}) == 8
    # The ORM can keep inserting after the fast path (ids and sequences not taken twice).
    occ = Occurrence(plan_id=plan.id, message_version_id=versions[0], target_id=targets[0], session_starts_at=NOW,
                     starts_at=NOW, duration_seconds=10)
    db.add(occ)
    db.flush()
    db.add(Delivery(occurrence_id=occ.id, channel="loudspeaker", due_at=NOW))
    db.commit()
    assert occ.id > max(oid for oid, _, _ in pairs)


def test_stored_times_compare_correctly_in_queries(db, world):
    """Due-time filters (as the dispatcher uses) see the fast path's rows at the right instant."""
    plan, versions, targets = world
    insert_placements(db, plan_id=plan.id, channel="loudspeaker", columns=_columns(versions, targets),
                      reasons=REASONS, now=NOW)
    db.commit()
    at = dt.datetime.fromtimestamp(SESSION + 95, UTC)
    due = db.scalars(select(Delivery.due_at).where(Delivery.due_at <= at).order_by(Delivery.due_at)).all()
    assert due == [dt.datetime.fromtimestamp(SESSION, UTC), at]


def test_empty_placements_write_nothing_and_reasons_must_align(db, world):
    plan, versions, targets = world
    empty = {name: array("q") for name in ("target_id", "message_id", "session_start", "offset_s", "duration_s")}
    assert insert_placements(db, plan_id=plan.id, channel="loudspeaker", columns=empty, reasons=[], now=NOW) == 0
    with pytest.raises(ValueError):
        insert_placements(db, plan_id=plan.id, channel="loudspeaker", columns=_columns(versions, targets),
                          reasons=REASONS[:2], now=NOW)


def test_fast_path_writes_belong_to_the_callers_transaction(db, world):
    plan, versions, targets = world
    insert_placements(db, plan_id=plan.id, channel="loudspeaker", columns=_columns(versions, targets),
                      reasons=REASONS, now=NOW)
    assert db.scalar(select(func.count()).select_from(Delivery)) == 4
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Occurrence)) == 0
    assert db.scalar(select(func.count()).select_from(Delivery)) == 0


def test_fast_path_counts_equal_a_recount_and_later_makeups_still_flag(db, world):
    """The counts bulk.py writes itself while the insert triggers are paused (SQLite: from the occurrences;
    PostgreSQL: summed from the columns) are what counting every delivery afresh gives, per village and rolled up to the commune, also when a second batch
    adds to existing buckets; the make-up trigger skipped during the bulk write still works afterwards."""
    from planner.models import ActivityRollup
    from planner.operations.counts import recount, rolled_up, stored_counts

    plan, versions, targets = world
    commune = db.get(Target, targets[0]).unit
    villages = []
    for n, tid in enumerate(targets, 1):
        village = Unit(code=f"thon-bulk-{n}", name=f"Thôn {n}", kind=UnitKind.VILLAGE, parent_id=commune.id,
                       path=commune.path)
        db.add(village)
        db.flush()
        village.path = f"{commune.path}{village.id}/"
        db.get(Target, tid).unit_id = village.id
        villages.append(village.id)
    db.commit()
    columns = _columns(versions, targets)
    for _ in range(2):
        insert_placements(db, plan_id=plan.id, channel="loudspeaker", columns=columns, reasons=REASONS, now=NOW)
        db.commit()
    expected = recount(db, plan.id)
    assert sum(expected.values()) == 8
    assert {key[1] for key in expected} == set(villages)
    assert {key[2] for key in expected} == {dt.date(2026, 3, 3), dt.date(2026, 3, 4)}
    assert stored_counts(db, plan.id) == expected
    assert stored_counts(db, plan.id, ActivityRollup) == rolled_up(db, expected) != {}

    missed = db.scalars(select(Delivery).join(Occurrence).where(Occurrence.plan_id == plan.id)
                        .order_by(Delivery.id)).first()
    missed.status = DeliveryStatus.MISSED
    makeup = Occurrence(plan_id=plan.id, message_version_id=versions[0], target_id=targets[0],
                        session_starts_at=NOW, starts_at=NOW, duration_seconds=95, replaces_delivery_id=missed.id)
    db.add(makeup)
    db.flush()
    db.add(Delivery(occurrence_id=makeup.id, channel="loudspeaker", due_at=NOW))
    db.commit()
    db.refresh(missed)
    assert missed.made_up is True
    assert stored_counts(db, plan.id) == recount(db, plan.id)


def test_counting_resumes_for_rows_written_after_the_fast_path_in_the_same_transaction(db, world):
    """The pause of the count trigger covers only bulk.py's own rows: a delivery the ORM adds later in the same
    transaction (as a generation's exact posts are) is counted by the trigger."""
    from planner.operations.counts import recount, stored_counts

    plan, versions, targets = world
    insert_placements(db, plan_id=plan.id, channel="loudspeaker", columns=_columns(versions, targets),
                      reasons=REASONS, now=NOW)
    occ = Occurrence(plan_id=plan.id, message_version_id=versions[0], target_id=targets[1],
                     session_starts_at=NOW, starts_at=NOW, duration_seconds=60)
    db.add(occ)
    db.flush()
    db.add(Delivery(occurrence_id=occ.id, channel="loudspeaker", due_at=NOW))
    db.commit()
    expected = recount(db, plan.id)
    assert sum(expected.values()) == 5
    assert stored_counts(db, plan.id) == expected


def _postgresql_only(db):
    if db.bind.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's foreign-key checks (PLANNER_TEST_DATABASE_URL)")


def _may_check_once(db) -> bool:
    with db.connection().connection.driver_connection.cursor() as cursor:
        return bulk._may_check_once(cursor)


@pytest.fixture(params=["checked once", "checked per row"])
def parent_checks(request, db, monkeypatch):
    """PostgreSQL both ways: parents checked once each by bulk.py (this role may set session_replication_role), and
    PostgreSQL's own per-row checks (a role that may not)."""
    _postgresql_only(db)
    if request.param == "checked per row":
        monkeypatch.setattr(bulk, "_may_check_once", lambda cursor: False)
    elif not _may_check_once(db):
        pytest.skip("the test database role may not set session_replication_role")
    return request.param


def test_the_superuser_tests_run_as_check_parents_once(db, world, monkeypatch):
    """The tests' role may set session_replication_role, so bulk.py takes the once-per-parent path there."""
    _postgresql_only(db)
    if not _may_check_once(db):
        pytest.skip("the test database role may not set session_replication_role")
    plan, versions, targets = world
    seen = []
    original = bulk._lock_parents
    monkeypatch.setattr(bulk, "_lock_parents", lambda cursor, keys: seen.append(keys) or original(cursor, keys))
    insert_placements(db, plan_id=plan.id, channel="loudspeaker", columns=_columns(versions, targets),
                      reasons=REASONS, now=NOW)
    assert seen and seen[0]["target_id"] == set(targets) and seen[0]["message_version_id"] == set(versions)
    assert [(c[0], c[1]) for c in bulk._checked_keys()] == [
        ("occurrences", "message_version_id"), ("occurrences", "plan_id"), ("occurrences", "reason_id"),
        ("occurrences", "target_id")]


def test_a_role_without_the_grant_leaves_the_checks_to_postgresql(db, world):
    _postgresql_only(db)
    db.execute(text("DO $$ BEGIN CREATE ROLE planner_test_plain NOLOGIN; "
                    "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"))
    db.commit()
    cursor = db.connection().connection.driver_connection.cursor()
    cursor.execute("SET LOCAL ROLE planner_test_plain")
    assert bulk._may_check_once(cursor) is False
    db.rollback()


def test_a_role_that_may_switch_checks_off_but_not_lock_the_parents_leaves_them_to_postgresql(db):
    _postgresql_only(db)
    if db.scalar(text("SELECT current_setting('server_version_num')::int")) < 150000:
        pytest.skip("GRANT SET ON PARAMETER is PostgreSQL 15+")
    db.execute(text("DO $$ BEGIN CREATE ROLE planner_test_setter NOLOGIN; "
                    "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"))
    db.commit()
    db.execute(text("DO $$ BEGIN GRANT SET ON PARAMETER session_replication_role TO planner_test_setter; "
                    "EXCEPTION WHEN OTHERS THEN NULL; END $$"))   # idempotent; another worker may be granting too
    db.commit()
    cursor = db.connection().connection.driver_connection.cursor()
    cursor.execute("SET LOCAL ROLE planner_test_setter")
    cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
    assert cursor.fetchone()[0] is True
    assert bulk._may_check_once(cursor) is False        # no SELECT/UPDATE on plans, targets, …
    db.rollback()


def test_the_only_insert_trigger_replica_mode_turns_off_is_the_paused_count(db):
    """session_replication_role = replica silences every ordinary trigger during the COPYs, not only the
    foreign-key ones: a trigger added later on these tables must be thought about here."""
    _postgresql_only(db)
    names = db.scalars(text(
        "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgrelid IN ('occurrences'::regclass, "
        "'deliveries'::regclass) AND (tgtype & 4) <> 0 ORDER BY tgname")).all()
    assert names == ["trg_counts_delivery_insert"]


@pytest.mark.parametrize("missing", ["target_id", "message_id", "plan", "reason"])
def test_a_placement_naming_a_missing_parent_is_refused_and_writes_nothing(db, world, parent_checks, missing,
                                                                           monkeypatch):
    import psycopg

    plan, versions, targets = world
    columns, plan_id = _columns(versions, targets), plan.id
    if missing == "plan":
        plan_id = 987_654
    elif missing == "reason":
        interned = bulk.intern_reasons
        monkeypatch.setattr(bulk, "intern_reasons", lambda session, texts: interned(session, texts)[:-1] + [987_654])
    else:
        columns[missing][2] = 987_654
    with pytest.raises((bulk.MissingParent, psycopg.errors.ForeignKeyViolation)) as refused:
        insert_placements(db, plan_id=plan_id, channel="loudspeaker", columns=columns, reasons=REASONS, now=NOW)
    expected = bulk.MissingParent if parent_checks == "checked once" else psycopg.errors.ForeignKeyViolation
    assert refused.type is expected and "987654" in str(refused.value)
    if parent_checks == "checked once":     # refused before anything was written or switched off
        assert db.scalar(select(func.count()).select_from(Occurrence)) == 0
        assert db.scalar(text("SELECT current_setting('session_replication_role')")) == "origin"
        assert db.scalar(text("SELECT current_setting('planner.pause_counts', true)")) in (None, "", "off")
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Occurrence)) == 0


@pytest.mark.parametrize("parent", ["targets", "message_versions", "placement_reasons", "plans"])
def test_parents_stay_locked_until_commit_as_row_checks_lock_them(app, db, world, parent_checks, parent):
    """Nobody can delete a village, version, explanation or plan that uncommitted placements name; edits of a
    village that change no key go on."""
    from sqlalchemy.exc import OperationalError

    plan, versions, targets = world
    bulk.intern_reasons(db, REASONS)     # explanations stored by an earlier generation: others can see them
    db.commit()
    insert_placements(db, plan_id=plan.id, channel="loudspeaker", columns=_columns(versions, targets),
                      reasons=REASONS, now=NOW)
    named = {"targets": targets[1], "message_versions": versions[1], "plans": plan.id,
             "placement_reasons": db.scalar(select(Occurrence.reason_id).where(Occurrence.target_id == targets[1])
                                            .limit(1))}[parent]
    with app.extensions["planner_db"].engine.connect() as other:
        other.execute(text("SET lock_timeout = '300ms'"))
        other.commit()
        other.execute(text("UPDATE targets SET backoff_level = 1 WHERE id = :id"), {"id": targets[1]})
        other.rollback()
        with pytest.raises(OperationalError, match="lock timeout"):
            other.execute(text(f"DELETE FROM {parent} WHERE id = :id"), {"id": named})
        other.rollback()
    db.commit()
    assert db.scalar(select(func.count()).select_from(Occurrence).where(Occurrence.target_id == targets[1])) == 2


def test_row_checks_are_back_on_after_the_fast_path_in_the_same_transaction(db, world, parent_checks):
    from sqlalchemy.exc import IntegrityError

    plan, versions, targets = world
    insert_placements(db, plan_id=plan.id, channel="loudspeaker", columns=_columns(versions, targets),
                      reasons=REASONS, now=NOW)
    assert db.scalar(text("SELECT current_setting('session_replication_role')")) == "origin"
    db.add(Occurrence(plan_id=plan.id, message_version_id=versions[0], target_id=987_654, session_starts_at=NOW,
                      starts_at=NOW, duration_seconds=10))
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


def test_a_copy_that_fails_half_way_leaves_no_check_switched_off(db, world, parent_checks):
    """A COPY the server refuses aborts the transaction; after the rollback the connection checks every row again."""
    import psycopg
    from sqlalchemy.exc import IntegrityError

    plan, versions, targets = world
    columns = _columns(versions, targets)
    # A rule only the server knows (rolled back with the write): it refuses one of the rows inside the COPY.
    db.execute(text("ALTER TABLE occurrences ADD CONSTRAINT bulk_test_refuses CHECK (duration_seconds < 100000)"))
    columns["duration_s"][3] = 200_000
    with pytest.raises(psycopg.errors.CheckViolation):
        insert_placements(db, plan_id=plan.id, channel="loudspeaker", columns=columns, reasons=REASONS, now=NOW)
    db.rollback()
    assert db.scalar(text("SELECT current_setting('session_replication_role')")) == "origin"
    assert db.scalar(select(func.count()).select_from(Occurrence)) == 0
    db.add(Occurrence(plan_id=plan.id, message_version_id=versions[0], target_id=987_654, session_starts_at=NOW,
                      starts_at=NOW, duration_seconds=10))
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


def test_a_value_too_large_for_its_column_is_refused_not_stored_wrapped(db, world, parent_checks):
    """Binary COPY sends integers as they are (2**40 would land as 0): bulk.py refuses them first, as text input
    was refused by the server, with nothing written and nothing switched off."""
    plan, versions, targets = world
    for column, value in (("duration_s", 2**40), ("target_id", -2**31 - 1), ("message_id", 2**31)):
        columns = _columns(versions, targets)
        columns[column][1] = value
        with pytest.raises(ValueError, match="out of range"):
            insert_placements(db, plan_id=plan.id, channel="loudspeaker", columns=columns, reasons=REASONS, now=NOW)
        assert db.scalar(text("SELECT current_setting('session_replication_role')")) == "origin"
        assert db.scalar(select(func.count()).select_from(Occurrence)) == 0
    db.rollback()


def test_an_occurrence_id_too_large_for_its_column_fails_the_copy(db, world, parent_checks, monkeypatch):
    """Ids come from the sequence batch by batch, inside the COPY: one out of range fails it (transaction aborted)."""
    import psycopg

    plan, versions, targets = world
    real = bulk._check_int_ranges
    monkeypatch.setattr(bulk, "_check_int_ranges",
                        lambda types, values: real(types, {"id": [2**31]} if "id" in values else values))
    with pytest.raises(ValueError, match="id: 2147483648"):
        insert_placements(db, plan_id=plan.id, channel="loudspeaker", columns=_columns(versions, targets),
                          reasons=REASONS, now=NOW)
    with pytest.raises(psycopg.errors.InFailedSqlTransaction):
        db.connection().connection.driver_connection.execute("SELECT 1")
    db.rollback()
    assert db.scalar(text("SELECT current_setting('session_replication_role')")) == "origin"
    assert db.scalar(select(func.count()).select_from(Occurrence)) == 0


def test_a_large_write_without_the_grant_says_once_how_to_speed_it_up(db, world, monkeypatch, caplog):
    _postgresql_only(db)
    plan, versions, targets = world
    monkeypatch.setattr(bulk, "_may_check_once", lambda cursor: False)
    monkeypatch.setattr(bulk, "_noted_slow_checks", False)
    monkeypatch.setattr(bulk, "SLOW_CHECKS_NOTED_ROWS", 4)
    with caplog.at_level("INFO", logger="planner.operations.bulk"):
        for _ in range(2):
            insert_placements(db, plan_id=plan.id, channel="loudspeaker", columns=_columns(versions, targets),
                              reasons=REASONS, now=NOW)
    notes = [r.getMessage() for r in caplog.records if "session_replication_role" in r.getMessage()]
    assert len(notes) == 1 and "GRANT SET ON PARAMETER" in notes[0]
    db.rollback()
