"""`planner backup` / `planner restore`: one archive with the database, the instance files and a manifest.

SQLite is copied with its online backup API (consistent while the app runs); PostgreSQL with `pg_dump
--format=custom` (restored with `pg_restore`). Every file under the instance folder (report PDFs, stored
print files, the generated `secret_key`) goes along; secrets kept outside (environment) are only named.
No Flask here: the CLI passes the database URL, the instance folder and the settings.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

from sqlalchemy import create_engine, inspect, make_url

FORMAT = 1
SQLITE_NAME, PG_NAME = "database.sqlite", "database.pgdump"
# Settings that are secrets when they come from the environment rather than the instance folder.
OUTSIDE_SECRETS = {
    "PLANNER_SECRET_KEY": "khoá ký phiên đăng nhập, mã QR của thôn và liên kết iCal (mất khoá: mã QR đã in "
                          "không còn dùng được)",
    "PLANNER_FACEBOOK_PAGE_TOKENS": "mã truy cập các trang Facebook",
    "PLANNER_ZALO_ACCESS_TOKEN": "mã truy cập Zalo OA",
    "PLANNER_SMTP_PASSWORD": "mật khẩu máy chủ thư gửi thông báo",
    "PLANNER_DATABASE_URL": "địa chỉ và mật khẩu cơ sở dữ liệu",
}


class BackupError(Exception):
    """The backup or restore cannot be done; the message says why, in Vietnamese."""


def backup(url: str, instance: Path, output: Path, *, now: dt.datetime) -> dict:
    """Write the archive to `output` (0600) and return its manifest."""
    output = output.resolve()
    with tempfile.TemporaryDirectory(prefix="planner-backup-") as tmp:
        db_file = _dump_database(url, Path(tmp))
        skip = _database_files(url) | {output}
        files = sorted(p for p in instance.rglob("*") if p.is_file() and p.resolve() not in skip)
        manifest = {
            "format": FORMAT, "created_at": now.isoformat(), "database": db_file.name,
            "alembic_revision": _revision(url),
            "files": {f"files/{p.relative_to(instance).as_posix()}": _sha256(p.read_bytes()) for p in files},
            "secrets_outside": {name: why for name, why in OUTSIDE_SECRETS.items() if os.environ.get(name)},
        }
        manifest["files"][db_file.name] = _sha256(db_file.read_bytes())
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            _add_bytes(tar, "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2).encode())
            _add_bytes(tar, "SECRETS.txt", secrets_note(manifest).encode())
            tar.add(db_file, arcname=db_file.name)
            for path in files:
                tar.add(path, arcname=f"files/{path.relative_to(instance).as_posix()}")
    return manifest


def restore(url: str, instance: Path, archive: Path) -> dict:
    """Bring an empty database and instance folder back from `archive`; returns the manifest."""
    if _has_tables(url):
        raise BackupError("Cơ sở dữ liệu đích đã có bảng dữ liệu: chỉ khôi phục vào một cơ sở dữ liệu trống.")
    with tarfile.open(archive, mode="r:gz") as tar:
        members = {m.name: m for m in tar.getmembers() if m.isfile()}
        if "manifest.json" not in members:
            raise BackupError("Tệp sao lưu không có manifest.json.")
        manifest = json.loads(tar.extractfile(members["manifest.json"]).read())
        contents = {}
        for name, digest in manifest["files"].items():
            member = members.get(name)
            path = PurePosixPath(name)
            if member is None or path.is_absolute() or ".." in path.parts:
                raise BackupError(f"Tệp sao lưu thiếu hoặc có đường dẫn không hợp lệ: {name}")
            data = tar.extractfile(member).read()
            if _sha256(data) != digest:
                raise BackupError(f"Tệp sao lưu bị hỏng (sai mã kiểm tra): {name}")
            contents[name] = data
    with tempfile.TemporaryDirectory(prefix="planner-restore-") as tmp:
        db_file = Path(tmp, manifest["database"])
        db_file.write_bytes(contents.pop(manifest["database"]))
        _load_database(url, db_file)
    instance.mkdir(parents=True, exist_ok=True)
    for name, data in contents.items():
        target = instance.joinpath(*PurePosixPath(name).parts[1:])
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
    return manifest


def secrets_note(manifest: dict) -> str:
    """The reminder stored beside the data: which secrets this archive does not hold."""
    lines = ["Bản sao lưu planner: cơ sở dữ liệu + mọi tệp trong thư mục instance (báo cáo, tệp in,",
             "secret_key nếu khoá được sinh tự động). Giữ tệp này như giữ mật khẩu: nó chứa dữ liệu và khoá.", "",
             "Các bí mật KHÔNG nằm trong bản sao lưu (đặt trong biến môi trường; cần có để khôi phục đầy đủ):"]
    outside = manifest.get("secrets_outside") or {}
    lines += [f"  - {name}: {why}" for name, why in outside.items()] or ["  (không có: mọi khoá nằm trong instance)"]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- database engines

def _dump_database(url: str, directory: Path) -> Path:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        source = _sqlite_path(url)
        target = directory / SQLITE_NAME
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)  # the online backup API: a consistent copy while the app keeps writing
        src.close()
        dst.close()
        return target
    if parsed.get_backend_name() == "postgresql":
        target = directory / PG_NAME
        _run_pg(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(target)], url)
        return target
    raise BackupError(f"Không sao lưu được cơ sở dữ liệu loại {parsed.get_backend_name()}.")


def _load_database(url: str, db_file: Path) -> None:
    backend = make_url(url).get_backend_name()
    if (backend == "sqlite") != (db_file.name == SQLITE_NAME):
        raise BackupError(f"Bản sao lưu là {db_file.name}, không khôi phục được vào cơ sở dữ liệu {backend}.")
    if backend == "sqlite":
        with sqlite3.connect(db_file) as src, sqlite3.connect(_sqlite_path(url)) as dst:
            src.backup(dst)
        src.close()
        dst.close()
        return
    _run_pg(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
             str(db_file)], url)


def _run_pg(command: list[str], url: str) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"Không tìm thấy {command[0]} (gói postgresql-client).")
    parsed = make_url(url)
    env = {**os.environ, "PGPASSWORD": parsed.password or ""}  # never on the command line
    dsn = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    result = subprocess.run([*command, "--dbname", dsn], env=env, capture_output=True, text=True, timeout=3600)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} thất bại: {result.stderr.strip()[-500:]}")


def _sqlite_path(url: str) -> str:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("Cơ sở dữ liệu SQLite trong bộ nhớ không sao lưu/khôi phục được.")
    return database


def _database_files(url: str) -> set[Path]:
    if make_url(url).get_backend_name() != "sqlite" or make_url(url).database in (None, "", ":memory:"):
        return set()
    path = Path(_sqlite_path(url)).resolve()
    return {path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")}


def _has_tables(url: str) -> bool:
    engine = create_engine(url)
    try:
        return bool(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if "alembic_version" not in inspect(conn).get_table_names():
                return None
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    finally:
        engine.dispose()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), 0o600
    tar.addfile(info, io.BytesIO(data))
