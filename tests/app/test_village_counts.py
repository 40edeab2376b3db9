"""`planner import villages.csv` stores households and population on the village; a bad column writes nothing."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from planner.models import Unit

ROOT = Path(__file__).resolve().parents[2]


def test_village_csv_import_stores_households_and_population_and_refuses_unknown_columns(app, db, tmp_path):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["import", str(ROOT / "content_library"), str(ROOT / "schedules")]).exit_code == 0
    good = tmp_path / "thon.csv"
    good.write_text("code,name,parent_code,households,population\nthon-01,Thôn 1,xa-ngoc-lac,215,870\n",
                    encoding="utf-8")
    result = runner.invoke(args=["import", str(good)])
    assert result.exit_code == 0, result.output
    unit = db.scalar(select(Unit).where(Unit.code == "thon-01"))
    assert (unit.households, unit.population) == (215, 870)
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,parent_code,households,so_khau\nthon-01,Thôn 1,xa-ngoc-lac,300,1\n", encoding="utf-8")
    result = runner.invoke(args=["import", str(bad)])
    assert result.exit_code == 1 and "so_khau" in result.output and "bad.csv" in result.output
    db.expire_all()
    assert db.scalar(select(Unit.households).where(Unit.code == "thon-01")) == 215
