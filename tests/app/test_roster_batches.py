"""Roster batches: every village roster of a commune for a period, rendered by the worker with progress,
stored, downloaded from storage; scoping, bad periods, idempotency; the single roster PDF is cached."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, update

from planner import localtime
from planner.auth import issue_token
from planner.db import utcnow
from planner.models import AuditEntry, OccurrenceSource, RosterBatch, Target, Unit, UnitKind, User
from planner.models.rosters import BatchStatus
from planner.worker import tick
from tests.app import factories as f
from tests.conftest import csrf_from

API = "/api/v1"
VILLAGES = ("thon-01", "thon-02", "thon-03")
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


@pytest.fixture()
def commune(demo):
    """Xã Ngọc Lặc with three villages still broadcasting (the others' loudspeakers switched off)."""
    db = demo
    kept = select(Unit.id).where(Unit.code.in_(VILLAGES))
    db.execute(update(Target).where(Target.channel == "loudspeaker", Target.unit_id.not_in(kept))
               .values(is_active=False))
    db.commit()
    return db.scalar(select(Unit).where(Unit.code == "xa-ngoc-lac"))


def week_of_broadcasts(db, village: str, first: dt.date, *, emergency_on: int | None = None):
    """Two sessions a day for 7 days (05:30 and 17:00), one message each; one of them an emergency."""
    target = f.village_target(db, village)
    msg = f.message(db, "ngoc-lac-asxh-2026", "loa-loi-ich")
    for n in range(7):
        for hour, minute in ((5, 30), (17, 0)):
            delivery = f.occurrence(db, target=target, msg=msg,
                                    at=localtime.local_datetime(first + dt.timedelta(days=n), dt.time(hour, minute)))
            if emergency_on == n and hour == 5:
                delivery.occurrence.source = OccurrenceSource.EMERGENCY
                db.commit()


def period(days: int = 14) -> tuple[dt.date, dt.date]:
    first = localtime.today(utcnow()) + dt.timedelta(days=1)
    return first, first + dt.timedelta(days=days - 1)


def ask(client, commune, first, last, *, once_key: str | None = None):
    page = client.get(f"/plans/{commune.plan_id}/roster-batches/new?unit={commune.id}")
    html = page.get_data(as_text=True)
    data = {"csrf_token": csrf_from(html), "unit_id": str(commune.id), "start": localtime.fmt_date(first),
            "end": localtime.fmt_date(last)}
    data["once"] = once_key or re.search(r'name="once" value="([^"]+)"', html).group(1)
    return client.post(f"/plans/{commune.plan_id}/roster-batches/new", data=data)


def run_worker(app):
    return tick(app.extensions["planner_db"], app.config, instance_path=app.instance_path, worker_id="t")


def page_texts(pdf: bytes) -> list[str]:
    """Each page's text through poppler (an independent reader)."""
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return out.decode().split("\f")[:-1]


def village_numbers(text: str) -> set[str]:
    return set(re.findall(r"(?:Thôn|THÔN) (\d+)\b", text))


@pytest.fixture()
def plan(db):
    return f.plan(db, "ngoc-lac-asxh-2026")


@pytest.fixture()
def asked(commune, plan):
    """The commune and the plan its rosters are asked for."""
    return SimpleNamespace(id=commune.id, plan_id=plan.id)


@needs_poppler
@pytest.mark.parametrize("processes", [1, 2])  # drawn in the worker (the default) or in its render processes
def test_commune_batch_prints_every_village_week_on_its_own_page_with_progress(app, login, db, asked, processes):
    first, last = period(14)
    week_of_broadcasts(db, "thon-01", first, emergency_on=2)
    week_of_broadcasts(db, "thon-02", first + dt.timedelta(days=7))
    app.config["ROSTER_BATCH_CHUNK"] = 2  # the commune PDF joins two drawn documents
    app.config["ROSTER_BATCH_PROCESSES"] = processes
    client = login("vanhoa")
    calendar = client.get(f"/plans/{asked.plan_id}/calendar?unit={asked.id}").get_data(as_text=True)
    assert "In lịch phát cả xã" in calendar
    resp = ask(client, asked, first, last)
    assert resp.status_code == 302
    status = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Đã in 0/3 thôn" in status and 'data-refresh-seconds="2"' in status and "<script>" not in status
    batch = db.scalar(select(RosterBatch))
    assert batch.status is BatchStatus.QUEUED and batch.villages_total == 3

    assert run_worker(app)["roster_batches"] == 1
    db.expire_all()
    batch = db.get(RosterBatch, batch.id)
    assert batch.status is BatchStatus.DONE and batch.villages_done == 3 and batch.pdf_pages == 3 * 2
    done = client.get(f"/roster-batches/{batch.id}").get_data(as_text=True)
    assert "data-refresh-seconds" not in done and "Tải PDF cả xã" in done
    pdf = client.get(f"/roster-batches/{batch.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["ETag"].strip('"') == hashlib.sha256(pdf.data).hexdigest() == batch.pdf_sha256
    assert int(pdf.headers["Content-Length"]) == len(pdf.data)
    pages = page_texts(pdf.data)
    assert len(pages) == 6
    assert [village_numbers(text) for text in pages] == [{"1"}, {"1"}, {"2"}, {"2"}, {"3"}, {"3"}]
    for text in pages:  # the signature never alone: it shares its page with broadcast rows (or "none")
        assert "TRƯỞNG THÔN" in text and "Đã phát (ký)" in text
        assert re.search(r"\d\d:\d\d–\d\d:\d\d", text) or "Chưa có buổi phát nào" in text
    assert "[Tin khẩn]" in pages[0] and "[Tin khẩn]" not in pages[2]
    assert "Chưa có buổi phát nào" in pages[1] and "Chưa có buổi phát nào" in pages[4]
    if shutil.which("pdffonts"):  # fonts embedded as subsets, each subset with its own tag in the joined file
        fonts = subprocess.run(["pdffonts", "-"], input=pdf.data, capture_output=True, check=True).stdout.decode()
        rows = [line.split() for line in fonts.splitlines()[2:]]
        assert rows and all(row[-5:-2] == ["yes", "yes", "yes"] and "+Liberation" in row[0] for row in rows)
        assert len({row[0] for row in rows}) == len(rows)

    archive = client.get(f"/roster-batches/{batch.id}.zip")
    assert archive.status_code == 200 and archive.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.data)) as z:
        names = z.namelist()
        assert names == ["01-thon-1.pdf", "02-thon-2.pdf", "03-thon-3.pdf"]
        for number, name in enumerate(names, start=1):
            one = z.read(name)
            texts = page_texts(one)
            assert len(texts) == 2 and all(village_numbers(t) == {str(number)} for t in texts)
    stored = Path(app.instance_path, "rosters")
    assert sorted(p.name for p in stored.iterdir()) == sorted([batch.pdf_file, batch.zip_file])
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in stored.iterdir())


