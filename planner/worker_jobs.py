"""The worker's three jobs, each on its own session (and, in the worker process, its own thread).

- dispatch: short and frequent — broadcasts of past days marked missed, late online posts expired, due
  ones claimed and delivered. Nothing slow runs here, so a due post never waits behind long work.
- long work: queued generations, re-placement of missed broadcasts, report and proof rendering, one item
  at a time; `stop` is looked at between items (a generation cut short by the process ending is rolled
  back with its transaction and stays queued: it is claimed in the transaction that writes it).
- housekeeping: expired sessions and one-time keys pruned, people told about problems, e-mails sent.

`tick()` runs all three once, one after the other (tests, `planner worker --once`-style callers).
"""
from __future__ import annotations

from pathlib import Path

from planner.db import Database, utcnow


def dispatch_tick(db: Database, settings: dict, *, worker_id: str, now=None, stop=None) -> dict:
    """Mark missed broadcasts, then expire/claim/deliver due online posts (dispatch.dispatch_due)."""
    from planner import dispatch
    from planner.operations.delivery import mark_missed

    now = now or utcnow()
    session = db.session()
    try:
        missed = mark_missed(session, now=now)
        session.commit()
        return {"missed": missed, **dispatch.dispatch_due(session, settings, now=now, worker_id=worker_id, stop=stop)}
    finally:
        session.close()


def long_work_steps(settings: dict, instance_path: str) -> list[tuple[str, object]]:
    """(result key, step(session, now)) in the order long work runs them; each step commits its own items."""
    from planner.operations.print_proofs import render_queued_proofs
    from planner.operations.reporting import render_queued_reports
    from planner.operations.repairs import replace_missed_deliveries
    from planner.operations.roster_batches import render_queued_batches
    from planner.operations.schedule import run_queued_schedules

    folder = Path(instance_path)
    rosters = folder / settings["ROSTER_DIR"]
    return [
        # A single village roster is someone waiting on a page for a one-page PDF: before any long work.
        ("roster_batches", lambda s, now: render_queued_batches(s, now=now, settings=settings, directory=rosters,
                                                                single=True, limit=5)),
        ("replaced", lambda s, now: replace_missed_deliveries(s, now=now, settings=settings)),
        ("schedule_runs", lambda s, now: run_queued_schedules(s, now=now, settings=settings, limit=1)),
        ("schedule_runs", lambda s, now: run_queued_schedules(s, now=now, settings=settings, limit=1)),
        ("reports", lambda s, now: render_queued_reports(s, now=now, directory=folder / settings["REPORT_DIR"])),
        ("print_proofs", lambda s, now: render_queued_proofs(s, now=now, directory=folder / settings["PRINT_DIR"],
                                                                  pdf_variant=settings.get("PRINT_PDF_VARIANT", "pdf/x-4"))),
        ("roster_batches", lambda s, now: render_queued_batches(s, now=now, settings=settings, directory=rosters)),
    ]


def long_work_tick(db: Database, settings: dict, *, instance_path: str, now=None, stop=None) -> dict:
    """Run each long-work step once (two queued generations at most), each in its own session; a set
    `stop` ends the pass before the next step."""
    counts = {"replaced": 0, "schedule_runs": 0, "reports": 0, "print_proofs": 0, "roster_batches": 0}
    for key, step in long_work_steps(settings, instance_path):
        if stop is not None and stop.is_set():
            break
        session = db.session()
        try:
            counts[key] += step(session, now or utcnow()) or 0
            session.commit()
        finally:
            session.close()
    return counts


def housekeeping_tick(db: Database, settings: dict, *, now=None) -> dict:
    """Prune expired sessions and one-time keys; tell people about problems; send the outbox."""
    from planner.auth import prune_expired
    from planner.operations.idempotency import purge_expired_keys

    now = now or utcnow()
    session = db.session()
    try:
        prune_expired(session, now=now, settings=settings)
        purge_expired_keys(session, now=now, ttl_hours=settings.get("IDEMPOTENCY_KEY_HOURS", 24))
        session.commit()
        return tell_people(session, settings, now=now)
    finally:
        session.close()


_DUE_SYNCED_ON: dict[int, object] = {}


def tell_people(session, settings: dict, *, now) -> dict:
    """Notify officers of failed/unknown/missed deliveries and of reports due soon; send e-mails."""
    from planner import mailer
    from planner.localtime import today
    from planner.operations import notify_events

    problems = notify_events.delivery_problems(session, now=now)
    sync = _DUE_SYNCED_ON.get(id(session.bind)) != today(now)  # creating due items: once a day is enough
    due = notify_events.reports_due(session, now=now, sync=sync)
    _DUE_SYNCED_ON[id(session.bind)] = today(now)
    session.commit()
    return {"notified": problems + due, **mailer.send_outbox(session, settings, now=now)}


def tick(db: Database, settings: dict, *, instance_path: str, worker_id: str, now=None) -> dict:
    """Every job once, in turn (what one worker interval does, without threads): beat, dispatch,
    long work, housekeeping. Returns their counts merged."""
    from planner.worker import beat

    now = now or utcnow()
    beat(db, worker_id, now=now)
    return {**dispatch_tick(db, settings, worker_id=worker_id, now=now),
            **long_work_tick(db, settings, instance_path=instance_path, now=now),
            **housekeeping_tick(db, settings, now=now)}
