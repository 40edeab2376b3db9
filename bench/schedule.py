"""Benchmark: place a synthetic province (4,000 villages × 2 sessions × 183 days), then store it; prints JSON.

Run: python bench/schedule.py [--pin-every-village] [--placement-only] [--pg URL]
--pin-every-village gives every village its own pinned item; --pg (or PLANNER_BENCH_PG_URL) adds PostgreSQL.
Persistence times planner.operations.bulk.insert_placements (+ commit) into a fresh database with the app's
schema, then, in the same run on the same engine, the driver's raw bulk insert of the same rows into
fresh tables (SQLite: sqlite3 executemany of prebuilt tuples; PostgreSQL: COPY of prebuilt tuples).
"""
from __future__ import annotations

import gc
import json
import resource
import sys
import time as clock
import tracemalloc
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import persistence  # noqa: E402
from planner.scheduling import (FixedItem, GridSpec, MessageSpec, TargetSpec,  # noqa: E402
                                WindowSpec, build_schedule)

START, DAYS = date(2026, 1, 1), 183
COMMUNES, VILLAGES = 100, 40
NOW = datetime(2025, 12, 31, tzinfo=timezone.utc)


def grids() -> dict[str, tuple[GridSpec, ...]]:
    """Province default, a later pair some communes use, and a weekday-only long session."""
    return {
        "province": (GridSpec(1, 127, time(5, 30), time(6, 0), 900), GridSpec(2, 127, time(17, 0), time(17, 30), 900)),
        "late": (GridSpec(3, 127, time(6, 0), time(6, 30), 900), GridSpec(4, 127, time(17, 30), time(18, 0), 900)),
        "own": (GridSpec(5, 0b0011111, time(6, 0), time(6, 45), 2700), GridSpec(6, 0b1100000, time(16, 30), time(17, 0), 1800)),
    }


def province() -> list[TargetSpec]:
    """100 communes × 40 villages; every 5th commune moves its sessions later, 50 villages have their own."""
    g, targets = grids(), []
    for commune in range(COMMUNES):
        for village in range(VILLAGES):
            tid = commune * VILLAGES + village + 1
            kind = "own" if tid % 80 == 0 else ("late" if commune % 5 == 0 else "province")
            targets.append(TargetSpec(tid, g[kind], name=f"Thôn {village + 1} xã {commune + 1}"))
    return targets


def messages() -> list[MessageSpec]:
    """20 province-wide campaigns and 40 commune ones (3 communes each), staggered validity."""
    out = []
    for i in range(60):
        first = START + timedelta(days=(i * 3) % 150)
        valid_to = first + timedelta(weeks=6 + i % 5)
        priority = "emergency" if i == 7 else ("priority" if i % 17 == 3 else "normal")
        scope = None
        if i >= 20:
            communes = [(i * 7 + k * 31) % COMMUNES for k in range(3)]
            scope = frozenset(c * VILLAGES + v + 1 for c in communes for v in range(VILLAGES))
        out.append(MessageSpec(1000 + i, 500 + i, priority, 45 + (i * 13) % 106, first, valid_to,
                               2 + i % 3, 1 if i % 4 == 0 else 0, 4 + (i % 3) * 4,
                               audience=f"nhóm {i % 4}", target_ids=scope, title=f"Tin {i}"))
    return out


def windows() -> list[WindowSpec]:
    """A peak window and the 2026 holidays (Tết, Giỗ Tổ, 30/04–01/05)."""
    return [WindowSpec(1, "peak", date(2026, 3, 5), date(2026, 4, 15)),
            WindowSpec(2, "blackout", date(2026, 2, 16), date(2026, 2, 20)),
            WindowSpec(3, "blackout", date(2026, 4, 26), date(2026, 4, 27)),
            WindowSpec(4, "blackout", date(2025, 4, 30), date(2025, 5, 1), is_yearly=True),
            WindowSpec(5, "blackout", date(2025, 1, 1), date(2025, 1, 1), is_yearly=True)]


def fixed(everywhere: bool = False) -> list[FixedItem]:
    """A pinned item in 40 villages, or (worst case) a different one in every village."""
    start = datetime(2026, 3, 10, 22, 30, tzinfo=timezone.utc)
    if everywhere:
        return [FixedItem(tid, start + timedelta(days=tid % 150), 1000 + tid % 20, 30) for tid in range(1, 4001)]
    return [FixedItem(tid, start, 1000, 120) for tid in range(7, 4000, 100)]


def run(targets, msgs, wins, pins):
    """One build_schedule + columns() over the whole province; returns (result, seconds)."""
    began = clock.perf_counter()
    result = build_schedule(targets, msgs, wins, pins, START, START + timedelta(days=DAYS - 1), now=NOW)
    result.columns()
    return result, clock.perf_counter() - began


def main() -> None:
    """Time a plain run, measure traced peak memory in a second run, then time persistence; print JSON."""
    inputs = province(), messages(), windows(), fixed("--pin-every-village" in sys.argv)
    result, elapsed = run(*inputs)
    del result
    gc.collect()
    tracemalloc.start()
    result, _ = run(*inputs)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    figures = {
        "targets": len(inputs[0]), "sessions": result.session_count, "messages": len(inputs[1]),
        "placements": len(result.columns()["target_id"]), "issues": len(result.issues),
        "groups": len(result.groups), "placement_seconds": round(elapsed, 3),
        "peak_memory_mb": round(traced_peak / 2**20, 1),
    }
    if "--placement-only" not in sys.argv:
        versions = {m.id: m.message_id for m in inputs[1]}
        figures.update(persistence.measure(result, [t.id for t in inputs[0]], versions, sys.argv, now=NOW))
    figures["maxrss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
