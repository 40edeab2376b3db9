"""Portal channel: the unit's e-portal, where an editor posts the article and confirms it."""
from __future__ import annotations

from datetime import datetime
from html import escape

from planner.channels.base import (
    Channel, ChannelError, ChannelSettings, ContentItem, Receipt, TargetInfo, require_text,
)


class PortalChannel(Channel):
    """A manual channel: planner prepares the article, a person publishes and confirms it."""

    code = "portal"
    label = "Cổng thông tin điện tử"
    kind = "manual"

    def validate(self, item: ContentItem) -> list[str]:
        """A title and a non-empty body (portal CMSs require both)."""
        problems = [] if (item.title or "").strip() else ["Bài viết cần có tiêu đề."]
        return problems + require_text(item, "Nội dung bài viết")

    def render(self, item: ContentItem) -> str:
        """HTML ready to paste into the portal's editor: escaped title over the sanitised body."""
        body = item.html or ""
        if item.link:
            link = escape(item.link, quote=True)
            body += f'\n<p><a href="{link}">{escape(item.link)}</a></p>'
        return f"<h1>{escape((item.title or '').strip())}</h1>\n{body}".strip()

    def deliver(self, item: ContentItem, target: TargetInfo, settings: ChannelSettings, *,
                now: datetime, scheduled_at: datetime | None = None, reference: int | None = None) -> Receipt:
        """Never automatic: the editor posts on the portal and confirms in planner."""
        raise ChannelError("manual", "Kênh cổng thông tin do biên tập viên đăng và xác nhận thủ công")
