"""A local fake of the Facebook Graph feed endpoint and the Zalo OA article endpoints.

Used by tests and by the demo (`make run`): `python -m planner.fake_platforms --port 5099`.
Access tokens are checked for presence only and never stored; `GET /__posts` lists what was
received. Behaviour switches imitate the failures channels must handle.
"""
from __future__ import annotations

import argparse
import json
import re
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

_FEED = re.compile(r"^/v\d+(?:\.\d+)?/([^/]+)/feed/?$")
_ZALO = re.compile(r"^/v2\.0/article/(create|verify)/?$")


class _Server(ThreadingHTTPServer):
    """A listen backlog big enough for bursts of concurrent posts (the default of 5 resets connections)."""

    request_queue_size = 128
    daemon_threads = True


class FakePlatforms:
    """The fake server: `start()` in a background thread, `stop()`, `url`, `posts`, switches."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host, self._port = host, port
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._posts: list[dict] = []
        self._articles: dict[str, dict] = {}  # Zalo create token → recorded article
        self._counts: dict[str, int] = {}
        self._fail: tuple[int, str] | None = None
        self._hang: float = 0.0
        self._zalo_error: tuple[int, str | None] | None = None
        self._raw: tuple[int, str] | None = None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> "FakePlatforms":
        """Bind and serve in a daemon thread; returns self (so `FakePlatforms().start()`)."""
        self._server = _Server((self._host, self._port), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        self._stopping.clear()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="fake-platforms")
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake any hanging request, and release the port."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakePlatforms":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL, usable as FACEBOOK_GRAPH_URL and ZALO_API_URL."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def posts(self) -> list[dict]:
        """A copy of everything accepted so far (Facebook posts and Zalo articles)."""
        with self._lock:
            return [dict(p) for p in self._posts]

    # -- behaviour switches (each applies to the next matching request only) ----------------
    def fail_next(self, code: int, message: str = "Fake Graph error") -> None:
        """The next Graph call answers HTTP 400 with `{"error": {"code", "message", …}}`."""
        with self._lock:
            self._fail = (int(code), message)

    def hang_next(self, seconds: float) -> None:
        """The next call (either platform) is accepted, then answered only after `seconds`."""
        with self._lock:
            self._hang = float(seconds)

    def zalo_error_next(self, code: int, action: str | None = None) -> None:
        """The next Zalo call (or the next `create`/`verify` one) answers 200 with `error`≠0."""
        with self._lock:
            self._zalo_error = (int(code), action)

    def raw_next(self, status: int, text: str = "") -> None:
        """The next POST (either platform) gets this status and non-JSON text, doing nothing."""
        with self._lock:
            self._raw = (int(status), text)

    def reset(self) -> None:
        """Forget posts and switches (between tests sharing one server)."""
        with self._lock:
            self._posts.clear()
            self._articles.clear()
            self._counts.clear()
            self._fail, self._hang, self._zalo_error, self._raw = None, 0.0, None, None

    # -- behaviour (called from handler threads) --------------------------------------------
    def _take(self, name: str):
        with self._lock:
            value = getattr(self, name)
            setattr(self, name, 0.0 if name == "_hang" else None)
            return value

    def _next_id(self, prefix: str) -> str:
        with self._lock:
            self._counts[prefix] = self._counts.get(prefix, 0) + 1
            return f"{prefix}_{self._counts[prefix]}"

    def _record(self, post: dict) -> None:
        post["received_at"] = datetime.now(timezone.utc).isoformat()
        with self._lock:
            self._posts.append(post)

    def graph_feed(self, page_id: str, form: dict[str, str]) -> tuple[int, dict]:
        """Answer `POST /{version}/{page_id}/feed` like the Graph API does."""
        failure = self._take("_fail")
        if failure:
            code, message = failure
            return 400, _graph_error(code, message)
        if not form.get("access_token"):
            return 400, _graph_error(190, "Invalid OAuth access token - Cannot parse access token")
        if not form.get("message") and not form.get("link"):
            return 400, _graph_error(100, "(#100) Missing message or attachment")
        published = form.get("published", "true").lower() != "false"
        if not published and not form.get("scheduled_publish_time"):
            return 400, _graph_error(100, "(#100) Unpublished posts must have a scheduled time")
        post_id = self._next_id(page_id)
        self._record({
            "platform": "facebook", "id": post_id, "page_id": page_id, "token_given": True,
            "message": form.get("message", ""), "link": form.get("link", ""),
            "published": published,
            "scheduled_publish_time": form.get("scheduled_publish_time"),
        })
        return 200, {"id": post_id}

    def zalo_article(self, action: str, token: str, payload: dict) -> tuple[int, dict]:
        """Answer `POST /v2.0/article/{create,verify}` like Zalo OA does (HTTP 200 always)."""
        with self._lock:
            error, self._zalo_error = self._zalo_error, None
            if error is not None and error[1] not in (None, action):
                self._zalo_error = error  # armed for the other endpoint: keep it
                error = None
        if error is not None:
            return 200, {"error": error[0], "message": f"Fake Zalo error {error[0]}"}
        if not token:
            return 200, {"error": -216, "message": "Access token is invalid"}
        if action == "create":
            if not payload.get("title") or not payload.get("body"):
                return 200, {"error": -201, "message": "Parameters are invalid"}
            article_token = self._next_id("zalo_token")
            with self._lock:
                self._articles[article_token] = payload
            return 200, {"error": 0, "message": "Success", "data": {"token": article_token}}
        return self._zalo_verify(str(payload.get("token", "")))

    def _zalo_verify(self, article_token: str) -> tuple[int, dict]:
        with self._lock:
            payload = self._articles.pop(article_token, None)
        if payload is None:
            return 200, {"error": -201, "message": "Token is invalid"}
        article_id = self._next_id("zalo")
        self._record({
            "platform": "zalo", "id": article_id, "token_given": True,
            "title": payload.get("title", ""), "description": payload.get("description", ""),
            "body": payload.get("body", []),
        })
        return 200, {"error": 0, "message": "Success", "data": {"id": article_id}}


def _graph_error(code: int, message: str) -> dict:
    return {"error": {"message": message, "type": "OAuthException" if code == 190 else
                      "GraphMethodException", "code": code, "fbtrace_id": "FAKE"}}


class _Handler(BaseHTTPRequestHandler):
    """Routes requests to the FakePlatforms instance attached to the server."""

    server_version = "FakePlatforms/1"
    quiet = True

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (stdlib signature)
        if not self.quiet:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        if urlsplit(self.path).path == "/__posts":
            self._answer(200, {"posts": self.server.fake.posts})
        else:
            self._answer(404, {"error": {"code": 803, "message": "Unknown path"}})

    def do_POST(self) -> None:
        fake: FakePlatforms = self.server.fake
        parts = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        canned = fake._take("_raw")
        if canned:
            return self._answer(canned[0], canned[1].encode("utf-8"), "text/html")
        if match := _FEED.match(parts.path):
            form = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            form.update({k: v[-1] for k, v in parse_qs(raw.decode("utf-8")).items()})
            status, body = fake.graph_feed(match.group(1), form)
        elif match := _ZALO.match(parts.path):
            try:
                payload = json.loads(raw.decode("utf-8") or "{}")
            except ValueError:
                payload = {}
            status, body = fake.zalo_article(match.group(1), self.headers.get("access_token", ""),
                                             payload if isinstance(payload, dict) else {})
        else:
            status, body = 404, {"error": {"code": 803, "message": "Unknown path"}}
        hang = fake._take("_hang")
        if hang:  # the platform has acted; its answer is lost to a client that gives up first
            fake._stopping.wait(hang)
        self._answer(status, body)

    def _answer(self, status: int, body: dict | bytes, kind: str = "application/json") -> None:
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client timed out and left, as intended by hang_next


def main(argv: list[str] | None = None) -> None:
    """Serve until Ctrl-C, printing the URL and the settings that point planner at it."""
    parser = argparse.ArgumentParser(description="Fake Facebook Graph + Zalo OA server (demo).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5099)
    parser.add_argument("--verbose", action="store_true", help="log each request")
    args = parser.parse_args(argv)
    _Handler.quiet = not args.verbose
    fake = FakePlatforms(args.host, args.port).start()
    print(fake.url, flush=True)
    print(f"  PLANNER_FACEBOOK_GRAPH_URL={fake.url}  PLANNER_ZALO_API_URL={fake.url}", flush=True)
    print(f"  received posts: {fake.url}/__posts", flush=True)
    try:
        fake._thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
