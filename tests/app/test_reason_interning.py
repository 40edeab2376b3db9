"""Generated placements share their explanation: each distinct text is stored once in placement_reasons,
occurrences point at it, and "Vì sao tin này ở đây?" still shows it (a person's move still wins)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from planner import localtime
from planner.db import utcnow
from planner.models import Occurrence, PlacementReason
from planner.operations.bulk import intern_reasons
from planner.operations.schedule import start_schedule
from tests.app import factories as f


def test_the_same_text_is_stored_once_and_found_again(db):
    texts = ["Lý do A", "Lý do B", "Lý do A", "Lý do A"]
    ids = intern_reasons(db, texts)
    assert ids[0] == ids[2] == ids[3] != ids[1]
    assert intern_reasons(db, ["Lý do B", "Lý do C"])[0] == ids[1]
    assert db.scalar(select(func.count(PlacementReason.id))) == 3


def test_a_generated_schedule_stores_each_explanation_once_and_the_page_explains(app, login, db):
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    commune = f.village_target(db, "thon-07").unit.parent
    first = localtime.today(utcnow()) + dt.timedelta(days=1)
    start_schedule(db, plan, unit=commune, channel="loudspeaker", start=first, end=first + dt.timedelta(days=13),
                   now=utcnow(), settings=app.config)
    db.commit()
    placed = db.scalar(select(func.count(Occurrence.id)).where(Occurrence.plan_id == plan.id))
    distinct = db.scalar(select(func.count(func.distinct(Occurrence.reason_id))).where(Occurrence.plan_id == plan.id))
    stored = db.scalar(select(func.count(PlacementReason.id)))
    assert placed > 100 and distinct == stored and stored < placed / 2
    assert db.scalar(select(func.count(Occurrence.id)).where(Occurrence.plan_id == plan.id, Occurrence.reason != "")) == 0
    occ = db.scalars(select(Occurrence).where(Occurrence.plan_id == plan.id).order_by(Occurrence.id)).first()
    assert occ.explanation and occ.explanation == occ.reason_text.text
    html = login("vanhoa").get(f"/occurrences/{occ.id}").get_data(as_text=True)
    assert "Vì sao" in html and occ.explanation.split(":")[0] in html
    again = start_schedule(db, plan, unit=commune, channel="loudspeaker", start=first,
                           end=first + dt.timedelta(days=13), now=utcnow(), settings=app.config)
    db.commit()
    assert again.placed and db.scalar(select(func.count(PlacementReason.id))) == stored  # re-run adds no texts
