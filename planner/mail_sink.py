"""A local SMTP sink for the demo and tests (aiosmtpd), with a page listing what was sent.

`python -m planner.mail_sink --smtp-port 8025 --http-port 5098`: mail sent to 127.0.0.1:8025 is kept in
memory; `GET /` shows it as a page, `GET /__mails` as JSON. Nothing is relayed anywhere.
"""
from __future__ import annotations

import argparse
import html
import json
import threading
import time
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


class _Keep:
    """aiosmtpd handler: keep every message (sender, recipients, subject, text)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.mails: list[dict] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 — aiosmtpd's hook name
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        body = msg.get_body(("plain",))
        with self.lock:
            self.mails.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                               "subject": str(msg.get("Subject", "")), "message_id": str(msg.get("Message-ID", "")),
                               "text": body.get_content() if body else "",
                               "received_at": time.strftime("%d/%m/%Y %H:%M:%S")})
        return "250 OK"


class MailSink:
    """`start()` the SMTP sink (and optionally its page), read `mails`, `stop()`."""

    def __init__(self, host: str = "127.0.0.1", smtp_port: int = 0, http_port: int | None = None) -> None:
        self.host, self._keep = host, _Keep()
        self._controller = Controller(self._keep, hostname=host, port=smtp_port or _free_port(host))
        self._http_port = http_port
        self._http: ThreadingHTTPServer | None = None

    def start(self) -> "MailSink":
        self._controller.start()
        if self._http_port is not None:
            self._http = ThreadingHTTPServer((self.host, self._http_port), _Page)
            self._http.sink = self  # type: ignore[attr-defined]
            threading.Thread(target=self._http.serve_forever, daemon=True, name="mail-sink-page").start()
        return self

    def stop(self) -> None:
        self._controller.stop()
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()

    def __enter__(self) -> "MailSink":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def smtp_port(self) -> int:
        return self._controller.port

    @property
    def page_url(self) -> str:
        return f"http://{self.host}:{self._http.server_address[1]}/" if self._http else ""

    @property
    def mails(self) -> list[dict]:
        with self._keep.lock:
            return list(self._keep.mails)


def _free_port(host: str) -> int:
    import socket

    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class _Page(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 (stdlib signature)
        pass

    def do_GET(self) -> None:  # noqa: N802
        mails = self.server.sink.mails  # type: ignore[attr-defined]
        if self.path.startswith("/__mails"):
            body, kind = json.dumps(mails, ensure_ascii=False).encode(), "application/json"
        else:
            rows = "".join(
                f"<article><h2>{html.escape(m['subject'])}</h2><p>Gửi tới {html.escape(', '.join(m['to']))} lúc "
                f"{m['received_at']}</p><pre>{html.escape(m['text'])}</pre></article>" for m in reversed(mails))
            body = (f"<!doctype html><html lang=vi><meta charset=utf-8><title>Thư đã gửi (demo)</title>"
                    f"<h1>Thư planner đã gửi ({len(mails)})</h1>{rows or '<p>Chưa có thư nào.</p>'}</html>").encode()
            kind = "text/html; charset=utf-8"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main() -> None:
    parser = argparse.ArgumentParser(description="Local SMTP sink with a page of the mails received.")
    parser.add_argument("--smtp-port", type=int, default=8025)
    parser.add_argument("--http-port", type=int, default=5098)
    args = parser.parse_args()
    sink = MailSink(smtp_port=args.smtp_port, http_port=args.http_port).start()
    print(f"SMTP sink on 127.0.0.1:{args.smtp_port}, mails listed at {sink.page_url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sink.stop()


if __name__ == "__main__":
    main()
