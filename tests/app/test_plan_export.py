"""Exporting a plan as a library bundle: `planner import` reads it back into an identical plan, with its own
windows, the windows of its units and its holiday exemptions."""
from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
import yaml
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session, selectinload

from planner.db import Base, utcnow
from planner.library import LibraryError, MESSAGE_KEYS
from planner.models import (Message, MessageVersion, Plan, PlanStatus, Priority, Window, WindowExemption)
from planner.models.indicators import Indicator
from planner.operations.importing import import_paths
from planner.operations.plan_export import export_plan
from planner.operations.windows import create_window, holidays, set_holiday_exemption
from tests.app import factories as f

PLAN = "ngoc-lac-asxh-2026"


def _plan_snapshot(db, code: str) -> dict:
    plan = db.scalar(select(Plan).where(Plan.code == code))
    fields = {k: getattr(plan, k) for k in ("code", "number", "issuer", "place", "issued_on", "title", "summary",
                                            "starts_on", "ends_on", "period_rule", "is_replanning_missed", "status",
                                            "details")}
    fields["unit"] = plan.unit.code
    fields["audiences"] = [(a.code, a.name, a.position) for a in plan.audiences]
    fields["indicators"] = [
        {c.name: getattr(i, c.name) for c in Indicator.__table__.columns if c.name not in ("id", "plan_id")}
        for i in db.scalars(select(Indicator).where(Indicator.plan_id == plan.id).order_by(Indicator.code))]
    messages = db.scalars(select(Message).where(Message.plan_id == plan.id).order_by(Message.code)
                          .options(selectinload(Message.versions).selectinload(MessageVersion.audiences))).all()
    fields["messages"] = [_message_snapshot(m) for m in messages]
    return fields


def _message_snapshot(m: Message) -> dict:
    v = m.latest
    return {"code": m.code, "channel": m.channel, "theme": m.theme, "priority": m.priority,
            "valid_from": m.valid_from, "valid_to": m.valid_to, "min_per_week": m.min_per_week,
            "peak_per_day": m.peak_per_day, "min_gap_hours": m.min_gap_hours, "retired": m.retired_at is not None,
            "audience": m.audience.code, "approved": m.approved is not None,
            "version": {"title": v.title, "body_md": v.body_md, "headline": v.headline, "link": v.link,
                        "channel": v.channel, "valid_from": v.valid_from, "valid_to": v.valid_to,
                        "weekdays": v.weekdays, "post_at": v.post_at, "audio_seconds": v.audio_seconds,
                        "status": v.status, "audiences": [a.code for a in v.audiences]}}


def test_every_library_plan_exports_and_reimports_identically_on_an_empty_database(demo, tmp_path):
    db = demo
    codes = list(db.scalars(select(Plan.code).order_by(Plan.code)))
    assert len(codes) == 2
    # One message retired in the app travels with the bundle.
    retired = db.scalar(select(Message).order_by(Message.id))
    retired.retired_at = utcnow()
    db.scalar(select(Plan).where(Plan.code == codes[0])).status = PlanStatus.CLOSED   # the life cycle travels too
    db.commit()
    engine = create_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    Base.metadata.create_all(engine)
    with Session(engine) as fresh:
        for code in codes:
            plan = db.scalar(select(Plan).where(Plan.code == code))
            export_plan(db, plan, tmp_path / code)
            import_paths(fresh, [tmp_path / code], now=utcnow())
            fresh.commit()
        for code in codes:
            assert _plan_snapshot(fresh, code) == _plan_snapshot(db, code)
            assert _windows_snapshot(fresh, code) == _windows_snapshot(db, code)
        # both plans have their own windows in the library (one yearly, written back as dd/mm)
        assert all(_windows_snapshot(db, code)["own"] for code in codes)
        assert any(w[5] and w[3].year == 2000 for code in codes for w in _windows_snapshot(fresh, code)["own"])
    engine.dispose()


