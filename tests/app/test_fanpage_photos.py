"""Posts with pictures go through the Graph photo endpoints: one picture is a photo post with the text as
caption, several are uploaded unpublished and attached to one feed post. Uploaded photo ids are kept, so a
retry never uploads them again; rate limits and unknown outcomes follow the same rules as text posts."""
from __future__ import annotations

import datetime as dt
import hashlib
import io

from PIL import Image
from sqlalchemy import select

from planner import dispatch
from planner.channels import REGISTRY, content_item
from planner.channels.marker import find_markers, strip_marker
from planner.models import Delivery, DeliveryStatus, MessageImage, MessageVersion, Target
from planner.operations.images import image_path, store_file
from planner.post_images import clean_image
from tests.app.test_rate_limits import DUE, _posts, fake, settings  # noqa: F401 (fixtures)

LINK = "https://dichvucong.gov.vn/tra-cuu"


def _picture(colour) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, "PNG")
    return out.getvalue()


def _with_images(db, settings, count: int, per_page: int = 1) -> tuple[list[int], list[str], MessageVersion]:
    """Deliveries on page 111 of an approved version with a link and `count` pictures; (ids, sha256s, version)."""
    ids = _posts(db, per_page)["111"]
    version = db.scalar(select(MessageVersion))
    version.link = LINK
    shas = []
    for n in range(count):
        clean = clean_image(_picture((40 * n, 90, 200)))
        store_file(settings["IMAGE_DIR"], clean)
        version.images.append(MessageImage(position=n + 1, sha256=clean.sha256, mime=clean.mime, width=clean.width,
                                           height=clean.height, size_bytes=len(clean.data), alt_text=f"Ảnh {n + 1}"))
        shas.append(clean.sha256)
    db.execute(Delivery.__table__.update().where(Delivery.id.not_in(ids)).values(status=DeliveryStatus.CANCELLED))
    db.commit()
    return ids, shas, version


def _preview(version) -> str:
    return REGISTRY["fanpage"].render(content_item(version.title, version.body_md, headline=version.headline,
                                                   link=version.link))


def test_one_picture_is_a_photo_post_whose_caption_is_the_previewed_text_with_the_link(db, settings, fake):
    ids, (sha,), version = _with_images(db, settings, 1)
    counts = dispatch.dispatch_due(db, settings, now=DUE, worker_id="w")
    assert counts["delivered"] == 1
    (post,) = fake.posts
    assert post["images"] == [sha] and post["photo_id"]
    assert strip_marker(post["message"]) == _preview(version) and post["message"].rstrip().endswith(LINK)
    assert find_markers(post["message"]) == [ids[0]]
    assert db.get(Delivery, ids[0]).external_id == post["id"]          # the page post, not the photo


def test_several_pictures_are_attached_to_one_feed_post_in_order(db, settings, fake):
    ids, shas, version = _with_images(db, settings, 3)
    assert dispatch.dispatch_due(db, settings, now=DUE, worker_id="w")["delivered"] == 1
    (post,) = fake.posts
    assert post["images"] == shas and post["link"] == ""               # Graph ignores link with attached media
    assert strip_marker(post["message"]) == _preview(version)
    assert fake.requests_to("111") == 3 + 1


def test_a_refused_feed_call_after_the_uploads_keeps_the_photo_ids_and_never_uploads_them_again(db, settings, fake):
    ids, shas, _ = _with_images(db, settings, 2)
    fake.fail_next(32, "(#32) Page request limit reached", after=2)    # both uploads pass, the post is refused
    counts = dispatch.dispatch_due(db, settings, now=DUE, worker_id="w")
    assert counts["retry"] == 1 and fake.posts == []
    db.expire_all()
    row = db.get(Delivery, ids[0])
    assert row.status is DeliveryStatus.PLANNED and sorted(row.platform_state["photos"]) == sorted(shas)
    assert db.get(Target, db.scalar(select(Target.id).where(Target.external_id == "111"))).backoff_until > DUE
    later = DUE + dt.timedelta(seconds=settings["DISPATCH_BACKOFF_SECONDS"] + 1)
    assert dispatch.dispatch_due(db, settings, now=later, worker_id="w")["delivered"] == 1
    (post,) = fake.posts
    assert post["images"] == shas
    assert fake.requests_to("111") == 2 + 1 + 1                        # no second upload of either picture


def test_a_rate_limited_upload_waits_and_a_limited_page_gets_one_request_per_backoff(db, settings, fake):
    ids, shas, _ = _with_images(db, settings, 2, per_page=5)
    fake.rate_limit("111", 32)
    for second in range(0, 50, 5):
        dispatch.dispatch_due(db, settings, now=DUE + dt.timedelta(seconds=second), worker_id="w")
    assert fake.requests_to("111") == 1 and fake.posts == []
    db.expire_all()
    assert {db.get(Delivery, i).status for i in ids} == {DeliveryStatus.PLANNED}


def test_a_photo_post_whose_answer_was_lost_is_found_by_its_caption_marker(db, settings, fake):
    ids, (sha,), _ = _with_images(db, settings, 1)
    fake.hang_next(2)
    quick = {**settings, "CHANNEL_TIMEOUT_SECONDS": 0.5}
    assert dispatch.dispatch_due(db, quick, now=DUE, worker_id="w")["unknown"] == 1
    later = DUE + dt.timedelta(seconds=settings["RECONCILE_GRACE_SECONDS"] + 1)
    fake.clock = lambda: DUE
    counts = dispatch.dispatch_due(db, settings, now=later, worker_id="w")
    db.expire_all()
    (post,) = fake.posts
    assert counts["reconciled"] == 1 and db.get(Delivery, ids[0]).status is DeliveryStatus.DELIVERED
    assert db.get(Delivery, ids[0]).external_id == post["id"] and post["images"] == [sha]


def test_a_missing_image_file_fails_the_post_with_a_reason_instead_of_posting_without_it(db, settings, fake):
    ids, shas, version = _with_images(db, settings, 1)
    image = version.images[0]
    image_path(settings["IMAGE_DIR"], image).unlink()
    assert dispatch.dispatch_due(db, settings, now=DUE, worker_id="w")["failed"] == 1
    db.expire_all()
    assert "tải ảnh lên lại" in db.get(Delivery, ids[0]).error and fake.requests_to("111") == 0


def test_the_fake_server_records_the_sha256_of_the_bytes_it_received(fake):
    from planner.channels import ChannelSettings, PostImage, TargetInfo

    data = _picture((1, 2, 3))
    item = content_item("Tiêu đề", "Nội dung", images=(PostImage(hashlib.sha256(data).hexdigest(), "image/png",
                                                                 "Ảnh", data),))
    REGISTRY["fanpage"].deliver(item, TargetInfo("Trang", "9"), ChannelSettings(
        {"FACEBOOK_GRAPH_URL": fake.url, "FACEBOOK_PAGE_TOKENS": {"9": "tok"}}), now=DUE, reference=7)
    assert fake.posts[0]["images"] == [hashlib.sha256(data).hexdigest()]
