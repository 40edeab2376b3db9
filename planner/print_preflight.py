"""Preflight of a print product: text outside the safe area or over other text (after layout), page
count against the product, every font embedded, PDF/X output intent, page boxes and no RGB colour.
Independent of Flask and the database.

The layout checks read WeasyPrint's laid-out boxes, so a clipped word or URL is found before a PDF
is handed to anyone; the PDF checks read the written file back with pypdf.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from planner.print_documents import PrintError

PX_PER_MM = 96 / 25.4  # WeasyPrint lays out in CSS pixels
SAFE_MM = 3.0  # text keeps this far inside the trim (at full size; scaled with a 1:10 drawing)


@dataclass
class Preflight:
    """The checks a proof passed, shown to the orderer and stored with the proof."""

    checks: list[str] = field(default_factory=list)

    def passed(self, text: str) -> None:
        self.checks.append(text)


def _text_of(box) -> str:
    text = getattr(box, "text", None)
    if text is not None:
        return text
    return "".join(_text_of(child) for child in getattr(box, "children", None) or ())


def _line_rects(box, found: list) -> None:
    """(x0, y0, x1, y1, text) of every line that draws something, from its inline children's extents."""
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.LineBox):
        parts = []
        stack = list(box.children)
        while stack:
            child = stack.pop()
            if isinstance(child, (boxes.TextBox, boxes.InlineReplacedBox, boxes.InlineBlockBox)):
                if child.width > 0 and (not isinstance(child, boxes.TextBox) or child.text.strip()):
                    parts.append((child.position_x, child.position_y,
                                  child.position_x + child.margin_width(), child.position_y + child.margin_height()))
            else:
                stack.extend(getattr(child, "children", None) or ())
        if parts:
            found.append((min(p[0] for p in parts), min(p[1] for p in parts), max(p[2] for p in parts),
                          max(p[3] for p in parts), _text_of(box).strip()))
        return
    for child in getattr(box, "children", None) or ():
        if not _is_slug(child):  # marks and the scale label belong outside the trim
            _line_rects(child, found)


def _is_slug(box) -> bool:
    element = getattr(box, "element", None)
    return element is not None and "slug" in (element.get("class") or "").split()


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return f"“{text[:60]}…”" if len(text) > 60 else f"“{text}”"


def check_layout(document, *, scale: int) -> list[str]:
    """Problems of laid-out pages: a line past the safe area (3 mm inside the trim) or over another line."""
    safe = SAFE_MM / scale * PX_PER_MM
    problems: list[str] = []
    for number, page in enumerate(document.pages, start=1):
        page_box = page._page_box  # WeasyPrint's layout tree: (0, 0) is the trim's top-left corner
        width, height = page_box.margin_width(), page_box.margin_height()
        lines: list[tuple] = []
        _line_rects(page_box, lines)
        for x0, y0, x1, y1, text in lines:
            if x0 < safe - 0.5 or y0 < safe - 0.5 or x1 > width - safe + 0.5 or y1 > height - safe + 0.5:
                problems.append(f"Trang {number}: chữ tràn ra ngoài vùng in an toàn (cách mép xén "
                                f"{SAFE_MM:g} mm): {_excerpt(text)}.")
        lines.sort(key=lambda r: r[1])
        for i, (x0, y0, x1, y1, text) in enumerate(lines):
            for ox0, oy0, ox1, oy1, other in lines[i + 1:]:
                if oy0 >= y1 - 1:
                    break
                if min(x1, ox1) - max(x0, ox0) > 1 and min(y1, oy1) - max(y0, oy0) > 1:
                    problems.append(f"Trang {number}: chữ chồng lên nhau: {_excerpt(text)} và {_excerpt(other)}.")
        if len(problems) >= 5:
            break
    return problems[:5]


def check_pdf(data: bytes, *, pages: int, max_pages: int, label: str,
              trim_mm: tuple[float, float] | None = None, scale: int = 1) -> Preflight:
    """Page count, embedded fonts and PDF/X (output intent, boxes, CMYK), read back from the written PDF.

    With `trim_mm` (the ordered size) every page's TrimBox must measure trim_mm / scale.
    """
    import pypdf

    if pages > max_pages:
        raise PrintError(f"Nội dung quá dài cho {label}: cần {pages} trang, tối đa {max_pages}. "
                         "Hãy rút gọn nội dung.")
    reader = pypdf.PdfReader(io.BytesIO(data))
    missing = sorted(set(fonts_not_embedded(reader)))
    if missing:
        raise PrintError("Phông chữ chưa được nhúng vào tệp in: " + ", ".join(missing[:5]) + ".")
    problems = pdfx_problems(reader, trim_mm=trim_mm, scale=scale)
    if problems:
        raise PrintError("Tệp in chưa đạt PDF/X: " + " ".join(problems[:3]))
    intent = reader.trailer["/Root"]["/OutputIntents"][0].get_object()
    result = Preflight()
    result.passed(f"Số trang: {pages} (tối đa {max_pages} với {label}).")
    result.passed("Mọi phông chữ đã được nhúng; mọi ký tự đều có trong phông đi kèm.")
    result.passed(f"Chữ nằm trong vùng an toàn ({SAFE_MM:g} mm trong mép xén), không chồng lên nhau.")
    result.passed("Không có ảnh điểm (mã QR là hình vectơ), nên không có ảnh dưới 300 dpi.")
    result.passed(f"{pdfx_version(reader)} với hồ sơ màu CMYK {intent.get('/OutputConditionIdentifier')} "
                  "(ý định đầu ra); màu CMYK, chữ đen chỉ dùng mực K.")
    result.passed("Mỗi trang có hộp xén (TrimBox) và hộp tràn lề (BleedBox) đúng, không có ArtBox.")
    return result


