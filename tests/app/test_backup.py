"""`planner backup` then `planner restore` into an empty instance gives back every table row and every file."""
from __future__ import annotations

import stat
from pathlib import Path

from sqlalchemy import select

from tests.conftest import PG_URL, ROOT


def make_app(instance: Path, monkeypatch, url: str | None):
    from planner import create_app

    monkeypatch.setenv("PLANNER_INSTANCE_PATH", str(instance))
    return create_app({"DATABASE_URL": url} if url else {})


def snapshot(app) -> dict:
    from planner.db import Base

    with app.extensions["planner_db"].engine.connect() as conn:
        return {t.name: conn.execute(select(t).order_by(*t.primary_key.columns)).all()
                for t in Base.metadata.sorted_tables}


def files(instance: Path) -> dict:
    return {p.relative_to(instance).as_posix(): p.read_bytes() for p in instance.rglob("*")
            if p.is_file() and not p.name.startswith("planner.db")}


def test_backup_restores_every_table_and_file_into_an_empty_instance(tmp_path, monkeypatch):
    from planner.db import Base, upgrade_database
    from planner.operations.importing import import_paths
    from planner.db import utcnow

    source = make_app(tmp_path / "a", monkeypatch, PG_URL)
    engine = source.extensions["planner_db"].engine
    Base.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    upgrade_database(source.config["DATABASE_URL"])
    session = source.extensions["planner_db"].session()
    import_paths(session, [ROOT / "content_library", ROOT / "schedules"], now=utcnow())
    session.commit()
    session.close()
    runner = source.test_cli_runner()
    assert runner.invoke(args=["users", "demo"]).exit_code == 0
    reports = tmp_path / "a" / "reports"
    reports.mkdir()
    (reports / "bao-cao.pdf").write_bytes(b"%PDF-1.7 report")
    (tmp_path / "a" / "print" / "2026").mkdir(parents=True)
    (tmp_path / "a" / "print" / "2026" / "don-in.pdf").write_bytes(b"%PDF-1.7 order")
    before, before_files = snapshot(source), files(tmp_path / "a")
    assert "secret_key" in before_files and len(before["units"]) > 40 and before["users"]

    archive = tmp_path / "backup.tar.gz"
    result = runner.invoke(args=["backup", "-o", str(archive)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600 and "KHÔNG nằm trong bản sao lưu" in result.output

    if PG_URL:  # one PostgreSQL database for the tests: empty it, then restore into it
        Base.metadata.drop_all(engine)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE alembic_version")
    engine.dispose()
    target = make_app(tmp_path / "b", monkeypatch, PG_URL)
    result = target.test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code == 0, result.output
    assert snapshot(target) == before
    assert files(tmp_path / "b") == before_files
    again = target.test_cli_runner().invoke(args=["restore", str(archive)])
    assert again.exit_code != 0 and "trống" in again.output
    target.extensions["planner_db"].engine.dispose()


def test_a_damaged_backup_is_refused(tmp_path, monkeypatch):
    import io
    import json
    import tarfile

    archive = tmp_path / "bad.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in (("manifest.json", json.dumps({"database": "database.sqlite", "created_at": "x",
                                                           "files": {"database.sqlite": "0" * 64}}).encode()),
                           ("database.sqlite", b"not the same bytes")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    app = make_app(tmp_path / "c", monkeypatch, None)
    result = app.test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code != 0 and "bị hỏng" in result.output
