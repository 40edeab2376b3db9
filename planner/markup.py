"""The one Markdown function: Markdown → sanitised HTML (allow-list), used by pages and PDFs."""
from __future__ import annotations

import re

import markdown
import nh3

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "u", "s", "ul", "ol", "li", "blockquote", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "a", "code", "pre", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
EXTENSIONS = ["extra", "sane_lists", "nl2br"]


def render_markdown(text: str, *, heading_offset: int = 0) -> str:
    """Render Markdown typed by anyone into HTML that is safe to put in a page or a PDF.

    `heading_offset` demotes headings (1: '#' becomes h2) so a body fits under the page's own h1.
    """
    html = markdown.markdown(text or "", extensions=EXTENSIONS, output_format="html")
    if heading_offset:
        html = re.sub(r"<(/?)h([1-6])\b", lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + heading_offset)}", html)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def plain_text(text: str) -> str:
    """The visible text of a Markdown body (for loudspeaker scripts, posts and length checks)."""
    html = markdown.markdown(text or "", extensions=EXTENSIONS, output_format="html")
    stripped = nh3.clean(html.replace("</p>", "</p>\n").replace("<br />", "\n").replace("</li>", "</li>\n"),
                         tags=set())
    import html as html_mod

    lines = [html_mod.unescape(line).strip() for line in stripped.splitlines()]
    return "\n".join(line for line in lines if line)
