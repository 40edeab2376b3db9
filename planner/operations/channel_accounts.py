"""Channel accounts: a unit's fanpage(s) and Zalo OA (targets) with their access tokens entered in the app.

Tokens are stored sealed (planner/secret_box.py), never returned, shown only as their last four characters,
and never written to the audit log. The environment JSON (FACEBOOK_PAGE_TOKENS, ZALO_ACCESS_TOKEN) still wins
over a stored token, so a deployment can override one without touching the database.
"""
from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from planner import secret_box
from planner.access import AccessDenied, manages_unit
from planner.models import Target, Unit, User
from planner.operations.audit import record

ACCOUNT_CHANNELS = {"fanpage": "Trang Facebook (fanpage)", "zalo": "Zalo OA"}
EXTERNAL_ID_RE = re.compile(r"^[0-9]{5,30}$")


class AccountError(Exception):
    """Bad input for a channel account, with a Vietnamese message per field."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def unit_accounts(session: Session, unit: Unit) -> list[Target]:
    """The unit's own fanpage and Zalo OA targets."""
    return list(session.scalars(select(Target).where(Target.unit_id == unit.id,
                                                     Target.channel.in_(ACCOUNT_CHANNELS)).order_by(Target.id)))


def get_managed_account(session: Session, actor: User, target_id: int) -> Target:
    target = session.get(Target, target_id)
    if target is None or target.channel not in ACCOUNT_CHANNELS or not manages_unit(actor, target.unit):
        raise AccessDenied("account")
    return target


def create_account(session: Session, actor: User, unit: Unit, data: dict, settings) -> Target:
    """Add a fanpage or Zalo OA to `unit` ({channel, name, external_id, token?})."""
    errors: dict[str, str] = {}
    channel = str(data.get("channel") or "")
    if channel not in ACCOUNT_CHANNELS:
        errors["channel"] = "Chọn Trang Facebook hoặc Zalo OA."
    name, external_id = _fields(session, data, channel, errors)
    token = str(data.get("token") or "").strip()
    _check_token(token, errors)
    if errors:
        raise AccountError(errors)
    code = _free_code(session, f"{channel}-{unit.code}-{external_id}"[:100])
    target = Target(code=code, unit=unit, channel=channel, name=name, external_id=external_id, is_active=True)
    session.add(target)
    if token:
        _seal(target, token, settings)
    session.flush()
    record(session, user=actor, action="account.create", entity=target, to_state=channel,
           token_set=bool(token))
    return target


def update_account(session: Session, actor: User, target: Target, data: dict, settings) -> Target:
    """Rename, change the page id, replace the token (empty: keep it), clear it, or (de)activate."""
    errors: dict[str, str] = {}
    merged = {"name": target.name, "external_id": target.external_id, **{k: v for k, v in data.items()
                                                                          if v not in (None, "")}}
    name, external_id = _fields(session, merged, target.channel, errors, exclude=target)
    token = str(data.get("token") or "").strip()
    _check_token(token, errors)
    if errors:
        raise AccountError(errors)
    target.name, target.external_id = name, external_id
    if "is_active" in data:
        target.is_active = bool(data["is_active"]) if isinstance(data["is_active"], bool) \
            else data["is_active"] in ("1", "on", "true")
    if token:
        _seal(target, token, settings)
    elif data.get("clear_token") in (True, "1", "on"):
        target.token_encrypted, target.token_hint = "", ""
    session.flush()
    record(session, user=actor, action="account.update", entity=target, token_set=bool(token),
           token_cleared=not token and bool(data.get("clear_token")))
    return target


def with_account_tokens(session: Session, settings: dict) -> dict:
    """Settings for the channels with stored tokens added: page tokens by page id, and the Zalo OA token.

    Environment values win: FACEBOOK_PAGE_TOKENS entries override stored ones page by page; a set
    ZALO_ACCESS_TOKEN overrides the stored Zalo token. A token that cannot be decrypted is left out
    (the delivery then fails with "no token", never with the secret in a message).
    """
    rows = session.execute(select(Target.channel, Target.external_id, Target.token_encrypted)
                           .where(Target.channel.in_(ACCOUNT_CHANNELS), Target.is_active.is_(True),
                                  Target.token_encrypted != "").order_by(Target.id)).all()
    if not rows:
        return settings
    pages, zalo = {}, ""
    for channel, external_id, sealed in rows:
        try:
            token = secret_box.unseal(sealed, settings)
        except secret_box.SecretUnreadable:
            continue
        if channel == "fanpage":
            pages[external_id] = token
        elif not zalo:
            zalo = token
    return {**settings, "FACEBOOK_PAGE_TOKENS": {**pages, **(settings.get("FACEBOOK_PAGE_TOKENS") or {})},
            "ZALO_ACCESS_TOKEN": settings.get("ZALO_ACCESS_TOKEN") or zalo}


def _seal(target: Target, token: str, settings) -> None:
    target.token_encrypted = secret_box.seal(token, settings)
    target.token_hint = secret_box.hint(token)


def _fields(session, data, channel, errors, *, exclude: Target | None = None) -> tuple[str, str]:
    name = str(data.get("name") or "").strip()
    if not name or len(name) > 200:
        errors["name"] = "Tên trang 1–200 ký tự."
    external_id = str(data.get("external_id") or "").strip()
    if not EXTERNAL_ID_RE.match(external_id):
        errors["external_id"] = "Mã trang (page id) hoặc mã OA là dãy 5–30 chữ số."
    elif channel in ACCOUNT_CHANNELS:
        stmt = select(func.count()).select_from(Target).where(Target.channel == channel,
                                                             Target.external_id == external_id)
        if exclude is not None:
            stmt = stmt.where(Target.id != exclude.id)
        if session.scalar(stmt):
            errors["external_id"] = f"Trang có mã {external_id} đã được khai báo."
    return name, external_id


def _check_token(token: str, errors: dict) -> None:
    if token and (len(token) < 12 or len(token) > 2000 or any(c.isspace() for c in token)):
        errors["token"] = "Mã truy cập không hợp lệ (12–2000 ký tự, không có khoảng trắng)."


def _free_code(session: Session, base: str) -> str:
    code, n = base, 2
    while session.scalar(select(func.count()).select_from(Target).where(Target.code == code)):
        code, n = f"{base}-{n}", n + 1
    return code
