"""Indicators, results and the drill-down dashboard through the JSON API."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from planner import localtime
from planner.db import utcnow
from planner.models import AuditEntry, Indicator, IndicatorResult
from tests.app.test_api import api, assert_error, plan_id, unit_id  # noqa: F401 — `api` is a fixture

NL = "ngoc-lac-asxh-2026"


def _indicator(db, code: str = "tich-hop-asxh") -> Indicator:
    return db.scalar(select(Indicator).join(Indicator.plan).where(Indicator.code == code))


def _today() -> dt.date:
    return localtime.today(utcnow())


def test_plan_indicators_are_listed_with_measure_target_and_level(api, demo):
    items = api("giamsat").get(f"/plans/{plan_id(demo, NL)}/indicators").get_json()["items"]
    first = items[0]
    assert (first["code"], first["measure"], first["target"], first["level"]) == ("tich-hop-asxh", "percentage",
                                                                                  100, "village")
    assert first["deadline"] == "2026-04-15" and first["denominator"] == "Số công dân đủ điều kiện tích hợp"
    assert [i["code"] for i in items][-1] == "to-huong-dan"


def test_a_result_is_recorded_and_a_correction_keeps_the_old_figure(api, demo):
    officer, ind = api("vanhoa"), _indicator(demo)
    village = unit_id(demo, "thon-07")
    on = (_today() - dt.timedelta(days=1)).isoformat()
    first = officer.post(f"/indicators/{ind.id}/results", json={"unit_id": village, "on": on, "value": 120,
                                                                "denominator": 200})
    assert first.status_code == 201, first.get_data(as_text=True)
    again = officer.post(f"/indicators/{ind.id}/results", json={"unit_id": village, "on": on, "value": "130",
                                                                "denominator": "200"})
    assert again.status_code == 201
    history = officer.get(f"/indicators/{ind.id}/results?unit={village}").get_json()["items"]
    assert [(h["value"], h["replaced_by_id"]) for h in history] == [(130, None), (120, again.get_json()["id"])]
    current = demo.scalars(select(IndicatorResult).where(IndicatorResult.replaced_at.is_(None))).all()
    assert [r.value for r in current] == [130]
    actions = demo.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "indicator_results")).all()
    assert sorted(actions) == ["indicator_result.correct", "indicator_result.record"]


def test_bad_results_are_refused_field_by_field_and_nothing_is_written(api, demo):
    officer, ind = api("vanhoa"), _indicator(demo)
    village, commune = unit_id(demo, "thon-07"), unit_id(demo, "xa-ngoc-lac")
    url = f"/indicators/{ind.id}/results"
    yesterday = (_today() - dt.timedelta(days=1)).isoformat()
    assert_error(officer.post(url, json={"unit_id": village, "on": yesterday, "value": 5}), 400, "denominator")
    assert_error(officer.post(url, json={"unit_id": village, "on": yesterday, "value": 50, "denominator": 40}), 400,
                 "value")
    assert_error(officer.post(url, json={"unit_id": commune, "on": yesterday, "value": 5, "denominator": 9}), 400,
                 "unit_id")
    tomorrow = (_today() + dt.timedelta(days=1)).isoformat()
    assert_error(officer.post(url, json={"unit_id": village, "on": tomorrow, "value": 5, "denominator": 9}), 400, "on")
    assert_error(officer.post(url, json={"unit_id": village, "on": "07/04/2026", "value": 5, "denominator": 9}), 400,
                 "on")
    assert_error(officer.post(url, json={"unit_id": unit_id(demo, "bhxh-tap-chi"), "on": yesterday, "value": 1,
                                         "denominator": 2}), 400, "unit_id")
    assert_error(api("duyet").post(url, json={"unit_id": village, "on": yesterday, "value": 1, "denominator": 2}), 403)
    other = _other_village(demo)
    assert_error(api("giamsat").post(url, json={"unit_id": other, "on": yesterday, "value": 1, "denominator": 2}), 403)
    admin = api("admin")
    resp = admin.post(url, json={"unit_id": other, "on": yesterday, "value": 1, "denominator": 2})
    assert_error(resp, 400, "unit_id")
    assert "không thuộc địa bàn" in resp.get_json()["error"]["fields"]["unit_id"]
    assert demo.scalar(select(IndicatorResult)) is None


def _other_village(db) -> int:
    """A village of another commune of the province (outside the Ngọc Lặc plan)."""
    from planner.models import Unit, UnitKind

    province = db.scalar(select(Unit).where(Unit.code == "tinh-thanh-hoa"))
    commune = Unit(code="xa-khac", name="Xã Khác", kind=UnitKind.COMMUNE, parent=province)
    db.add(commune)
    db.flush()
    commune.path = f"{province.path}{commune.id:08d}/"
    village = Unit(code="xa-khac-thon-1", name="Thôn 1", kind=UnitKind.VILLAGE, parent=commune)
    db.add(village)
    db.flush()
    village.path = f"{commune.path}{village.id:08d}/"
    db.commit()
    return village.id


def test_units_are_listed_in_scope_filtered_by_kind_and_parent_in_vietnamese_order(api, demo):
    officer = api("vanhoa")
    villages = officer.get(f"/units?kind=village&parent={unit_id(demo, 'xa-ngoc-lac')}").get_json()["items"]
    names = [u["name"] for u in villages]
    assert len(names) == 42 and names[:3] == ["Thôn 1", "Thôn 2", "Thôn 3"] and names[-1] == "Thôn 42"
    assert all(u["code"] != "bhxh-tap-chi" for u in officer.get("/units").get_json()["items"])
    assert_error(officer.get("/units?kind=district"), 400, "kind")


def test_dashboard_drills_from_the_province_to_the_villages_furthest_behind_first(api, demo):
    officer, supervisor, ind = api("vanhoa"), api("giamsat"), _indicator(demo)
    on = (_today() - dt.timedelta(days=1)).isoformat()
    for code, linked, eligible in (("thon-02", 180, 200), ("thon-10", 20, 200), ("thon-03", 100, 200)):
        resp = officer.post(f"/indicators/{ind.id}/results", json={"unit_id": unit_id(demo, code), "on": on,
                                                                   "value": linked, "denominator": eligible})
        assert resp.status_code == 201
    plan = plan_id(demo, NL)
    top = supervisor.get(f"/plans/{plan}/dashboard").get_json()
    assert [r["unit"]["code"] for r in top["rows"]] == ["tinh-thanh-hoa"]
    province = supervisor.get(f"/plans/{plan}/dashboard?unit={unit_id(demo, 'tinh-thanh-hoa')}").get_json()
    commune_row = next(r for r in province["rows"] if r["unit"]["code"] == "xa-ngoc-lac")
    assert commune_row["indicators"][0]["measure"] == 50.0 and commune_row["has_children"]
    commune = supervisor.get(f"/plans/{plan}/dashboard?unit={unit_id(demo, 'xa-ngoc-lac')}").get_json()
    with_results = [r["unit"]["code"] for r in commune["rows"] if r["indicators"][0]["value"] is not None]
    assert with_results == ["thon-10", "thon-03", "thon-02"]
    assert commune["rows"][0]["indicators"][0]["value"] is None  # villages without a figure yet come first
    assert commune["total"]["indicators"][0]["measure"] == 50.0
    assert set(commune["rows"][0]) >= {"broadcasts", "posts_published", "leaflets_delivered"}
    assert_error(officer.get(f"/plans/{plan}/dashboard?unit={unit_id(demo, 'tinh-thanh-hoa')}"), 404)
    assert_error(supervisor.get(f"/plans/{plan}/dashboard?from=31/02/2026"), 400)
