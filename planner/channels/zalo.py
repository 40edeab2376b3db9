"""Zalo Official Account channel: an OA article (create → verify), published by the worker."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

from planner.channels import transport
from planner.channels.base import (
    Channel, ChannelError, ChannelSettings, ContentItem, OutcomeUnknown, RateLimited, Receipt, TargetInfo,
    match_listing, post_text, redact, require_text,
)
from planner.channels.marker import marker
from planner.channels.post_format import text_to_html

MAX_TITLE = 150
MAX_AUTHOR = 50
MAX_DESCRIPTION = 300
DEFAULT_AUTHOR = "Ban biên tập"
PLATFORM = "Zalo OA"
MAX_LIST_PAGES = 10  # pages of 10 articles read when reconciling, at most
# Zalo answers HTTP 200 with a non-zero `error`; explain the common ones to the editor.
# Zalo's "slow down" answers (assumption from the OA error list: -32 request rate exceeded,
# -211 quota used up): nothing was created, the OA waits and is tried again later.
THROTTLING_CODES = {-32: "vượt giới hạn số lần gọi API", -211: "đã dùng hết hạn mức (quota)"}
KNOWN_ERRORS = {
    -216: "mã truy cập (access token) không hợp lệ hoặc đã hết hạn",
    -224: "tính năng bài viết không có trong gói OA hiện tại",
    -14020: "refresh token đã được dùng (mỗi refresh token chỉ dùng một lần)",
}


class ZaloChannel(Channel):
    """A Zalo OA article; the receipt id comes from `article/verify`."""

    code = "zalo"
    label = "Zalo OA"
    kind = "online"

    def validate(self, item: ContentItem) -> list[str]:
        """A title of at most 150 characters and a non-empty body."""
        problems = []
        title = article_title(item)
        if not title:
            problems.append("Bài viết Zalo OA cần có tiêu đề.")
        elif len(title) > MAX_TITLE:
            problems.append(f"Tiêu đề dài {len(title)} ký tự, Zalo OA chỉ cho tối đa {MAX_TITLE}.")
        # No description check: `description_of` derives it and shortens it to 300 characters.
        return problems + require_text(item, "Nội dung bài viết")

    def render(self, item: ContentItem) -> str:
        """The article as text: its title (the headline), blank line, body as post text, link if any."""
        return post_text(item)

    def deliver(self, item: ContentItem, target: TargetInfo, settings: ChannelSettings, *,
                now: datetime, scheduled_at: datetime | None = None, reference: int | None = None) -> Receipt:
        """Create the article, then verify it to learn its id."""
        if scheduled_at is not None:
            raise ChannelError("no_scheduling", "Zalo OA không hỗ trợ hẹn giờ đăng bài viết.")
        token = settings.get("ZALO_ACCESS_TOKEN", "")
        if not token:
            raise ChannelError("no_token", "Chưa cấu hình mã truy cập Zalo OA (access token).")
        created = self._call(settings, token, "create", article_payload(item, settings, reference))
        article_token = str((created.get("data") or {}).get("token", ""))
        if not article_token:
            raise transport.unclear_answer(PLATFORM, 200)
        try:
            verified = self._call(settings, token, "verify", {"token": article_token})
        except ChannelError as exc:  # the article exists already: never create it again
            raise OutcomeUnknown(
                "verify_failed",
                f"Zalo OA đã nhận bài viết nhưng chưa xác minh được mã bài ({exc.message}); "
                "cần kiểm tra trên trang quản lý OA trước khi gửi lại.",
                detail={"article_token": article_token, "cause": exc.code},
            ) from exc
        article_id = str((verified.get("data") or {}).get("id", ""))
        if not article_id:
            raise OutcomeUnknown("verify_failed", "Zalo OA chưa trả về mã bài viết.",
                                 detail={"article_token": article_token})
        return Receipt(external_id=article_id,
                       detail={"oa": target.external_id, "article_token": article_token})

    def find_posts(self, target: TargetInfo, settings: ChannelSettings, *, references: dict[int, ContentItem],
                   since: datetime) -> dict[int, str | None] | None:
        """Read the OA's article list (newest first) back to `since`, looking for markers in titles."""
        token = settings.get("ZALO_ACCESS_TOKEN", "")
        if not token:
            return None
        listed: list[tuple[str, str]] = []
        base = settings.get("ZALO_API_URL", "").rstrip("/") + "/v2.0/article/getslice"
        since_ms = since.timestamp() * 1000
        for page in range(MAX_LIST_PAGES):
            try:
                answer = transport.get(f"{base}?offset={page * 10}&limit=10&type=normal", {"access_token": token},
                                       timeout=float(settings.get("CHANNEL_TIMEOUT_SECONDS", 10)), platform=PLATFORM)
            except ChannelError:
                return None
            body = answer.body or {}
            medias = (body.get("data") or {}).get("medias") if body.get("error") in (0, "0") else None
            if answer.status != 200 or not isinstance(medias, list):
                return None
            listed.extend((str(m.get("id") or ""), str(m.get("title") or "")) for m in medias)
            older = any(float(m.get("create_date") or 0) < since_ms for m in medias)
            if len(medias) < 10 or older:
                return match_listing(listed, references, article_title)
        return None  # more articles than we are willing to read: a person decides

    def _call(self, settings: ChannelSettings, token: str, action: str, payload: dict) -> dict:
        """POST one article endpoint; return the JSON body when `error` is 0."""
        url = settings.get("ZALO_API_URL", "").rstrip("/") + f"/v2.0/article/{action}"
        answer = transport.post(
            url, json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            {"Content-Type": "application/json", "access_token": token},
            timeout=float(settings.get("CHANNEL_TIMEOUT_SECONDS", 10)), platform=PLATFORM,
        )
        body = answer.body
        if body is None or "error" not in body:
            if answer.status >= 500 or 200 <= answer.status < 300:
                raise transport.unclear_answer(PLATFORM, answer.status)
            raise transport.refused_without_detail(PLATFORM, answer.status, answer.headers)
        if body.get("error") not in (0, "0"):
            raise _zalo_error(body, token, answer.headers)
        return body


