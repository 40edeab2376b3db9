"""`planner backup -o PATH` and `planner restore PATH` (thin commands over planner.backup)."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("backup", help="Sao lưu cơ sở dữ liệu và các tệp trong thư mục instance vào một tệp .tar.gz.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@with_appcontext
def backup_cmd(output: Path):
    from planner.backup import BackupError, backup, secrets_note
    from planner.db import utcnow

    try:
        manifest = backup(current_app.config["DATABASE_URL"], Path(current_app.instance_path), output, now=utcnow())
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Đã sao lưu vào {output}: {manifest['database']} và {len(manifest['files']) - 1} tệp.")
    click.echo(secrets_note(manifest), nl=False)


@click.command("restore", help="Khôi phục từ một bản sao lưu vào cơ sở dữ liệu trống và thư mục instance.")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore_cmd(archive: Path):
    from planner.backup import BackupError, restore

    current_app.extensions["planner_db"].engine.dispose()
    try:
        manifest = restore(current_app.config["DATABASE_URL"], Path(current_app.instance_path), archive)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Đã khôi phục bản sao lưu lúc {manifest['created_at']} ({len(manifest['files']) - 1} tệp).")
    click.echo("Tiếp theo: `planner db upgrade` (nếu phiên bản mới hơn), rồi khởi động lại ứng dụng và worker.")
    if manifest.get("secrets_outside"):
        click.echo("Nhớ đặt lại các biến môi trường: " + ", ".join(manifest["secrets_outside"]))