def test_downloads_come_from_storage_never_rendered_again(app, login, db, asked, monkeypatch):
    first, last = period(7)
    week_of_broadcasts(db, "thon-01", first)
    client = login("vanhoa")
    ask(client, asked, first, last)
    run_worker(app)
    batch = db.scalar(select(RosterBatch))
    from planner import printing

    def no_render(*_a, **_k):
        raise AssertionError("rendered again")

    monkeypatch.setattr(printing, "render_roster_villages", no_render)
    one, two = client.get(f"/roster-batches/{batch.id}.pdf"), client.get(f"/roster-batches/{batch.id}.pdf")
    assert one.status_code == two.status_code == 200 and one.data == two.data
    again = client.get(f"/roster-batches/{batch.id}.pdf", headers={"If-None-Match": one.headers["ETag"]})
    assert again.status_code == 304


def test_single_village_roster_pdf_is_rendered_by_the_worker_once_per_content(app, login, db, monkeypatch):
    first, last = period(7)
    week_of_broadcasts(db, "thon-07", first)
    target = f.village_target(db, "thon-07")
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    client = login("vanhoa")
    url = (f"/plans/{plan.id}/targets/{target.id}/roster.pdf?start={localtime.fmt_date(first)}"
           f"&end={localtime.fmt_date(last)}")
    from planner import printing

    real, calls = printing.render_roster_villages, []

    def counting(*a, **k):
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(printing, "render_roster_villages", counting)
    asked = client.get(url)  # the first download is queued for the worker, never rendered in the request
    assert asked.status_code == 302 and calls == []
    follow = asked.headers["Location"]
    waiting = client.get(follow).get_data(as_text=True)
    assert "Lịch phát thôn · Thôn 7" in waiting and 'data-refresh-seconds="2"' in waiting and "Đã in 0/1 thôn" in waiting
    again = client.get(url)  # asked again before the worker came: the same queued roster
    assert again.headers["Location"] == follow and db.scalar(select(func.count()).select_from(RosterBatch)) == 1
    assert run_worker(app)["roster_batches"] == 1 and len(calls) == 1
    done = client.get(follow).get_data(as_text=True)
    assert "data-refresh-seconds" not in done and "Tải PDF lịch phát" in done and "ZIP" not in done
    batch = db.scalar(select(RosterBatch))
    db.refresh(batch)
    assert batch.target_id == target.id and batch.pdf_pages == 1
    stored = client.get(f"/roster-batches/{batch.id}.pdf")
    one = client.get(url)  # now served from the content cache, by the page's own link
    assert one.status_code == 200 and one.data.startswith(b"%PDF") and one.headers.get("ETag")
    assert one.data == stored.data and hashlib.sha256(one.data).hexdigest() == batch.pdf_sha256
    assert "Thôn 7" in page_texts(one.data)[0] if shutil.which("pdftotext") else True
    two = client.get(url)
    assert two.data == one.data and len(calls) == 1
    assert client.get(url, headers={"If-None-Match": one.headers["ETag"]}).status_code == 304
    # Other content (a new broadcast) is a new file: queued again.
    week_of_broadcasts(db, "thon-07", first)
    assert client.get(url).status_code == 302 and len(calls) == 1
    run_worker(app)
    three = client.get(url)
    assert three.status_code == 200 and three.headers["ETag"] != one.headers["ETag"] and len(calls) == 2


