"""Encryption at rest for secrets typed into the app (fanpage / Zalo OA tokens): Fernet (AES-128-CBC + HMAC).

The key is CHANNEL_TOKEN_KEY when set (a Fernet key: `python -c "from cryptography.fernet import Fernet;
print(Fernet.generate_key().decode())"`), else derived from SECRET_KEY with HKDF-SHA256. Changing the key that
is in use makes stored tokens unreadable (they must be entered again). Imports neither flask nor sqlalchemy.
"""
from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted with the current key."""


def _fernet(settings) -> Fernet:
    own = (settings.get("CHANNEL_TOKEN_KEY") or "").strip()
    if own:
        return Fernet(own.encode())
    secret = str(settings.get("SECRET_KEY") or "")
    if not secret:
        raise SecretUnreadable("no SECRET_KEY to derive the token key from")
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"planner channel accounts",
               info=b"fernet token key v1").derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(plain: str, settings) -> str:
    """Encrypt `plain` for storage."""
    return _fernet(settings).encrypt(plain.encode()).decode()


def unseal(sealed: str, settings) -> str:
    """Decrypt what `seal` stored; SecretUnreadable if the key changed or the text was altered."""
    try:
        return _fernet(settings).decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError) as exc:
        raise SecretUnreadable("stored secret cannot be decrypted with the current key") from exc


def hint(plain: str) -> str:
    """The only part of a secret ever shown again: its last four characters."""
    return plain[-4:] if len(plain) >= 12 else ""
