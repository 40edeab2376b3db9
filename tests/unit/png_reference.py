"""Compare rendered pages with reviewed reference PNGs (tolerant: a few changed pixels pass, a layout change fails).

PLANNER_UPDATE_GOLDEN=1 writes the references instead; LOOK at every new PNG before committing it.
"""
from __future__ import annotations

import io
import os
from pathlib import Path

MAX_CHANGED = 0.01  # share of pixels whose grey level may differ by more than a quarter of the range


def difference(a, b) -> float:
    """Share of pixels whose grey level differs by more than a quarter of the range."""
    from PIL import ImageChops

    diff = ImageChops.difference(a, b).point(lambda v: 255 if v > 64 else 0)
    return diff.histogram()[255] / (a.width * a.height)


def assert_pages_match(pages: list[bytes], directory: Path, stem: str) -> None:
    """Each page equals `<stem>_<n>.png` within MAX_CHANGED, and there are as many references as pages."""
    from PIL import Image

    if os.environ.get("PLANNER_UPDATE_GOLDEN") == "1":
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.glob(f"{stem}_*.png"):
            old.unlink()
        for number, png in enumerate(pages, start=1):
            (directory / f"{stem}_{number}.png").write_bytes(png)
    for number, png in enumerate(pages, start=1):
        path = directory / f"{stem}_{number}.png"
        assert path.is_file(), f"no reviewed reference {path.name}: render with PLANNER_UPDATE_GOLDEN=1 and look at it"
        got, want = Image.open(io.BytesIO(png)).convert("L"), Image.open(path).convert("L")
        assert got.size == want.size, f"page {number} of {stem} is {got.size}, the reference {want.size}"
        changed = difference(got, want)
        assert changed < MAX_CHANGED, f"page {number} of {stem} differs from {path.name} ({changed:.1%} of pixels)"
    assert len(pages) == len(list(directory.glob(f"{stem}_*.png"))), f"{stem}: page count differs from references"
