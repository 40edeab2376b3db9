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
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not cfg.get("DATABASE_URL"):
        cfg["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'planner.db'}"
    if not cfg.get("SECRET_KEY"):
        cfg["SECRET_KEY"] = _instance_secret(Path(app.instance_path) / "secret_key")
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


def _instance_secret(path: Path) -> str:
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _init_db(app: Flask) -> None:
    database = Database(app.config["DATABASE_URL"])
    app.extensions["planner_db"] = database

    @app.teardown_appcontext
    def _close_session(_exc):
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


def _init_auth(app: Flask) -> None:
    login = LoginManager(app)
    login.login_view = "auth.login"
    login.login_message = "Vui lòng đăng nhập để tiếp tục."
    # "basic": phones switching between 4G and Wi-Fi keep their session (a "strong" check logs them out).
    login.session_protection = "basic"

    @login.user_loader
    def _load_user(session_id: str):
        from planner.auth import load_session_user
        from planner.views.common import db_session

        return load_session_user(db_session(), session_id)

    app.extensions["csrf"] = CSRFProtect(app)


def _init_views(app: Flask) -> None:
    from planner.views import register_views

    register_views(app)
