"""Facebook Page channel: posts to the Graph API `/{page_id}/feed` endpoint (online)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from urllib.parse import urlencode

from planner.channels import transport
from planner.channels.marker import with_marker
from planner.channels.base import (
    Channel, ChannelError, ChannelSettings, ContentItem, PostImage, RateLimited, Receipt, TargetInfo, match_listing, redact,
    post_text, require_text,
)

MAX_POST_CHARS = 63_206  # Facebook's limit for the text of a Page post
# Graph error codes that mean "slow down": nothing was posted, sending again later is expected to work.
THROTTLING_CODES = frozenset({4, 17, 32, 613, 80001})
# Of those, the limits of the whole app or token user (every page waits), not of one page.
APP_WIDE_CODES = frozenset({4, 17})
PLATFORM = "Facebook"
MAX_IMAGES = 4          # pictures per post (the upload form allows as many)
MAX_LIST_PAGES = 10  # pages of 100 feed posts read when reconciling, at most


class FanpageChannel(Channel):
    """A Facebook Page post, published by the worker; receipt id is `PAGEID_POSTID`."""

    code = "fanpage"
    label = "Fanpage Facebook"
    kind = "online"

    def validate(self, item: ContentItem) -> list[str]:
        """Non-empty, and no longer than a Page post may be."""
        problems = require_text(item, "Nội dung bài đăng")
        try:
            length = len(self.render(item))
        except ChannelError as exc:      # beyond the Markdown limits: nothing can be sent
            return problems + [exc.message]
        if length > MAX_POST_CHARS:
            problems.append(
                f"Bài đăng dài {length:,} ký tự, vượt giới hạn {MAX_POST_CHARS:,} ký tự của Facebook."
            )
        if len(item.images) > MAX_IMAGES:
            problems.append(f"Một bài đăng có tối đa {MAX_IMAGES} ảnh.")
        return problems

    def render(self, item: ContentItem) -> str:
        """Title, a blank line, the plain text, and the link on its own line if any."""
        return post_text(item)

    posts_images = True
    keeps_progress = True  # dispatch hands back, in `progress`, the photos uploaded by an earlier try

    def deliver(self, item: ContentItem, target: TargetInfo, settings: ChannelSettings, *,
                now: datetime, scheduled_at: datetime | None = None, reference: int | None = None,
                progress: dict | None = None) -> Receipt:
        """Publish the post (optionally scheduled on Facebook's side) and return its id.

        No picture: `POST /{page}/feed` with `message` (and `link`, from which Facebook draws the card).
        One picture: `POST /{page}/photos` with the file and the text as `caption` (the link stays in the
        text: photo posts have no link card). Several: each uploaded unpublished first, then one feed post
        with `attached_media[]`; the photo ids go into `progress["photos"]` (SHA-256 → id) as they arrive,
        so a retry after a refused or rate-limited call attaches them instead of uploading again.
        """
        page_id = target.external_id
        token = (settings.get("FACEBOOK_PAGE_TOKENS", {}) or {}).get(page_id)
        if not token:
            raise ChannelError(
                "no_token", f"Chưa cấu hình mã truy cập (page token) cho trang {target.name}.",
            )
        if any(not image.data for image in item.images):
            raise ChannelError("image_missing", "Không đọc được tệp ảnh của tin; cần tải ảnh lên lại rồi duyệt lại.")
        when = {}
        if scheduled_at is not None:
            when = dict(published="false", scheduled_publish_time=str(_schedule_epoch(scheduled_at, now, settings)))
        text = with_marker(self.render(item), reference)
        if len(item.images) == 1:
            image = item.images[0]
            answer = _upload(settings, page_id, image, {"caption": text, **when, "access_token": token})
            return _receipt(answer, token, page_id, id_key="post_id")
        fields = {"message": text}
        if item.images:
            photos = (progress if progress is not None else {}).setdefault("photos", {})
            for number, image in enumerate(item.images):
                if image.sha256 not in photos:
                    extra = {"temporary": "true"} if scheduled_at is not None else {}
                    answer = _upload(settings, page_id, image,
                                     {"published": "false", **extra, "access_token": token})
                    photos[image.sha256] = _receipt(answer, token, page_id).external_id
                fields[f"attached_media[{number}]"] = json.dumps({"media_fbid": photos[image.sha256]})
        elif item.link:
            fields["link"] = item.link
        fields.update(when, access_token=token)
        answer = transport.post(
            _endpoint(settings, page_id, "feed"), urlencode(fields).encode("utf-8"),
            {"Content-Type": "application/x-www-form-urlencoded"},
            timeout=float(settings.get("CHANNEL_TIMEOUT_SECONDS", 10)), platform=PLATFORM,
        )
        return _receipt(answer, token, page_id)

    def find_posts(self, target: TargetInfo, settings: ChannelSettings, *, references: dict[int, ContentItem],
                   since: datetime) -> dict[int, str | None] | None:
        """Read the page's feed since `since` (newest first, following `paging.next`) for markers."""
        token = (settings.get("FACEBOOK_PAGE_TOKENS", {}) or {}).get(target.external_id)
        if not token:
            return None
        query = urlencode({"fields": "id,message,created_time", "since": int(since.timestamp()),
                           "limit": 100, "access_token": token})
        url = _endpoint(settings, target.external_id, "feed") + "?" + query
        listed: list[tuple[str, str]] = []
        for _ in range(MAX_LIST_PAGES):
            try:
                answer = transport.get(url, {}, timeout=float(settings.get("CHANNEL_TIMEOUT_SECONDS", 10)),
                                       platform=PLATFORM)
            except ChannelError:
                return None
            body = answer.body or {}
            if answer.status != 200 or not isinstance(body.get("data"), list):
                return None
            listed.extend((str(post.get("id") or ""), str(post.get("message") or "")) for post in body["data"])
            url = (body.get("paging") or {}).get("next")
            if not url:
                return match_listing(listed, references, self.render)
            if "access_token=" not in url:
                url += ("&" if "?" in url else "?") + urlencode({"access_token": token})
        return None  # more posts than we are willing to read: a person decides


def _endpoint(settings: ChannelSettings, page_id: str, edge: str) -> str:
    return "{}/{}/{}/{}".format(settings.get("FACEBOOK_GRAPH_URL", "").rstrip("/"),
                                settings.get("FACEBOOK_GRAPH_VERSION", "v21.0"), page_id, edge)


def _upload(settings: ChannelSettings, page_id: str, image: PostImage, fields: dict) -> transport.HttpAnswer:
    """`POST /{page}/photos` with the picture as the multipart file `source`."""
    body, kind = transport.multipart(fields, {"source": (f"{image.sha256[:16]}.{image.mime.split('/')[-1]}",
                                                         image.mime, image.data)})
    return transport.post(_endpoint(settings, page_id, "photos"), body, {"Content-Type": kind},
                          timeout=float(settings.get("CHANNEL_TIMEOUT_SECONDS", 10)), platform=PLATFORM)


def _schedule_epoch(scheduled_at: datetime, now: datetime, settings: ChannelSettings) -> int:
    """Epoch seconds for `scheduled_publish_time`, inside Facebook's allowed window."""
    if scheduled_at.tzinfo is None:
        raise ChannelError("bad_schedule", "Thời điểm hẹn đăng phải có múi giờ.")
    min_lead = timedelta(seconds=int(settings.get("FACEBOOK_MIN_LEAD_SECONDS", 600)))
    max_lead = timedelta(days=int(settings.get("FACEBOOK_MAX_LEAD_DAYS", 30)))
    lead = scheduled_at - now
    if lead < min_lead:
        raise ChannelError(
            "schedule_too_soon",
            f"Facebook chỉ nhận hẹn đăng trước ít nhất {int(min_lead.total_seconds() // 60)} phút.",
        )
    if lead > max_lead:
        raise ChannelError(
            "schedule_too_far",
            f"Facebook chỉ nhận hẹn đăng trong vòng {max_lead.days} ngày tới.",
        )
    return int(scheduled_at.timestamp())


def _receipt(answer: transport.HttpAnswer, token: str, page_id: str, id_key: str = "id") -> Receipt:
    """Turn the Graph answer into a receipt or the right error; the token never leaves here.

    `id_key`: a photo post answers with the photo's `id` and the page post's `post_id`; the post is the receipt."""
    body = answer.body
    if body and isinstance(body.get("error"), dict):
        raise _graph_error(body["error"], token, answer.status, answer.headers)
    if 200 <= answer.status < 300 and body and body.get("id"):
        detail = transport.without_secrets(body)
        detail.update(page_id=page_id, http_status=answer.status)
        return Receipt(external_id=str(body.get(id_key) or body["id"]), detail=detail)
    if answer.status >= 500 or 200 <= answer.status < 300:
        raise transport.unclear_answer(PLATFORM, answer.status)
    raise transport.refused_without_detail(PLATFORM, answer.status, answer.headers)


def _graph_error(error: dict, token: str, status: int, headers: dict | None = None) -> ChannelError:
    """A Graph `{"error": {...}}` as a definite ChannelError; throttling (or HTTP 429) is RateLimited."""
    try:
        code = int(error.get("code"))
    except (TypeError, ValueError):
        code = 0
    platform_message = redact(str(error.get("message", "")), [token])[:300]
    retryable = code in THROTTLING_CODES or status == 429
    if retryable:
        text = f"Facebook đang giới hạn tần suất đăng (mã lỗi {code}); sẽ thử lại sau."
    else:
        text = f"Facebook từ chối bài đăng (mã lỗi {code})."
    if platform_message:
        text += f" Chi tiết: {platform_message}"
    detail = {"platform_code": code, "http_status": status}
    for key in ("type", "error_subcode", "fbtrace_id"):
        if key in error:
            detail[key] = redact(str(error[key]), [token])
    if retryable:
        return RateLimited(f"facebook_{code}", text, retry_after=transport.retry_after(headers or {}),
                           scope="channel" if code in APP_WIDE_CODES else "target", detail=detail)
    return ChannelError(f"facebook_{code}", text, detail=detail)
