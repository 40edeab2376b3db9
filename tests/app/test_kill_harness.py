"""The kill -9 harness at CI size: the worker process killed 4 times while it posts 120 due fanpage posts
(SQLite file, or PostgreSQL when PLANNER_TEST_DATABASE_URL is set): every post is on its page exactly once,
and no more posts wait for a person than were in flight at the kills (bench/kill_harness.py for 1,000 × 20)."""
from __future__ import annotations

import importlib.util
import signal
from pathlib import Path

import pytest

from tests.conftest import PG_URL

HARNESS = Path(__file__).resolve().parents[2] / "bench" / "kill_harness.py"


def _harness():
    spec = importlib.util.spec_from_file_location("kill_harness", HARNESS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_worker_killed_four_times_mid_burst_posts_each_delivery_exactly_once(tmp_path):
    url = PG_URL or f"sqlite:///{tmp_path / 'kill.db'}"
    figures = _harness().run(url, posts=120, kills=4, pages=3, delay=0.02, batch=50, stale=3, seed_value=8,
                             timeout=120)
    assert figures["posted_before_last_worker"] > 0, figures          # the kills landed mid-burst
    assert sum(figures["sent_unrecorded_at_kills"]) > 0, figures       # ... some between "posted" and "recorded"
    assert figures["duplicated"] == 0 and figures["lost"] == 0, figures
    assert figures["posted_once"] == 120, figures
    assert figures["unknown"] <= figures["in_flight_total"], figures
    assert figures["statuses"] == {"delivered": 120 - figures["unknown"], **(
        {"unknown": figures["unknown"]} if figures["unknown"] else {})}, figures
    assert figures["last_worker_exit_code"] == 0                       # it stopped cleanly on SIGTERM
