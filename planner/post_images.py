"""Checking and cleaning an uploaded post image (pure: Pillow only, no Flask, no database).

An image is accepted by what it *is*, never by its name or the browser's content type: Pillow must
recognise JPEG, PNG or WebP, the file must stay under the size and pixel limits, and it is decoded
fully and written again — EXIF, GPS, comments and colour-profile extras are dropped, the EXIF
orientation is applied first so the picture still stands upright. What is stored (and sent to the
platform) is that re-encoded file, named by its SHA-256.
"""
from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

MAX_BYTES = 4 * 1024 * 1024          # 4 MB per uploaded file (Facebook takes up to 4 MB for PNG)
MAX_IMAGES = 4                       # images per message version
MAX_PIXELS = 40_000_000              # a decompression bomb is refused before decoding
MAX_SIDE = 4096                      # longer sides are scaled down (Facebook shows at most 2048)
MAX_ALT = 300
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}


class ImageProblem(ValueError):
    """An uploaded file that cannot be a post image; the message is Vietnamese and safe to show."""


@dataclass(frozen=True)
class CleanImage:
    """A re-encoded image: its bytes, content type, extension, size in pixels and SHA-256."""

    data: bytes
    mime: str
    ext: str
    width: int
    height: int
    sha256: str


def alt_problem(alt: str) -> str | None:
    """Why `alt` cannot describe an image to people who cannot see it (Vietnamese), or None."""
    alt = " ".join((alt or "").split())
    if not alt:
        return "Vui lòng nhập mô tả ảnh (cho người khiếm thị và khi ảnh không tải được)."
    if len(alt) > MAX_ALT:
        return f"Mô tả ảnh dài quá {MAX_ALT} ký tự."
    return None


def clean_image(raw: bytes) -> CleanImage:
    """Check `raw` by its content and re-encode it without metadata; ImageProblem when it cannot be used."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not raw:
        raise ImageProblem("Chưa chọn tệp ảnh hoặc tệp rỗng.")
    if len(raw) > MAX_BYTES:
        raise ImageProblem(f"Ảnh lớn quá {MAX_BYTES // (1024 * 1024)} MB; vui lòng thu nhỏ ảnh.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(raw))
            kind = probe.format
            if kind not in FORMATS:
                raise ImageProblem("Chỉ nhận ảnh JPEG, PNG hoặc WebP.")
            if probe.width * probe.height > MAX_PIXELS:
                raise ImageProblem("Ảnh có quá nhiều điểm ảnh; vui lòng thu nhỏ ảnh.")
            _load_whole(probe)
            picture = ImageOps.exif_transpose(probe)
    except ImageProblem:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageProblem("Tệp không phải ảnh JPEG, PNG hoặc WebP hợp lệ.") from None
    except (OSError, ValueError, SyntaxError):
        raise ImageProblem("Tệp ảnh bị hỏng hoặc không đọc được.") from None
    return _encode(picture, kind)


def _load_whole(probe) -> None:
    """Decode every pixel, refusing a truncated file. WeasyPrint sets Pillow's process-wide
    LOAD_TRUNCATED_IMAGES on import (it would rather draw half a picture than fail), which would let a truncated
    upload through silently; our print products embed no raster images, so turning it off here costs WeasyPrint
    nothing."""
    from PIL import ImageFile

    ImageFile.LOAD_TRUNCATED_IMAGES = False
    probe.load()


def _encode(picture, kind: str) -> CleanImage:
    """Write `picture` again in its own format with no metadata at all."""
    if max(picture.size) > MAX_SIDE:
        picture.thumbnail((MAX_SIDE, MAX_SIDE))
    mime, ext = FORMATS[kind]
    out = io.BytesIO()
    if kind == "JPEG":
        picture.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
    elif kind == "PNG":
        mode = picture.mode if picture.mode in ("RGB", "RGBA", "L", "LA", "P") else "RGBA"
        picture.convert(mode).save(out, "PNG", optimize=True)
    else:
        mode = "RGBA" if "A" in picture.getbands() else "RGB"
        picture.convert(mode).save(out, "WEBP", quality=88)
    data = out.getvalue()
    if len(data) > MAX_BYTES:
        raise ImageProblem(f"Ảnh sau khi xử lý vẫn lớn quá {MAX_BYTES // (1024 * 1024)} MB; vui lòng thu nhỏ ảnh.")
    return CleanImage(data=data, mime=mime, ext=ext, width=picture.width, height=picture.height,
                      sha256=hashlib.sha256(data).hexdigest())