def test_single_village_roster_in_the_api_is_202_then_the_file(app, login, db):
    first, last = period(7)
    week_of_broadcasts(db, "thon-03", first)
    target = f.village_target(db, "thon-03")
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    api, headers = app.test_client(), token(db, "vanhoa")
    url = f"{API}/plans/{plan.id}/targets/{target.id}/roster.pdf?first={first.isoformat()}&last={last.isoformat()}"
    bad = api.get(f"{API}/plans/{plan.id}/targets/{target.id}/roster.pdf?first={last}&last={first}", headers=headers)
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "invalid_period"
    queued = api.get(url, headers=headers)
    assert queued.status_code == 202, queued.get_data(as_text=True)
    body = queued.get_json()
    assert body["status"] == "queued" and body["target_id"] == target.id and body["pdf"] is None
    assert queued.headers["Location"].endswith(f"/roster-batches/{body['id']}")
    assert api.get(url, headers=headers).get_json()["id"] == body["id"]  # the same queued roster
    run_worker(app)
    state = api.get(queued.headers["Location"], headers=headers).get_json()
    assert state["status"] == "done" and state["progress"] == {"done": 1, "total": 1} and state["zip"] is None
    stored = api.get(state["pdf"]["url"], headers=headers)
    assert stored.status_code == 200 and hashlib.sha256(stored.data).hexdigest() == state["pdf"]["sha256"]
    cached = api.get(url, headers=headers)
    assert cached.status_code == 200 and cached.mimetype == "application/pdf" and cached.data == stored.data
    assert api.get(url, headers={**headers, "If-None-Match": cached.headers["ETag"]}).status_code == 304
    other = login_free_other_target(db)
    assert api.get(f"{API}/plans/{plan.id}/targets/{other}/roster.pdf?first={first}&last={last}",
                   headers=headers).status_code == 404


def login_free_other_target(db) -> int:
    """A loudspeaker target of a village outside Xã Ngọc Lặc (not in the officer's units)."""
    commune = db.scalar(select(Unit).where(Unit.code == "xa-ngoc-lac"))
    return db.scalar(select(Target.id).join(Unit, Unit.id == Target.unit_id).where(
        Target.channel == "loudspeaker", ~Unit.path.startswith(commune.path)).limit(1))


