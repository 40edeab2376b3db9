"""Secrets never reach the worker's log, even inside an exception's text."""
import logging

from planner.config import secret_values
from planner.worker import RedactSecrets


def test_tokens_in_messages_and_tracebacks_are_redacted():
    settings = {"SECRET_KEY": "s3cr3t-key-value", "ZALO_ACCESS_TOKEN": "SECRET-ZALO-TOKEN",
                "FACEBOOK_PAGE_TOKENS": {"1": "page-token-abc"}, "DEMO_PASSWORD": ""}
    redact = RedactSecrets(secret_values(settings))
    try:
        raise ValueError("Invalid header value b'SECRET-ZALO-TOKEN\\r'")
    except ValueError:
        import sys

        record = logging.LogRecord("w", logging.ERROR, __file__, 1, "tick failed with %s", ("page-token-abc",),
                                   sys.exc_info())
    redact.filter(record)
    text = record.getMessage()
    assert "SECRET-ZALO-TOKEN" not in text and "page-token-abc" not in text and "***" in text
    assert "ValueError" in text


def test_env_values_are_stripped(monkeypatch):
    from planner.config import load_config

    monkeypatch.setenv("PLANNER_ZALO_ACCESS_TOKEN", "tok\r\n")
    assert load_config()["ZALO_ACCESS_TOKEN"] == "tok"
