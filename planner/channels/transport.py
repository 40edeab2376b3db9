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
from dataclasses import dataclass
from urllib.parse import urlsplit

from planner.channels.base import ChannelError, OutcomeUnknown


@dataclass(frozen=True)
class HttpAnswer:
    """Status and JSON object of a response (`body` is None when it was not a JSON object)."""

    status: int
    body: dict | None


def post(url: str, data: bytes, headers: dict[str, str], *, timeout: float,
         platform: str) -> HttpAnswer:
    """POST `data` to `url`; raise ChannelError if nothing was sent, OutcomeUnknown if unsure."""
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
            conn.request("POST", path, body=data, headers=headers)
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
    return HttpAnswer(response.status, _json_object(raw))


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


def refused_without_detail(platform: str, status: int) -> ChannelError:
    """The error for a 4xx answer without a readable error body (429 may be retried)."""
    return ChannelError(
        f"http_{status}",
        f"{platform} từ chối yêu cầu (HTTP {status}).",
        retryable=status == 429,
        detail={"http_status": status},
    )
