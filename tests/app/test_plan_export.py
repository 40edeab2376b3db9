"""Exporting a plan as a library bundle: `planner import` reads it back into an identical plan."""
from __future__ import annotations

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, selectinload

from planner.db import Base, utcnow
from planner.models import Message, MessageVersion, Plan, PlanStatus
from planner.models.indicators import Indicator
from planner.operations.importing import import_paths
from planner.operations.plan_export import export_plan


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
