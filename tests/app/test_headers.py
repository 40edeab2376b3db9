"""Security headers: strict CSP, no framing, nosniff, Referrer-Policy, HSTS over HTTPS, no-store behind a login."""
from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "planner" / "templates"


def test_pages_carry_a_strict_csp_and_the_other_security_headers(login):
    client = login("vanhoa")
    resp = client.get("/")
    csp = resp.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "script-src 'self' 'nonce-" in csp and "object-src 'none'" in csp
    assert resp.headers["X-Frame-Options"] == "DENY" and resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert resp.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in resp.headers
    assert "no-store" not in client.get("/static/planner.css").headers.get("Cache-Control", "")


def test_hsts_is_sent_over_https(app, demo):
    resp = app.test_client().get("/login", base_url="https://planner.example")
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")


def test_api_answers_are_not_stored(app, demo):
    resp = app.test_client().post("/api/v1/tokens", json={"username": "vanhoa", "password": "pw-test-123"})
    assert resp.headers["Cache-Control"] == "no-store" and "Content-Security-Policy" in resp.headers


def test_page_templates_have_no_inline_scripts_handlers_or_styles():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        if "print" in path.relative_to(TEMPLATES).parts:
            continue  # print documents go to WeasyPrint only, never to a browser
        text = path.read_text()
        inline_script = re.search(r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)", text)
        if inline_script or re.search(r"\son[a-z]+=|\sstyle=|<style|javascript:", text):
            offenders.append(path.name)
    assert offenders == []


def test_village_links_and_the_login_page_are_not_stored(app, demo):
    assert app.test_client().get("/x/not-a-token").headers["Cache-Control"] == "no-store"
    assert app.test_client().get("/login").headers["Cache-Control"] == "no-store"
