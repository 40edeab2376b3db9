"""iCal feeds at scale: a bounded window (8 weeks back, 26 ahead by default), ETag/Last-Modified with 304,
emergencies and ad hoc sessions named in the event, and no feed for a unit with too many targets."""
from __future__ import annotations

import datetime as dt

from icalendar import Calendar
from sqlalchemy import select

from planner.db import utcnow
from planner.models import DeliveryStatus, Occurrence, OccurrenceSource, Unit
from planner.operations.feeds import make_feed_token
from tests.app import factories as f


def _feed(db, days: list[int]):
    target = f.village_target(db, "thon-07")
    msg = f.message(db, "ngoc-lac-asxh-2026", "loa-loi-ich")
    made = [f.occurrence(db, target=target, msg=msg, at=utcnow() + dt.timedelta(days=d)) for d in days]
    return f"/ical/{make_feed_token('test-secret', 't', target.id)}.ics", made


def _uids(resp) -> set[str]:
    return {str(e["uid"]) for e in Calendar.from_ical(resp.data).walk("VEVENT")}


def test_the_feed_covers_eight_weeks_back_and_twenty_six_ahead(app, demo, db):
    url, made = _feed(db, [-70, -50, 0, 170, 190])
    uids = _uids(app.test_client().get(url))
    inside = {f"occurrence-{d.occurrence_id}@localhost" for d in made[1:4]}
    assert uids == inside  # -70 days and +190 days are outside the window
    app.config["ICAL_FUTURE_DAYS"] = 200
    assert len(_uids(app.test_client().get(url))) == 4


def test_an_unchanged_feed_answers_304_and_a_change_makes_a_new_etag(app, demo, db):
    url, made = _feed(db, [1, 2])
    client = app.test_client()
    first = client.get(url)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert first.status_code == 200 and etag and modified
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.data and again.headers["ETag"] == etag
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    made[0].status = DeliveryStatus.CANCELLED
    db.commit()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag and len(_uids(changed)) == 1
    occ = db.get(Occurrence, made[1].occurrence_id)
    occ.starts_at += dt.timedelta(minutes=5)  # a move changes the row version
    db.commit()
    assert client.get(url, headers={"If-None-Match": changed.headers["ETag"]}).status_code == 200


def test_emergencies_and_ad_hoc_sessions_are_named_in_the_event(app, demo, db):
    url, made = _feed(db, [1, 2, 3])
    first, second = (db.get(Occurrence, d.occurrence_id) for d in made[:2])
    first.source, second.is_ad_hoc = OccurrenceSource.EMERGENCY, True
    db.commit()
    events = {str(e["uid"]): str(e["summary"]) for e in Calendar.from_ical(app.test_client().get(url).data)
              .walk("VEVENT")}
    assert events[f"occurrence-{first.id}@localhost"].startswith("[Tin khẩn] ")
    assert events[f"occurrence-{second.id}@localhost"].startswith("[Phiên đột xuất] ")
    assert not events[f"occurrence-{made[2].occurrence_id}@localhost"].startswith("[")


def test_a_unit_with_more_targets_than_allowed_gets_no_feed_but_a_reason(app, demo, db):
    commune = db.scalar(select(Unit).where(Unit.code == "xa-ngoc-lac"))
    url = f"/ical/{make_feed_token('test-secret', 'u', commune.id)}.ics"
    assert app.test_client().get(url).status_code == 200
    app.config["ICAL_MAX_TARGETS"] = 10
    refused = app.test_client().get(url)
    assert refused.status_code == 422 and "xã hoặc một thôn" in refused.get_data(as_text=True)


def test_long_vietnamese_titles_with_commas_survive_folding_and_escaping():
    from planner.operations.feeds import _line

    text = ("[Tin khẩn] Đề án 06, tích hợp; tài khoản \\ ASXH\nTrên VNeID – đăng ký sớm ở Thôn Đồng Tâm, "
            "xã Ngọc Lặc (loa)")
    line = _line("SUMMARY", text)
    assert all(len(part.encode()) <= 75 for part in line.split("\r\n"))
    doc = "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:x", "BEGIN:VEVENT", "UID:1",
                        "DTSTAMP:20260101T000000Z", "DTSTART:20260101T000000Z", line, "END:VEVENT",
                        "END:VCALENDAR"]) + "\r\n"
    assert str(Calendar.from_ical(doc.encode()).walk("VEVENT")[0]["summary"]) == text


