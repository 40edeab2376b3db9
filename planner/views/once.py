"""One-time keys at the edges: a hidden form field (`once`) or the API's `Idempotency-Key` header.

A create request carrying a key reserves it in its own transaction before creating anything; a
second request with the same key (a double click, a refresh, a client retry, even at the same
moment) gets the first one's result instead of a second creation. The same key for a different
request is refused. Requests without a key behave as before.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from flask import current_app, request
from sqlalchemy.exc import IntegrityError

from planner.db import utcnow
from planner.models import IdempotencyKey
from planner.operations import idempotency as ops

FIELD = "once"
HEADER = "Idempotency-Key"
KEY_PATTERN = re.compile(r"[\x21-\x7e]{8,200}")     # printable ASCII, as the IETF draft's examples
REUSED = "Mã gửi một lần (Idempotency-Key) này đã được dùng cho một yêu cầu khác."


class KeyReused(ValueError):
    """The key was already used for another request (another route or other data)."""


class BadKey(ValueError):
    """The key is not 8–200 printable ASCII characters."""


@dataclass
class Claim:
    """`row`: this request's reserved key, to complete; `replay`: the earlier request's stored result."""

    row: IdempotencyKey | None = None
    replay: IdempotencyKey | None = None


def new_key() -> str:
    return secrets.token_urlsafe(18)


def claim(session, user, key: str | None, route: str, payload: dict) -> Claim:
    """Reserve `key` for this request, or return the stored result of the request that used it first."""
    if not key:
        return Claim()
    if not KEY_PATTERN.fullmatch(key):
        raise BadKey("Mã gửi một lần phải gồm 8–200 ký tự ASCII in được.")
    ttl, request_hash = current_app.config.get("IDEMPOTENCY_KEY_HOURS", 24), ops.fingerprint(route, payload)
    for _attempt in range(3):
        now = utcnow()
        row = ops.find_key(session, user.id, key, now=now, ttl_hours=ttl)
        if row is not None:
            if row.route != route or row.request_hash != request_hash:
                raise KeyReused(REUSED)
            return Claim(replay=row)
        try:
            return Claim(row=ops.reserve_key(session, user.id, key, route=route, request_hash=request_hash, now=now))
        except IntegrityError:      # the same key committed meanwhile: read what it produced
            session.rollback()
    raise KeyReused(REUSED)


def complete(result: Claim, *, resource: str, resource_id: int | None, status: int, body: dict | None = None):
    """Store the result with the reserved key (no-op without a key); the caller commits."""
    if result.row is not None:
        ops.complete_key(result.row, resource=resource, resource_id=resource_id, status=status, body=body)


def form_payload(**extra) -> dict:
    """What a form asked for: its fields without the CSRF token and the key, plus the URL's ids."""
    data = {k: v for k, v in request.form.items() if k not in ("csrf_token", FIELD)}
    return {**data, **{k: str(v) for k, v in extra.items()}}


def register(app) -> None:
    """`{{ once(form) }}` in templates: the hidden one-time key (kept across a re-shown form)."""
    from markupsafe import Markup, escape

    def once(form=None) -> Markup:
        key = (form or {}).get(FIELD) or new_key()
        return Markup(f'<input type="hidden" name="{FIELD}" value="{escape(key)}">')

    app.jinja_env.globals["once"] = once


# --------------------------------------------------------------------------- the JSON API

def api_claim(route: str, payload: dict) -> Claim:
    """claim() for the request's Idempotency-Key header: 400 for a malformed key, 422 for a reused one."""
    from planner.views.api import ApiError, api_user
    from planner.views.common import db_session

    try:
        return claim(db_session(), api_user(), request.headers.get(HEADER), route, payload)
    except BadKey as exc:
        raise ApiError(400, str(exc), code="bad_idempotency_key") from None
    except KeyReused as exc:
        raise ApiError(422, str(exc), code="idempotency_key_reused") from None


def api_replay(row: IdempotencyKey):
    """The stored response of the first request with this key: same status, body and Location."""
    from flask import jsonify

    stored = row.response_body or {}
    response = jsonify(stored.get("body"))
    response.status_code = row.response_status
    if stored.get("location"):
        response.headers["Location"] = stored["location"]
    response.headers["Idempotent-Replayed"] = "true"
    return response


def api_created(result: Claim, *, resource: str, resource_id: int, body: dict, location: str, status: int = 201):
    """Store the response with the key, commit once, and answer it."""
    from planner.views.api import commit, created

    complete(result, resource=resource, resource_id=resource_id, status=status,
             body={"body": body, "location": location})
    commit()
    return created(body, location, status)
