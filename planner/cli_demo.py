"""User commands and the demo launcher (`make run`): web app + worker + local fake platforms."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

# username, full name, role, unit code — the demo cast (see README).
DEMO_USERS = [
    ("admin", "Quản trị hệ thống", "admin", "viet-nam"),
    ("vanhoa", "Nguyễn Thị Hoa (Phòng Văn hóa - Xã hội)", "planner", "xa-ngoc-lac"),
    ("bientap", "Trần Minh Biên (Biên tập viên)", "editor", "bhxh-trung-tam-truyen-thong"),
    ("duyet", "Lê Văn Duyệt (Lãnh đạo Trung tâm)", "approver", "bhxh-trung-tam-truyen-thong"),
    ("duyetxa", "Hoàng Văn Duyệt (Phó Chủ tịch UBND xã Ngọc Lặc)", "approver", "xa-ngoc-lac"),
    ("quantrixa", "Lò Thị Quản (Quản trị xã Ngọc Lặc)", "unit_admin", "xa-ngoc-lac"),
    ("inan", "Cơ sở in Ngọc Lặc", "print_shop", "in-ngoc-lac"),
    ("giamsat", "Phạm Thu Giám (Giám sát)", "supervisor", "viet-nam"),
]


@click.group("users", help="Người dùng.")
def users_cli():
    pass


@users_cli.command("list", help="Liệt kê người dùng.")
@with_appcontext
def users_list():
    from planner.views.common import db_session
    from planner.models import User

    for user in db_session().scalars(select(User).order_by(User.username)):
        click.echo(f"{user.username:10} {user.role.value:11} {user.unit.code:30} {user.full_name}")


@users_cli.command("create", help="Tạo người dùng (hỏi mật khẩu).")
@click.argument("username")
@click.option("--name", "full_name", required=True)
@click.option("--role", type=click.Choice(["admin", "unit_admin", "planner", "editor", "approver", "print_shop",
                                           "supervisor"]),
              required=True)
@click.option("--unit", "unit_code", required=True)
@click.password_option()
@with_appcontext
def users_create(username, full_name, role, unit_code, password):
    from planner.views.common import db_session

    session = db_session()
    _upsert_user(session, username, full_name, role, unit_code, password)
    session.commit()
    click.echo(f"Đã tạo/cập nhật người dùng {username}.")


@users_cli.command("reset", help="Đặt lại mật khẩu (hỏi mật khẩu mới); mọi phiên đăng nhập và mã API của người "
                                  "dùng bị huỷ.")
@click.argument("username")
@click.password_option()
@with_appcontext
def users_reset(username, password):
    from planner.auth import PasswordRejected, set_password
    from planner.models import User
    from planner.views.common import db_session

    session = db_session()
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise click.ClickException(f"Không có người dùng '{username}'.")
    try:
        set_password(session, user, password)
    except PasswordRejected as exc:
        raise click.ClickException(str(exc)) from None
    session.commit()
    click.echo(f"Đã đặt lại mật khẩu cho {user.username}; mọi phiên đăng nhập và mã API cũ đã bị huỷ.")


@users_cli.command("demo", help="Tạo các người dùng mẫu (mật khẩu PLANNER_DEMO_PASSWORD).")
@with_appcontext
def users_demo():
    from planner.views.common import db_session

    session = db_session()
    password = current_app.config["DEMO_PASSWORD"]
    for username, name, role, unit in DEMO_USERS:
        _upsert_user(session, username, name, role, unit, password)
    from planner.operations.notifications import give_demo_addresses

    give_demo_addresses(session, [u[0] for u in DEMO_USERS])
    session.commit()
    click.echo("Người dùng mẫu: " + ", ".join(u[0] for u in DEMO_USERS))


@click.command("demo-history", help="Thêm 4 tuần lịch phát đã qua (có kết quả) cho dữ liệu mẫu; chạy lại không đổi gì.")
@with_appcontext
def demo_history_cli():
    from planner.db import utcnow
    from planner.operations.demo_history import add_demo_history
    from planner.views.common import db_session

    session = db_session()
    added = add_demo_history(session, now=utcnow(), settings=current_app.config)
    from planner.operations.demo_results import add_demo_results

    add_demo_results(session, now=utcnow())  # weekly indicator figures of the villages (once)
    session.commit()
    click.echo(f"Đã thêm {added} lượt phát đã qua cho dữ liệu mẫu." if added else "Dữ liệu mẫu đã có lịch sử.")


def _upsert_user(session, username, full_name, role, unit_code, password):
    """Create or update a user; a changed password ends their sessions and API tokens."""
    from planner.auth import PasswordRejected, check_password_hash, normalize_username, set_password
    from planner.models import Role, Unit, User

    username = normalize_username(username)
    unit = session.scalars(select(Unit).where(Unit.code == unit_code).order_by(Unit.path)).first()
    if unit is None:
        raise click.ClickException(f"Không có đơn vị mã '{unit_code}'. Hãy nhập thư viện nội dung trước.")
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(username=username)
        session.add(user)
    user.full_name, user.role, user.unit, user.is_active = full_name, Role(role), unit, True
    if user.password_hash and check_password_hash(user.password_hash, password):
        return  # same password (e.g. `users demo` run again): keep sessions
    try:
        set_password(session, user, password)
    except PasswordRejected as exc:
        raise click.ClickException(f"{username}: {exc}") from None


def _interrupt(_signum, _frame):
    raise KeyboardInterrupt


def _default_signals() -> None:
    """In a child before exec: SIGINT and SIGTERM back to their defaults (a background shell ignores SIGINT)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@click.command("demo", help="Chạy bản demo: ứng dụng web + worker + máy chủ giả lập Facebook/Zalo. Ctrl-C để dừng.")
