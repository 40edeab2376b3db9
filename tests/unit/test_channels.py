"""Channels: one contract over every registered channel, then each medium's own rules."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from planner.channels import (
    CHANNEL_LABELS, KINDS, REGISTRY, ChannelError, ChannelSettings, ContentItem, OutcomeUnknown,
    Receipt, TargetInfo, get_channel,
)
from planner.channels import loudspeaker
from planner.fake_platforms import FakePlatforms

NOW = datetime(2026, 3, 5, 1, 0, tzinfo=timezone.utc)
PAGE_TOKEN = "EAAB-page-token-do-not-leak"
ZALO_TOKEN = "zalo-oa-token-do-not-leak"
PAGE = TargetInfo(name="Fanpage BHXH Ngọc Lặc", external_id="1000123")
OA = TargetInfo(name="Zalo OA BHXH", external_id="oa-42")
GOOD = ContentItem(
    title="Tích hợp thẻ BHYT vào VNeID",
    body_md="## Lợi ích\n\nNgười dân dùng **VNeID** thay thẻ BHYT giấy khi đi khám bệnh.",
    plain_text="Lợi ích\nNgười dân dùng VNeID thay thẻ BHYT giấy khi đi khám bệnh.",
    html="<h2>Lợi ích</h2><p>Người dân dùng <strong>VNeID</strong> thay thẻ BHYT giấy.</p>",
    link="https://baohiemxahoi.gov.vn",
)
EMPTY = ContentItem(title="", body_md="", plain_text="", html="")


@pytest.fixture(scope="module")
def server():
    fake = FakePlatforms().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake(server):
    server.reset()
    return server


def settings_for(url: str, **overrides) -> ChannelSettings:
    values = {
        "FACEBOOK_GRAPH_URL": url, "FACEBOOK_GRAPH_VERSION": "v21.0",
        "FACEBOOK_PAGE_TOKENS": {PAGE.external_id: PAGE_TOKEN},
        "FACEBOOK_MIN_LEAD_SECONDS": 600, "FACEBOOK_MAX_LEAD_DAYS": 30,
        "ZALO_API_URL": url, "ZALO_ACCESS_TOKEN": ZALO_TOKEN, "CHANNEL_TIMEOUT_SECONDS": 5,
        "READING_RATE_SPM": 190, "SENTENCE_PAUSE_SECONDS": 1.0,
    }
    values.update(overrides)
    return ChannelSettings(values)


TARGETS = {"fanpage": PAGE, "zalo": OA}


# -- the contract every registered channel keeps --------------------------------------------
@pytest.mark.parametrize("code", sorted(REGISTRY))
def test_registered_channel_keeps_the_contract(code, fake):
    channel = REGISTRY[code]
    assert channel.code == code and get_channel(code) is channel
    assert channel.label == CHANNEL_LABELS[code] and channel.label.strip()
    assert channel.kind in KINDS and channel.is_online == (channel.kind == "online")
    assert channel.validate(GOOD) == []
    problems = channel.validate(EMPTY)
    assert problems and all(isinstance(p, str) and p for p in problems)
    assert isinstance(channel.render(GOOD), str) and channel.render(GOOD)
    target = TARGETS.get(code, TargetInfo(name="Thôn Chiềng", external_id="x"))
    if channel.is_online:
        receipt = channel.deliver(GOOD, target, settings_for(fake.url), now=NOW)
        assert isinstance(receipt, Receipt) and receipt.external_id
        assert [p["id"] for p in fake.posts] == [receipt.external_id]
    else:
        with pytest.raises(ChannelError) as caught:
            channel.deliver(GOOD, target, settings_for(fake.url), now=NOW)
        assert not isinstance(caught.value, OutcomeUnknown) and caught.value.message


def test_every_labelled_channel_is_registered():
    assert set(REGISTRY) == set(CHANNEL_LABELS)


def test_unknown_channel_code_is_a_vietnamese_value_error():
    with pytest.raises(ValueError, match="Kênh 'fax' không được hỗ trợ"):
        get_channel("fax")


def test_importing_channels_loads_neither_flask_nor_sqlalchemy():
    code = ("import sys, planner.channels, planner.fake_platforms; "
            "print(sorted(m for m in ('flask', 'sqlalchemy', 'planner.models', 'planner.db') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- fanpage ---------------------------------------------------------------------------------
def test_fanpage_publishes_and_returns_the_graph_post_id(fake):
    receipt = REGISTRY["fanpage"].deliver(GOOD, PAGE, settings_for(fake.url), now=NOW)
    assert receipt.external_id == "1000123_1"
    (post,) = fake.posts
    assert post["message"].startswith(GOOD.title + "\n\n") and post["link"] == GOOD.link
    assert post["published"] is True


@pytest.mark.parametrize("code,retryable", [(4, True), (17, True), (32, True), (613, True),
                                            (80001, True), (100, False), (200, False)])
def test_graph_error_is_a_definite_failure_retryable_only_when_throttled(fake, code, retryable):
    fake.fail_next(code, "Something went wrong")
    with pytest.raises(ChannelError) as caught:
        REGISTRY["fanpage"].deliver(GOOD, PAGE, settings_for(fake.url), now=NOW)
    error = caught.value
    assert not isinstance(error, OutcomeUnknown)
    assert error.code == f"facebook_{code}" and error.retryable is retryable
    assert f"mã lỗi {code}" in error.message and fake.posts == []


def test_missing_page_token_fails_before_sending(fake):
    settings = settings_for(fake.url, FACEBOOK_PAGE_TOKENS={})
    with pytest.raises(ChannelError) as caught:
        REGISTRY["fanpage"].deliver(GOOD, PAGE, settings, now=NOW)
    assert caught.value.code == "no_token" and not caught.value.retryable


def test_timeout_after_sending_is_an_unknown_outcome(fake):
    fake.hang_next(1)
    settings = settings_for(fake.url, CHANNEL_TIMEOUT_SECONDS=0.3)
    with pytest.raises(OutcomeUnknown) as caught:
        REGISTRY["fanpage"].deliver(GOOD, PAGE, settings, now=NOW)
    assert caught.value.retryable is False
    assert len(fake.posts) == 1  # it was published: re-sending would double-post


def test_connection_refused_is_a_retryable_definite_failure():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ChannelError) as caught:
        REGISTRY["fanpage"].deliver(GOOD, PAGE, settings_for(f"http://127.0.0.1:{port}"), now=NOW)
    assert not isinstance(caught.value, OutcomeUnknown) and caught.value.retryable


def test_token_never_appears_in_errors_or_receipts(fake):
    fake.fail_next(190, f"Invalid OAuth access token {PAGE_TOKEN}")
    settings = settings_for(fake.url)
    with pytest.raises(ChannelError) as caught:
        REGISTRY["fanpage"].deliver(GOOD, PAGE, settings, now=NOW)
    fb_error = caught.value
    fake.zalo_error_next(-216)
    with pytest.raises(ChannelError) as caught:
        REGISTRY["zalo"].deliver(GOOD, OA, settings, now=NOW)
    receipts = [REGISTRY["fanpage"].deliver(GOOD, PAGE, settings, now=NOW),
                REGISTRY["zalo"].deliver(GOOD, OA, settings, now=NOW)]
    texts = [str(fb_error), repr(fb_error), json.dumps(fb_error.detail), str(caught.value),
             json.dumps(caught.value.detail), repr(settings)] + [repr(r) for r in receipts]
    for text in texts:
        assert PAGE_TOKEN not in text and ZALO_TOKEN not in text
    assert "***" in fb_error.message  # the echoed token was redacted, the rest kept


@pytest.mark.parametrize("lead,problem", [
    (timedelta(minutes=5), "schedule_too_soon"), (timedelta(days=31), "schedule_too_far"),
    (timedelta(minutes=10), None), (timedelta(days=30), None),
])
def test_scheduled_publish_time_must_fall_inside_the_facebook_window(fake, lead, problem):
    call = lambda: REGISTRY["fanpage"].deliver(GOOD, PAGE, settings_for(fake.url), now=NOW,  # noqa: E731
                                               scheduled_at=NOW + lead)
    if problem:
        with pytest.raises(ChannelError, match="Facebook chỉ nhận hẹn đăng") as caught:
            call()
        assert caught.value.code == problem and fake.posts == []
    else:
        call()
        (post,) = fake.posts
        assert post["published"] is False
        assert post["scheduled_publish_time"] == str(int((NOW + lead).timestamp()))


@pytest.mark.parametrize("status", [200, 500, 502])
def test_unreadable_2xx_or_5xx_answer_is_an_unknown_outcome(fake, status):
    fake.raw_next(status, "<html>Bad Gateway</html>")
    with pytest.raises(OutcomeUnknown):
        REGISTRY["fanpage"].deliver(GOOD, PAGE, settings_for(fake.url), now=NOW)


@pytest.mark.parametrize("status,retryable", [(403, False), (429, True)])
def test_unreadable_4xx_answer_is_a_definite_failure(fake, status, retryable):
    fake.raw_next(status, "denied")
    with pytest.raises(ChannelError) as caught:
        REGISTRY["fanpage"].deliver(GOOD, PAGE, settings_for(fake.url), now=NOW)
    assert not isinstance(caught.value, OutcomeUnknown)
    assert caught.value.code == f"http_{status}" and caught.value.retryable is retryable


def test_fanpage_rejects_overlong_posts():
    item = ContentItem(title="T", body_md="", plain_text="x" * 63_300, html="")
    assert "63,206" in REGISTRY["fanpage"].validate(item)[0]


def test_a_body_beyond_the_markdown_limits_is_refused_never_sent_as_a_notice(fake):
    item = ContentItem(title="T", body_md="x" * 63_300, plain_text="x" * 63_300, html="")
    assert "20.000" in REGISTRY["fanpage"].validate(item)[0] or "20,000" in REGISTRY["fanpage"].validate(item)[0]
    with pytest.raises(ChannelError) as caught:
        REGISTRY["fanpage"].deliver(item, PAGE, settings_for(fake.url), now=NOW)
    assert caught.value.code == "content_too_large" and not caught.value.retryable
    assert fake.posts == []


# -- zalo ------------------------------------------------------------------------------------
def test_zalo_creates_then_verifies_and_returns_the_article_id(fake):
    receipt = REGISTRY["zalo"].deliver(GOOD, OA, settings_for(fake.url), now=NOW)
    assert receipt.external_id == "zalo_1"
    assert fake.posts[0]["title"] == GOOD.title
    assert fake.posts[0]["description"].startswith("Lợi ích")


@pytest.mark.parametrize("code", [-216, -224, -14020])
def test_zalo_http_200_with_error_is_a_definite_failure(fake, code):
    fake.zalo_error_next(code)
    with pytest.raises(ChannelError) as caught:
        REGISTRY["zalo"].deliver(GOOD, OA, settings_for(fake.url), now=NOW)
    assert not isinstance(caught.value, OutcomeUnknown)
    assert caught.value.code == f"zalo_{code}" and f"mã lỗi {code}" in caught.value.message


def test_zalo_verify_failure_after_create_is_an_unknown_outcome(fake):
    fake.zalo_error_next(-201, action="verify")
    with pytest.raises(OutcomeUnknown) as caught:
        REGISTRY["zalo"].deliver(GOOD, OA, settings_for(fake.url), now=NOW)
    assert caught.value.detail["article_token"]  # kept so a person can reconcile it


def test_zalo_without_access_token_fails_before_sending(fake):
    with pytest.raises(ChannelError) as caught:
        REGISTRY["zalo"].deliver(GOOD, OA, settings_for(fake.url, ZALO_ACCESS_TOKEN=""), now=NOW)
    assert caught.value.code == "no_token" and fake.posts == []


def test_zalo_title_over_150_characters_is_a_problem():
    item = ContentItem(title="T" * 151, body_md="x", plain_text="x", html="")
    assert any("150" in p for p in REGISTRY["zalo"].validate(item))


def test_zalo_description_is_first_paragraph_cut_to_300_characters():
    from planner.channels.zalo import description_of

    item = ContentItem(title="T", body_md="", plain_text=("chữ " * 200).strip() + "\nhai", html="")
    assert len(description_of(item)) <= 300 and description_of(item).endswith("…")


# -- loudspeaker, portal, print ---------------------------------------------------------------
def test_loudspeaker_script_drops_headings():
    assert REGISTRY["loudspeaker"].render(GOOD) == GOOD.plain_text.split("\n", 1)[1]


def test_loudspeaker_estimate_counts_syllables_and_sentence_pauses():
    assert loudspeaker.local_estimate_seconds("một hai ba. bốn năm!", 60, 1.0) == 7
    assert loudspeaker.local_estimate_seconds("", 190, 1.0) == 0


def test_loudspeaker_estimate_is_the_scheduling_core_formula_when_present():
    core = pytest.importorskip("planner.scheduling").estimate_duration
    text = "Bà con chú ý; sáng mai tiêm chủng.\nMang theo thẻ BHYT!"
    assert loudspeaker.estimate_seconds(text, 190, 1.0) == core(text, rate_spm=190, pause_s=1.0)


def test_loudspeaker_script_over_15_minutes_is_a_problem():
    long_text = "Bà con chú ý. " * 800  # 3,200 syllables ≈ 17 min at 190/min
    item = ContentItem(title="T", body_md=long_text, plain_text=long_text, html="")
    assert "vượt mức tối đa 15 phút" in REGISTRY["loudspeaker"].validate(item)[0]
    assert REGISTRY["loudspeaker"].validate(
        ContentItem(title="T", body_md="x", plain_text="x", html="", audio_seconds=600)) == []


def test_portal_render_escapes_the_title():
    item = ContentItem(title="<b>A</b>", body_md="x", plain_text="x", html="<p>x</p>")
    assert REGISTRY["portal"].render(item).startswith("<h1>&lt;b&gt;A&lt;/b&gt;</h1>")


def test_banner_slogan_is_upper_cased_and_at_most_120_characters():
    slogan = ContentItem(title="", body_md="", plain_text="Cài đặt VNeID mức 2", html="")
    assert REGISTRY["banner"].render(slogan) == "CÀI ĐẶT VNEID MỨC 2"
    long = ContentItem(title="", body_md="", plain_text="a" * 121, html="")
    assert any("120" in p for p in REGISTRY["banner"].validate(long))
    assert REGISTRY["leaflet"].validate(long) == []


# -- rate limits -----------------------------------------------------------------------------
@pytest.mark.parametrize("code,status,scope", [(32, 400, "target"), (613, 400, "target"), (4, 400, "channel"),
                                               (17, 400, "channel"), (100, 429, "target")])
def test_graph_rate_limits_and_http_429_are_rate_limited_with_the_platform_wait(fake, code, status, scope):
    from planner.channels import RateLimited

    fake.rate_limit(PAGE.external_id, code, status=status, retry_after=75)
    with pytest.raises(RateLimited) as caught:
        REGISTRY["fanpage"].deliver(GOOD, PAGE, settings_for(fake.url), now=NOW)
    assert caught.value.retryable and caught.value.retry_after == 75 and caught.value.scope == scope
    assert fake.posts == []


def test_zalo_rate_limit_on_create_is_rate_limited_and_creates_nothing(fake):
    from planner.channels import RateLimited

    fake.rate_limit("zalo", -32)
    with pytest.raises(RateLimited):
        REGISTRY["zalo"].deliver(GOOD, OA, settings_for(fake.url), now=NOW)
    assert fake.posts == []


# -- reconciliation: is the post there? ------------------------------------------------------
SINCE = NOW - timedelta(hours=1)


def test_fanpage_finds_marked_posts_across_feed_pages_and_reports_the_rest_absent(fake):
    fanpage = REGISTRY["fanpage"]
    sent = {ref: fanpage.deliver(GOOD, PAGE, settings_for(fake.url), now=NOW, reference=ref).external_id
            for ref in range(1, 231)}                      # three feed pages of 100
    other = ContentItem(title="Tin khác", body_md="Khác.", plain_text="Khác.", html="")
    found = fanpage.find_posts(PAGE, settings_for(fake.url), references={5: GOOD, 230: GOOD, 999: other},
                               since=SINCE)
    assert found == {5: sent[5], 230: sent[230]}           # 999 is certainly absent


def test_fanpage_cannot_tell_when_the_listing_fails_or_there_is_no_token(fake):
    fanpage = REGISTRY["fanpage"]
    fanpage.deliver(GOOD, PAGE, settings_for(fake.url), now=NOW, reference=7)
    fake.fail_listing()
    assert fanpage.find_posts(PAGE, settings_for(fake.url), references={7: GOOD}, since=SINCE) is None
    fake.fail_listing(False)
    assert fanpage.find_posts(PAGE, settings_for(fake.url, FACEBOOK_PAGE_TOKENS={}), references={7: GOOD},
                              since=SINCE) is None


def test_an_unmarked_post_with_the_same_text_makes_absence_uncertain(fake):
    fanpage = REGISTRY["fanpage"]
    fanpage.deliver(GOOD, PAGE, settings_for(fake.url), now=NOW)          # no marker (stripped, or posted by hand)
    other = ContentItem(title="Tin khác", body_md="Khác.", plain_text="Khác.", html="")
    found = fanpage.find_posts(PAGE, settings_for(fake.url), references={8: GOOD, 9: other}, since=SINCE)
    assert found == {8: None}                               # 8: a person decides; 9: certainly absent


def test_zalo_article_created_but_not_verified_is_found_by_its_title_marker(fake):
    zalo = REGISTRY["zalo"]
    fake.zalo_error_next(-201, action="verify")
    with pytest.raises(OutcomeUnknown):
        zalo.deliver(GOOD, OA, settings_for(fake.url), now=NOW, reference=42)
    other = ContentItem(title="Tin khác", body_md="Khác.", plain_text="Khác.", html="")
    found = zalo.find_posts(OA, settings_for(fake.url), references={42: GOOD, 43: other}, since=SINCE)
    assert list(found) == [42] and found[42].startswith("zalo_")


def test_channels_without_a_listing_cannot_tell():
    assert REGISTRY["portal"].find_posts(PAGE, settings_for("http://x"), references={1: GOOD}, since=SINCE) is None


@pytest.mark.parametrize("reference", [0, 1, 3, 4, 255, 123456789])
def test_marker_is_invisible_and_reads_back(reference):
    import unicodedata

    from planner.channels.marker import find_markers, marker, strip_marker, with_marker

    assert {unicodedata.category(ch) for ch in marker(reference)} == {"Cf"}   # format characters: not drawn
    text = with_marker("Tiêu đề\n\nNội dung", reference)
    assert find_markers(text) == [reference] and strip_marker(text) == "Tiêu đề\n\nNội dung"
