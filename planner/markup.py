"""The one Markdown function: Markdown → sanitised HTML (allow-list), used by pages and PDFs.

Input is bounded before the parser (size, nesting depth, table size), so no body can make a page or a
PDF render run away: a 150-deep blockquote or a 60,000-character table is refused with a reason.
"""
from __future__ import annotations

import html as html_lib
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

MAX_CHARS = 20_000  # the longest library message is ≈2,400; a portal article stays well below
MAX_DEPTH = 8  # nested quotes and lists (a list inside a quote inside a list… counts each level)
MAX_HTML_DEPTH = 2 * MAX_DEPTH + 6  # each list level is two elements (ul > li), plus p, strong, table…
MAX_TABLE_ROWS = 60
MAX_TABLE_COLUMNS = 10
MAX_TABLE_CELLS = 400
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(/?)>")
_VOID_TAGS = frozenset({"br", "hr", "img", "wbr", "input"})


class MarkupError(ValueError):
    """A body that exceeds the Markdown limits; the message is Vietnamese and names the limit."""


def markdown_problems(text: str) -> list[str]:
    """Why a body may not be rendered (size, nesting, tables), in Vietnamese; [] when it is fine.

    Cheap and linear: it runs before the parser, so it is safe on any input.
    """
    text = text or ""
    if len(text) > MAX_CHARS:
        return [f"Nội dung dài {_count(len(text))} ký tự, vượt giới hạn {_count(MAX_CHARS)} ký tự."]
    problems = []
    depth = max((_line_depth(line) for line in text.splitlines()), default=0)
    if depth > MAX_DEPTH:
        problems.append(f"Nội dung lồng nhau {depth} cấp (trích dẫn, danh sách); tối đa {MAX_DEPTH} cấp.")
    rows, columns = _largest_table(text)
    if rows > MAX_TABLE_ROWS or columns > MAX_TABLE_COLUMNS or rows * columns > MAX_TABLE_CELLS:
        problems.append(f"Bảng có {rows} dòng × {columns} cột; tối đa {MAX_TABLE_ROWS} dòng, "
                        f"{MAX_TABLE_COLUMNS} cột và {MAX_TABLE_CELLS} ô.")
    return problems


def _count(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _line_depth(line: str) -> int:
    """Quote markers plus list indentation levels (4 spaces each) at the start of a line."""
    prefix = re.match(r"[ \t>]*", line).group(0)
    indent = len(prefix.rsplit(">", 1)[-1].expandtabs(4)) - (1 if ">" in prefix else 0)
    return prefix.count(">") + max(indent, 0) // 4


def _largest_table(text: str) -> tuple[int, int]:
    """(rows, columns) of the largest run of table-like lines ('|' separated), raw <tr>/<td> counted too."""
    best, run, columns = (0, 0), 0, 0
    for line in text.splitlines() + [""]:
        if "|" in line:
            run += 1
            columns = max(columns, len(line.strip().strip("|").split("|")))
        else:
            if run * max(columns, 1) > best[0] * max(best[1], 1):
                best = (run, columns)
            run, columns = 0, 0
    lower = text.lower()
    raw_rows, raw_cells = lower.count("<tr"), lower.count("<td") + lower.count("<th")
    if raw_rows:
        raw = (raw_rows, -(-raw_cells // raw_rows))
        if raw[0] * raw[1] > best[0] * best[1]:
            best = raw
    return best


def html_depth(html: str) -> int:
    """The deepest element nesting of well-formed HTML (a linear scan of its tags)."""
    depth = deepest = 0
    for match in _TAG_RE.finditer(html):
        if match.group(2).lower() in _VOID_TAGS or match.group(3):
            continue
        depth += -1 if match.group(1) else 1
        deepest = max(deepest, depth)
    return deepest


def check_markdown(text: str) -> None:
    """Raise MarkupError when a body exceeds the limits (print orders and submission call this)."""
    problems = markdown_problems(text)
    if problems:
        raise MarkupError(" ".join(problems))


def render_markdown(text: str, *, heading_offset: int = 0, strict: bool = False) -> str:
    """Render Markdown typed by anyone into HTML that is safe to put in a page or a PDF.

    `heading_offset` demotes headings (1: '#' becomes h2) so a body fits under the page's own h1.
    A body beyond the limits raises MarkupError when `strict` (print), else becomes a short notice
    with the start of the text, escaped (a page must still open to let someone fix it).
    """
    problems = markdown_problems(text)
    if problems:
        if strict:
            raise MarkupError(" ".join(problems))
        excerpt = html_lib.escape((text or "")[:500])
        return (f'<p class="markup-error"><strong>Không hiển thị được nội dung:</strong> '
                f'{html_lib.escape(" ".join(problems))}</p><p>{excerpt}…</p>')
    html = markdown.markdown(text or "", extensions=EXTENSIONS, output_format="html")
    if heading_offset:
        html = re.sub(r"<(/?)h([1-6])\b", lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + heading_offset)}", html)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    if html_depth(clean) > MAX_HTML_DEPTH:  # raw HTML nesting escapes the line check above
        problem = f"Nội dung lồng nhau quá sâu (trích dẫn, danh sách); tối đa {MAX_DEPTH} cấp."
        if strict:
            raise MarkupError(problem)
        return f'<p class="markup-error"><strong>Không hiển thị được nội dung:</strong> {problem}</p>'
    return clean


def plain_text(text: str) -> str:
    """The visible text of a Markdown body (for loudspeaker scripts, posts and length checks)."""
    html = markdown.markdown(text or "", extensions=EXTENSIONS, output_format="html")
    stripped = nh3.clean(html.replace("</p>", "</p>\n").replace("<br />", "\n").replace("</li>", "</li>\n"),
                         tags=set())
    import html as html_mod

    lines = [html_mod.unescape(line).strip() for line in stripped.splitlines()]
    return "\n".join(line for line in lines if line)
