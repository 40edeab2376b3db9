"""Double submits at the same moment (threads, separate connections: PostgreSQL or a SQLite file):
the same form sent twice at once schedules one post and starts one generation."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from planner import localtime
from planner.db import utcnow
from planner.models import Occurrence, ScheduleRun
from tests.app import factories as f
from tests.app.test_concurrency_generation import _in_threads
from tests.app.test_idempotency import approved_fanpage_message, once_from, post_form
from tests.conftest import PG_URL, csrf_from


@pytest.fixture()
def database_url(tmp_path):
    return PG_URL or f"sqlite:///{tmp_path / 'submit.db'}"


def _twin(app, client):
    """A second browser tab: another client with the same session cookie."""
    twin = app.test_client()
    twin.set_cookie("session", client.get_cookie("session").value)
    return twin


def test_post_form_sent_twice_at_once_schedules_one_post(app, login, demo):
    editor = login("bientap")
    message = approved_fanpage_message(demo)
    data = post_form(demo, editor, message)
    clients = [editor, _twin(app, editor)]
    responses = _in_threads(2, lambda i: clients[i].post(f"/messages/{message.id}/place", data=data))
    assert [r.status_code for r in responses] == [302, 302], responses
    demo.expire_all()
    assert demo.scalar(select(func.count()).select_from(Occurrence)) == 1


def test_generate_form_sent_four_times_at_once_starts_one_run(app, login, demo):
    app.config["SCHEDULE_LOCK_WAIT_SECONDS"] = 60
    officer = login("vanhoa")
    plan = f.plan(demo, "ngoc-lac-asxh-2026")
    page = officer.get(f"/plans/{plan.id}/schedule").get_data(as_text=True)
    start = localtime.today(utcnow()) + dt.timedelta(days=1)
    data = {"csrf_token": csrf_from(page), "once": once_from(page), "unit": f.user(demo, "vanhoa").unit_id,
            "channel": "loudspeaker", "start": localtime.fmt_date(start),
            "end": localtime.fmt_date(start + dt.timedelta(days=13))}
    clients = [officer] + [_twin(app, officer) for _ in range(3)]
    responses = _in_threads(4, lambda i: clients[i].post(f"/plans/{plan.id}/schedule", data=data))
    assert all(r.status_code == 302 for r in responses), [getattr(r, "status_code", r) for r in responses]
    assert len({r.headers["Location"] for r in responses}) == 1
    demo.expire_all()
    run = demo.scalar(select(ScheduleRun))
    assert demo.scalar(select(func.count()).select_from(ScheduleRun)) == 1
    assert demo.scalar(select(func.count()).select_from(Occurrence)) == run.placed > 0