_RGB_OPERATOR = re.compile(rb"(?m)^[-\d. ]+ (?:rg|RG)$")  # WeasyPrint writes one operator per line


def pdfx_version(reader) -> str:
    """The PDF/X version the file claims (XMP for PDF/X-4, the Info dictionary for PDF/X-1a), or ""."""
    metadata = reader.trailer["/Root"].get("/Metadata")
    if metadata is not None:
        found = re.search(rb"GTS_PDFXVersion>([^<]+)<", metadata.get_object().get_data())
        if found:
            return found.group(1).decode()
    info = reader.trailer.get("/Info")
    return str(info.get_object().get("/GTS_PDFXVersion", "")) if info is not None else ""


def _box(page, name: str):
    value = page.get(name)
    return [float(v) for v in value] if value is not None else None


def _inside(inner, outer, slack: float = 0.01) -> bool:
    return (inner[0] >= outer[0] - slack and inner[1] >= outer[1] - slack
            and inner[2] <= outer[2] + slack and inner[3] <= outer[3] + slack)


def _xobjects(resources, depth: int = 0):
    """The image and form XObjects of a page's resources, and of its forms' resources (two levels deep)."""
    xobjects = (resources.get_object().get("/XObject") if resources is not None else None) or {}
    for xobject in xobjects.values():
        xobject = xobject.get_object()
        yield xobject
        if xobject.get("/Subtype") == "/Form" and depth < 2:
            yield from _xobjects(xobject.get("/Resources"), depth + 1)


def _rgb_in_page(page) -> tuple[bool, bool]:
    """(an RGB colour operator, a DeviceRGB image) in the page's content or in its forms."""
    streams, rgb_image = [], False
    contents = page.get_contents()
    if contents is not None:
        streams.append(contents.get_data())
    for xobject in _xobjects(page.get("/Resources")):
        if xobject.get("/Subtype") == "/Image" and xobject.get("/ColorSpace") == "/DeviceRGB":
            rgb_image = True
        elif xobject.get("/Subtype") == "/Form":
            streams.append(xobject.get_data())
    return any(_RGB_OPERATOR.search(data) for data in streams), rgb_image


def pdfx_problems(reader, *, trim_mm: tuple[float, float] | None = None, scale: int = 1) -> list[str]:
    """What keeps a print file from being PDF/X for the shop: output intent, version, boxes, RGB colour."""
    problems = []
    intents = reader.trailer["/Root"].get("/OutputIntents") or []
    profiles = [intent.get_object().get("/DestOutputProfile") for intent in intents
                if intent.get_object().get("/S") == "/GTS_PDFX"]
    if not profiles or profiles[0] is None or profiles[0].get_object().get("/N") != 4:
        problems.append("Thiếu ý định đầu ra (OutputIntent) với hồ sơ màu CMYK.")
    if not pdfx_version(reader).startswith("PDF/X-"):
        problems.append("Thiếu khai báo phiên bản PDF/X.")
    for number, page in enumerate(reader.pages, start=1):
        media, trim, bleed = _box(page, "/MediaBox"), _box(page, "/TrimBox"), _box(page, "/BleedBox")
        if trim is None or bleed is None:
            problems.append(f"Trang {number}: thiếu hộp xén (TrimBox) hoặc hộp tràn lề (BleedBox).")
        elif not (_inside(trim, bleed) and _inside(bleed, media)):
            problems.append(f"Trang {number}: hộp xén phải nằm trong hộp tràn lề, hộp tràn lề trong khổ giấy.")
        elif trim_mm is not None and any(abs((trim[i + 2] - trim[i]) * 25.4 / 72 - trim_mm[i] / scale) > 0.2
                                         for i in (0, 1)):
            problems.append(f"Trang {number}: hộp xén không đúng khổ đặt in.")
        if "/ArtBox" in page:
            problems.append(f"Trang {number}: có ArtBox bên cạnh TrimBox (PDF/X chỉ cho một trong hai).")
        rgb_colour, rgb_image = _rgb_in_page(page)
        if rgb_colour:
            problems.append(f"Trang {number}: có màu RGB (PDF/X cho máy in offset chỉ dùng CMYK).")
        if rgb_image:
            problems.append(f"Trang {number}: có ảnh RGB (ảnh in offset phải chuyển sang CMYK).")
    return problems


def fonts_not_embedded(reader) -> list[str]:
    """Names of fonts that have no embedded font program (FontFile, FontFile2 or FontFile3)."""
    problems = []
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor else {}
            if not any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                problems.append(str(font.get("/BaseFont")))
    return problems
