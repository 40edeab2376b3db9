"""Markdown → the plain text of a social post (Facebook, Zalo): what the editor previews is what is sent.

Social platforms take plain text, so the Markdown is rendered once through `planner.markup` (the
same sanitised HTML pages show) and that HTML is written back as text a reader recognises:
paragraphs separated by a blank line, line breaks kept, numbered lists keep their numbers, bullets
become "•", links keep their address ("text (https://…)"), emphasis is dropped. A line such as
`#NgocLac #VNeID` is a hashtag line, not a heading (CommonMark needs a space after `#`), so it
arrives with its `#`.
"""
from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser

from planner.markup import MarkupError, render_markdown

# "#Word" at the start of a line (no space after the hash) is a hashtag, never a heading.
_HASHTAG_LINE = re.compile(r"^(\s{0,3})#(?=[^\s#])", re.MULTILINE)
_BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "hr"}


def markdown_to_post(body_md: str) -> str:
    """The post text of a Markdown body (see the module docstring for the rules).

    A body beyond the Markdown limits raises ChannelError: a post must never go out as the notice
    a page shows in its place.
    """
    from planner.channels.base import ChannelError

    try:
        html = render_markdown(_HASHTAG_LINE.sub(r"\1\\#", body_md or ""), strict=True)
    except MarkupError as exc:
        raise ChannelError("content_too_large", f"Nội dung bài đăng không gửi được: {exc}") from None
    writer = _PostWriter()
    writer.feed(html)
    writer.close()
    return writer.text()


class _PostWriter(HTMLParser):
    """Walks sanitised HTML and collects blocks of text (a whole list is one block)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.line = ""
        self.lists: list[list] = []      # stack of [kind, next number]
        self.items: list[str] = []       # lines of the list being written
        self.links: list[tuple[str, int]] = []  # open <a>: href, where its text starts

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in ("ul", "ol"):
            self._end_item() if self.lists else self._end_block()
            self.lists.append([tag, 1])
        elif tag == "li":
            self._end_item()
            kind = self.lists[-1] if self.lists else ["ul", 1]
            bullet = f"{kind[1]}." if kind[0] == "ol" else "•"
            kind[1] += 1
            self.line = "   " * (len(self.lists) - 1) + bullet + " "
        elif tag in _BLOCKS:
            self._end_block()
            if tag == "hr":
                self.blocks.append("―――")
        elif tag == "br":
            self.line = self.line.rstrip(" ") + "\n"
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.line)))
        elif tag in ("td", "th") and self.line.strip() and not self.line.endswith("\n"):
            self.line += " | "

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.links:
            href, start = self.links.pop()
            text = self.line[start:].strip()
            if href and href not in text:
                self.line += f" ({href})" if text else href
        elif tag == "li":
            self._end_item()
        elif tag in ("ul", "ol") and self.lists:
            self._end_item()
            self.lists.pop()
            if not self.lists:
                self.blocks.append("\n".join(self.items))
                self.items = []
        elif tag == "tr":
            self.line += "\n"
        elif tag in _BLOCKS and not self.lists:
            self._end_block()

    def handle_data(self, data: str) -> None:
        if not self.line.strip():
            data = data.lstrip()  # no indentation from the HTML source
            if not data:
                return
        self.line += data

    def _end_item(self) -> None:
        if self.line.strip():
            self.items.extend(part.rstrip() for part in self.line.rstrip().split("\n") if part.strip())
        self.line = ""

    def _end_block(self) -> None:
        if self.lists:
            return self._end_item()
        if self.line.strip():
            self.blocks.append("\n".join(part.strip() for part in self.line.split("\n") if part.strip()))
        self.line = ""

    def text(self) -> str:
        """The collected blocks, separated by blank lines."""
        self._end_block()
        if self.items:
            self.blocks.append("\n".join(self.items))
        return "\n\n".join(block for block in self.blocks if block.strip())


def text_to_html(text: str) -> str:
    """Post text as minimal HTML for platforms that take HTML (Zalo articles): same words, same breaks."""
    paragraphs = [p for p in (text or "").split("\n\n") if p.strip()]
    return "".join("<p>" + "<br>".join(escape(line) for line in p.split("\n")) + "</p>" for p in paragraphs)
