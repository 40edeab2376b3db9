"""A social post arrives as the editor previewed it: one renderer for preview and sending."""
from __future__ import annotations

import html
import re
from datetime import datetime, timezone

import pytest

from planner.channels import REGISTRY, ChannelSettings, TargetInfo, content_item, post_text
from planner.channels.marker import strip_marker
from planner.channels.post_format import markdown_to_post
from planner.fake_platforms import FakePlatforms

NOW = datetime(2026, 3, 5, 1, 0, tzinfo=timezone.utc)
BODY = ("Người dân kích hoạt tài khoản trên [cổng VNeID](https://vneid.gov.vn/huong-dan) trước 15/4.\n\n"
        "1. Mở ứng dụng VNeID\n2. Chọn **An sinh xã hội**\n3. Gửi yêu cầu\n\n"
        "Mọi thắc mắc xin liên hệ công an xã.\n\n"
        "#NgocLac #VNeID")
EXPECTED = ("Ngọc Lặc: tích hợp tài khoản an sinh xã hội\n\n"
            "Người dân kích hoạt tài khoản trên cổng VNeID (https://vneid.gov.vn/huong-dan) trước 15/4.\n\n"
            "1. Mở ứng dụng VNeID\n2. Chọn An sinh xã hội\n3. Gửi yêu cầu\n\n"
            "Mọi thắc mắc xin liên hệ công an xã.\n\n"
            "#NgocLac #VNeID\n\n"
            "https://dichvucong.gov.vn")
ITEM = content_item("Tin nội bộ số 7", BODY, headline="Ngọc Lặc: tích hợp tài khoản an sinh xã hội",
                    link="https://dichvucong.gov.vn")


@pytest.fixture(scope="module")
def fake():
    server = FakePlatforms().start()
    yield server
    server.stop()


def _settings(url: str) -> ChannelSettings:
    return ChannelSettings({"FACEBOOK_GRAPH_URL": url, "FACEBOOK_PAGE_TOKENS": {"55": "tok"},
                            "ZALO_API_URL": url, "ZALO_ACCESS_TOKEN": "ztok", "CHANNEL_TIMEOUT_SECONDS": 5})


def test_post_keeps_link_addresses_list_numbers_paragraphs_and_hashtags():
    assert post_text(ITEM) == EXPECTED


def test_headline_is_the_first_line_and_the_title_stands_in_without_one():
    assert post_text(content_item("Tiêu đề", "Nội dung.")) == "Tiêu đề\n\nNội dung."


def test_link_is_not_repeated_when_the_body_already_shows_it():
    item = content_item("T", "Xem [hướng dẫn](https://a.vn/x).", link="https://a.vn/x")
    assert post_text(item) == "T\n\nXem hướng dẫn (https://a.vn/x)."


def test_bullets_line_breaks_and_real_headings_read_as_text():
    text = markdown_to_post("## Lợi ích\n\n- nhanh\n- gọn\n\ndòng một\ndòng hai\n\n# Đầu đề có dấu cách")
    assert text == "Lợi ích\n\n• nhanh\n• gọn\n\ndòng một\ndòng hai\n\nĐầu đề có dấu cách"


def test_fanpage_post_received_by_graph_is_exactly_the_preview(fake):
    fake.reset()
    channel = REGISTRY["fanpage"]
    receipt = channel.deliver(ITEM, TargetInfo("Trang xã", "55"), _settings(fake.url), now=NOW)
    (post,) = fake.posts
    assert post["id"] == receipt.external_id
    assert post["message"] == channel.render(ITEM) == EXPECTED
    assert post["link"] == "https://dichvucong.gov.vn"


def test_zalo_article_received_is_exactly_the_preview(fake):
    fake.reset()
    channel = REGISTRY["zalo"]
    channel.deliver(ITEM, TargetInfo("OA xã", "oa"), _settings(fake.url), now=NOW)
    (article,) = fake.posts
    paragraphs = re.findall(r"<p>(.*?)</p>", article["body"][0]["content"])
    received = "\n\n".join(html.unescape(p.replace("<br>", "\n")) for p in paragraphs)
    assert f"{strip_marker(article['title'])}\n\n{received}" == channel.render(ITEM) == EXPECTED
