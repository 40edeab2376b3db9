"""Events told by the worker and by other operations: delivery problems batched per tick and unit, reports
due in 7 days, print orders, emergencies; and e-mails really sent over SMTP to an aiosmtpd sink."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from planner import localtime
from planner.db import utcnow
from planner.models import DeliveryStatus, DueItem, Notification, OutboxMail, PrintOrder
from planner.models.printing import ProofStatus
from planner.operations import notify_events
from planner.worker import tick
from tests.app import factories as f
from tests.app.test_api import api  # noqa: F401 — the `api` fixture
from tests.app.test_print_orders import place_order


def _texts(db, username: str, kind: str | None = None) -> list[str]:
    stmt = select(Notification.text).where(Notification.user_id == f.user(db, username).id)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    return list(db.scalars(stmt.order_by(Notification.id)))


def _tick(app):
    return tick(app.extensions["planner_db"], app.config, instance_path=app.instance_path, worker_id="w-notify")


def test_failed_and_missed_broadcasts_make_one_notification_per_tick_for_the_communes_officers(app, demo):
    msg = f.message(demo, "ngoc-lac-asxh-2026", "loa-cao-diem")
    yesterday = utcnow() - dt.timedelta(days=2)
    for code in ("thon-01", "thon-02", "thon-07"):
        f.occurrence(demo, target=f.village_target(demo, code), msg=msg, at=yesterday)  # missed at the tick
    f.occurrence(demo, target=f.village_target(demo, "thon-03"), msg=msg, at=yesterday, status=DeliveryStatus.FAILED)
    result = _tick(app)
    assert result["missed"] == 3
    texts = _texts(demo, "vanhoa", "delivery.problem")
    assert len(texts) == 1 and "3 lượt phát bị lỡ" in texts[0] and "1 lượt thất bại" in texts[0]
    assert _texts(demo, "bientap") == [] and _texts(demo, "duyetxa") == []   # not officers of the commune
    _tick(app)                                           # told once, not at every tick
    assert len(_texts(demo, "vanhoa", "delivery.problem")) == 1


def test_a_report_due_within_seven_days_is_told_once_to_its_units_officers(app, demo):
    plan = f.plan(demo, "ngoc-lac-asxh-2026")
    today = localtime.today(utcnow())
    demo.add(DueItem(plan_id=plan.id, unit_id=plan.unit_id, code="bao-cao-thu", title="Báo cáo kết quả tháng",
                     due_on=today + dt.timedelta(days=5)))
    demo.add(DueItem(plan_id=plan.id, unit_id=plan.unit_id, code="bao-cao-xa", title="Báo cáo năm",
                     due_on=today + dt.timedelta(days=30)))
    demo.commit()
    assert notify_events.reports_due(demo, now=utcnow(), sync=False) == 1
    demo.commit()
    texts = _texts(demo, "vanhoa", "report.due")
    assert texts == [f"Báo cáo kết quả tháng: hạn {localtime.fmt_date(today + dt.timedelta(days=5))} (còn 5 ngày)."]
    assert notify_events.reports_due(demo, now=utcnow(), sync=False) == 0


def test_emergency_insertion_tells_the_communes_officers_and_alerts_the_village_phone_page(app, demo):
    from planner.operations.repairs import insert_emergency_message
    from planner.operations.schedule import schedule_plan

    plan, village = f.plan(demo, "ngoc-lac-asxh-2026"), demo.scalar(select(f.Unit).where(f.Unit.code == "thon-07"))
    today = localtime.today(utcnow())
    schedule_plan(demo, plan, unit=village, channel="loudspeaker", start=today, end=today + dt.timedelta(days=3),
                  now=utcnow(), settings=app.config)
    outcome = insert_emergency_message(demo, f.message(demo, "ngoc-lac-asxh-2026", "loa-cao-diem"), village,
                                       sessions_ahead=1, now=utcnow(), settings=app.config, user=f.user(demo, "admin"))
    demo.commit()
    texts = _texts(demo, "vanhoa", "emergency")
    assert outcome.placed == 1 and len(texts) == 1 and "Thôn" in texts[0] and "1 lượt" in texts[0]
    from planner.models import Occurrence, OccurrenceSource
    from planner.operations.delivery import make_village_token

    urgent = demo.scalar(select(Occurrence).where(Occurrence.source == OccurrenceSource.EMERGENCY))
    token = make_village_token("test-secret", urgent.target_id, today, today + dt.timedelta(days=7))
    phone = app.test_client().get(f"/x/{token}").get_data(as_text=True)   # the village head's phone page
    assert "data-emergency-alert" in phone and f"“{urgent.version.title}” lúc" in phone


def test_print_order_events_go_to_the_orderer_and_to_the_shop_once_it_can_see_the_order(app, login, db,
                                                                                        monkeypatch):
    from planner.operations import print_proofs

    def fake_render(order, directory, *, now, **_):   # the real PDF pipeline is tested in test_print_orders
        order.proof_status, order.proof_sha256, order.proof_rendered_at = ProofStatus.READY, "a" * 64, now

    monkeypatch.setattr(print_proofs, "render_proof", fake_render)
    officer = login("vanhoa")
    order = place_order(officer, db, f.message(db, "ngoc-lac-asxh-2026", "to-roi-6-buoc").approved)
    assert _texts(db, "inan") == []                 # the shop sees nothing before the proof is approved
    _tick(app)
    assert "bản in thử đã sẵn sàng" in _texts(db, "vanhoa", "print_order")[-1]
    vanhoa, shop = f.user(db, "vanhoa"), f.user(db, "inan")
    db.expire_all()
    order = db.get(PrintOrder, order.id)
    print_proofs.approve_proof(db, order, vanhoa, now=utcnow())
    assert "đơn mới đã sẵn sàng để in" in _texts(db, "inan", "print_order")[-1]
    from planner.operations.print_distribution import mark_delivered
    from planner.operations.print_orders import move_order

    for status in ("accepted", "printed"):
        move_order(db, order, shop, status, now=utcnow())
    for share in list(order.distribution):   # delivered village by village; the last one delivers the order
        mark_delivered(db, order, share.unit_id, shop, now=utcnow())
    db.commit()
    assert len(_texts(db, "vanhoa", "print_order")) == 4 and "đã giao" in _texts(db, "vanhoa")[-1].lower()
    assert len(_texts(db, "inan", "print_order")) == 1   # nobody hears of their own steps


def test_worker_sends_outbox_mail_through_a_real_smtp_sink_and_retries_when_the_server_is_down(app, demo):
    from planner import mailer
    from planner.mail_sink import MailSink
    from planner.operations.notifications import notify

    duyet = f.user(demo, "duyet")
    duyet.email, duyet.email_kinds = "duyet@example.vn", ["message.submitted"]
    notify(demo, [duyet], "message.submitted", "Tin \"Thử\" chờ duyệt.", "/messages/1", now=utcnow())
    notify(demo, [duyet], "report.due", "Không gửi thư loại này.", now=utcnow())
    demo.commit()
    settings = {**app.config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": 9, "SMTP_PASSWORD": "mat-khau-bi-mat",
                "BASE_URL": "https://planner.example.vn"}
    assert mailer.send_outbox(demo, settings, now=utcnow()) == {"mail_failed": 1}   # nothing listens on port 9
    mail = demo.scalar(select(OutboxMail))
    assert mail.sent_at is None and mail.attempts == 1 and mail.next_attempt_at > utcnow()
    assert "mat-khau-bi-mat" not in mail.last_error
    with MailSink() as sink:
        settings["SMTP_PORT"] = sink.smtp_port
        assert mailer.send_outbox(demo, settings, now=utcnow()) == {}     # waits for its retry time
        later = utcnow() + dt.timedelta(minutes=5)
        assert mailer.send_outbox(demo, settings, now=later) == {"mail_sent": 1, "mail_failed": 0}
        assert mailer.send_outbox(demo, settings, now=later) == {}        # sent once, never again
        [received] = sink.mails
    assert received["to"] == ["duyet@example.vn"] and "chờ duyệt" in received["subject"]
    assert "Tin \"Thử\" chờ duyệt." in received["text"]
    assert "https://planner.example.vn/messages/1" in received["text"]
    assert demo.scalar(select(func.count()).select_from(OutboxMail)) == 1


def test_mail_is_given_up_after_the_last_attempt(app, demo):
    from planner import mailer
    from planner.operations.notifications import notify

    duyet = f.user(demo, "duyet")
    duyet.email, duyet.email_kinds = "duyet@example.vn", ["report.due"]
    notify(demo, [duyet], "report.due", "Hạn nộp báo cáo.", now=utcnow())
    demo.commit()
    settings = {**app.config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": 9, "MAIL_MAX_ATTEMPTS": 2}
    mailer.send_outbox(demo, settings, now=utcnow())
    mailer.send_outbox(demo, settings, now=utcnow() + dt.timedelta(hours=1))
    mail = demo.scalar(select(OutboxMail))
    assert mail.failed_at is not None and mail.attempts == 2
    assert mailer.send_outbox(demo, settings, now=utcnow() + dt.timedelta(days=1)) == {}