@click.option("--port", type=int, default=lambda: int(os.environ.get("PORT", 5000)))
@click.option("--fake-port", type=int, default=5099)
@click.option("--mail-port", type=int, default=5098, help="Trang xem thư đã gửi (hộp thư giả lập).")
def demo_cli(port, fake_port, mail_port):
    env = dict(os.environ)
    env.setdefault("PLANNER_SMTP_HOST", "127.0.0.1")  # notification e-mails go to the local sink, never out
    env.setdefault("PLANNER_SMTP_PORT", "8025")
    fake_url = f"http://127.0.0.1:{fake_port}"
    env.setdefault("PLANNER_FACEBOOK_GRAPH_URL", fake_url)
    env.setdefault("PLANNER_ZALO_API_URL", fake_url)
    env.setdefault("PLANNER_FACEBOOK_PAGE_TOKENS",
                   '{"100000000000001": "demo-page-token-1", "100000000000002": "demo-page-token-2"}')
    env.setdefault("PLANNER_ZALO_ACCESS_TOKEN", "demo-zalo-token")
    # The demo publishes through the local fake server, so a post may be scheduled one minute ahead
    # (the real Graph API setting stays 10 minutes) and the worker ticks every 5 s.
    env.setdefault("PLANNER_FACEBOOK_MIN_LEAD_SECONDS", "60")
    env.setdefault("PLANNER_WORKER_INTERVAL_SECONDS", "5")
    env.setdefault("PLANNER_BASE_URL", f"http://127.0.0.1:{port}")
    py = sys.executable
    # Stop the children on SIGTERM/SIGHUP too, not only on Ctrl-C (also when started in the background,
    # where the shell made SIGINT ignored).
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, _interrupt)
    commands = [[py, "-m", "planner.fake_platforms", "--port", str(fake_port)],
                [py, "-m", "planner.mail_sink", "--smtp-port", env["PLANNER_SMTP_PORT"], "--http-port", str(mail_port)],
                [py, "-m", "planner.cli", "worker"],
                [py, "-m", "planner.cli", "run", "--port", str(port), "--host", "127.0.0.1", "--no-reload"]]
    procs = [subprocess.Popen(command, env=env, preexec_fn=_default_signals) for command in commands]
    click.echo(f"\nplanner đang chạy tại http://127.0.0.1:{port}\n")
    click.echo("Đăng nhập mẫu (mật khẩu: biến PLANNER_DEMO_PASSWORD, mặc định 'planner-demo'):")
    for username, name, role, unit in DEMO_USERS:
        click.echo(f"  {username:8} — {name}")
    click.echo(f"Máy chủ giả lập Facebook/Zalo: {fake_url}/__posts")
    click.echo(f"Thư thông báo đã gửi (hộp thư giả lập): http://127.0.0.1:{mail_port}/\nNhấn Ctrl-C để dừng.\n")
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for p in procs:  # SIGTERM, not SIGINT: a child may have inherited SIGINT as ignored
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
