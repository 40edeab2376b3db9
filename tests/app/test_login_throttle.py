"""Login throttling counts guesses, not people: per username+address, per address, per known browser."""
from __future__ import annotations

import datetime as dt
import os
import threading

import pytest

from planner.db import utcnow
from tests.conftest import PG_URL, csrf_from

PASSWORD = "pw-test-123"


def post_login(client, username, password, addr="10.0.0.1"):
    csrf = csrf_from(client.get("/login", environ_base={"REMOTE_ADDR": addr}).get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": csrf},
                       environ_base={"REMOTE_ADDR": addr})


def test_growing_delays_after_the_free_guesses(app, db):
    from planner.login_throttle import Policy, reserve

    policy = Policy(free=3, base_seconds=30, max_seconds=100, forget_seconds=3600)
    now = utcnow()
    assert [reserve(db, "k", policy, now) for _ in range(4)] == [True, True, True, False]
    assert not reserve(db, "k", policy, now + dt.timedelta(seconds=29))
    assert reserve(db, "k", policy, now + dt.timedelta(seconds=31))       # 4th guess, next wait 60 s
    assert not reserve(db, "k", policy, now + dt.timedelta(seconds=31 + 59))
    assert reserve(db, "k", policy, now + dt.timedelta(seconds=31 + 61))  # 5th guess, next wait capped at 100 s
    later = now + dt.timedelta(seconds=92 + 99)
    assert not reserve(db, "k", policy, later)
    assert reserve(db, "k", policy, later + dt.timedelta(hours=2))        # forgotten after an hour of quiet


def test_strangers_guessing_a_password_do_not_lock_out_its_owner(app, demo):
    owner = app.test_client()
    assert post_login(owner, "duyet", PASSWORD, addr="10.0.0.7").status_code == 302
    owner.post("/logout", data={"csrf_token": csrf_from(owner.get("/").get_data(as_text=True))})
    attacker = app.test_client()
    for _ in range(5):
        assert post_login(attacker, "duyet", "sai-mat-khau", addr="203.0.113.9").status_code == 401
    refused = post_login(attacker, "duyet", PASSWORD, addr="203.0.113.9")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    # The same attacker address sharing the office NAT does not matter for a browser that logged in before …
    resp = post_login(owner, "duyet", PASSWORD, addr="203.0.113.9")
    assert resp.status_code == 302
    # … and the owner is told about the failed guesses.
    page = owner.get("/").get_data(as_text=True)
    assert "Có 5 lần nhập sai mật khẩu" in page
    # A colleague at another address is not locked out either.
    assert post_login(app.test_client(), "duyet", PASSWORD, addr="10.0.0.8").status_code == 302


def test_one_address_guessing_many_accounts_is_slowed_down(app, demo):
    app.config["LOGIN_ADDRESS_MAX_FAILURES"] = 6
    client = app.test_client()
    answers = [post_login(client, name, "sai-mat-khau", addr="198.51.100.4").status_code
               for name in ("admin", "vanhoa", "bientap", "duyet", "inan", "giamsat", "admin")]
    assert answers == [401] * 6 + [429]
    assert post_login(client, "admin", PASSWORD, addr="198.51.100.5").status_code == 302


def test_behind_an_unconfigured_proxy_the_proxy_address_is_not_locked(app, demo):
    app.config["LOGIN_ADDRESS_MAX_FAILURES"] = 3
    client = app.test_client()
    headers = {"X-Forwarded-For": "203.0.113.1"}
    for name in ("admin", "vanhoa", "bientap", "duyet"):
        csrf = csrf_from(client.get("/login").get_data(as_text=True))
        resp = client.post("/login", data={"username": name, "password": "sai", "csrf_token": csrf}, headers=headers)
        assert resp.status_code == 401
    assert post_login(app.test_client(), "inan", PASSWORD, addr="127.0.0.1").status_code == 302


def test_proxy_hops_take_the_client_address_from_x_forwarded_for(database_url, tmp_path, monkeypatch):
    from planner import create_app

    monkeypatch.setenv("PLANNER_INSTANCE_PATH", str(tmp_path / "p"))
    proxied = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "s", "PROXY_HOPS": 1})
    seen = {}

    @proxied.get("/__addr")
    def _addr():
        from flask import request
        seen["addr"] = request.remote_addr
        return "ok"

    proxied.test_client().get("/__addr", headers={"X-Forwarded-For": "198.51.100.77"},
                              environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert seen["addr"] == "198.51.100.77"


@pytest.fixture()
def file_app(tmp_path, monkeypatch):
    """An app on a database several threads can share: PostgreSQL when configured, else a SQLite file."""
    from planner import create_app
    from planner.db import Base

    monkeypatch.setenv("PLANNER_INSTANCE_PATH", str(tmp_path / "instance"))
    url = PG_URL or f"sqlite:///{tmp_path / 'threads.db'}"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "test-secret", "TESTING": True,
                      "DEMO_PASSWORD": PASSWORD})
    engine = app.extensions["planner_db"].engine
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    yield app
    Base.metadata.drop_all(engine)
    engine.dispose()


def test_forty_parallel_guesses_get_no_more_checks_than_the_limit(file_app, monkeypatch):
    from planner import auth
    from planner.models import Role, Unit, UnitKind, User

    session = file_app.extensions["planner_db"].session()
    unit = Unit(code="u", name="U", kind=UnitKind.COUNTRY, path="/1/")
    session.add_all([unit, User(username="duyet", full_name="D", password_hash=auth.hash_password(PASSWORD),
                                role=Role.APPROVER, unit=unit)])
    session.commit()
    session.close()
    checks, lock = [], threading.Lock()
    real_check = auth.check_password_hash

    def counting_check(hashed, password):
        with lock:
            checks.append(password)
        return real_check(hashed, password)

    monkeypatch.setattr(auth, "check_password_hash", counting_check)
    statuses, barrier = [], threading.Barrier(40)

    def guess(i):
        client = file_app.test_client()
        barrier.wait()
        resp = client.post("/api/v1/tokens", json={"username": "duyet", "password": f"sai-{i}"})
        with lock:
            statuses.append(resp.status_code)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(checks) <= file_app.config["LOGIN_MAX_FAILURES"], len(checks)
    assert statuses.count(401) == len(checks) and len(statuses) == 40
    assert set(statuses) <= {401, 429, 503}