def test_double_submit_and_same_request_make_one_batch(app, login, db, asked):
    first, last = period(7)
    client = login("vanhoa")
    one = ask(client, asked, first, last, once_key="same-key-123456")
    two = ask(client, asked, first, last, once_key="same-key-123456")
    three = ask(client, asked, first, last)  # a fresh form, same request while the first still waits
    assert one.headers["Location"] == two.headers["Location"] == three.headers["Location"]
    assert db.scalar(select(func.count()).select_from(RosterBatch)) == 1


@pytest.mark.parametrize("start, end, reason", [
    ("10/05/2026", "09/05/2026", "Ngày kết thúc phải sau"),
    ("01/05/2026", "01/08/2026", "tối đa 92 ngày"),
    ("31/02/2026", "05/03/2026", "không hợp lệ"),
])
def test_bad_periods_are_refused_in_vietnamese_and_nothing_is_written(login, db, asked, start, end, reason):
    client = login("vanhoa")
    html = client.get(f"/plans/{asked.plan_id}/roster-batches/new?unit={asked.id}").get_data(as_text=True)
    resp = client.post(f"/plans/{asked.plan_id}/roster-batches/new", data={
        "csrf_token": csrf_from(html), "unit_id": asked.id, "start": start, "end": end, "once": "k-" + start + end})
    assert resp.status_code == 400 and reason in resp.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(RosterBatch)) == 0


def other_commune_officer(db) -> User:
    province = db.scalar(select(Unit).where(Unit.code == "tinh-thanh-hoa"))
    other = Unit(code="xa-khac", name="Xã Khác", kind=UnitKind.COMMUNE, parent=province, path="")
    db.add(other)
    db.flush()
    other.path = f"{province.path}{other.id}/"
    user = User(username="canbokhac", full_name="Cán bộ xã khác", role=f.user(db, "vanhoa").role, unit=other,
                password_hash="!",
                is_active=True)
    db.add(user)
    db.commit()
    return user


def token(db, username: str) -> dict:
    value, _ = issue_token(db, f.user(db, username), now=utcnow(), hours=1)
    db.commit()
    return {"Authorization": f"Bearer {value}"}


def test_other_communes_and_roles_without_confirm_rights_are_refused(app, login, db, asked):
    first, last = period(7)
    vanhoa = login("vanhoa")
    ask(vanhoa, asked, first, last)
    batch = db.scalar(select(RosterBatch))
    other_commune_officer(db)
    api, body = app.test_client(), {"unit_id": asked.id, "first": first.isoformat(), "last": last.isoformat()}
    outsider = token(db, "canbokhac")
    assert api.post(f"{API}/plans/{asked.plan_id}/roster-batches", json=body, headers=outsider).status_code == 404
    assert api.get(f"{API}/roster-batches/{batch.id}", headers=outsider).status_code == 404
    assert api.get(f"{API}/roster-batches/{batch.id}.pdf", headers=outsider).status_code == 404
    supervisor = token(db, "giamsat")  # sees everything, hands out no village links
    assert api.post(f"{API}/plans/{asked.plan_id}/roster-batches", json=body, headers=supervisor).status_code == 403
    assert api.get(f"{API}/roster-batches/{batch.id}", headers=supervisor).status_code == 403
    assert login("giamsat").get(f"/roster-batches/{batch.id}").status_code == 403
    village = db.scalar(select(Unit).where(Unit.code == "thon-01"))
    refused = api.post(f"{API}/plans/{asked.plan_id}/roster-batches", headers=token(db, "vanhoa"),
                       json={**body, "unit_id": village.id})
    assert refused.status_code == 422 and "Chọn một xã" in refused.get_json()["error"]["message"]
    assert db.scalar(select(func.count()).select_from(RosterBatch)) == 1