def test_a_client_that_accepts_gzip_gets_the_same_feed_compressed(app, demo, db):
    import gzip

    url, made = _feed(db, [1, 2, 3])
    client = app.test_client()
    plain = client.get(url)
    packed = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert "Content-Encoding" not in plain.headers and "Accept-Encoding" in plain.headers["Vary"]
    assert packed.headers["Content-Encoding"] == "gzip" and packed.headers["ETag"] == plain.headers["ETag"]
    assert gzip.decompress(packed.data) == plain.data and len(_uids(plain)) == 3
    assert client.get(url, headers={"Accept-Encoding": "gzip;q=0"}).data == plain.data


def test_an_unchanged_feed_is_served_from_the_cache_of_its_etag(app, demo, db, monkeypatch):
    import gzip

    from planner.operations import feeds

    built = []
    real = feeds.build_ical
    monkeypatch.setattr(feeds, "build_ical", lambda *a, **k: built.append(1) or real(*a, **k))
    url, made = _feed(db, [1, 2, 3])
    client = app.test_client()
    first = client.get(url, headers={"Accept-Encoding": "gzip"})
    again = client.get(url, headers={"Accept-Encoding": "gzip"})
    plain = client.get(url)
    assert len(built) == 1 and again.data == first.data and gzip.decompress(first.data) == plain.data
    assert again.headers["ETag"] == first.headers["ETag"] and len(_uids(plain)) == 3
    made[0].status = DeliveryStatus.CANCELLED
    db.commit()
    changed = client.get(url)
    assert len(built) == 2 and changed.headers["ETag"] != first.headers["ETag"] and len(_uids(changed)) == 2
    app.config["ICAL_CACHE_BYTES"] = 0      # off: every request writes the feed
    client.get(url)
    client.get(url)
    assert len(built) == 4


def test_the_byte_lru_keeps_the_recent_values_within_its_bound():
    from planner.bytecache import ByteLRU

    cache = ByteLRU(100)
    for i in range(10):
        cache.put(i, bytes(20))
    assert len(cache) == 5 and cache.size == 100 and cache.get(4) is None and cache.get(5) is not None
    cache.put("big", bytes(26))     # over a quarter of the bound: not kept
    assert cache.get("big") is None and len(cache) == 5
    cache.get(5)
    cache.put("new", bytes(20))
    assert cache.get(5) is not None and cache.get(6) is None


def test_a_feed_body_written_by_one_process_serves_another_and_the_files_stay_bounded(tmp_path):
    import threading

    from planner.bytecache import ByteLRU, FileCache, TieredCache

    made = []

    def make(value: bytes):
        def _make():
            made.append(value)
            return value
        return _make

    one = TieredCache(ByteLRU(1000), FileCache(tmp_path, 1000))
    other = TieredCache(ByteLRU(1000), FileCache(tmp_path, 1000))   # another worker: same folder
    assert one.get_or_make("feed", make(b"x" * 100)) == b"x" * 100
    assert other.get_or_make("feed", make(b"never")) == b"x" * 100 and made == [b"x" * 100]
    for i in range(20):
        one.get_or_make(("other", i), make(bytes(200)))
    assert sum(p.stat().st_size for p in tmp_path.glob("*.bin")) <= 1000
    assert not list(tmp_path.glob("*.tmp"))
    # Threads asking at once for one missing body: it is made once.
    slow = TieredCache(ByteLRU(1000))
    count, gate = [], threading.Event()

    def build():
        gate.wait(1)
        count.append(1)
        return b"body"

    threads = [threading.Thread(target=slow.get_or_make, args=("k", build)) for _ in range(4)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join()
    assert count == [1]
