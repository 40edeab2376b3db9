"""API list paging by key: `?cursor=` continues after the last row of the previous page (no OFFSET scan),
`?count=true` asks for the total (never computed otherwise), and `limit`/`offset` keep working as before."""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import operator
from dataclasses import dataclass

from flask import jsonify, request
from sqlalchemy import and_, func, or_, select

from planner.views.api import ApiError, declared, query_int

BAD_CURSOR = "Con trỏ phân trang (cursor) không hợp lệ; hãy bắt đầu lại từ trang đầu."


@dataclass(frozen=True)
class PageRequest:
    """What the client asked for: `after` is the decoded cursor (the last sort key seen) or None."""

    limit: int
    offset: int
    after: tuple | None
    count: bool


def encode_cursor(key: tuple) -> str:
    """An opaque cursor for a sort key (datetimes as ISO 8601, ints and strings as they are)."""
    raw = [v.isoformat() if isinstance(v, dt.datetime) else v for v in key]
    return base64.urlsafe_b64encode(json.dumps(raw, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(text: str, kinds: tuple[type, ...]) -> tuple:
    """The sort key a cursor holds, checked against `kinds`; a 400 `invalid_cursor` otherwise."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ApiError(400, BAD_CURSOR, code="invalid_cursor") from None
    if not isinstance(raw, list) or len(raw) != len(kinds):
        raise ApiError(400, BAD_CURSOR, code="invalid_cursor")
    out = []
    for value, kind in zip(raw, kinds):
        out.append(_typed(value, kind))
    return tuple(out)


def _typed(value, kind: type):
    if kind is dt.datetime and isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return moment
    elif kind is int and isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63:
        return value
    elif kind is str and isinstance(value, str) and len(value) <= 200:
        return value
    raise ApiError(400, BAD_CURSOR, code="invalid_cursor")


def page_request(kinds: tuple[type, ...], *, default: int = 100, high: int = 1000) -> PageRequest:
    """Parse `limit`, `offset`, `cursor` and `count`; a cursor and an offset together are refused. A view that
    declares its `limit` (planner.api_queries, `@reads`) pages by that declaration's default and bound."""
    limit_param = declared("limit")
    if limit_param is not None:
        default, high = limit_param.default, limit_param.high
    limit, offset = query_int("limit", default=default, low=1, high=high), query_int("offset", default=0)
    cursor = request.args.get("cursor") or None
    if cursor and offset:
        raise ApiError(400, "Dùng cursor hoặc offset, không dùng cả hai.", code="validation_failed",
                       fields={"cursor": "Không dùng cùng offset."})
    count = request.args.get("count", "").lower()
    if count not in ("", "true", "false", "1", "0"):
        raise ApiError(400, "Tham số count chỉ nhận true hoặc false.", code="validation_failed",
                       fields={"count": "Phải là true hoặc false."})
    # Offset paging is the old contract: it always carried the total, so it still does.
    want_count = count in ("true", "1") or "offset" in request.args
    return PageRequest(limit, offset, decode_cursor(cursor, kinds) if cursor else None, want_count)


def after_key(columns: list, key: tuple, *, descending: bool = False):
    """The SQL condition 'sorts after `key`' for an ORDER BY over `columns` (all one direction).

    The first column's bound (`>=`, or `<=` descending) is stated on its own as well: implied by the OR form, but
    only stated it bounds an index range scan, so a page deep in the list does not read every row before it."""
    beyond = operator.lt if descending else operator.gt
    condition = beyond(columns[-1], key[-1])
    for column, value in zip(reversed(columns[:-1]), reversed(key[:-1])):
        condition = or_(beyond(column, value), and_(column == value, condition))
    if len(columns) > 1:
        condition = and_((operator.le if descending else operator.ge)(columns[0], key[0]), condition)
    return condition


def fetch_page(session, stmt, columns: list, page: PageRequest, *, descending: bool = False, key=None):
    """(rows, next_cursor, total or None): rows of `stmt` ordered by `columns`, after the cursor or offset.

    `key(row)` gives the row's sort key (by default the ORM attributes named like `columns`).
    """
    total = None
    if page.count:
        total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    ordered = stmt.order_by(None).order_by(*[c.desc() if descending else c for c in columns])
    if page.after is not None:
        ordered = ordered.where(after_key(columns, page.after, descending=descending))
    elif page.offset:
        ordered = ordered.offset(page.offset)
    rows = list(session.scalars(ordered.limit(page.limit + 1)))
    more = len(rows) > page.limit
    rows = rows[:page.limit]
    key = key or (lambda row: tuple(getattr(row, c.key) for c in columns))
    return rows, (encode_cursor(key(rows[-1])) if more and rows else None), total


def page_response(items: list, page: PageRequest, next_cursor: str | None, total: int | None):
    """The list body: items, limit, next_cursor (null on the last page), offset, and total when counted."""
    body = {"items": items, "limit": page.limit, "offset": page.offset, "next_cursor": next_cursor}
    if total is not None:
        body["total"] = total
    return jsonify(body)
