"""Shared fixtures: an app on a fresh database per test (SQLite in memory, or PostgreSQL when
PLANNER_TEST_DATABASE_URL is set), the demo library imported, users, and a logged-in client."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _per_worker_database(url: str | None) -> str | None:
    """Under pytest-xdist (`-n 2`) every worker gets its own PostgreSQL database, `<name>_<worker>`, created
    when missing: the tests drop and create every table, so two workers must never share one. The variable is
    rewritten too, so subprocesses and modules that read it see the worker's database."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = f"{parsed.database}_{worker}"
    import psycopg

    with psycopg.connect(host=parsed.host, port=parsed.port, user=parsed.username, password=parsed.password,
                         dbname=parsed.database, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')
    worker_url = parsed.set(database=name).render_as_string(hide_password=False)
    os.environ["PLANNER_TEST_DATABASE_URL"] = worker_url
    return worker_url


PG_URL = _per_worker_database(os.environ.get("PLANNER_TEST_DATABASE_URL"))


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashes():
    """Every test's demo users are hashed anew; scrypt at its production cost (N=2^15) made that about a
    second per test. Still scrypt, with N=2^11: what is tested is the flow, not the cost (set in planner.auth)."""
    from planner import auth

    auth.HASH_METHOD = "scrypt:2048:8:1"
    yield


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if PG_URL:
        return PG_URL
    return "sqlite://"


@pytest.fixture()
def app(database_url, tmp_path):
    from planner import create_app
    from planner.db import Base

    os.environ["PLANNER_INSTANCE_PATH"] = str(tmp_path / "instance")
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "test-secret", "TESTING": True,
                      "DEMO_PASSWORD": "pw-test-123", "WORKER_INTERVAL_SECONDS": 1,
                      "API_CHECK_RESPONSES": True})
    engine = app.extensions["planner_db"].engine
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    yield app
    app.extensions["planner_db"].session().close()
    Base.metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture()
def db(app):
    """A session on the test database. No app context is kept pushed: requests must get their own."""
    session = app.extensions["planner_db"].session()
    yield session
    session.close()


@pytest.fixture()
def demo(app, db):
    """The real content library and schedules imported, plus the demo users."""
    from planner.db import utcnow
    from planner.operations.importing import import_paths

    import_paths(db, [ROOT / "content_library", ROOT / "schedules"], now=utcnow())
    db.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "demo"])
    assert result.exit_code == 0, result.output
    return db


@pytest.fixture()
def login(app, demo):
    """login('vanhoa') → a test client logged in as that demo user."""

    def _login(username: str):
        client = app.test_client()
        page = client.get("/login")
        token = csrf_from(page.get_data(as_text=True))
        resp = client.post("/login", data={"username": username, "password": "pw-test-123", "csrf_token": token})
        assert resp.status_code == 302, resp.get_data(as_text=True)
        return client

    return _login


def csrf_from(html: str) -> str:
    """The CSRF token in a rendered page."""
    import re

    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)
