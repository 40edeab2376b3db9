"""The plans API: the same actions as the pages, with the same checks and JSON 4xx for bad input."""
from __future__ import annotations

import io
import zipfile

from sqlalchemy import func, select

from planner.models import Message, Plan, PlanStatus
from tests.app import factories as f
from tests.app.test_api import api  # noqa: F401 — the bearer-token client fixture

NGOC_LAC = "ngoc-lac-asxh-2026"


def _doc(**overrides) -> dict:
    return {"code": "xa-ngoc-lac-api-2027", "number": "20/KH-UBND", "issuer": "UBND xã Ngọc Lặc",
            "unit": "xa-ngoc-lac", "place": "Ngọc Lặc", "title": "Kế hoạch qua API", "starts_on": "01/06/2027",
            "audiences": [{"code": "nguoi-dan", "name": "Người dân"}], "channels": ["loudspeaker"],
            "details": {"deadlines": [{"what": "Sơ kết", "due": "30/06/2027", "unit": "xa-ngoc-lac"}]}} | overrides


def test_api_creates_edits_and_moves_a_plan_through_its_life_cycle(api, demo):
    client = api("vanhoa")
    resp = client.post("/plans", json=_doc())
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "draft" and resp.headers["Location"].endswith(f"/plans/{body['id']}")
    edited = client.patch(f"/plans/{body['id']}", json={"title": "Tên mới", "details": {"purposes": ["A"]}})
    assert edited.status_code == 200 and edited.get_json()["title"] == "Tên mới"
    assert edited.get_json()["details"]["deadlines"][0]["due"] == "30/06/2027"     # other details keys kept
    doc = client.get(f"/plans/{body['id']}/document").get_json()
    assert doc["details"]["purposes"] == ["A"] and doc["starts_on"] == "01/06/2027"
    assert client.post(f"/plans/{body['id']}/status", json={"status": "archived"}).status_code == 409
    assert client.post(f"/plans/{body['id']}/status", json={"status": "active"}).get_json()["status"] == "active"
    assert client.post(f"/plans/{body['id']}/status", json={"status": "closed"}).status_code == 200
    closed = client.patch(f"/plans/{body['id']}", json={"title": "Không được"})
    assert closed.status_code == 409 and closed.get_json()["error"]["code"] == "plan_conflict"
    assert client.client.delete(f"/api/v1/plans/{body['id']}", headers=client.headers).status_code == 204
    assert f.plan(demo, "xa-ngoc-lac-api-2027") is None


def test_api_bad_plan_document_is_a_400_naming_each_field_and_writes_nothing(api, demo):
    client = api("vanhoa")
    before = demo.scalar(select(func.count()).select_from(Plan))
    resp = client.post("/plans", json=_doc(starts_on="2027-06-01", channels=["fax"], audiences="nguoi-dan",
                                           details={"indicators": [{"name": "X", "target": "nhiều"}]}))
    assert resp.status_code == 400
    fields = resp.get_json()["error"]["fields"]
    assert {"starts_on", "channels[1]", "audiences", "details.indicators[1].target"} <= set(fields), fields
    assert client.post("/plans", json=["không phải đối tượng"]).status_code == 400
    assert client.post("/plans", data="x", content_type="text/plain").status_code == 415
    assert demo.scalar(select(func.count()).select_from(Plan)) == before


def test_api_keeps_unit_scoping_and_roles(api, demo):
    officer = api("vanhoa")
    other = f.plan(demo, "bhxh-2728-2023")
    assert officer.post("/plans", json=_doc(unit="bhxh-viet-nam")).status_code == 400
    assert officer.patch(f"/plans/{other.id}", json={"title": "x"}).status_code in (403, 404)
    assert officer.post(f"/plans/{other.id}/status", json={"status": "closed"}).status_code in (403, 404)
    assert api("giamsat").post("/plans", json=_doc()).status_code == 403
    assert f.plan(demo, "bhxh-2728-2023").status is PlanStatus.ACTIVE


def test_api_copy_export_and_retire(api, demo):
    client = api("vanhoa")
    source = f.plan(demo, NGOC_LAC)
    bad = client.post(f"/plans/{source.id}/copy", json={"code": "Sai Mã", "starts_on": "32/01/2027"})
    assert bad.status_code == 400 and set(bad.get_json()["error"]["fields"]) == {"code", "starts_on"}
    copied = client.post(f"/plans/{source.id}/copy", json={"code": "ngoc-lac-2027", "starts_on": "05/03/2027"})
    assert copied.status_code == 201 and copied.get_json()["starts_on"] == "2027-03-05"
    zipped = client.get(f"/plans/{source.id}/export")
    assert zipped.status_code == 200 and "units.yaml" in zipfile.ZipFile(io.BytesIO(zipped.data)).namelist()
    message = f.message(demo, NGOC_LAC, "loa-loi-ich")
    retired = client.post(f"/messages/{message.id}/retire")
    assert retired.status_code == 200 and retired.get_json()["retired_at"]
    assert client.post(f"/messages/{message.id}/retire").status_code == 409
    demo.expire_all()
    assert demo.get(Message, message.id).retired_at is not None
