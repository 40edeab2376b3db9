"""Thin click commands calling the same operations as the views: `planner …` or `flask --app planner …`."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from planner import localtime


def _session():
    from planner.views.common import db_session

    return db_session()


def register_cli(app) -> None:
    """Attach planner's commands to the app's CLI."""
    from planner.cli_backup import backup_cmd, restore_cmd
    from planner.cli_counts import counts_cli
    from planner.cli_demo import demo_cli, demo_history_cli, users_cli

    for command in (db_cli, import_cmd, export_cmd, schedule_cmd, render_cmd, report_cmd, worker_cmd, users_cli, demo_cli,
                    demo_history_cli, backup_cmd, restore_cmd, counts_cli):
        app.cli.add_command(command)


@click.group("db", help="Cơ sở dữ liệu.")
def db_cli():
    pass


@db_cli.command("upgrade", help="Áp dụng các migration (Alembic) tới phiên bản mới nhất.")
@with_appcontext
def db_upgrade():
    from planner.db import upgrade_database

    upgrade_database(current_app.config["DATABASE_URL"])
    click.echo("Cơ sở dữ liệu đã ở phiên bản mới nhất.")


@click.command("import", help="Nhập thư viện nội dung (content_library/) và lịch (schedules/), CSV thôn, "
               "hoặc thư mục do planner export tạo (đọc kèm schedules/ bên trong).")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--confirm-moves", is_flag=True, help="Cho phép tệp CSV chuyển thôn sang xã khác (giữ lịch sử).")
@with_appcontext
def import_cmd(paths, confirm_moves):
    from planner.library import LibraryError
    from planner.operations.importing import import_paths

    session = _session()
    try:
        summary = import_paths(session, list(paths), now=_now(), confirm_moves=confirm_moves)
    except LibraryError as exc:
        session.rollback()
        click.echo("Không nhập được; cơ sở dữ liệu không thay đổi:", err=True)
        for p in exc.problems:
            click.echo(f"  {p.file}:{p.line or '-'}: {p.field}: {p.reason}", err=True)
        sys.exit(1)
    session.commit()
    click.echo("Đã nhập: " + ", ".join(summary.lines()))


@click.command("export", help="Xuất một kế hoạch thành thư mục theo định dạng thư viện (đọc lại được bằng planner import).")
@click.option("--plan", "plan_code", required=True, help="Mã kế hoạch.")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def export_cmd(plan_code, output):
    from sqlalchemy import select

    from planner.models import Plan
    from planner.operations.plan_export import export_plan

    plan = _session().scalars(select(Plan).where(Plan.code == plan_code)).first()
    if plan is None:
        raise click.ClickException(f"Không có kế hoạch mã '{plan_code}'.")
    folder = export_plan(_session(), plan, output)
    click.echo(f"Đã xuất kế hoạch {plan.code} vào {folder}")


@click.command("schedule", help="Lập lịch một kế hoạch cho một kênh tại các điểm phát của một đơn vị.")
@click.option("--plan", "plan_code", required=True, help="Mã kế hoạch, ví dụ ngoc-lac-asxh-2026.")
@click.option("--unit", "unit_code", required=True, help="Mã đơn vị, ví dụ xa-ngoc-lac.")
@click.option("--channel", default="loudspeaker", show_default=True)
@click.option("--from", "start", required=True, help="dd/mm/yyyy")
@click.option("--to", "end", required=True, help="dd/mm/yyyy")
@with_appcontext
def schedule_cmd(plan_code, unit_code, channel, start, end):
    from planner.models import Plan, Unit
    from planner.operations.schedule import ScheduleError, schedule_plan

    session = _session()
    plan = session.scalar(select(Plan).where(Plan.code == plan_code))
    unit = session.scalar(select(Unit).where(Unit.code == unit_code))
    if plan is None or unit is None:
        raise click.UsageError(f"Không có kế hoạch '{plan_code}' hoặc đơn vị '{unit_code}'.")
    try:
        first, last = localtime.parse_date(start), localtime.parse_date(end)
        with click.progressbar(length=1, label="Đang lập lịch") as bar:
            outcome = schedule_plan(session, plan, unit=unit, channel=channel, start=first, end=last, now=_now(),
                                    settings=current_app.config)
            bar.update(1)
    except (ScheduleError, ValueError) as exc:
        session.rollback()
        raise click.ClickException(str(exc)) from None
    session.commit()
    click.echo(f"Đã xếp {outcome.placed} lượt tại {outcome.targets} điểm; bỏ {outcome.removed} lượt cũ; "
               f"giữ {outcome.kept} lượt; {len(outcome.issues)} ngoại lệ.")
    for issue in outcome.issues[:50]:
        click.echo(f"  - {issue.detail}")
    if len(outcome.issues) > 50:
        click.echo(f"  … và {len(outcome.issues) - 50} ngoại lệ khác.")


@click.command("render", help="Xuất tệp in PDF của một đơn in.")
@click.argument("order_id", type=int)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Tệp PDF ra (mặc định: tên theo đơn).")
@click.option("--pdf-variant", type=click.Choice(["pdf/x-4", "pdf/x-1a"]), default=None,
              help="Chuẩn PDF/X (mặc định: theo PLANNER_PRINT_PDF_VARIANT, thường là pdf/x-4).")
@with_appcontext
def render_cmd(order_id, output, pdf_variant):
    from planner.models import PrintOrder
    from planner.operations.print_orders import render_order

    order = _session().get(PrintOrder, order_id)
    if order is None:
        raise click.ClickException(f"Không có đơn in số {order_id}.")
    rendered = render_order(order, pdf_variant=pdf_variant or current_app.config["PRINT_PDF_VARIANT"])
    output = output or Path(f"DI-{order.id:05d}-{rendered.filename}")
    output.write_bytes(rendered.data)
    click.echo(f"Đã ghi {output} ({rendered.pages} trang, khổ {rendered.trim_mm[0]:g} × {rendered.trim_mm[1]:g} mm"
               f"{', tỷ lệ 1:10' if rendered.scale == 10 else ''}).")


@click.command("report", help="Xuất PDF dự thảo báo cáo (tháng/quý/6 tháng/năm/tự chọn) của một kế hoạch.")
@click.option("--plan", "plan_code", required=True)
@click.option("--unit", "unit_code", required=True)
@click.option("--kind", type=click.Choice(["monthly", "first_half", "second_half", "annual", "quarter", "custom"]),
              required=True)
@click.option("--year", type=int)
@click.option("--month", type=int, help="Tháng (monthly) hoặc quý 1–4 (quarter)")
@click.option("--from", "period_start", help="Kỳ tự chọn: từ ngày dd/mm/yyyy (kind custom)")
@click.option("--to", "period_end", help="Kỳ tự chọn: đến ngày dd/mm/yyyy")
@click.option("--signer", default="Người ký", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True)
@with_appcontext
def report_cmd(plan_code, unit_code, kind, year, month, period_start, period_end, signer, output):
    from planner.models import Plan, Unit, User
    from planner.operations.reporting import ReportError, build_document, request_report
    from planner.printing import render_report

    session = _session()
    plan = session.scalar(select(Plan).where(Plan.code == plan_code))
    unit = session.scalar(select(Unit).where(Unit.code == unit_code))
    if plan is None or unit is None:
        raise click.UsageError(f"Không có kế hoạch '{plan_code}' hoặc đơn vị '{unit_code}'.")
    user = session.scalars(select(User).order_by(User.id)).first()
    try:
        report = request_report(session, plan, unit, user, {
            "kind": kind, "year": year or "", "month": month or "", "period_start": period_start,
            "period_end": period_end, "signer_name": signer}, now=_now())
    except ReportError as exc:
        raise click.ClickException(str(exc)) from None
    output.write_bytes(render_report(build_document(session, report)).data)
    session.rollback()
    click.echo(f"Đã ghi {output}.")


@click.command("worker", help="Chạy tiến trình worker (gửi bài đăng đến hạn, đánh dấu lượt bị lỡ, tạo báo cáo).")
@with_appcontext
def worker_cmd():
    import logging

    from planner.worker import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    click.echo("Worker đang chạy. Nhấn Ctrl-C để dừng.")
    run_worker(current_app._get_current_object())


def _now() -> dt.datetime:
    from planner.db import utcnow

    return utcnow()


def main() -> None:
    """Console script entry point: `planner …`."""
    from planner import create_app

    FlaskGroup(create_app=lambda: create_app(), help="planner: lập kế hoạch truyền thông.")(prog_name="planner")


if __name__ == "__main__":
    main()
