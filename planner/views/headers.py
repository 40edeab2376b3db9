"""Security headers on every response: a strict CSP (scripts only from files or with the request's nonce),
no framing, nosniff, Referrer-Policy, HSTS over HTTPS, and no-store for anything behind a login."""
from __future__ import annotations

import secrets

from flask import Flask, current_app, g, request, session


def csp_nonce() -> str:
    """The nonce an inline <script nonce="…"> must carry on this request (prefer static files)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy(nonce: str) -> str:
    return "; ".join([
        "default-src 'self'", f"script-src 'self' 'nonce-{nonce}'", "style-src 'self'", "img-src 'self' data:",
        "font-src 'self'", "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'",
        "frame-ancestors 'none'"])


def add_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(csp_nonce()))
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")  # signed iCal/QR links never leave the site
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure or current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    private = request.path.startswith(("/api/", "/login", "/x/"))  # API, login, village links (token in URL)
    if request.endpoint != "static" and (private or session.get("_user_id")):
        headers["Cache-Control"] = "no-store"
        headers.add("Vary", "Cookie")
    return response


def register_headers(app: Flask) -> None:
    """Add the headers after every request and offer `csp_nonce()` to templates."""
    app.after_request(add_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