def description_of(item: ContentItem) -> str:
    """The article's short description: its first paragraph, cut to 300 characters."""
    lines = [line.strip() for line in (item.plain_text or "").splitlines() if line.strip()]
    first = lines[0] if lines else (item.title or "").strip()
    if len(first) <= MAX_DESCRIPTION:
        return first
    cut = first[: MAX_DESCRIPTION - 1].rsplit(" ", 1)[0]
    return cut + "…"


def article_title(item: ContentItem) -> str:
    """The article's title: the public headline, or the message title when there is none."""
    return (item.headline or item.title or "").strip()


def article_payload(item: ContentItem, settings: ChannelSettings, reference: int | None = None) -> dict:
    """The JSON body of `article/create`: the rendered post below its title, as simple HTML.

    The invisible marker ends the title, because the OA's article list shows titles only.
    """
    mark = marker(reference) if reference is not None else ""
    body = [{"type": "text", "content": text_to_html(post_text(replace(item, headline="", title="")))}]
    return {
        "type": "normal",
        "title": article_title(item)[:MAX_TITLE - len(mark)] + mark,
        "author": str(settings.get("ZALO_AUTHOR", DEFAULT_AUTHOR))[:MAX_AUTHOR],
        "description": description_of(item),
        "cover": {"cover_type": "photo", "photo_url": settings.get("ZALO_COVER_URL", ""),
                  "status": "show"},
        "body": body,
        "status": "show",
    }


def _zalo_error(body: dict, token: str, headers: dict | None = None) -> ChannelError:
    """Zalo's `{"error": n}` as a definite ChannelError; its rate-limit codes are RateLimited."""
    try:
        code = int(body.get("error"))
    except (TypeError, ValueError):
        code = 0
    platform_message = redact(str(body.get("message", "")), [token])[:300]
    if code in THROTTLING_CODES:
        return RateLimited(f"zalo_{code}", f"Zalo OA yêu cầu gửi chậm lại (mã lỗi {code}: {THROTTLING_CODES[code]}); "
                           "chưa đăng, sẽ thử lại sau.", retry_after=transport.retry_after(headers or {}),
                           detail={"platform_code": code, "platform_message": platform_message})
    reason = KNOWN_ERRORS.get(code, platform_message or "lỗi không rõ")
    text = f"Zalo OA từ chối yêu cầu (mã lỗi {code}): {reason}."
    return ChannelError(f"zalo_{code}", text, retryable=False,
                        detail={"platform_code": code, "platform_message": platform_message})