def test_export_command_writes_a_bundle_that_import_reads_back(app, demo, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "bundle"
    result = runner.invoke(args=["export", "--plan", "ngoc-lac-asxh-2026", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "plans" / "ngoc-lac-asxh-2026" / "plan.yaml").is_file()
    assert (out / "units.yaml").is_file()
    assert len(list((out / "plans" / "ngoc-lac-asxh-2026" / "messages").glob("*.md"))) == \
        len(list(db_messages(demo, "ngoc-lac-asxh-2026")))
    again = runner.invoke(args=["import", str(out)])
    assert again.exit_code == 0 and "không có thay đổi" in again.output, again.output


def test_export_of_an_unknown_plan_fails_with_a_message(app, demo, tmp_path):
    result = app.test_cli_runner().invoke(args=["export", "--plan", "khong-co", "-o", str(tmp_path / "x")])
    assert result.exit_code != 0 and "Không có kế hoạch" in result.output


def db_messages(db, code):
    return db.scalars(select(Message).join(Plan).where(Plan.code == code))


def _windows_snapshot(db, code: str) -> dict:
    """The plan's windows, its unit's windows and its exempted holidays, by code (ids differ between databases)."""
    plan = db.scalar(select(Plan).where(Plan.code == code))

    def row(w):
        return (w.code, w.name, w.kind, w.starts_on, w.ends_on, w.is_yearly, list(w.channels or []),
                w.plan.code if w.plan else None, w.unit.code if w.unit else None)

    exempt = db.scalars(select(Window).join(WindowExemption, WindowExemption.window_id == Window.id)
                        .where(WindowExemption.plan_id == plan.id).order_by(Window.code)).all()
    return {"own": [row(w) for w in db.scalars(select(Window).where(Window.plan_id == plan.id).order_by(Window.code))],
            "unit": [row(w) for w in db.scalars(select(Window).where(Window.unit_id == plan.unit_id)
                                                .order_by(Window.code))],
            "exempt": [row(w) for w in exempt]}


def _bundle_files(root) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _dress_plan(db) -> Plan:
    """The demo plan with its own peak and blackout (one yearly), a window of its unit, one holiday exemption and
    one message carrying every field of the message format."""
    plan, user = f.plan(db, PLAN), f.user(db, "admin")
    create_window(db, user, plan, {"kind": "blackout", "name": "Bầu cử đại biểu", "starts_on": "15/03/2026",
                                   "ends_on": "16/03/2026", "channels": ["loudspeaker", "zalo"]})
    create_window(db, user, plan, {"kind": "peak", "name": "Tuần lễ Quốc khánh", "starts_on": "28/08/2026",
                                   "ends_on": "02/09/2026", "is_yearly": True})
    create_window(db, user, plan.unit, {"kind": "peak", "name": "Tuần cao điểm xã", "starts_on": "01/06/2026",
                                        "ends_on": "07/06/2026", "channels": ["loudspeaker"]})
    holiday = next(w for w, _ in holidays(db, plan) if w.code == "le-2026-05-01")
    set_holiday_exemption(db, user, plan, holiday, True)
    message = f.message(db, PLAN, "fanpage-xa-loi-ich")
    audiences = [a for a in plan.audiences][:2]
    message.priority = Priority.PRIORITY
    message.valid_from, message.valid_to = dt.date(2026, 3, 5), dt.date(2026, 4, 15)
    message.retired_at = utcnow()
    version = message.latest
    version.valid_from, version.valid_to = message.valid_from, message.valid_to
    version.link, version.audio_seconds, version.weekdays = "https://vneid.gov.vn/huong-dan", 95, 0b0010101
    version.post_at = [dt.datetime(2026, 3, 9, 1, 30, tzinfo=dt.timezone.utc).isoformat()]
    version.audiences = audiences
    db.commit()
    return plan


def test_a_plan_with_windows_and_a_holiday_exemption_round_trips_through_an_empty_database(app, demo, tmp_path):
    db = demo
    plan = _dress_plan(db)
    export_plan(db, plan, tmp_path / "a")
    first = _bundle_files(tmp_path / "a")
    front = yaml.safe_load(first[f"plans/{PLAN}/messages/fanpage-xa-loi-ich.md"].decode().split("---")[1])
    assert set(front) == MESSAGE_KEYS - {"audience"}    # every field (audiences written as the list)
    windows = yaml.safe_load(first["schedules/windows.yaml"])
    assert windows["exemptions"] == [{"plan": PLAN, "holiday": "le-2026-05-01"}]
    before = {"plan": _plan_snapshot(db, PLAN), "windows": _windows_snapshot(db, PLAN)}
    assert len(before["windows"]["own"]) == 4 and len(before["windows"]["unit"]) == 1   # 2 from the library
    assert [w[0] for w in before["windows"]["exempt"]] == ["le-2026-05-01"]

    db.close()    # an empty database on the same engine (PostgreSQL when the tests run there)
    engine = app.extensions["planner_db"].engine
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    summary = import_paths(db, [tmp_path / "a"], now=utcnow())
    db.commit()
    assert summary.counts["exemption.created"] == 1 and summary.counts["window.created"] == 6
    assert {"plan": _plan_snapshot(db, PLAN), "windows": _windows_snapshot(db, PLAN)} == before
    export_plan(db, f.plan(db, PLAN), tmp_path / "b")
    assert _bundle_files(tmp_path / "b") == first
    again = import_paths(db, [tmp_path / "b"], now=utcnow())
    assert again.lines() == ["không có thay đổi"]
    assert db.scalar(select(func.count()).select_from(WindowExemption)) == 1


def test_the_plan_page_download_is_the_same_bundle_with_its_windows(login, db, tmp_path):
    plan = _dress_plan(db)
    resp = login("vanhoa").get(f"/plans/{plan.id}/export.zip")
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(resp.data))
    export_plan(db, plan, tmp_path / "cli")
    assert {name: archive.read(name) for name in archive.namelist()} == _bundle_files(tmp_path / "cli")
    assert b"le-2026-05-01" in archive.read("schedules/windows.yaml")


def test_an_exemption_from_a_holiday_nobody_has_is_refused_and_nothing_is_written(app, demo, tmp_path):
    db = demo
    plan = _dress_plan(db)
    export_plan(db, plan, tmp_path / "a")
    path = tmp_path / "a" / "schedules" / "windows.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["windows"] = [w for w in doc["windows"] if not w["code"].startswith("le-")]
    doc["exemptions"].append({"plan": PLAN, "holiday": "le-2026-12-25"})
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    db.close()
    engine = app.extensions["planner_db"].engine
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    with pytest.raises(LibraryError) as exc:
        import_paths(db, [tmp_path / "a"], now=utcnow())
    assert [(p.field, p.reason) for p in exc.value.problems] == [
        ("holiday", "không có ngày nghỉ lễ tự động mã 'le-2026-05-01' (trong tệp hay trong cơ sở dữ liệu)"),
        ("holiday", "không có ngày nghỉ lễ tự động mã 'le-2026-12-25' (trong tệp hay trong cơ sở dữ liệu)")]
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Plan)) == 0
