"""Every setting with its default; environment variables prefixed PLANNER_ override them."""
from __future__ import annotations

import json
import os

DEFAULTS: dict[str, object] = {
    # SQLAlchemy URL; the default is SQLite under the instance folder.
    "DATABASE_URL": None,
    # Flask session signing key; generated into instance/secret_key when not set.
    "SECRET_KEY": None,
    # Password for the demo users created by `planner demo-users` / `make run`.
    "DEMO_PASSWORD": "planner-demo",
    # Failed logins allowed per username (and per address) inside the window below.
    "LOGIN_MAX_FAILURES": 5,
    # Window, in seconds, over which failed logins are counted.
    "LOGIN_WINDOW_SECONDS": 900,
    # Lifetime of API bearer tokens, in hours.
    "API_TOKEN_HOURS": 24,
    # Days a village QR confirmation link stays valid after its last covered day.
    "QR_LINK_GRACE_DAYS": 1,
    # Public base URL used in QR codes and iCal links (empty: taken from the request).
    "BASE_URL": "",
    # Loudspeaker reading rate, syllables per minute (assumption, see domain notes).
    "READING_RATE_SPM": 190,
    # Pause added per sentence when estimating a script's duration, seconds.
    "SENTENCE_PAUSE_SECONDS": 1.0,
    # Worker heartbeat interval, seconds.
    "WORKER_INTERVAL_SECONDS": 15,
    # Online deliveries later than this (seconds) after their due time expire instead of sending.
    "DISPATCH_LATENESS_SECONDS": 3600,
    # Units with more targets than this are scheduled by the worker (with a progress page), not in the request.
    "SCHEDULE_INLINE_MAX_TARGETS": 300,
    # Dispatched deliveries with no recorded outcome after this many seconds become `unknown`.
    "DISPATCH_STALE_SECONDS": 600,
    # Max deliveries claimed per heartbeat.
    "DISPATCH_BATCH_SIZE": 500,
    # A worker is "alive" for /healthz if its last heartbeat is newer than this, seconds.
    "WORKER_STALE_SECONDS": 120,
    # Facebook Graph API base URL and version (the demo points it at the local fake server).
    "FACEBOOK_GRAPH_URL": "https://graph.facebook.com",
    "FACEBOOK_GRAPH_VERSION": "v21.0",
    # Page access tokens per page id, JSON object {"page_id": "token"}; never logged.
    "FACEBOOK_PAGE_TOKENS": {},
    # Facebook scheduling window: minimum lead (seconds) and maximum lead (days).
    "FACEBOOK_MIN_LEAD_SECONDS": 600,
    "FACEBOOK_MAX_LEAD_DAYS": 30,
    # Fernet key for fanpage / Zalo OA tokens entered in the app (empty: derived from SECRET_KEY via HKDF).
    "CHANNEL_TOKEN_KEY": "",
    # Zalo OA API base URL and access token (token never logged).
    "ZALO_API_URL": "https://openapi.zalo.me",
    "ZALO_ACCESS_TOKEN": "",
    # Author shown on Zalo OA articles, and the cover image URL Zalo requires for an article.
    "ZALO_AUTHOR": "Ban biên tập",
    "ZALO_COVER_URL": "",
    # Zalo OA per-follower quota: broadcasts a day (the OA package may allow fewer per month).
    "ZALO_MAX_BROADCASTS_PER_DAY": 1,
    # HTTP timeout for channel calls, seconds.
    "CHANNEL_TIMEOUT_SECONDS": 10,
    # Where rendered report PDFs are kept (relative to the instance folder).
    "REPORT_DIR": "reports",
    # Mark the session cookie Secure (set to 1 when served over HTTPS).
    "SESSION_COOKIE_SECURE": False,
    # Number of reverse proxies in front of planner whose X-Forwarded-* headers are trusted (0: none).
    # Set it behind nginx so login throttling sees the real client address, not the proxy's.
    "PROXY_HOPS": 0,
}


def load_config(overrides: dict | None = None) -> dict:
    """Return the settings: defaults, then PLANNER_* environment, then explicit overrides."""
    cfg = dict(DEFAULTS)
    for key, default in DEFAULTS.items():
        raw = os.environ.get("PLANNER_" + key)
        if raw is None:
            continue
        cfg[key] = _coerce(raw, default)
    if overrides:
        cfg.update(overrides)
    return cfg


def _coerce(raw: str, default: object) -> object:
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, dict):
        return json.loads(raw)
    return raw.strip()  # a stray CR/LF from an env file must not end up inside a token or URL


SECRET_KEYS = ("SECRET_KEY", "DEMO_PASSWORD", "ZALO_ACCESS_TOKEN", "FACEBOOK_PAGE_TOKENS", "CHANNEL_TOKEN_KEY")


def secret_values(cfg: dict) -> list[str]:
    """Every secret string in the settings (to keep them out of logs)."""
    values: list[str] = []
    for key in SECRET_KEYS:
        value = cfg.get(key)
        values.extend(str(v) for v in value.values()) if isinstance(value, dict) else values.append(str(value or ""))
    return [v for v in values if len(v) >= 6]
