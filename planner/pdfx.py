"""PDF/X for the print shop: the bundled CMYK profile, the press palette and the variant options.

WeasyPrint writes PDF/X itself (`pdf_variant`): it sets the version keys, the document ID, Trapped,
TrimBox and BleedBox from the CSS `@page` bleed, and attaches an OutputIntent (S /GTS_PDFX) whose
DestOutputProfile is the profile declared as `@color-profile device-cmyk`. This module supplies that
rule (pointing at the bundled FOGRA39 profile), the CMYK colours the print templates use, the
conversion of an ordered #RRGGBB colour to CMYK through the same profile, and a finisher that turns any
RGB colour still in the content streams into CMYK. Raster images are not converted: WeasyPrint embeds
them as DeviceRGB, which PDF/X with a CMYK intent forbids, so the preflight refuses them (print products
have none; the QR code is vector). Independent of Flask.
"""
from __future__ import annotations

import functools
import re
from pathlib import Path

ICC_DIR = Path(__file__).resolve().parent / "print_icc"
PROFILE_FILE = "FOGRA39L_coated.icc"  # ISO 12647-2 coated paper (FOGRA39), CC0: see print_icc/LICENSE.md
PROFILE_CONDITION = "FOGRA39"  # the profile's model tag; WeasyPrint uses it as OutputConditionIdentifier
ICC_URL_PREFIX = "planner-icc:"  # the restricted fetcher serves print_icc/NAME.icc for this prefix
_ICC_NAME_RE = re.compile(r"[A-Za-z0-9_-]+\.icc")

DEFAULT_VARIANT = "pdf/x-4"
# PDF/X-1a (PDF 1.4, no transparency, CMYK only) is what some shops still ask for; WeasyPrint writes it
# with the same options. PDF/X-4 keeps live transparency and is the default.
VARIANTS = {"pdf/x-4": "PDF/X-4", "pdf/x-1a": "PDF/X-1a:2003"}

# The press palette: the colours print products may use, in CMYK (0–1). Text is black as K only
# (never four-colour black) and greys are tints of K, so small type stays sharp on press.
PALETTE = {
    "ink": (0, 0, 0, 1),            # body text, black as K only
    "red": (0, 0.95, 0.95, 0),      # flag red (#DA251D on screen)
    "dark-red": (0, 0.95, 0.90, 0.25),  # headings (#B0171F)
    "yellow": (0, 0.18, 1, 0),      # star yellow (#FFCD00)
    "pale-yellow": (0, 0.04, 0.25, 0),  # box background (#FFF3C4)
    "white": (0, 0, 0, 0),          # paper
    "grey-70": (0, 0, 0, 0.70),     # rules and table lines (#555)
    "grey-80": (0, 0, 0, 0.80),     # imprint and small print (#444)
    "grey-85": (0, 0, 0, 0.85),     # URLs under QR codes (#333)
}
# The screen colours the templates and orders know, mapped to the palette instead of being converted.
_KNOWN_HEX = {"#DA251D": "red", "#B0171F": "dark-red", "#FFCD00": "yellow", "#FFF3C4": "pale-yellow",
              "#FFFFFF": "white", "#000000": "ink", "#555555": "grey-70", "#444444": "grey-80",
              "#333333": "grey-85"}


def css_cmyk(cmyk: tuple[float, ...]) -> str:
    """A CSS device-cmyk() colour from four 0–1 values."""
    return "device-cmyk(" + " ".join(f"{round(v, 3):g}" for v in cmyk) + ")"


def palette_css() -> str:
    """`:root` custom properties --press-NAME for every palette colour (included by the print CSS)."""
    return ":root { " + " ".join(f"--press-{name}: {css_cmyk(value)};" for name, value in PALETTE.items()) + " }"


def profile_css() -> str:
    """The @color-profile rule that makes DeviceCMYK mean the bundled profile (and the output intent)."""
    return (f"@color-profile device-cmyk {{ src: url({ICC_URL_PREFIX}{PROFILE_FILE}); "
            "components: cyan, magenta, yellow, black; }")


def icc_bytes(name: str) -> bytes | None:
    """A bundled profile's bytes for the restricted fetcher, None for any other name."""
    path = ICC_DIR / name
    if _ICC_NAME_RE.fullmatch(name) and path.is_file():
        return path.read_bytes()
    return None


@functools.lru_cache(maxsize=256)
def hex_to_cmyk(value: str) -> tuple[float, float, float, float]:
    """CMYK of a #RRGGBB screen colour: the palette for known colours, K only for greys, else the profile."""
    value = value.upper()
    if value in _KNOWN_HEX:
        return PALETTE[_KNOWN_HEX[value]]
    r, g, b = (int(value[i:i + 2], 16) for i in (1, 3, 5))
    if r == g == b:  # a grey stays a tint of black, not a four-colour grey
        return (0, 0, 0, round(1 - r / 255, 3))
    c, m, y, k = _srgb_to_press().apply(_rgb_image(r, g, b)).getpixel((0, 0))
    return tuple(round(v / 255, 3) for v in (c, m, y, k))


def hex_to_css_cmyk(value: str) -> str:
    """A #RRGGBB colour as CSS device-cmyk() (the print templates' `cmyk` filter)."""
    return css_cmyk(hex_to_cmyk(value))


def _rgb_image(r: int, g: int, b: int):
    from PIL import Image

    return Image.new("RGB", (1, 1), (r, g, b))


@functools.lru_cache(maxsize=1)
def _srgb_to_press():
    """sRGB → bundled CMYK profile, relative colorimetric with black point compensation."""
    from PIL import ImageCms

    return ImageCms.buildTransform(ImageCms.createProfile("sRGB"), str(ICC_DIR / PROFILE_FILE), "RGB", "CMYK",
                                   renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
                                   flags=ImageCms.Flags.BLACKPOINTCOMPENSATION)


_RGB_ITEM = re.compile(rb"(-?[\d.]+) (-?[\d.]+) (-?[\d.]+) (rg|RG)")


def rgb_to_cmyk_finisher(document, pdf) -> None:
    """WeasyPrint finisher: every RGB colour left in a content stream becomes CMYK (before compression).

    Templates use the CMYK palette; this catches what they do not control — WeasyPrint's own crop marks
    (an SVG stroked "black"), a template that still says #000 — so black becomes K only, greys tints of
    K and any other colour goes through the profile. The preflight still refuses RGB it finds.
    """
    import pydyf

    for obj in pdf.objects:
        if not isinstance(obj, pydyf.Stream):
            continue
        for index, item in enumerate(obj.stream):
            if isinstance(item, bytes) and len(item) < 64 and (found := _RGB_ITEM.fullmatch(item)):
                rgb = "#" + "".join(f"{round(min(max(float(v), 0), 1) * 255):02X}" for v in found.groups()[:3])
                operator = b"k" if found.group(4) == b"rg" else b"K"
                obj.stream[index] = " ".join(f"{v:g}" for v in hex_to_cmyk(rgb)).encode() + b" " + operator


def render_options(variant: str | None) -> dict:
    """WeasyPrint options for a variant ({} for an office document printed as plain RGB)."""
    if variant is None:
        return {}
    if variant not in VARIANTS:
        raise ValueError(f"unknown PDF/X variant {variant!r}")
    return {"pdf_variant": variant}
