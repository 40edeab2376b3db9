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
    # Wrong passwords per username+address (or per known browser) before each further guess must wait.
    "LOGIN_MAX_FAILURES": 5,
    # Wrong passwords from one address (any usernames) before each further guess from it must wait.
    "LOGIN_ADDRESS_MAX_FAILURES": 50,
    # First wait after the limit, seconds; it doubles with every further wrong password, up to the maximum.
    "LOGIN_DELAY_SECONDS": 30,
    "LOGIN_MAX_DELAY_SECONDS": 900,
    # A counter with no wrong password for this many seconds starts again from zero.
    "LOGIN_FORGET_SECONDS": 86400,
    # Days a browser that logged in stays "known" to that account (its guesses are throttled on their own).
    "LOGIN_DEVICE_DAYS": 180,
    # A browser session ends after this many idle minutes, and at the latest this many hours after login.
    "SESSION_IDLE_MINUTES": 120,
    "SESSION_MAX_HOURS": 12,
    # Lifetime of API bearer tokens, in hours.
    "API_TOKEN_HOURS": 24,
    # Days an iCal link stays valid; the calendar page always shows a fresh one, "Đổi liên kết" voids old ones.
    "ICAL_LINK_DAYS": 365,
    # The window an iCal feed covers (days back and ahead of today) and the most targets one feed may cover
    # (a village or a commune; a district's or province's feed would be thousands of events).
    "ICAL_PAST_DAYS": 56,
    "ICAL_FUTURE_DAYS": 182,
    "ICAL_MAX_TARGETS": 200,
    # Bytes of compressed iCal bodies kept by their ETag, in each web process and in files under the instance
    # folder (`ical-cache/`, shared by the processes): a polled unchanged feed then costs the one aggregate query
    # of its ETag, not writing its ≈ 14 k events again (0 turns the cache off).
    "ICAL_CACHE_BYTES": 32 * 1024 * 1024,
    # Validate every JSON answer of the API against the OpenAPI document generated from planner/api_responses.py,
    # and require every query parameter a view reads to be documented: a mismatch raises. On in the tests
    # (tests/conftest.py); off in production, where it would only cost time.
    "API_CHECK_RESPONSES": False,
    # Seconds a web request waits for a database lock (SQLite busy timeout, PostgreSQL lock_timeout)
    # before it answers 503; reads are retried. The worker waits longer (30 s).
    "DATABASE_BUSY_TIMEOUT_SECONDS": 5.0,
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
    # A calendar of a unit with more targets than this shows one row per child unit with counts per day
    # (drill down to the villages) instead of every target's sessions; its unit picker lists villages only
    # up to CALENDAR_PICKER_MAX_UNITS units.
    "CALENDAR_MAX_TARGETS": 60,
    "CALENDAR_PICKER_MAX_UNITS": 300,
    # How long a generation waits for another one of the same plan and channel before saying it is busy, seconds.
    "SCHEDULE_LOCK_WAIT_SECONDS": 5,
    # SQLite has one writer: a queued generation whose write would take at least SCHEDULE_SQLITE_GAP_MIN_SECONDS
    # (estimated at SCHEDULE_SQLITE_SECONDS_PER_ROW per placement: bench/schedule.py measures ≈ 16 µs, doubled)
    # waits for a gap with no online post due meanwhile, at most SCHEDULE_SQLITE_MAX_DEFER_SECONDS after queueing.
    "SCHEDULE_SQLITE_SECONDS_PER_ROW": 0.00003,
    "SCHEDULE_SQLITE_GAP_MIN_SECONDS": 5,
    "SCHEDULE_SQLITE_MAX_DEFER_SECONDS": 900,
    # One-time keys of create requests (forms, Idempotency-Key header) are remembered this many hours.
    "IDEMPOTENCY_KEY_HOURS": 24,
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
    # A page (or OA) that says "rate-limited" gets no request for this long, doubling each time
    # it happens again (up to the max); a longer Retry-After / usage-header estimate wins. Seconds.
    "DISPATCH_BACKOFF_SECONDS": 60,
    "DISPATCH_BACKOFF_MAX_SECONDS": 3600,
    # Unknown online outcomes are checked on the platform this long after they became unknown
    # (the platform may still be processing the call), then again every interval while unsure. Seconds.
    "RECONCILE_GRACE_SECONDS": 120,
    "RECONCILE_INTERVAL_SECONDS": 900,
    # Where rendered report PDFs are kept (relative to the instance folder).
    "REPORT_DIR": "reports",
    # Where approved print proofs (PDF and page images) are kept (relative to the instance folder).
    "PRINT_DIR": "print_proofs",
    # Where message images are kept, one file per SHA-256, 0600 (relative to the instance folder, or absolute).
    "IMAGE_DIR": "post_images",
    # PDF/X variant of print products: "pdf/x-4" (CMYK, live transparency) or "pdf/x-1a" for a shop that asks.
    "PRINT_PDF_VARIANT": "pdf/x-4",
    # Where roster batches (commune PDF + ZIP) and cached single-village roster PDFs are kept (instance folder).
    "ROSTER_DIR": "rosters",
    # Villages drawn per PDF document in a roster batch: more is faster, fewer keeps memory flat.
    "ROSTER_BATCH_CHUNK": 7,
    # Processes that draw a roster batch's groups side by side (1: in the worker itself, the default: reportlab
    # draws the 42 villages of a commune in under a second, and a pool's hand-over costs more than it saves).
    "ROSTER_BATCH_PROCESSES": 1,
    # A running roster batch whose worker went away is taken up again after this many seconds.
    "ROSTER_BATCH_STALE_SECONDS": 900,
    # Cached single-village roster PDFs (rendered once per content) are removed after this many days.
    "ROSTER_CACHE_DAYS": 7,
    # Mark the session cookie Secure (set to 1 when served over HTTPS).
    "SESSION_COOKIE_SECURE": False,
    # Outgoing e-mail for notifications (sent only by the worker, from the outbox). Empty host: no e-mail.
    "SMTP_HOST": "",
    "SMTP_PORT": 25,
    "SMTP_USER": "",
    # SMTP password; never logged.
    "SMTP_PASSWORD": "",
    "SMTP_FROM": "planner@localhost",
    # Upgrade the SMTP connection with STARTTLS before logging in (set to 1 for a real mail server).
    "SMTP_STARTTLS": False,
    # SMTP connection timeout, seconds.
    "SMTP_TIMEOUT_SECONDS": 10,
    # An e-mail that cannot be sent is tried again after this many seconds (doubling), at most this many times.
    "MAIL_RETRY_SECONDS": 60,
    "MAIL_MAX_ATTEMPTS": 8,
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
    if cfg["PRINT_PDF_VARIANT"] not in PDF_VARIANTS:
        raise ValueError(f"PLANNER_PRINT_PDF_VARIANT must be one of {', '.join(PDF_VARIANTS)}, "
                         f"not {cfg['PRINT_PDF_VARIANT']!r}")
    return cfg


PDF_VARIANTS = ("pdf/x-4", "pdf/x-1a")  # the ones planner.pdfx.VARIANTS knows (a test keeps them equal)


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


SECRET_KEYS = ("SECRET_KEY", "DEMO_PASSWORD", "SMTP_PASSWORD", "ZALO_ACCESS_TOKEN", "FACEBOOK_PAGE_TOKENS", "CHANNEL_TOKEN_KEY")


def secret_values(cfg: dict) -> list[str]:
    """Every secret string in the settings (to keep them out of logs)."""
    values: list[str] = []
    for key in SECRET_KEYS:
        value = cfg.get(key)
        values.extend(str(v) for v in value.values()) if isinstance(value, dict) else values.append(str(value or ""))
    return [v for v in values if len(v) >= 6]
