"""Sending queued notification e-mails over SMTP (worker only; a web request never talks to a mail server)."""
from __future__ import annotations

import datetime as dt
import logging
import smtplib
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from planner.models import OutboxMail

log = logging.getLogger(__name__)


def send_outbox(session: Session, settings: dict, *, now: dt.datetime, limit: int = 50) -> dict[str, int]:
    """Send due outbox mails over one SMTP connection; failures are retried later (doubling), then given up.

    Each outcome is committed with its mail, so a crash never sends one twice that was recorded as sent.
    """
    if not settings.get("SMTP_HOST"):
        return {}
    rows = list(session.scalars(select(OutboxMail).where(
        OutboxMail.sent_at.is_(None), OutboxMail.failed_at.is_(None), OutboxMail.next_attempt_at <= now)
        .order_by(OutboxMail.id).limit(limit)))
    if not rows:
        return {}
    sent = failed = 0
    try:
        smtp = _connect(settings)
    except (OSError, smtplib.SMTPException) as exc:
        for row in rows:
            _failed(row, settings, now, f"Không kết nối được máy chủ thư: {type(exc).__name__}")
        session.commit()
        log.warning("mail: cannot reach %s:%s (%s)", settings["SMTP_HOST"], settings["SMTP_PORT"],
                    type(exc).__name__)
        return {"mail_failed": len(rows)}
    try:
        for row in rows:
            try:
                smtp.send_message(_message(row, settings))
                row.sent_at, row.attempts = now, row.attempts + 1
                sent += 1
            except (OSError, smtplib.SMTPException) as exc:
                _failed(row, settings, now, f"{type(exc).__name__}: {getattr(exc, 'smtp_error', '')!r}"[:500])
                failed += 1
            session.commit()
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass
    return {"mail_sent": sent, "mail_failed": failed}


def _connect(settings: dict) -> smtplib.SMTP:
    smtp = smtplib.SMTP(settings["SMTP_HOST"], int(settings["SMTP_PORT"]),
                        timeout=float(settings.get("SMTP_TIMEOUT_SECONDS", 10)))
    if settings.get("SMTP_STARTTLS"):
        smtp.starttls()
    if settings.get("SMTP_USER"):
        smtp.login(settings["SMTP_USER"], settings.get("SMTP_PASSWORD", ""))
    return smtp


def _message(row: OutboxMail, settings: dict) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = settings["SMTP_FROM"], row.to_address, row.subject
    msg["Message-ID"] = f"<outbox-{row.id}@planner>"  # a resend after a lost answer is recognisable
    msg.set_content(_with_base_url(row.body, settings))
    return msg


def _with_base_url(body: str, settings: dict) -> str:
    """Links in the outbox are paths; the e-mail carries the full address."""
    base = (settings.get("BASE_URL") or "").rstrip("/")
    lines = body.split("\n")
    if base and lines and lines[-1].startswith("/"):
        lines[-1] = base + lines[-1]
    return "\n".join(lines)


def _failed(row: OutboxMail, settings: dict, now: dt.datetime, error: str) -> None:
    row.attempts += 1
    row.last_error = error
    if row.attempts >= int(settings.get("MAIL_MAX_ATTEMPTS", 8)):
        row.failed_at = now
    else:
        row.next_attempt_at = now + dt.timedelta(seconds=int(settings.get("MAIL_RETRY_SECONDS", 60))
                                                 * 2 ** (row.attempts - 1))
