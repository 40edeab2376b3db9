"""Importing the library: idempotent, and a bad file stops everything with file, line and reason."""
from __future__ import annotations

import shutil

from sqlalchemy import func, select

from planner.models import Message, Unit
from tests.conftest import ROOT


def _count(db, model):
    return db.scalar(select(func.count()).select_from(model))


def test_import_twice_changes_nothing_the_second_time(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["import", str(ROOT / "content_library"), str(ROOT / "schedules")])
    assert first.exit_code == 0, first.output
    assert "unit.created: 58" in first.output
    second = runner.invoke(args=["import", str(ROOT / "content_library"), str(ROOT / "schedules")])
    assert second.exit_code == 0 and "không có thay đổi" in second.output


def test_bad_library_is_refused_with_file_line_and_reason_and_nothing_is_written(app, db, tmp_path):
    lib = tmp_path / "content_library"
    shutil.copytree(ROOT / "content_library", lib)
    script = lib / "plans" / "ngoc-lac-asxh-2026" / "messages" / "loa-loi-ich.md"
    text = script.read_text(encoding="utf-8")
    script.write_text(text.replace("audience: nguoi-dan", "audience: nguoi-ngoai-hanh-tinh", 1), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import", str(lib), str(ROOT / "schedules")])
    assert result.exit_code == 1
    assert "loa-loi-ich.md:" in result.output and "nguoi-ngoai-hanh-tinh" in result.output
    assert _count(db, Unit) == 0 and _count(db, Message) == 0


def test_villages_csv_can_be_replaced_by_the_commune(app, db, tmp_path):
    runner = app.test_cli_runner()
    runner.invoke(args=["import", str(ROOT / "content_library"), str(ROOT / "schedules")])
    csv = tmp_path / "thon.csv"
    csv.write_text("code,name,parent_code\nthon-01,Thôn Minh Sơn,xa-ngoc-lac\nthon-43,Thôn Mới,xa-ngoc-lac\n",
                   encoding="utf-8")
    result = runner.invoke(args=["import", str(csv)])
    assert result.exit_code == 0, result.output
    names = set(db.scalars(select(Unit.name).where(Unit.code.in_(["thon-01", "thon-43"]))))
    assert names == {"Thôn Minh Sơn", "Thôn Mới"}
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,parent_code\nthon-44,Thôn 44,xa-khong-co\n", encoding="utf-8")
    result = runner.invoke(args=["import", str(bad)])
    assert result.exit_code == 1 and "xa-khong-co" in result.output


def test_demo_history_fills_past_weeks_once(app, demo, db):
    from planner.db import utcnow
    from planner.models import Delivery, DeliveryStatus, Occurrence

    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo-history"])
    assert first.exit_code == 0 and "lượt phát đã qua" in first.output
    past = db.scalar(select(func.count()).select_from(Occurrence).where(Occurrence.starts_at < utcnow()))
    assert past > 0
    statuses = set(db.scalars(select(Delivery.status).distinct()))
    assert {DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.MISSED} <= statuses
    second = runner.invoke(args=["demo-history"])
    assert "đã có lịch sử" in second.output
    assert db.scalar(select(func.count()).select_from(Occurrence).where(Occurrence.starts_at < utcnow())) == past


def test_reimport_retires_messages_whose_file_was_deleted_and_says_so(app, db, tmp_path):
    lib = tmp_path / "content_library"
    shutil.copytree(ROOT / "content_library", lib)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["import", str(lib), str(ROOT / "schedules")]).exit_code == 0
    (lib / "plans" / "ngoc-lac-asxh-2026" / "messages" / "loa-loi-ich.md").unlink()
    result = runner.invoke(args=["import", str(lib), str(ROOT / "schedules")])
    assert result.exit_code == 0, result.output
    assert "message.retired: 1" in result.output and "Đã ngừng dùng 1 tin" in result.output
    gone = db.scalar(select(Message).where(Message.code == "loa-loi-ich"))
    assert gone is not None and gone.retired_at is not None      # kept in history, not deleted
    assert db.scalar(select(func.count()).select_from(Message).where(Message.retired_at.is_not(None))) == 1
    third = runner.invoke(args=["import", str(lib), str(ROOT / "schedules")])
    assert "không có thay đổi" in third.output
