"""kill -9 harness: the worker killed at random points while it posts a burst; nothing doubled, nothing lost.

Run: python bench/kill_harness.py [--pg URL] [--posts 1000] [--kills 20] [--pages 5] [--delay 0.02] [--seed N]
     (or PLANNER_BENCH_PG_URL). Without a PostgreSQL URL a fresh SQLite file is used.
The planner tables of the given database are DROPPED and recreated: point it at a throwaway database.

`--posts` fanpage posts are due now on `--pages` pages of the fake Graph server (planner/fake_platforms.py,
every POST taking `--delay` s after it is recorded, so a kill can land between "posted" and "recorded").
`planner worker` runs as a subprocess and is sent SIGKILL `--kills` times, each time after a random number
of posts of its life (and a few random milliseconds more), and restarted; a last worker then runs until
every post is settled and is stopped with SIGTERM. Printed (JSON): posts seen once / twice / never on the
fake server, the final statuses, and `in_flight_total` — the claims with no recorded outcome left by the
kills — which bounds the `unknown` deliveries left for a person.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from array import array
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from planner.channels.marker import find_markers  # noqa: E402
from planner.db import Base, Database, utcnow  # noqa: E402
from planner.fake_platforms import FakePlatforms  # noqa: E402
from planner.models import (AudienceGroup, Delivery, DeliveryStatus, Message, MessageVersion, Plan,  # noqa: E402
                            Target, Unit, UnitKind, VersionStatus)
from planner.operations.bulk import insert_placements  # noqa: E402

FINAL = (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.EXPIRED)


def seed(db: Database, posts: int, pages: list[str]) -> list[int]:
    """Fresh planner tables with `posts` approved fanpage posts due now, spread over `pages`; their ids."""
    Base.metadata.drop_all(db.engine)
    Base.metadata.create_all(db.engine)
    now = utcnow()
    with db.session() as s:
        unit = Unit(code="kill", name="Xã thử", kind=UnitKind.COMMUNE, path="/")
        s.add(unit)
        s.flush()
        plan = Plan(code="kill", number="1", issuer="UBND", unit_id=unit.id, place="X", title="KH",
                    starts_on=now.date())
        s.add(plan)
        s.flush()
        audience = AudienceGroup(plan_id=plan.id, code="a", name="A")
        s.add(audience)
        s.flush()
        message = Message(plan_id=plan.id, code="m", audience_id=audience.id, channel="fanpage")
        s.add(message)
        s.flush()
        version = MessageVersion(message_id=message.id, title="Tin", body_md="Nội dung thử.", channel="fanpage",
                                 status=VersionStatus.APPROVED)
        targets = [Target(code=f"fb-{p}", unit_id=unit.id, channel="fanpage", name=f"Trang {p}", external_id=p)
                   for p in pages]
        s.add_all([version, *targets])
        s.flush()
        due = int(now.timestamp()) - 30
        columns = {"target_id": array("q", [targets[i % len(targets)].id for i in range(posts)]),
                   "message_id": array("q", [version.id] * posts),
                   "session_start": array("q", [due - (i // len(targets)) for i in range(posts)]),
                   "offset_s": array("q", [0] * posts), "duration_s": array("q", [60] * posts)}
        insert_placements(s, plan_id=plan.id, channel="fanpage", columns=columns, reasons=[""] * posts,
                          now=now - dt.timedelta(minutes=5))
        s.commit()
        return sorted(s.scalars(select(Delivery.id)))


def worker_env(url: str, fake: FakePlatforms, pages: list[str], instance: str, batch: int, stale: int) -> dict:
    """The worker's settings: a short stale time and reconciliation grace so killed claims settle in seconds."""
    return {**os.environ, "PYTHONPATH": str(ROOT), "PLANNER_DATABASE_URL": url, "PLANNER_SECRET_KEY": "kill",
            "PLANNER_INSTANCE_PATH": instance, "PLANNER_WORKER_INTERVAL_SECONDS": "1",
            "PLANNER_FACEBOOK_GRAPH_URL": fake.url,
            "PLANNER_FACEBOOK_PAGE_TOKENS": json.dumps({p: f"tok-{p}" for p in pages}),
            "PLANNER_DISPATCH_BATCH_SIZE": str(batch), "PLANNER_DISPATCH_STALE_SECONDS": str(stale),
            "PLANNER_RECONCILE_GRACE_SECONDS": "1", "PLANNER_RECONCILE_INTERVAL_SECONDS": "2",
            "PLANNER_CHANNEL_TIMEOUT_SECONDS": "5"}


