"""The instance folder, the database and stored report files are private to the service's user."""
from __future__ import annotations

import os
import stat
from pathlib import Path


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_instance_database_and_reports_are_private(tmp_path, monkeypatch):
    from planner import create_app
    from planner.db import Base

    old = os.umask(0o022)
    try:
        instance = tmp_path / "instance"
        instance.mkdir(mode=0o755)
        loose_db = instance / "planner.db"
        loose_db.write_bytes(b"")
        loose_db.chmod(0o644)
        monkeypatch.setenv("PLANNER_INSTANCE_PATH", str(instance))
        app = create_app({"SECRET_KEY": "s"})
        assert mode(instance) == 0o700 and mode(loose_db) == 0o600
        loose_db.unlink()
        app = create_app({"SECRET_KEY": "s"})
        Base.metadata.create_all(app.extensions["planner_db"].engine)
        assert mode(loose_db) == 0o600
        reports = instance / app.config["REPORT_DIR"]
        reports.mkdir()
        (reports / "bc.pdf").write_bytes(b"%PDF")
        assert mode(reports) == 0o700 and mode(reports / "bc.pdf") == 0o600
        app.extensions["planner_db"].engine.dispose()
    finally:
        os.umask(old)
