"""Print channels (leaflet, banner, poster): text for print orders; PDFs come from `printing`."""
from __future__ import annotations

from planner.channels.base import Channel, ContentItem, require_text


class PrintChannel(Channel):
    """A printed product; `max_chars` bounds the text (a banner slogan must stay readable)."""

    kind = "print"

    def __init__(self, code: str, label: str, *, max_chars: int | None = None,
                 upper: bool = False) -> None:
        self.code = code
        self.label = label
        self.max_chars = max_chars
        self.upper = upper

    def validate(self, item: ContentItem) -> list[str]:
        """Non-empty; no longer than `max_chars` when the product has a limit."""
        problems = require_text(item, f"Nội dung {self.label.lower()}")
        length = len(self.render(item))
        if self.max_chars is not None and length > self.max_chars:
            problems.append(
                f"Khẩu hiệu trên {self.label.lower()} dài {length} ký tự; nên không quá "
                f"{self.max_chars} ký tự để đọc được từ xa."
            )
        return problems

    def render(self, item: ContentItem) -> str:
        """The plain text (lines kept); upper-cased for banners."""
        lines = [line.strip() for line in (item.plain_text or "").splitlines() if line.strip()]
        text = "\n".join(lines)
        return text.upper() if self.upper else text
