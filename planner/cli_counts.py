"""`planner counts rebuild|check`: recount the dashboard's activity counts from the deliveries, or compare them."""
from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select


def _plan_id(session, code: str | None) -> int | None:
    from planner.models import Plan

    if not code:
        return None
    plan_id = session.scalar(select(Plan.id).where(Plan.code == code))
    if plan_id is None:
        click.echo(f"Không có kế hoạch {code}.", err=True)
        sys.exit(2)
    return plan_id


@click.group("counts", help="Số liệu tổng hợp của bảng theo dõi (activity_counts, indicator_rollups).")
def counts_cli():
    pass


@counts_cli.command("rebuild", help="Đếm lại từ đầu số lượt phát/đăng theo đơn vị, ngày, kênh, trạng thái.")
@click.option("--plan", "plan_code", help="Mã kế hoạch (mặc định: mọi kế hoạch).")
@with_appcontext
def rebuild_cmd(plan_code):
    from planner.operations.counts import rebuild_counts
    from planner.operations.indicator_rollups import rebuild_indicator_rollups
    from planner.views.common import db_session

    session = db_session()
    plan_id = _plan_id(session, plan_code)
    rows = rebuild_counts(session, plan_id)
    figures = rebuild_indicator_rollups(session, plan_id)
    session.commit()
    click.echo(f"Đã đếm lại: {rows} dòng tổng hợp, {figures} dòng số liệu chỉ tiêu.")


@counts_cli.command("check", help="So sánh số liệu tổng hợp đang lưu với một lần đếm lại (không ghi gì).")
@click.option("--plan", "plan_code", help="Mã kế hoạch (mặc định: mọi kế hoạch).")
@with_appcontext
def check_cmd(plan_code):
    from planner.models import ActivityRollup
    from planner.operations.counts import recount, rolled_up, stored_counts
    from planner.operations.indicator_rollups import mismatches
    from planner.views.common import db_session

    session = db_session()
    plan_id = _plan_id(session, plan_code)
    fresh, stored = recount(session, plan_id), stored_counts(session, plan_id)
    wrong = [k for k in fresh.keys() | stored.keys() if fresh.get(k, 0) != stored.get(k, 0)]
    folded, rollups = rolled_up(session, fresh), stored_counts(session, plan_id, ActivityRollup)
    wrong += [k for k in folded.keys() | rollups.keys() if folded.get(k, 0) != rollups.get(k, 0)]
    wrong += mismatches(session.connection(), plan_id)
    if wrong:
        click.echo(f"Lệch {len(wrong)} nhóm; chạy `planner counts rebuild`.", err=True)
        sys.exit(1)
    click.echo(f"Khớp: {len(fresh)} nhóm.")
