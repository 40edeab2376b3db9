"""What a print product says, from the approved version only: the public headline (never the internal
title's label), a banner's slogan (the body, exactly as approved), a leaflet cover's lead and QR link,
the products that fit a message, and characters the bundled fonts cannot print. Pure: no WeasyPrint,
Flask or database.
"""
from __future__ import annotations

import html as html_lib
import re
import unicodedata

from planner.print_documents import PRODUCTS, PrintError, unsupported_characters

# Which products fit a message of each print channel: a slogan becomes a banner, flag or poster; a leaflet
# text a leaflet or poster; a poster text a poster. "custom" takes the message's own layout.
FITTING_PRODUCTS: dict[str, tuple[str, ...]] = {
    "banner": ("banner_08x5", "banner_09x6", "banner_1x6", "banner_3x1", "flag_06x2", "poster_a2", "poster_a1",
               "poster_a0", "custom"),
    "leaflet": ("leaflet_a5", "leaflet_a4", "leaflet_trifold_a4", "poster_a2", "poster_a1", "poster_a0"),
    "poster": ("poster_a2", "poster_a1", "poster_a0", "custom"),
}
CHANNEL_NAMES = {"banner": "khẩu hiệu", "leaflet": "nội dung tờ rơi", "poster": "nội dung áp phích"}


def products_for(channel: str) -> tuple[str, ...]:
    """The product codes a message of this channel can be printed as (for the order form and its check)."""
    return FITTING_PRODUCTS.get(channel, ())


def product_fit_problem(product: str, channel: str) -> str:
    """'' when the product fits a message of this channel, else a Vietnamese reason listing what fits."""
    if product in products_for(channel):
        return ""
    fitting = ", ".join(PRODUCTS[code].label for code in products_for(channel))
    label = PRODUCTS[product].label if product in PRODUCTS else product
    return f"{label} không phù hợp với {CHANNEL_NAMES.get(channel, channel)}; hãy chọn: {fitting}."


def layout_for(product: str, channel: str) -> str:
    """The layout that prints a message of `channel` as `product`.

    A slogan keeps the banner layout at any size (a poster of a slogan is the slogan, big); a leaflet text
    printed as a poster uses the poster layout, as the tri-fold its own; "custom" keeps the message's own layout.
    """
    if channel == "banner" or product == "custom":
        return channel
    if product == "leaflet_trifold_a4":
        return "trifold"
    return "poster" if product.startswith("poster") else "leaflet" if product.startswith("leaflet") else channel


# "Áp phích: …", "Khẩu hiệu: …": internal labels of a message title, never printed.
_TITLE_LABEL_RE = re.compile(
    r"^\s*(?:áp\s*phích|khẩu\s*hiệu|tờ\s*rơi|tờ\s*gấp|băng\s*rôn|cờ\s*phướn|pa\s*nô|panô|poster|banner|"
    r"leaflet|tranh\s*cổ\s*động)\s*:\s*", re.I)
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(/?)>")
_VOID_TAGS = frozenset({"br", "hr", "img", "wbr"})
LEAD_MAX_CHARS = 420  # the cover's key message; a longer first section keeps only its first paragraph


def strip_title_label(title: str) -> str:
    """A title without its internal label: 'Áp phích: 3 điều kiện' → '3 điều kiện'."""
    text = (title or "").strip()
    stripped = _TITLE_LABEL_RE.sub("", text, count=1).strip()
    return stripped or text


def public_headline(version) -> str:
    """What a poster or leaflet cover prints as its headline: the version's public `headline` when set,
    else the title without its internal "Áp phích:"/"Khẩu hiệu:"/"Tờ rơi:" label (never the label)."""
    headline = (getattr(version, "headline", None) or "").strip()
    return headline or strip_title_label(getattr(version, "title", "") or "")


