"""Login and logout pages (server-side sessions, known-browser cookie, failed-attempt notice)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from planner import localtime
from planner.auth import (LoginThrottled, PasswordRejected, authenticate, change_password, end_session,
                          make_device_cookie, read_device_cookie, start_session)
from planner.db import utcnow
from planner.views.common import db_session

bp = Blueprint("auth", __name__)
DEVICE_COOKIE = "planner_device"


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
    db, cfg, now = db_session(), current_app.config, utcnow()
    device_cookie = request.cookies.get(DEVICE_COOKIE)
    device = read_device_cookie(cfg["SECRET_KEY"], device_cookie, username, max_age_days=cfg["LOGIN_DEVICE_DAYS"])
    try:
        result = authenticate(db, username, request.form["password"], device=device, now=now, settings=cfg,
                              **client_address())
    except LoginThrottled as exc:
        errors["form"] = exc.message
        return (render_template("pages/auth/login.html", errors=errors, username=username), 429,
                {"Retry-After": str(exc.wait_seconds)})
    if result.user is None:
        db.commit()
        errors["form"] = "Tên đăng nhập hoặc mật khẩu không đúng."
        return render_template("pages/auth/login.html", errors=errors, username=username), 401
    session.clear()  # nothing from before the login carries over (session fixation)
    session["sid"] = start_session(db, result.user, now=now, max_hours=cfg["SESSION_MAX_HOURS"])
    db.commit()
    login_user(result.user)
    if result.earlier_failures:
        flash(f"Có {result.earlier_failures} lần nhập sai mật khẩu vào tài khoản của bạn kể từ lần đăng nhập "
              f"trước (lần gần nhất {localtime.fmt_datetime(result.last_failure_at)}). Nếu không phải bạn, "
              "hãy đổi mật khẩu.", "warning")
    response = redirect(_safe_next(request.args.get("next")) or url_for("plans.index"))
    if device is None:
        response.set_cookie(DEVICE_COOKIE, make_device_cookie(cfg["SECRET_KEY"], result.user.username),
                            max_age=cfg["LOGIN_DEVICE_DAYS"] * 86400, httponly=True, samesite="Lax",
                            secure=bool(cfg.get("SESSION_COOKIE_SECURE")), path="/login")
    return response


@bp.post("/logout")
def logout():
    db = db_session()
    end_session(db, session.get("sid"))
    db.commit()
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    """Change one's own password; every other browser session and every API token ends."""
    if request.method == "GET":
        return render_template("pages/auth/password.html", errors={})
    db, cfg, user = db_session(), current_app.config, current_user._get_current_object()
    try:
        change_password(db, user, request.form.get("current_password", ""), request.form.get("new_password", ""),
                        request.form.get("confirm_password", ""))
    except PasswordRejected as exc:
        db.rollback()
        return render_template("pages/auth/password.html", errors=exc.args[1]), 400
    session["sid"] = start_session(db, user, now=utcnow(), max_hours=cfg["SESSION_MAX_HOURS"])
    db.commit()
    flash("Đã đổi mật khẩu. Các phiên đăng nhập khác và mã API của bạn đã bị huỷ.", "success")
    return redirect(url_for("plans.index"))


def client_address() -> dict:
    """The address guesses are counted under, and whether it may be throttled as a whole.

    Behind a proxy with PROXY_HOPS unset every request seems to come from the proxy: counting that address
    would lock the whole site, so only per-username counting applies (and a warning asks to set PROXY_HOPS).
    """
    addr = request.remote_addr or ""
    if not current_app.config["PROXY_HOPS"] and request.headers.get("X-Forwarded-For"):
        current_app.logger.warning("X-Forwarded-For received but PLANNER_PROXY_HOPS=0: set it behind a proxy")
        return {"remote_addr": addr, "per_address": False}
    return {"remote_addr": addr, "per_address": True}


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
