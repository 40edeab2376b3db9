"""Post images are accepted by content (JPEG/PNG/WebP), re-encoded without metadata, and refused clearly."""
from __future__ import annotations

import hashlib
import io
import subprocess
import sys

import pytest
from PIL import Image

from planner.post_images import MAX_BYTES, ImageProblem, alt_problem, clean_image


def picture(kind: str = "JPEG", size=(64, 48), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA" if kind == "PNG" else "RGB", size, (200, 30, 30)).save(out, kind, **save)
    return out.getvalue()


@pytest.mark.parametrize("kind,mime", [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")])
def test_jpeg_png_and_webp_are_accepted_and_named_by_the_sha256_of_what_is_stored(kind, mime):
    clean = clean_image(picture(kind))
    assert clean.mime == mime and (clean.width, clean.height) == (64, 48)
    assert clean.sha256 == hashlib.sha256(clean.data).hexdigest()
    assert Image.open(io.BytesIO(clean.data)).format == kind


def test_metadata_is_stripped_and_the_exif_orientation_applied():
    exif = Image.Exif()
    exif[0x0112] = 6                       # "rotate 90° clockwise to view"
    exif[0x010F] = "Máy ảnh bí mật"        # camera make: must not leave the building
    raw = picture("JPEG", size=(80, 40), exif=exif.tobytes())
    assert Image.open(io.BytesIO(raw)).getexif()[0x0112] == 6
    clean = clean_image(raw)
    stored = Image.open(io.BytesIO(clean.data))
    assert (clean.width, clean.height) == (40, 80)           # stands upright
    assert not stored.getexif() and b"Exif" not in clean.data


@pytest.mark.parametrize("raw,reason", [
    (b"", "rỗng"),
    (b"GIF89a" + b"\x00" * 100, "không phải ảnh"),
    (b"%PDF-1.4 hello", "không phải ảnh"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "không phải ảnh"),
])
def test_files_that_are_not_jpeg_png_or_webp_are_refused_in_vietnamese(raw, reason):
    with pytest.raises(ImageProblem, match=reason):
        clean_image(raw)


def test_a_gif_named_like_a_jpeg_is_refused_by_its_content():
    out = io.BytesIO()
    Image.new("P", (10, 10)).save(out, "GIF")
    with pytest.raises(ImageProblem, match="Chỉ nhận ảnh JPEG, PNG hoặc WebP"):
        clean_image(out.getvalue())


def test_a_truncated_image_and_an_oversized_file_are_refused():
    with pytest.raises(ImageProblem, match="hỏng|không phải"):
        clean_image(picture("PNG", size=(300, 300))[:200])
    with pytest.raises(ImageProblem, match="4 MB"):
        clean_image(b"\xff\xd8\xff" + b"\x00" * MAX_BYTES)


def test_a_decompression_bomb_is_refused_before_decoding():
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, "PNG")      # tiny file, 400 million pixels
    assert len(out.getvalue()) < MAX_BYTES
    with pytest.raises(ImageProblem, match="quá nhiều điểm ảnh|không phải"):
        clean_image(out.getvalue())


def test_the_description_is_required_and_bounded():
    assert "mô tả ảnh" in alt_problem("   ")
    assert "300" in alt_problem("x" * 301)
    assert alt_problem("Người dân tra cứu BHXH trên VNeID") is None


def test_the_image_check_imports_neither_flask_nor_sqlalchemy():
    code = ("import sys, planner.post_images; "
            "print(any(m in sys.modules for m in ('flask', 'sqlalchemy')))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


def test_a_truncated_image_is_refused_even_after_weasyprint_allowed_truncated_images():
    """WeasyPrint sets Pillow's LOAD_TRUNCATED_IMAGES on import; an upload check must not inherit it."""
    import io as _io

    from PIL import Image, ImageFile

    from planner.post_images import ImageProblem, clean_image

    buffer = _io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(buffer, "JPEG")
    ImageFile.LOAD_TRUNCATED_IMAGES = True   # what `import weasyprint` does
    try:
        with pytest.raises(ImageProblem):
            clean_image(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = False