def test_api_requests_follows_and_downloads_a_batch(app, db, asked):
    first, last = period(7)
    week_of_broadcasts(db, "thon-02", first)
    api, headers = app.test_client(), token(db, "vanhoa")
    url = f"{API}/plans/{asked.plan_id}/roster-batches"
    bad = api.post(url, json={"unit_id": asked.id, "first": last.isoformat(), "last": first.isoformat()},
                   headers=headers)
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "invalid_period"
    assert "Ngày kết thúc" in bad.get_json()["error"]["message"]
    body = {"unit_id": asked.id, "first": localtime.fmt_date(first), "last": last.isoformat()}
    keyed = {**headers, "Idempotency-Key": "roster-batch-key-1"}
    created = api.post(url, json=body, headers=keyed)
    assert created.status_code == 201, created.get_json()
    replay = api.post(url, json=body, headers=keyed)
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    same = api.post(url, json=body, headers=headers)  # no key: the identical queued batch answers
    assert same.status_code == 200 and same.get_json()["id"] == created.get_json()["id"]
    batch_url = created.headers["Location"]
    state = api.get(batch_url, headers=headers).get_json()
    assert state["status"] == "queued" and state["progress"] == {"done": 0, "total": 3} and state["pdf"] is None
    assert api.get(f"{batch_url}.pdf", headers=headers).status_code == 409
    run_worker(app)
    state = api.get(batch_url, headers=headers).get_json()
    assert state["status"] == "done" and state["progress"] == {"done": 3, "total": 3} and state["pages"] == 3
    pdf = api.get(state["pdf"]["url"], headers=headers)
    assert pdf.status_code == 200 and hashlib.sha256(pdf.data).hexdigest() == state["pdf"]["sha256"]
    archive = api.get(state["zip"]["url"], headers=headers)
    assert archive.status_code == 200 and len(zipfile.ZipFile(io.BytesIO(archive.data)).namelist()) == 3
    assert db.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action.in_(("roster_batch.request", "roster_batch.render")))) == 2


@pytest.mark.parametrize("processes", [1, 2])
def test_a_batch_that_cannot_be_printed_says_why(app, login, db, asked, processes):
    first, last = period(7)
    ask(login("vanhoa"), asked, first, last)
    # The worker (1) or its render processes (2) refuse it (a character the bundled fonts lack); the reason
    # comes back to the batch.
    db.scalar(select(Unit).where(Unit.code == "thon-02")).name = "Thôn 2 😀"
    db.commit()
    app.config["ROSTER_BATCH_PROCESSES"] = processes
    run_worker(app)
    batch = db.scalar(select(RosterBatch))
    db.refresh(batch)
    assert batch.status is BatchStatus.FAILED and "U+1F600" in batch.error and not batch.pdf_file
    assert "U+1F600" in login("vanhoa").get(f"/roster-batches/{batch.id}").get_data(as_text=True)


def test_a_batch_left_running_by_a_dead_worker_is_taken_up_again(app, login, db, asked):
    first, last = period(7)
    ask(login("vanhoa"), asked, first, last)
    batch = db.scalar(select(RosterBatch))
    batch.status, batch.villages_done = BatchStatus.RUNNING, 1
    batch.started_at = utcnow() - dt.timedelta(seconds=app.config["ROSTER_BATCH_STALE_SECONDS"] - 60)
    db.commit()
    assert run_worker(app)["roster_batches"] == 0  # still within its worker's time
    batch.started_at = utcnow() - dt.timedelta(seconds=app.config["ROSTER_BATCH_STALE_SECONDS"] + 60)
    db.commit()
    assert run_worker(app)["roster_batches"] == 1
    db.refresh(batch)
    assert batch.status is BatchStatus.DONE and batch.villages_done == 3 and batch.pdf_pages == 3


def test_old_cached_single_rosters_are_pruned_by_the_worker(app, tmp_path):
    import os
    import time

    from planner.operations.roster_batches import prune_single_rosters

    single = tmp_path / "single"
    single.mkdir()
    old, new = single / "a.pdf", single / "b.pdf"
    old.write_bytes(b"%PDF"), new.write_bytes(b"%PDF")
    eight_days = time.time() - 8 * 86400
    os.utime(old, (eight_days, eight_days))
    assert prune_single_rosters(tmp_path, now=utcnow(), days=7) == 1
    assert not old.exists() and new.exists()