def qr_link(version, body_html: str = "") -> str:
    """The URL a cover's QR code points to: the version's `link`, else the body's first web link, else ''."""
    link = (getattr(version, "link", None) or "").strip()
    if link:
        return link
    match = re.search(r'<a href="(https?://[^"]+)"', body_html or "")
    return html_lib.unescape(match.group(1)) if match else ""


def html_text(fragment: str) -> str:
    """The visible text of an HTML fragment, whitespace collapsed."""
    text = re.sub(r"<br\s*/?>|</(?:p|li|h[1-6]|div|tr)>", " ", fragment or "")
    return " ".join(html_lib.unescape(re.sub(r"<[^>]*>", " ", text)).split())


def slogan_text(body_html: str) -> str:
    """A banner's slogan: the approved body's visible text, exactly as written (no case change)."""
    slogan = html_text(body_html)
    if not slogan:
        raise PrintError("Khẩu hiệu trống: nội dung đã duyệt của băng rôn không có chữ nào.")
    return slogan


def top_level_blocks(fragment: str) -> list[str]:
    """The top-level elements of well-formed (sanitised) HTML, e.g. ['<h1>…</h1>', '<p>…</p>', '<ul>…</ul>']."""
    blocks, depth, start = [], 0, 0
    for match in _TAG_RE.finditer(fragment or ""):
        closing, name, self_closing = match.group(1), match.group(2).lower(), match.group(3)
        if name in _VOID_TAGS or self_closing:
            if depth == 0:
                blocks.append(match.group(0))
            continue
        if closing:
            depth -= 1
            if depth == 0:
                blocks.append(fragment[start:match.end()])
        else:
            if depth == 0:
                start = match.start()
            depth += 1
    return blocks


def _same_words(a: str, b: str) -> bool:
    def words(text: str) -> list[str]:
        return re.findall(r"\w+", unicodedata.normalize("NFC", text).casefold())
    return words(a) == words(b)


def unprintable_message(text: str) -> str:
    """'' when the bundled fonts draw every character of text, else a Vietnamese reason naming them."""
    missing = unsupported_characters(html_lib.escape(text or ""))
    if not missing:
        return ""
    shown = ", ".join(f"“{ch}” (U+{ord(ch):04X})" for ch in missing[:5])
    emoji = any(unicodedata.category(ch) == "So" or ord(ch) >= 0x1F000 for ch in missing)
    return (f"Không in được ký tự {shown}: phông chữ của bản in không có"
            + (" (biểu tượng cảm xúc không in được trên ấn phẩm)" if emoji else "")
            + ". Hãy tạo phiên bản mới bỏ hoặc thay các ký tự đó rồi trình duyệt lại.")


def split_lead(body_html: str, headline: str = "") -> tuple[str, str]:
    """The cover's key message and the rest of the body, in the body's own order.

    A leading heading that repeats the headline is dropped (the cover already prints it). The lead is
    the opening section (the blocks before the next heading; a heading that opens the body comes with
    them) when it holds a paragraph; when that section is longer than LEAD_MAX_CHARS, only its blocks
    up to its first paragraph. A body that opens with no paragraph before its second heading has no lead.
    """
    blocks = top_level_blocks(body_html)
    if not blocks:
        return "", (body_html or "").strip()
    if headline and _is_heading(blocks[0]) and _same_words(html_text(blocks[0]), headline):
        blocks = blocks[1:]
    end = 1 if blocks and _is_heading(blocks[0]) else 0
    while end < len(blocks) and not _is_heading(blocks[end]):
        end += 1
    section = blocks[:end]
    first_p = next((i for i, block in enumerate(section) if block.startswith("<p")), None)
    if first_p is None:
        return "", "\n".join(blocks)
    if sum(len(html_text(block)) for block in section) > LEAD_MAX_CHARS:
        section = section[:first_p + 1]
    return "\n".join(section), "\n".join(blocks[len(section):])


def _is_heading(block: str) -> bool:
    return bool(re.match(r"<h[1-6]\b", block))