def start_worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "planner.cli", "worker"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def unsettled_claims(db: Database, pid: int) -> list[int]:
    """Claims of the worker with this pid that have no outcome (they were in flight when it died)."""
    with db.session() as s:
        return list(s.scalars(select(Delivery.id).where(
            Delivery.status == DeliveryStatus.DISPATCHED, Delivery.claimed_by == f"{socket.gethostname()}:{pid}")))


def settled(db: Database) -> int:
    """Deliveries that will not change by themselves: delivered, failed, expired, or unknown after the
    platform was asked (left for a person)."""
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.status.in_(FINAL)
            | ((Delivery.status == DeliveryStatus.UNKNOWN) & Delivery.checked_at.isnot(None))))


def statuses(db: Database) -> dict[str, int]:
    with db.session() as s:
        return {status.value: n for status, n in s.execute(select(Delivery.status, func.count())
                                                            .group_by(Delivery.status))}


def kill_round(db: Database, fake: FakePlatforms, env: dict, rng: random.Random, *, timeout: float) -> dict:
    """Start a worker, SIGKILL it after a random number of its posts; what it left in flight."""
    worker = start_worker(env)
    before, wanted = len(fake.posts), rng.randint(1, 40)
    deadline = time.monotonic() + timeout
    while len(fake.posts) - before < wanted and time.monotonic() < deadline and worker.poll() is None:
        time.sleep(0.005)
    time.sleep(rng.uniform(0, 0.03))
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    in_flight = unsettled_claims(db, worker.pid)
    on_page = {m for p in fake.posts for m in find_markers(p["message"])}
    return {"posted_in_life": len(fake.posts) - before, "in_flight": len(in_flight),
            "sent_unrecorded": sum(1 for i in in_flight if i in on_page)}


def finish(db: Database, env: dict, total: int, *, timeout: float) -> int:
    """A last worker runs until every post is settled, then gets SIGTERM; its exit code."""
    worker = start_worker(env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if settled(db) == total:
            break
        time.sleep(0.25)
    worker.send_signal(signal.SIGTERM)
    try:
        return worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        return -9


def run(url: str, *, posts: int = 1000, kills: int = 20, pages: int = 5, delay: float = 0.02, batch: int = 100,
        stale: int = 6, seed_value: int | None = None, timeout: float = 600) -> dict:
    """The whole harness on the database at `url`; the figures (see the module docstring)."""
    rng = random.Random(seed_value)
    page_ids = [str(111 * (i + 1)) for i in range(pages)]
    db = Database(url)
    fake = FakePlatforms().start()
    started = time.monotonic()
    try:
        ids = seed(db, posts, page_ids)
        fake.slow_down(delay)
        with tempfile.TemporaryDirectory() as instance:
            env = worker_env(url, fake, page_ids, instance, batch, stale)
            rounds = [kill_round(db, fake, env, rng, timeout=timeout / (kills + 1)) for _ in range(kills)]
            exit_code = finish(db, env, len(ids), timeout=timeout)
        seen = Counter(m for p in fake.posts for m in find_markers(p["message"]))
        final = statuses(db)
        return {"engine": db.engine.dialect.name, "posts": posts, "pages": pages, "kills": kills,
                "platform_delay_s": delay, "batch": batch, "stale_s": stale,
                "posted_before_last_worker": sum(r["posted_in_life"] for r in rounds),
                "in_flight_at_kills": [r["in_flight"] for r in rounds],
                "in_flight_total": sum(r["in_flight"] for r in rounds),
                "sent_unrecorded_at_kills": [r["sent_unrecorded"] for r in rounds],
                "posted_once": sum(1 for i in ids if seen[i] == 1),
                "duplicated": sum(1 for i in ids if seen[i] > 1),
                "lost": sum(1 for i in ids if seen[i] == 0),
                "unknown": final.get(DeliveryStatus.UNKNOWN.value, 0), "statuses": final,
                "last_worker_exit_code": exit_code, "seconds": round(time.monotonic() - started, 1)}
    finally:
        fake.stop()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", help="PostgreSQL URL (its planner tables are dropped); default a SQLite file")
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--pages", type=int, default=5)
    parser.add_argument("--delay", type=float, default=0.02)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    url = args.pg or os.environ.get("PLANNER_BENCH_PG_URL")
    with tempfile.TemporaryDirectory() as tmp:
        figures = run(url or f"sqlite:///{tmp}/kill.db", posts=args.posts, kills=args.kills, pages=args.pages,
                      delay=args.delay, batch=args.batch, seed_value=args.seed)
    print(json.dumps(figures))
    ok = not figures["duplicated"] and not figures["lost"] and figures["unknown"] <= figures["in_flight_total"]
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
