"""The wiring behind create_app: config → db → auth → views → cli."""
from __future__ import annotations

import gc
import os
import secrets
from pathlib import Path

from flask import Flask, g
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from planner.config import load_config
from planner.db import Database


def build_app(overrides: dict | None = None) -> Flask:
    """Create and configure the app; reads nothing at import time."""
    instance = Path(os.environ.get("PLANNER_INSTANCE_PATH") or Path.cwd() / "instance").resolve()
    app = Flask("planner", instance_path=str(instance), instance_relative_config=True)
    _configure(app, overrides or {})
    if app.config["PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    _init_db(app)
    import planner.operations.indicator_rollups  # noqa: F401  (the session hook keeping indicator_rollups)
    _init_auth(app)
    _init_views(app)
    from planner.cli import register_cli

    register_cli(app)
    # Long-lived start-up objects (models, templates, routes) need no cyclic GC scans per request:
    # freezing them removes most collector pauses from page-time p95.
    gc.freeze()
    return app


def _configure(app: Flask, overrides: dict) -> None:
    cfg = load_config(overrides)
    _private_instance(Path(app.instance_path))
    if not cfg.get("DATABASE_URL"):
        cfg["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'planner.db'}"
    _private_database(cfg["DATABASE_URL"])
    if not cfg.get("SECRET_KEY"):
        cfg["SECRET_KEY"] = _instance_secret(Path(app.instance_path) / "secret_key")
    # Absolute, so the worker and the views find images wherever they run from.
    cfg["IMAGE_DIR"] = str(Path(app.instance_path) / cfg.get("IMAGE_DIR", "post_images"))
    app.config.update(cfg)
    app.json.ensure_ascii = False  # send Vietnamese as UTF-8, not \uXXXX escapes
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(cfg.get("SESSION_COOKIE_SECURE", False)),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=5 * 1024 * 1024,
    )


def _private_instance(instance: Path) -> None:
    """Files this process creates (database, reports, secrets) are readable by its owner only: umask 077,
    and the instance folder 0700."""
    os.umask(0o077)
    instance.mkdir(parents=True, exist_ok=True)
    if instance.stat().st_mode & 0o077:
        instance.chmod(0o700)


def _private_database(url: str) -> None:
    """Tighten a SQLite file (and its WAL/SHM) that an older version left world-readable."""
    if not url.startswith("sqlite:///") or url.endswith(":memory:"):
        return
    path = Path(url.removeprefix("sqlite:///"))
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if file.exists() and file.stat().st_mode & 0o077:
            file.chmod(0o600)


def _instance_secret(path: Path) -> str:
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _init_db(app: Flask) -> None:
    database = Database(app.config["DATABASE_URL"], busy_timeout=float(app.config["DATABASE_BUSY_TIMEOUT_SECONDS"]))
    app.extensions["planner_db"] = database
    app.dispatch_request = _retry_when_busy(app, app.dispatch_request)

    @app.teardown_appcontext
    def _close_session(_exc):
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


def _retry_when_busy(app: Flask, dispatch, attempts: int = 3):
    """Run GET/HEAD views again when the database was busy (reads are idempotent); writes answer 503 at once."""
    import time

    from flask import request

    def dispatch_request():
        from planner.views.errors import is_busy

        for attempt in range(attempts):
            try:
                return dispatch()
            except Exception as exc:  # noqa: BLE001 — only busy-database errors are retried, others re-raised
                if request.method not in ("GET", "HEAD") or not is_busy(exc) or attempt == attempts - 1:
                    raise
                app.logger.info("database busy, retrying %s %s", request.method, request.path)
                session = g.get("db_session")
                if session is not None:
                    session.rollback()
                time.sleep(0.2 * (attempt + 1))
        raise AssertionError("unreachable")

    return dispatch_request


def _init_auth(app: Flask) -> None:
    login = LoginManager(app)
    login.login_view = "auth.login"
    login.login_message = "Vui lòng đăng nhập để tiếp tục."
    # "basic": phones switching between 4G and Wi-Fi keep their session (a "strong" check logs them out).
    login.session_protection = "basic"

    @login.user_loader
    def _load_user(user_id: str):
        """Only a live server-side session opens pages: logout, expiry or a password reset end it."""
        from flask import session

        from planner.auth import session_user
        from planner.db import utcnow
        from planner.views.common import db_session

        if not user_id.isdigit():
            return None
        return session_user(db_session(), session.get("sid"), int(user_id), now=utcnow(),
                            idle_minutes=app.config["SESSION_IDLE_MINUTES"])

    app.extensions["csrf"] = CSRFProtect(app)


def _init_views(app: Flask) -> None:
    from planner.views import register_views

    register_views(app)
