"""One HTTP POST for online channels (stdlib only), telling 'nothing sent' from 'maybe sent'.

The connect phase is separated from the send/receive phase on purpose: a failure while
connecting (refused, DNS, TLS, connect timeout) means the platform received nothing, so the
delivery failed definitely and may be retried; any failure after the request started going
out means the post may exist, so the outcome is unknown and must not be re-sent blindly.
"""
from __future__ import annotations

import http.client
import json
import ssl
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from planner.channels.base import ChannelError, OutcomeUnknown, RateLimited


# Response headers channels read (rate limiting); everything else is dropped.
KEPT_HEADERS = ("retry-after", "x-page-usage", "x-app-usage", "x-business-use-case-usage")


@dataclass(frozen=True)
class HttpAnswer:
    """Status, JSON object (`body` is None when it was not one) and the rate-limit headers of a response."""

    status: int
    body: dict | None
    headers: dict = field(default_factory=dict)


def post(url: str, data: bytes, headers: dict[str, str], *, timeout: float,
         platform: str) -> HttpAnswer:
    """POST `data` to `url`; raise ChannelError if nothing was sent, OutcomeUnknown if unsure."""
    return request("POST", url, data, headers, timeout=timeout, platform=platform)


def get(url: str, headers: dict[str, str], *, timeout: float, platform: str) -> HttpAnswer:
    """GET `url` (a read: any failure is a ChannelError, since reading twice changes nothing)."""
    try:
        return request("GET", url, None, headers, timeout=timeout, platform=platform)
    except OutcomeUnknown as exc:
        raise ChannelError("no_answer", f"{platform} không trả lời yêu cầu đọc.", retryable=True) from exc


def request(method: str, url: str, data: bytes | None, headers: dict[str, str], *, timeout: float,
            platform: str) -> HttpAnswer:
    """One HTTP request; ChannelError if nothing was sent, OutcomeUnknown if it may have been."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ChannelError("bad_url", f"Địa chỉ API của {platform} không hợp lệ.")
    conn = _connection(parts, timeout)
    try:
        try:
            conn.connect()
        except OSError as exc:
            raise ChannelError(
                "unreachable",
                f"Không kết nối được tới {platform} ({type(exc).__name__}); chưa gửi gì, "
                "có thể thử lại sau.",
                retryable=True,
            ) from exc
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise OutcomeUnknown(
                "no_answer",
                f"Đã gửi tới {platform} nhưng không nhận được trả lời ({type(exc).__name__}); "
                "bài có thể đã được đăng — cần kiểm tra trên nền tảng trước khi gửi lại.",
            ) from exc
    finally:
        conn.close()
    kept = {name: response.headers[name] for name in KEPT_HEADERS if response.headers.get(name)}
    return HttpAnswer(response.status, _json_object(raw), kept)


def multipart(fields: dict[str, str], files: dict[str, tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body and its Content-Type: `fields` as text, `files` as name → (filename,
    content type, bytes). The boundary is random, so no field or file can contain it by accident."""
    import secrets

    boundary = "planner-" + secrets.token_hex(16)
    chunks = []
    for name, value in fields.items():
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                      + str(value).encode("utf-8") + b"\r\n")
    for name, (filename, kind, data) in files.items():
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                      f"Content-Type: {kind}\r\n\r\n".encode() + data + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def _connection(parts, timeout: float) -> http.client.HTTPConnection:
    if parts.scheme == "https":
        return http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout,
                                           context=ssl.create_default_context())
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)


def _json_object(raw: bytes) -> dict | None:
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def without_secrets(body: dict | None) -> dict:
    """A copy of a platform response without keys that look like credentials."""
    if not body:
        return {}
    clean = {}
    for key, value in body.items():
        if "token" in key.lower() or "secret" in key.lower():
            continue
        clean[key] = without_secrets(value) if isinstance(value, dict) else value
    return clean


def unclear_answer(platform: str, status: int) -> OutcomeUnknown:
    """The error for a 2xx/5xx answer we cannot read: the platform may have accepted the post."""
    return OutcomeUnknown(
        "unclear_answer",
        f"{platform} trả lời không rõ ràng (HTTP {status}); bài có thể đã được đăng — "
        "cần kiểm tra trên nền tảng trước khi gửi lại.",
        detail={"http_status": status},
    )


def refused_without_detail(platform: str, status: int, headers: dict | None = None) -> ChannelError:
    """The error for a 4xx answer without a readable error body (429: rate-limited, retried later)."""
    if status == 429:
        return RateLimited("http_429", f"{platform} yêu cầu gửi chậm lại (HTTP 429); chưa đăng, sẽ thử lại sau.",
                           retry_after=retry_after(headers or {}), detail={"http_status": status})
    return ChannelError(
        f"http_{status}",
        f"{platform} từ chối yêu cầu (HTTP {status}).",
        retryable=status == 429,
        detail={"http_status": status},
    )


def retry_after(headers: dict) -> float | None:
    """Seconds the platform asks us to wait: Retry-After, or the longest `estimated_time_to_regain_access`
    (minutes) in Facebook's usage headers; None when it says nothing."""
    waits = []
    value = headers.get("retry-after", "")
    if value.strip().isdigit():
        waits.append(float(value))
    for name in ("x-business-use-case-usage", "x-page-usage", "x-app-usage"):
        waits.extend(60.0 * minutes for minutes in _regain_minutes(headers.get(name)))
    return max(waits) if waits else None


def _regain_minutes(raw: str | None) -> list[float]:
    try:
        value = json.loads(raw) if raw else None
    except ValueError:
        return []
    found, stack = [], [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            minutes = item.get("estimated_time_to_regain_access")
            if isinstance(minutes, (int, float)) and minutes > 0:
                found.append(float(minutes))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found
