"""A plan's life cycle (draft → active → closed ⇄ archived), retired messages, delete or archive, copies."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from planner import localtime
from planner.db import utcnow
from planner.dispatch import claim_due
from planner.models import (AudienceGroup, AuditEntry, Delivery, DeliveryStatus, Message, Plan, PlanStatus, Target,
                            VersionStatus, Window)
from planner.models.indicators import Indicator
from planner.operations import content
from planner.operations.placement import PlacementError, place_message_at
from planner.operations.plans import (PlanError, copy_plan, delete_plan, retire_message, save_plan, set_status)
from planner.operations.plan_export import plan_document
from planner.operations.schedule import ScheduleError, message_specs, schedule_plan
from tests.app import factories as f

NGOC_LAC = "ngoc-lac-asxh-2026"


def _week(app, db, plan, unit_code="thon-07"):
    target = f.village_target(db, unit_code)
    first = localtime.today(utcnow()) + dt.timedelta(days=1)
    return schedule_plan(db, plan, unit=target.unit, channel="loudspeaker", start=first,
                         end=first + dt.timedelta(days=6), now=utcnow(), settings=app.config)


def test_imported_plans_are_active(demo):
    assert {p.status for p in demo.scalars(select(Plan))} == {PlanStatus.ACTIVE}


def test_a_draft_plan_is_not_scheduled_until_it_is_made_active(app, demo):
    plan = f.plan(demo, NGOC_LAC)
    plan.status = PlanStatus.DRAFT
    with pytest.raises(ScheduleError, match="dự thảo"):
        _week(app, demo, plan)
    set_status(demo, plan, f.user(demo, "vanhoa"), PlanStatus.ACTIVE)
    assert _week(app, demo, plan).placed > 0


def test_a_closed_plan_is_read_only_for_messages_scheduling_and_placing(app, demo):
    plan, user = f.plan(demo, NGOC_LAC), f.user(demo, "vanhoa")
    set_status(demo, plan, user, PlanStatus.CLOSED)
    message = f.message(demo, NGOC_LAC, "loa-loi-ich")
    with pytest.raises(content.ContentError, match="chỉ xem"):
        content.edit_message(demo, message, user, content.form_values(message), now=utcnow())
    with pytest.raises(content.ContentError, match="chỉ xem"):
        content.create_message(demo, plan, user, content.form_values(message), now=utcnow())
    with pytest.raises(ScheduleError, match="chỉ xem"):
        _week(app, demo, plan)
    with pytest.raises(PlacementError, match="chỉ xem"):
        place_message_at(demo, message, f.village_target(demo), utcnow() + dt.timedelta(days=2), user=user,
                         now=utcnow(), settings=app.config)
    with pytest.raises(PlanError):
        save_plan(demo, user, plan_document(plan) | {"title": "Tên mới"}, plan=plan)


def test_a_closed_plans_due_posts_are_not_sent(demo):
    plan = f.plan(demo, "bhxh-2728-2023")
    message = demo.scalar(select(Message).where(Message.plan_id == plan.id, Message.channel == "fanpage"))
    page = demo.scalar(select(Target).where(Target.channel == "fanpage"))
    delivery = f.occurrence(demo, target=page, msg=message, at=utcnow() - dt.timedelta(minutes=1))
    plan.status = PlanStatus.CLOSED
    demo.commit()
    assert delivery.id not in claim_due(demo, now=utcnow(), worker_id="t", limit=50)
    plan.status = PlanStatus.ACTIVE
    demo.commit()
    assert delivery.id in claim_due(demo, now=utcnow(), worker_id="t", limit=50)


def test_a_retired_message_is_never_scheduled_again_but_kept(app, demo):
    plan, user = f.plan(demo, NGOC_LAC), f.user(demo, "vanhoa")
    message = f.message(demo, NGOC_LAC, "loa-loi-ich")
    assert message.id in {s.message_id for s in message_specs(plan, "loudspeaker", app.config, demo)}
    retire_message(demo, message, user, now=utcnow())
    assert message.id not in {s.message_id for s in message_specs(plan, "loudspeaker", app.config, demo)}
    with pytest.raises(PlacementError, match="ngừng dùng"):
        place_message_at(demo, message, f.village_target(demo), utcnow() + dt.timedelta(days=2), user=user,
                         now=utcnow(), settings=app.config)
    assert demo.get(Message, message.id).versions


def test_deleting_a_plan_with_deliveries_is_refused_and_archiving_is_offered(app, demo):
    plan, user = f.plan(demo, NGOC_LAC), f.user(demo, "admin")
    assert _week(app, demo, plan).placed > 0
    with pytest.raises(PlanError, match="lưu trữ"):
        delete_plan(demo, plan, user)
    with pytest.raises(PlanError):
        set_status(demo, plan, user, PlanStatus.ARCHIVED)        # only a closed plan is archived
    set_status(demo, plan, user, PlanStatus.CLOSED)
    set_status(demo, plan, user, PlanStatus.ARCHIVED)
    assert demo.scalar(select(func.count()).select_from(Delivery)) > 0


def test_a_plan_that_never_ran_can_be_deleted(demo):
    plan, user = f.plan(demo, "bhxh-2728-2023"), f.user(demo, "admin")
    delete_plan(demo, plan, user)
    demo.commit()
    assert f.plan(demo, "bhxh-2728-2023") is None
    assert demo.scalar(select(func.count()).select_from(Message).join(Plan)) > 0   # the other plan's stay
    assert demo.scalar(select(AuditEntry).where(AuditEntry.action == "plan.delete")) is not None


def test_a_copy_shifts_every_date_and_copies_messages_as_drafts(demo):
    source, user = f.plan(demo, NGOC_LAC), f.user(demo, "vanhoa")
    new_start = source.starts_on + dt.timedelta(days=365)
    copy = copy_plan(demo, source, user, code="ngoc-lac-asxh-2027", starts_on=new_start, now=utcnow())
    demo.commit()
    assert copy.status is PlanStatus.DRAFT and copy.starts_on == new_start
    assert copy.issued_on == source.issued_on + dt.timedelta(days=365)
    assert [a.code for a in copy.audiences] == [a.code for a in source.audiences]
    assert copy.details["deadlines"][0]["due"] == "31/03/2027"
    indicators = {i.code: i for i in demo.scalars(select(Indicator).where(Indicator.plan_id == copy.id))}
    assert indicators["tich-hop-asxh"].deadline == dt.date(2027, 4, 15)
    messages = demo.scalars(select(Message).where(Message.plan_id == copy.id)).all()
    source_count = demo.scalar(select(func.count()).select_from(Message).where(Message.plan_id == source.id))
    assert len(messages) == source_count
    assert all(m.latest.status is VersionStatus.DRAFT and m.approved is None for m in messages)
    windows = demo.scalars(select(Window).where(Window.plan_id == copy.id)).all()
    assert len(windows) == len(source.windows)
    assert all(w.is_yearly or w.starts_on.year >= 2027 for w in windows)


def test_a_bad_plan_form_names_each_field_and_writes_nothing(demo):
    user = f.user(demo, "vanhoa")
    before = demo.scalar(select(func.count()).select_from(Plan))
    doc = {"code": "ke-hoach-moi", "number": "01/KH-UBND", "issuer": "UBND xã", "unit": "khong-co-don-vi",
           "place": "Ngọc Lặc", "title": "", "starts_on": "31/02/2027", "audiences": [], "channels": ["fax"]}
    with pytest.raises(PlanError) as caught:
        save_plan(demo, user, doc)
    fields = caught.value.fields
    assert {"unit", "title", "starts_on", "audiences", "channels[1]"} <= set(fields), fields
    assert "không có đơn vị" in fields["unit"]
    assert demo.scalar(select(func.count()).select_from(Plan)) == before
    assert demo.scalar(select(func.count()).select_from(AudienceGroup).where(AudienceGroup.code == "x")) == 0


def test_a_new_plan_is_a_draft_with_its_audiences(demo):
    user = f.user(demo, "vanhoa")
    doc = {"code": "ke-hoach-moi", "number": "01/KH-UBND", "issuer": "UBND xã Ngọc Lặc", "unit": "xa-ngoc-lac",
           "place": "Ngọc Lặc", "title": "Tuyên truyền bầu cử", "starts_on": "01/05/2027",
           "audiences": [{"code": "cu-tri", "name": "Cử tri"}], "channels": ["loudspeaker", "fanpage"],
           "details": {"purposes": ["Mọi cử tri biết ngày bầu cử"]}}
    plan = save_plan(demo, user, doc)
    demo.commit()
    assert plan.status is PlanStatus.DRAFT and plan.unit.code == "xa-ngoc-lac"
    assert [a.code for a in plan.audiences] == ["cu-tri"]
    assert plan.details["purposes"] == ["Mọi cử tri biết ngày bầu cử"]


def test_editing_drops_unused_audiences_and_indicators_but_refuses_ones_in_use(demo):
    plan, user = f.plan(demo, NGOC_LAC), f.user(demo, "vanhoa")
    doc = plan_document(plan)
    used = doc | {"audiences": doc["audiences"][1:]}                # 'nguoi-dan' has messages
    with pytest.raises(PlanError, match="nguoi-dan"):
        save_plan(demo, user, used, plan=plan)
    demo.rollback()
    plan = f.plan(demo, NGOC_LAC)
    doc = plan_document(plan)
    doc["audiences"].append({"code": "moi", "name": "Nhóm mới"})
    save_plan(demo, user, doc, plan=plan)
    doc["audiences"].pop()
    doc["details"]["indicators"] = doc["details"]["indicators"][:1]
    save_plan(demo, user, doc, plan=plan)
    demo.commit()
    assert "moi" not in [a.code for a in f.plan(demo, NGOC_LAC).audiences]
    assert [i.code for i in demo.scalars(select(Indicator).where(Indicator.plan_id == plan.id))] == ["tich-hop-asxh"]


def test_reimporting_the_library_does_not_reopen_a_plan_closed_in_the_app(app, demo):
    from tests.conftest import ROOT

    plan = f.plan(demo, NGOC_LAC)
    set_status(demo, plan, f.user(demo, "vanhoa"), PlanStatus.CLOSED)
    demo.commit()
    result = app.test_cli_runner().invoke(args=["import", str(ROOT / "content_library"), str(ROOT / "schedules")])
    assert result.exit_code == 0 and "không có thay đổi" in result.output, result.output
    demo.expire_all()
    assert f.plan(demo, NGOC_LAC).status is PlanStatus.CLOSED
