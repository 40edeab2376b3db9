"""Numbered pages for the web lists (print orders, runs): one page of rows in SQL, never the whole table."""
from __future__ import annotations

from dataclasses import dataclass

from flask import request
from sqlalchemy import func, select

from planner.views.common import small_int

PAGE_SIZE = 50


@dataclass(frozen=True)
class Pager:
    """Where the list is: page n of `pages`, `total` rows in all."""

    page: int
    pages: int
    total: int


def page_of(session, stmt, *order, size: int = PAGE_SIZE) -> tuple[list, Pager]:
    """The rows of `?page=` (1 by default, clamped to the last page) of `stmt` in `order`, and the pager."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, -(-total // size))
    page = min(max(small_int(request.args.get("page")) or 1, 1), pages)
    rows = list(session.scalars(stmt.order_by(None).order_by(*order).limit(size).offset((page - 1) * size)))
    return rows, Pager(page, pages, total)
