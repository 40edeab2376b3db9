"""Demo figures: four past weeks of the Ngọc Lặc villages' results, so the supervisor's dashboard has outcomes."""
from __future__ import annotations

import datetime as dt
import zlib

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from planner import localtime
from planner.models import Indicator, IndicatorResult, Plan, ResultSource, Unit, UnitKind
from planner.operations.indicators import record_result, village_indicators


def add_demo_results(session: Session, *, now: dt.datetime, weeks: int = 4) -> int:
    """Weekly figures for each village on the running village-level indicators; nothing when some exist."""
    plan = session.scalar(select(Plan).where(Plan.code == "ngoc-lac-asxh-2026"))
    if plan is None or session.scalar(select(func.count()).select_from(IndicatorResult).join(Indicator)
                                      .where(Indicator.plan_id == plan.id)):
        return 0
    villages = session.scalars(select(Unit).where(Unit.kind == UnitKind.VILLAGE,
                                                  Unit.path.startswith(plan.unit.path, autoescape=True))).all()
    today, added = localtime.today(now), 0
    for village in villages:
        seed = zlib.crc32(village.code.encode())
        eligible = 150 + seed % 250
        pace = 0.04 + (seed % 7) / 100  # some villages move much slower than others
        for ind, _ in village_indicators(session, village, today=today):
            for week in range(weeks, 0, -1):
                day = today - dt.timedelta(days=7 * week - 1)
                share = min(0.98, 0.35 + pace * (weeks - week + 1) * 2)
                record_result(session, ind, village, max(day, plan.starts_on), round(eligible * share), eligible,
                              user=None, source=ResultSource.FORM, now=now, name="Dữ liệu mẫu")
                added += 1
    return added
