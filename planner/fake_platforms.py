"""A local fake of the Facebook Graph feed endpoint and the Zalo OA article endpoints.

Used by tests and by the demo (`make run`): `python -m planner.fake_platforms --port 5099`.
Access tokens are checked for presence only and never stored; `GET /__posts` lists what was
received and `GET /__requests` how many requests each page (or "zalo") got. Behaviour switches
imitate the failures channels must handle, including a page that stays rate-limited. Listing a
page's posts (`GET /{version}/{page_id}/feed`, Zalo `GET /v2.0/article/getslice`) answers the
calls the worker uses to reconcile unknown outcomes.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

_FEED = re.compile(r"^/v\d+(?:\.\d+)?/([^/]+)/feed/?$")
_PHOTOS = re.compile(r"^/v\d+(?:\.\d+)?/([^/]+)/photos/?$")
_ZALO = re.compile(r"^/v2\.0/article/(create|verify)/?$")
_ZALO_LIST = re.compile(r"^/v2\.0/article/getslice/?$")


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
        self._fail_after = 0
        self._hang: float = 0.0
        self._zalo_error: tuple[int, str | None] | None = None
        self._raw: tuple[int, str] | None = None
        self._limited: dict[str, dict] = {}   # page id (or "zalo") → how it answers while rate-limited
        self._requests: dict[str, int] = {}   # page id (or "zalo") → requests received
        self._oa_articles: list[dict] = []    # Zalo articles created (listed by getslice)
        self._photos: dict[str, dict] = {}   # unpublished photo id → page, sha256 (attached by feed posts)
        self._listing_fails = False
        self._delay = 0.0                     # seconds every POST takes (a slow platform mid-burst)
        self.clock = lambda: datetime.now(timezone.utc)  # tests may move "now" for created_time
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
    def fail_next(self, code: int, message: str = "Fake Graph error", *, after: int = 0) -> None:
        """The next Graph post or photo upload (after `after` that succeed) answers HTTP 400 with
        `{"error": {"code", "message", …}}` (a throttling code also gets HTTP 400, as Graph does)."""
        with self._lock:
            self._fail, self._fail_after = (int(code), message), int(after)

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

    def rate_limit(self, page_id: str, code: int | None = 32, *, status: int = 400,
                   retry_after: int | None = None, regain_minutes: int | None = None) -> None:
        """Every post to `page_id` ("zalo" for the OA) is refused as rate-limited until called with
        code=None: a Graph error `code` (Zalo: its `error`) with HTTP `status`, optionally a Retry-After
        header and Facebook's usage header with `estimated_time_to_regain_access` in minutes."""
        with self._lock:
            if code is None:
                self._limited.pop(page_id, None)
            else:
                self._limited[page_id] = {"code": int(code), "status": status, "retry_after": retry_after,
                                          "regain_minutes": regain_minutes}

    def limit_headers(self, key: str) -> dict[str, str]:
        """The Retry-After / usage headers a rate-limited `key` answers with."""
        with self._lock:
            limited = self._limited.get(key) or {}
        headers = {}
        if limited.get("retry_after") is not None:
            headers["Retry-After"] = str(limited["retry_after"])
        if limited.get("regain_minutes") is not None:
            headers["X-Business-Use-Case-Usage"] = json.dumps({key: [{
                "type": "pages", "call_count": 100, "total_cputime": 30, "total_time": 40,
                "estimated_time_to_regain_access": limited["regain_minutes"]}]})
        return headers

    def requests_to(self, page_id: str | None = None) -> int:
        """Requests received for `page_id` ("zalo" for the OA), or in all when None."""
        with self._lock:
            return sum(self._requests.values()) if page_id is None else self._requests.get(page_id, 0)

    def slow_down(self, seconds: float) -> None:
        """Every POST from now on takes `seconds` after it has acted (0 to stop)."""
        with self._lock:
            self._delay = float(seconds)

    def fail_listing(self, failing: bool = True) -> None:
        """While set, listing a page's posts answers HTTP 500 (the worker cannot tell what exists)."""
        with self._lock:
            self._listing_fails = failing

    def reset(self) -> None:
        """Forget posts, counts and switches (between tests sharing one server)."""
        with self._lock:
            self._posts.clear()
            self._articles.clear()
            self._counts.clear()
            self._limited.clear()
            self._requests.clear()
            self._oa_articles.clear()
            self._photos.clear()
            self._fail, self._hang, self._zalo_error, self._raw = None, 0.0, None, None
            self._listing_fails, self._delay = False, 0.0

    # -- behaviour (called from handler threads) --------------------------------------------
    def _take(self, name: str):
        with self._lock:
            if name == "_fail" and self._fail_after > 0:
                self._fail_after -= 1
                return None
            value = getattr(self, name)
            setattr(self, name, 0.0 if name == "_hang" else None)
            return value

    def _next_id(self, prefix: str) -> str:
        with self._lock:
            self._counts[prefix] = self._counts.get(prefix, 0) + 1
            return f"{prefix}_{self._counts[prefix]}"

    def _record(self, post: dict) -> None:
        post["received_at"] = self.clock().isoformat()
        with self._lock:
            self._posts.append(post)

    def _count(self, key: str) -> dict | None:
        """Count a request for `key`; the rate-limit answer for it, if it is limited."""
        with self._lock:
            self._requests[key] = self._requests.get(key, 0) + 1
            limited = self._limited.get(key)
            return dict(limited) if limited else None

    def graph_list(self, page_id: str, query: dict[str, str]) -> tuple[int, dict]:
        """Answer `GET /{version}/{page_id}/feed` (newest first; `since` epoch, `limit`, `after` cursor)."""
        self._count(page_id)
        if self._listing_fails:
            return 500, _graph_error(2, "An unexpected error has occurred. Please retry your request later.")
        if not query.get("access_token"):
            return 400, _graph_error(190, "Invalid OAuth access token - Cannot parse access token")
        since = float(query.get("since") or 0)
        with self._lock:
            mine = [p for p in self._posts if p.get("page_id") == page_id and p["published"]
                    and datetime.fromisoformat(p["received_at"]).timestamp() >= since]
        mine.reverse()
        start, limit = int(query.get("after") or 0), max(1, min(100, int(query.get("limit") or 25)))
        data = [{"id": p["id"], "message": p["message"],
                 "created_time": datetime.fromisoformat(p["received_at"]).strftime("%Y-%m-%dT%H:%M:%S+0000")}
                for p in mine[start:start + limit]]
        paging = {"cursors": {"before": str(start), "after": str(start + len(data))}}
        if start + limit < len(mine):
            paging["next"] = f"{self.url}/v21.0/{page_id}/feed?after={start + limit}&limit={limit}&since={int(since)}"
        return 200, {"data": data, "paging": paging}

    def zalo_list(self, token: str, query: dict[str, str]) -> tuple[int, dict]:
        """Answer `GET /v2.0/article/getslice` (newest first; `offset`, `limit`) like Zalo OA does."""
        self._count("zalo")
        if self._listing_fails:
            return 500, {"error": -1, "message": "Internal error"}
        if not token:
            return 200, {"error": -216, "message": "Access token is invalid"}
        offset, limit = int(query.get("offset") or 0), max(1, min(10, int(query.get("limit") or 10)))
        with self._lock:
            articles = list(reversed(self._oa_articles))
        medias = [{"id": a["id"], "type": "normal", "title": a["title"], "status": "show",
                   "create_date": a["create_date"]} for a in articles[offset:offset + limit]]
        return 200, {"error": 0, "message": "Success", "data": {"medias": medias, "total": len(articles)}}

    def graph_feed(self, page_id: str, form: dict[str, str]) -> tuple[int, dict]:
        """Answer `POST /{version}/{page_id}/feed` like the Graph API does."""
        limited = self._count(page_id)
        if limited:
            return limited["status"], _graph_error(limited["code"], "(#32) Page request limit reached")
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
        media = [form[k] for k in sorted((k for k in form if k.startswith("attached_media[")),
                                         key=lambda k: int(re.sub(r"\D", "", k) or 0))]
        images = []
        for raw in media:
            try:
                photo = self._photos.get(str(json.loads(raw).get("media_fbid")))
            except (ValueError, AttributeError):
                photo = None
            if photo is None or photo["page_id"] != page_id:
                return 400, _graph_error(100, "(#100) attached_media: unknown or foreign photo id")
            images.append(photo["sha256"])
        post_id = self._next_id(page_id)
        self._record({
            "platform": "facebook", "id": post_id, "page_id": page_id, "token_given": True,
            "message": form.get("message", ""), "link": "" if images else form.get("link", ""),
            "published": published, "images": images,
            "scheduled_publish_time": form.get("scheduled_publish_time"),
        })
        return 200, {"id": post_id}

    def graph_photo(self, page_id: str, form: dict[str, str], files: dict[str, bytes]) -> tuple[int, dict]:
        """Answer `POST /{version}/{page_id}/photos` (multipart `source`): published → a page post whose
        text is the `caption` (listed by the feed, as Facebook does); `published=false` → a photo to attach."""
        limited = self._count(page_id)
        if limited:
            return limited["status"], _graph_error(limited["code"], "(#32) Page request limit reached")
        failure = self._take("_fail")
        if failure:
            return 400, _graph_error(*failure)
        if not form.get("access_token"):
            return 400, _graph_error(190, "Invalid OAuth access token - Cannot parse access token")
        data = files.get("source") or b""
        if not data:
            return 400, _graph_error(324, "(#324) Requires upload file")
        sha = hashlib.sha256(data).hexdigest()
        photo_id = self._next_id(f"photo_{page_id}")
        published = form.get("published", "true").lower() != "false"
        scheduled = form.get("scheduled_publish_time")
        if not published and not scheduled:
            with self._lock:
                self._photos[photo_id] = {"page_id": page_id, "sha256": sha, "bytes": len(data)}
            return 200, {"id": photo_id}
        post_id = self._next_id(page_id)
        self._record({"platform": "facebook", "id": post_id, "photo_id": photo_id, "page_id": page_id,
                      "token_given": True, "message": form.get("caption", ""), "link": "",
                      "published": published, "images": [sha], "scheduled_publish_time": scheduled})
        return 200, {"id": photo_id, "post_id": post_id}

    def zalo_article(self, action: str, token: str, payload: dict) -> tuple[int, dict]:
        """Answer `POST /v2.0/article/{create,verify}` like Zalo OA does (HTTP 200 always).

        A created article exists (and is listed) at once; `verify` tells its id and records it in `posts`.
        """
        limited = self._count("zalo")
        if limited:
            return limited["status"] if limited["status"] != 400 else 200, {
                "error": limited["code"], "message": "Request rate limit exceeded"}
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
            article_token, article_id = self._next_id("zalo_token"), self._next_id("zalo")
            with self._lock:
                self._articles[article_token] = {**payload, "id": article_id}
                self._oa_articles.append({"id": article_id, "title": payload.get("title", ""),
                                          "create_date": int(self.clock().timestamp() * 1000)})
            return 200, {"error": 0, "message": "Success", "data": {"token": article_token}}
        return self._zalo_verify(str(payload.get("token", "")))

    def _zalo_verify(self, article_token: str) -> tuple[int, dict]:
        with self._lock:
            payload = self._articles.pop(article_token, None)
        if payload is None:
            return 200, {"error": -201, "message": "Token is invalid"}
        article_id = payload["id"]
        self._record({
            "platform": "zalo", "id": article_id, "token_given": True,
            "title": payload.get("title", ""), "description": payload.get("description", ""),
            "body": payload.get("body", []),
        })
        return 200, {"error": 0, "message": "Success", "data": {"id": article_id}}


