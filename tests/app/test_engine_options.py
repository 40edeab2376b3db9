"""make_engine keeps the connection options a PostgreSQL URL carries (benchmarks' private schemas rely on it)."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from planner.db import make_engine


class _Stop(Exception):
    pass


def _connect_params(url: str) -> dict:
    """The keyword arguments the driver would be called with (captured before any connection is made)."""
    engine = make_engine(url)
    seen = {}

    def capture(dialect, conn_rec, cargs, cparams):
        seen.update(cparams)
        raise _Stop

    event.listen(engine, "do_connect", capture)
    with pytest.raises(_Stop):
        engine.connect()
    engine.dispose()
    return seen


def test_search_path_in_the_url_survives_the_lock_timeout_option():
    params = _connect_params("postgresql+psycopg://u@127.0.0.1:1/db?options=-csearch_path%3Dplanner_bench")
    assert "-csearch_path=planner_bench" in params["options"]
    assert "-c lock_timeout=30000" in params["options"]


def test_a_plain_url_gets_the_lock_timeout_only():
    params = _connect_params("postgresql+psycopg://u@127.0.0.1:1/db")
    assert params["options"] == "-c lock_timeout=30000"
