"""Optimistic concurrency: the row version a form or an ETag saw, compared with the stored one.

Plans, messages, print orders and occurrences carry `row_version` (SQLAlchemy's version_id_col: every
UPDATE checks and increments it, so of two saves racing on the same row the second fails with
StaleDataError instead of overwriting). Forms send the version they were drawn from (hidden field
`row_version`); the API sends it as `ETag` and honours `If-Match`.
"""
from __future__ import annotations

STALE = ("{what} vừa được người khác lưu (bạn mở trang ở lần lưu thứ {seen}, hiện đã là lần lưu thứ {current}). "
         "Thay đổi của bạn chưa được lưu.")


class StaleEdit(ValueError):
    """The object changed since the form or ETag was read; `seen` and `current` are row versions."""

    def __init__(self, what: str, seen, current: int):
        super().__init__(STALE.format(what=what, seen=seen, current=current))
        self.seen, self.current = seen, current


def expect_version(obj, seen, what: str = "Dữ liệu") -> None:
    """Raise StaleEdit unless `seen` (a form field; None or '' when not sent) is the object's current version."""
    if seen is None or str(seen).strip() == "":
        return
    text = str(seen).strip()
    if not (text.isascii() and text.isdigit() and len(text) < 10) or int(text) != obj.row_version:
        raise StaleEdit(what, text[:12], obj.row_version)


def etag(obj) -> str:
    """A strong entity tag for the object's current state."""
    return f'"{type(obj).__name__.lower()}-{obj.id}-{obj.row_version}"'


def if_match_ok(obj, header: str | None) -> bool:
    """RFC 9110 If-Match: true when absent, '*', or one of the listed (strong) tags is the current one."""
    if header is None or not header.strip():
        return True
    tags = [t.strip() for t in header.split(",")]
    return "*" in tags or etag(obj) in tags