def _multipart(content_type: str, raw: bytes) -> tuple[dict[str, str], dict[str, bytes]]:
    """Text fields and files of a multipart/form-data body (stdlib `email` parser)."""
    from email import policy
    from email.parser import BytesParser

    if not content_type.startswith("multipart/form-data"):
        return {k: v[-1] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}, {}
    message = BytesParser(policy=policy.HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
    form, files = {}, {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        if part.get_filename() is not None:
            files[name] = payload
        else:
            form[name] = payload.decode("utf-8")
    return form, files


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
        fake: FakePlatforms = self.server.fake
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/__posts":
            self._answer(200, {"posts": fake.posts})
        elif parts.path == "/__requests":
            with fake._lock:
                self._answer(200, {"requests": dict(fake._requests)})
        elif match := _FEED.match(parts.path):
            self._answer(*fake.graph_list(match.group(1), query))
        elif _ZALO_LIST.match(parts.path):
            self._answer(*fake.zalo_list(self.headers.get("access_token", ""), query))
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
            key = match.group(1)
            status, body = fake.graph_feed(key, form)
        elif match := _PHOTOS.match(parts.path):
            key = match.group(1)
            form, files = _multipart(self.headers.get("Content-Type", ""), raw)
            form.update({k: v[-1] for k, v in parse_qs(parts.query).items()})
            status, body = fake.graph_photo(key, form, files)
        elif match := _ZALO.match(parts.path):
            key = "zalo"
            try:
                payload = json.loads(raw.decode("utf-8") or "{}")
            except ValueError:
                payload = {}
            status, body = fake.zalo_article(match.group(1), self.headers.get("access_token", ""),
                                             payload if isinstance(payload, dict) else {})
        else:
            key, status, body = "", 404, {"error": {"code": 803, "message": "Unknown path"}}
        hang = fake._take("_hang") + fake._delay
        if hang:  # the platform has acted; its answer is lost to a client that gives up first
            fake._stopping.wait(hang)
        self._answer(status, body, headers=fake.limit_headers(key))

    def _answer(self, status: int, body: dict | bytes, kind: str = "application/json",
                headers: dict | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
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
