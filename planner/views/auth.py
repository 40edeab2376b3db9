"""Login and logout pages."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import login_user, logout_user

from planner.auth import LoginThrottled, authenticate
from planner.db import utcnow
from planner.views.common import db_session

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("pages/auth/login.html", errors={}, username="")
    username = request.form.get("username", "")
    errors = {}
    if not username.strip():
        errors["username"] = "Vui lòng nhập tên đăng nhập."
    if not request.form.get("password"):
        errors["password"] = "Vui lòng nhập mật khẩu."
    if errors:
        return render_template("pages/auth/login.html", errors=errors, username=username), 400
    session = db_session()
    cfg = current_app.config
    try:
        user = authenticate(session, username, request.form["password"], remote_addr=request.remote_addr or "",
                            now=utcnow(), max_failures=cfg["LOGIN_MAX_FAILURES"],
                            window_seconds=cfg["LOGIN_WINDOW_SECONDS"])
    except LoginThrottled:
        errors["form"] = "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút."
        return render_template("pages/auth/login.html", errors=errors, username=username), 429
    session.commit()
    if user is None:
        errors["form"] = "Tên đăng nhập hoặc mật khẩu không đúng."
        return render_template("pages/auth/login.html", errors=errors, username=username), 401
    login_user(user)
    return redirect(_safe_next(request.args.get("next")) or url_for("plans.index"))


@bp.post("/logout")
def logout():
    logout_user()
    return redirect(url_for("auth.login"))


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
