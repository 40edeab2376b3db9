"""Migrations are the only way the schema changes: they form one line and build exactly the models' schema."""
from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

PG_URL = os.environ.get("PLANNER_TEST_DATABASE_URL")


def _schema_diff(url: str) -> list:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import planner.models  # noqa: F401
    from planner.db import Base, upgrade_database

    upgrade_database(url)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def test_migrations_have_a_single_head():
    from alembic.script import ScriptDirectory

    from planner.db import alembic_config

    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, f"several migration heads: {heads}"


def test_migrations_build_the_models_schema_on_sqlite(tmp_path):
    assert _schema_diff(f"sqlite:///{tmp_path / 'm.db'}") == []


def test_migrations_build_the_models_schema_on_postgresql(app):
    """On PostgreSQL (when configured) the same check runs on the test database, emptied first."""
    if not PG_URL:
        pytest.skip("PLANNER_TEST_DATABASE_URL not set")
    from planner.db import Base

    engine = app.extensions["planner_db"].engine
    Base.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    try:
        assert _schema_diff(PG_URL) == []
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
