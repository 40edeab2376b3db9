"""Migration 0002_authoring keeps existing messages working: versions take over their message's channel,
dates and single audience, approvals stay; villages gain empty households/population."""
from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

from planner.db import upgrade_database

ROWS = """
INSERT INTO units (id, code, name, kind, path, duties) VALUES (1, 'xa', 'Xã', 'commune', '/00000001/', '');
INSERT INTO plans (id, code, number, issuer, unit_id, place, title, summary, starts_on, period_rule,
                   is_replanning_missed, details, created_at)
  VALUES (1, 'kh', '1/KH', 'UBND', 1, 'X', 'KH', '', '2026-03-01', 'decree_09', 0, '{}', '2026-03-01 00:00:00');
INSERT INTO audience_groups (id, plan_id, code, name, position) VALUES (1, 1, 'dan', 'Người dân', 0);
INSERT INTO messages (id, plan_id, code, audience_id, channel, theme, priority, valid_from, valid_to,
                      min_per_week, peak_per_day, min_gap_hours, created_at)
  VALUES (1, 1, 'to-roi', 1, 'leaflet', '', 'normal', '2026-03-31', '2026-04-15', 0, 0, 0, '2026-03-01 00:00:00');
INSERT INTO message_versions (id, message_id, number, title, body_md, status, created_at, review_note)
  VALUES (1, 1, 1, 'Tờ rơi', 'Nội dung', 'approved', '2026-03-01 00:00:00', ''),
         (2, 1, 2, 'Tờ rơi (sửa)', 'Nội dung mới', 'draft', '2026-03-02 00:00:00', '');
"""


@pytest.mark.skipif(bool(os.environ.get("PLANNER_TEST_DATABASE_URL")), reason="runs on its own SQLite file")
def test_existing_versions_keep_approval_and_get_their_message_channel_dates_and_audience(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade_database(url, "0001")
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in filter(str.strip, ROWS.split(";")):
            conn.execute(text(statement))
    upgrade_database(url, "head")
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT id, status, channel, valid_from, valid_to, weekdays, headline, link, "
                                     "post_at FROM message_versions ORDER BY id")).all()
        audiences = conn.execute(text("SELECT version_id, audience_id FROM message_version_audiences "
                                      "ORDER BY version_id")).all()
        village = conn.execute(text("SELECT households, population FROM units")).one()
    assert [(v.status, v.channel, str(v.valid_from), str(v.valid_to), v.weekdays, v.headline, v.link)
            for v in versions] == [("approved", "leaflet", "2026-03-31", "2026-04-15", 127, "", "")] + \
        [("draft", "leaflet", "2026-03-31", "2026-04-15", 127, "", "")]
    assert all(v.post_at in ("[]", []) for v in versions)
    assert [tuple(a) for a in audiences] == [(1, 1), (2, 1)]
    assert tuple(village) == (None, None)
    engine.dispose()
