"""The small channel interface: content in, validation problems / deliverable / receipt out."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime

from planner.channels.marker import find_markers
from planner.channels.post_format import markdown_to_post
from planner.markup import plain_text, render_markdown

KINDS = ("broadcast", "online", "print", "manual")


@dataclass(frozen=True)
class PostImage:
    """A picture posted with the text: its SHA-256, content type, description and (when sending) bytes."""

    sha256: str
    mime: str
    alt: str = ""
    data: bytes = field(default=b"", repr=False)


@dataclass(frozen=True)
class ContentItem:
    """One message version as a channel sees it; `html` is already sanitised."""

    title: str
    body_md: str
    plain_text: str
    html: str
    audio_seconds: int | None = None
    link: str = ""
    headline: str = ""  # the public first line of a post; the title when empty
    images: tuple[PostImage, ...] = ()  # in order; online channels that take pictures post them


def content_item(title: str, body_md: str, *, headline: str | None = "", link: str | None = "",
                 audio_seconds: int | None = None, images: tuple[PostImage, ...] = ()) -> ContentItem:
    """A message version as channels see it, built the same way for the preview and for sending."""
    return ContentItem(title=title or "", body_md=body_md or "", plain_text=plain_text(body_md or ""),
                       html=render_markdown(body_md or ""), audio_seconds=audio_seconds,
                       link=(link or "").strip(), headline=(headline or "").strip(), images=tuple(images))


@dataclass(frozen=True)
class TargetInfo:
    """Where a delivery goes: a page, an OA, a village cluster…; `external_id` is the platform id."""

    name: str
    external_id: str


@dataclass(frozen=True)
class ChannelSettings:
    """The app config dict as channels need it; `repr` hides it because it holds tokens."""

    values: dict = field(repr=False)

    def get(self, key: str, default=None):
        """A setting, or `default` when it is missing or None."""
        value = self.values.get(key)
        return default if value is None else value


@dataclass(frozen=True)
class Receipt:
    """Proof that the platform accepted a delivery; `detail` never contains secrets."""

    external_id: str
    detail: dict = field(default_factory=dict)


class ChannelError(Exception):
    """The platform refused or failed before/without accepting: a definite failure.

    `message` is Vietnamese and safe to show; `retryable` says whether sending again later
    may succeed (throttling, unreachable host); `detail` is extra safe data for the log.
    """

    def __init__(self, code: str, message: str, retryable: bool = False,
                 detail: dict | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable
        self.detail = dict(detail or {})

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r}, retryable={self.retryable})"


class RateLimited(ChannelError):
    """The platform refused because of rate limiting: nothing was published, send again after a wait.

    `retry_after` is the platform's own estimate in seconds (None when it gave none); `scope` says
    whether the limit is the target's ("target": this page / OA) or the whole app's ("channel").
    """

    def __init__(self, code: str, message: str, *, retry_after: float | None = None, scope: str = "target",
                 detail: dict | None = None) -> None:
        super().__init__(code, message, retryable=True, detail=detail)
        self.retry_after = retry_after
        self.scope = scope


class OutcomeUnknown(ChannelError):
    """The request may have reached the platform (timeout or reset after sending, unclear answer).

    The delivery becomes 'unknown' and is reconciled by a person; it is NEVER retried
    automatically, because a second publish call would double-post.
    """

    def __init__(self, code: str, message: str, detail: dict | None = None) -> None:
        super().__init__(code, message, retryable=False, detail=detail)


class Channel(ABC):
    """A medium: validates a message version for it, renders its deliverable, delivers it."""

    code: str = ""
    label: str = ""
    kind: str = ""  # one of KINDS
    posts_images: bool = False  # True when `deliver` posts the item's pictures with the text

    @property
    def is_online(self) -> bool:
        """True when the worker publishes by itself (no person in the loop)."""
        return self.kind == "online"

    @abstractmethod
    def validate(self, item: ContentItem) -> list[str]:
        """Vietnamese problems for this medium (length, duration, size); [] when fine."""

    @abstractmethod
    def render(self, item: ContentItem) -> str:
        """The deliverable text: post text, loudspeaker script, slogan…"""

    def deliver(self, item: ContentItem, target: TargetInfo, settings: ChannelSettings, *,
                now: datetime, scheduled_at: datetime | None = None, reference: int | None = None) -> Receipt:
        """Publish `item` to `target`; only online channels do, the others raise ChannelError.

        `reference` (the delivery id) is put in the post as an invisible marker (`marker.py`) so
        `find_posts` can tell later whether a post whose outcome was unclear reached the platform.
        """
        raise ChannelError(
            "not_online",
            f"Kênh {self.label} không đăng tự động: cần người thực hiện và xác nhận.",
        )

    def find_posts(self, target: TargetInfo, settings: ChannelSettings, *, references: dict[int, ContentItem],
                   since: datetime) -> dict[int, str | None] | None:
        """Which of `references` (delivery id → what it posted) exist on the platform since `since`.

        Returns {reference: platform post id} for those found, {reference: None} for those it cannot
        be sure about (an unmarked post with the same text: the marker may have been stripped), and
        leaves out those certainly absent. None means the platform cannot tell at all (no listing
        API, an error, too many posts to read): a person has to look. Reading never publishes.
        """
        return None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.code}>"


def post_text(item: ContentItem, *, with_link: bool = True) -> str:
    """A social post as the editor previews it and the platform receives it (one function for both).

    The headline (or the title) is the first line, then the body as post text (links keep their
    address, lists their numbers, paragraphs their blank line, hashtag lines their `#`), then the
    message's link on its own line when the channel allows it and the body does not already hold it.
    """
    body = markdown_to_post(item.body_md) if item.body_md else (item.plain_text or "").strip()
    parts = [p for p in ((item.headline or item.title or "").strip(), body) if p]
    link = (item.link or "").strip()
    if with_link and link and link not in body:
        parts.append(link)
    return "\n\n".join(parts)


def match_listing(listed: list[tuple[str, str]], references: dict[int, ContentItem],
                  visible_text) -> dict[int, str | None]:
    """Match listed posts (id, text) to references: by marker, or "unsure" when an unmarked post
    begins like a reference that was not found (`visible_text(item)`; first 100 characters compared,
    so a platform shortening a title still counts as the same)."""
    found: dict[int, str | None] = {}
    unmarked = set()
    for post_id, text in listed:
        marks = find_markers(text)
        for reference in marks:
            if reference in references and post_id:
                found[reference] = post_id
        if not marks and text.strip():
            unmarked.add(text.strip()[:100])
    for reference, item in references.items():
        if reference not in found and visible_text(item).strip()[:100] in unmarked:
            found[reference] = None
    return found


def require_text(item: ContentItem, what: str = "Nội dung") -> list[str]:
    """The common 'not empty' check, as a list of problems."""
    if not (item.plain_text or "").strip():
        return [f"{what} đang trống."]
    return []


def redact(text: str, secrets: list[str]) -> str:
    """`text` with every non-empty secret replaced by '***' (platforms sometimes echo tokens)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
