"""The fake Graph/Zalo server behaves like the platforms where channels care, and stores no tokens."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest

from planner.fake_platforms import FakePlatforms

TOKEN = "EAAB-secret-page-token"


@pytest.fixture(scope="module")
def server():
    fake = FakePlatforms().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake(server):
    server.reset()
    return server


def _post(url, data: bytes, headers=None, timeout=5):
    request = urllib.request.Request(url, data=data, headers=headers or {}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _feed(fake, page="123", **fields):
    return _post(f"{fake.url}/v21.0/{page}/feed", urlencode(fields).encode())


def _zalo(fake, action, payload, token=TOKEN):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["access_token"] = token
    return _post(f"{fake.url}/v2.0/article/{action}", json.dumps(payload).encode(), headers)


def test_feed_post_gets_sequential_page_scoped_ids(fake):
    assert _feed(fake, message="a", access_token=TOKEN) == (200, {"id": "123_1"})
    assert _feed(fake, message="b", access_token=TOKEN) == (200, {"id": "123_2"})
    assert _feed(fake, page="9", message="c", access_token=TOKEN) == (200, {"id": "9_1"})
    assert [p["message"] for p in fake.posts] == ["a", "b", "c"]


def test_posts_record_that_a_token_was_given_but_never_the_token(fake):
    _feed(fake, message="xin chào", link="https://example.vn", access_token=TOKEN)
    (post,) = fake.posts
    assert post["token_given"] is True and post["page_id"] == "123"
    assert post["link"] == "https://example.vn"
    assert TOKEN not in json.dumps(post)


def test_missing_token_is_graph_error_190(fake):
    status, body = _feed(fake, message="x")
    assert status == 400 and body["error"]["code"] == 190
    assert fake.posts == []


def test_fail_next_answers_one_graph_error_then_recovers(fake):
    fake.fail_next(32, "Page request limit reached")
    status, body = _feed(fake, message="x", access_token=TOKEN)
    assert status == 400 and body["error"] == {
        "message": "Page request limit reached", "type": "GraphMethodException", "code": 32,
        "fbtrace_id": "FAKE"}
    assert _feed(fake, message="x", access_token=TOKEN)[0] == 200


def test_unpublished_post_needs_a_scheduled_time(fake):
    status, body = _feed(fake, message="x", published="false", access_token=TOKEN)
    assert status == 400 and body["error"]["code"] == 100
    status, _ = _feed(fake, message="x", published="false", scheduled_publish_time="1900000000",
                      access_token=TOKEN)
    assert status == 200 and fake.posts[0]["published"] is False


def test_hang_next_records_the_post_but_answers_too_late(fake):
    fake.hang_next(1)
    with pytest.raises(TimeoutError):
        _feed_with_timeout(fake, 0.3)
    assert len(fake.posts) == 1  # the platform acted: why a timeout is an unknown outcome


def _feed_with_timeout(fake, timeout):
    data = urlencode({"message": "x", "access_token": TOKEN}).encode()
    return _post(f"{fake.url}/v21.0/123/feed", data, timeout=timeout)


def test_zalo_create_then_verify_returns_an_article_id(fake):
    status, created = _zalo(fake, "create", {"title": "T", "body": [{"type": "text", "content": "c"}]})
    assert status == 200 and created["error"] == 0
    status, verified = _zalo(fake, "verify", {"token": created["data"]["token"]})
    assert verified == {"error": 0, "message": "Success", "data": {"id": "zalo_1"}}
    assert fake.posts[0]["platform"] == "zalo" and fake.posts[0]["title"] == "T"


def test_zalo_failures_are_http_200_with_nonzero_error(fake):
    assert _zalo(fake, "create", {"title": "T", "body": [1]}, token="")[1]["error"] == -216
    fake.zalo_error_next(-224)
    status, body = _zalo(fake, "create", {"title": "T", "body": [1]})
    assert status == 200 and body["error"] == -224
    assert _zalo(fake, "verify", {"token": "nope"})[1]["error"] != 0
    assert fake.posts == []


def test_zalo_error_can_be_armed_for_verify_only(fake):
    fake.zalo_error_next(-201, action="verify")
    status, created = _zalo(fake, "create", {"title": "T", "body": [1]})
    assert created["error"] == 0
    assert _zalo(fake, "verify", {"token": created["data"]["token"]})[1]["error"] == -201


def test_raw_next_answers_non_json_once_without_acting(fake):
    fake.raw_next(502, "<html>Bad Gateway</html>")
    request = urllib.request.Request(f"{fake.url}/v21.0/1/feed", data=b"message=x&access_token=t")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert caught.value.code == 502 and caught.value.read() == b"<html>Bad Gateway</html>"
    assert fake.posts == [] and _feed(fake, page="1", message="x", access_token=TOKEN)[0] == 200


def test_get_posts_lists_what_was_received(fake):
    _feed(fake, message="một", access_token=TOKEN)
    with urllib.request.urlopen(f"{fake.url}/__posts", timeout=5) as response:
        listing = json.loads(response.read())
    assert [p["message"] for p in listing["posts"]] == ["một"]


def test_concurrent_posts_are_all_recorded_with_distinct_ids(fake):
    threads = [threading.Thread(target=_feed, args=(fake,), kwargs={"message": str(i),
                                                                     "access_token": TOKEN})
               for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [p["id"] for p in fake.posts]
    assert len(ids) == 20 and len(set(ids)) == 20


def test_runs_as_a_module_and_prints_its_url():
    process = subprocess.Popen([sys.executable, "-m", "planner.fake_platforms", "--port", "0"],
                               stdout=subprocess.PIPE, text=True)
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(f"{url}/__posts", timeout=5) as response:
            assert json.loads(response.read()) == {"posts": []}
    finally:
        process.terminate()
        process.wait(timeout=5)


def test_rate_limited_page_refuses_every_post_with_headers_and_counts_requests(fake):
    fake.rate_limit("123", 32, retry_after=90, regain_minutes=5)
    request = urllib.request.Request(f"{fake.url}/v21.0/123/feed",
                                     data=urlencode({"message": "x", "access_token": TOKEN}).encode())
    for _ in range(3):
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=5)
        assert caught.value.code == 400 and json.loads(caught.value.read())["error"]["code"] == 32
    assert caught.value.headers["Retry-After"] == "90"
    usage = json.loads(caught.value.headers["X-Business-Use-Case-Usage"])
    assert usage["123"][0]["estimated_time_to_regain_access"] == 5
    assert _feed(fake, page="9", message="y", access_token=TOKEN)[0] == 200   # other pages are fine
    assert fake.posts[0]["page_id"] == "9"
    assert (fake.requests_to("123"), fake.requests_to("9"), fake.requests_to()) == (3, 1, 4)
    fake.rate_limit("123", None)
    assert _feed(fake, message="z", access_token=TOKEN)[0] == 200


def test_page_feed_lists_posts_newest_first_with_paging(fake):
    for text in ("một", "hai", "ba"):
        _feed(fake, message=text, access_token=TOKEN)
    with urllib.request.urlopen(f"{fake.url}/v21.0/123/feed?limit=2&access_token=t", timeout=5) as response:
        first = json.loads(response.read())
    assert [p["message"] for p in first["data"]] == ["ba", "hai"] and "next" in first["paging"]
    with urllib.request.urlopen(f"{fake.url}/v21.0/123/feed?limit=2&after=2&access_token=t", timeout=5) as response:
        second = json.loads(response.read())
    assert [p["message"] for p in second["data"]] == ["một"] and "next" not in second["paging"]


def test_zalo_article_is_listed_once_created_even_if_never_verified(fake):
    _zalo(fake, "create", {"title": "T", "body": [1]})
    request = urllib.request.Request(f"{fake.url}/v2.0/article/getslice?offset=0&limit=5",
                                     headers={"access_token": TOKEN})
    with urllib.request.urlopen(request, timeout=5) as response:
        listing = json.loads(response.read())
    assert listing["error"] == 0 and [m["title"] for m in listing["data"]["medias"]] == ["T"]
