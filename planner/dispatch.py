"""Claim due online deliveries, hand them to their channel, record the outcome.

The database is the source of truth: a claim is one conditional UPDATE … RETURNING committed before any
external call (PostgreSQL selects the rows FOR UPDATE SKIP LOCKED, SQLite serialises writers, so two
workers never take the same row). Outcomes are committed after the calls, in small batches (every
OUTCOME_BATCH outcomes or OUTCOME_SECONDS); a crash in between leaves rows `dispatched`, and
`reconcile_stale` later turns them `unknown` — never back to `planned`, because the post may be out.
A call whose outcome is unknown becomes `unknown` and is never re-sent.
"""
from __future__ import annotations

import datetime as dt
import logging
import time

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from planner import backoffs
from planner.channels import REGISTRY, ChannelError, ChannelSettings, OutcomeUnknown, RateLimited
from planner.channels.base import ContentItem, PostImage, TargetInfo, content_item
from planner.models import (AuditEntry, Delivery, DeliveryStatus, MessageVersion, Occurrence, Plan, PlanStatus, Target,
                            VersionStatus)

log = logging.getLogger(__name__)
OUTCOME_BATCH = 500
OUTCOME_SECONDS = 0.2
ID_CHUNK = 1000
EXPIRED_ERROR = "Quá thời hạn gửi (hệ thống gửi tin ngừng hoạt động); không tự gửi lại."
STALE_ERROR = ("Không rõ kết quả: hệ thống gửi tin dừng lại sau khi nhận gửi mà chưa ghi được kết quả. "
               "Hãy kiểm tra trên nền tảng; hệ thống không tự gửi lại.")


def online_channels() -> tuple[str, ...]:
    """Codes of the channels the worker publishes by itself (read at call time: the registry may grow)."""
    return tuple(code for code, channel in REGISTRY.items() if channel.is_online)


def expire_late(session: Session, *, now: dt.datetime, lateness_s: int) -> int:
    """Online deliveries older than the lateness window become `expired` (shown to editors, never sent)."""
    cutoff = now - dt.timedelta(seconds=lateness_s)
    result = session.execute(
        update(Delivery).where(Delivery.status == DeliveryStatus.PLANNED, Delivery.channel.in_(online_channels()),
                               Delivery.due_at < cutoff)
        .values(status=DeliveryStatus.EXPIRED, finished_at=now, updated_at=now, error=EXPIRED_ERROR))
    return result.rowcount or 0


def reconcile_stale(session: Session, *, now: dt.datetime, stale_s: int) -> int:
    """`dispatched` rows claimed more than `stale_s` ago (a worker died before recording) become `unknown`."""
    cutoff = now - dt.timedelta(seconds=stale_s)
    ids = list(session.scalars(
        update(Delivery).where(Delivery.status == DeliveryStatus.DISPATCHED, Delivery.claimed_at < cutoff)
        .values(status=DeliveryStatus.UNKNOWN, error=STALE_ERROR, finished_at=now, updated_at=now)
        .returning(Delivery.id)))
    if ids:
        _audit(session, [{"entity_id": i, "from_state": DeliveryStatus.DISPATCHED.value,
                          "to_state": DeliveryStatus.UNKNOWN.value, "detail": {"error": STALE_ERROR}} for i in ids])
        log.warning("%d deliveries left dispatched for over %ss marked unknown", len(ids), stale_s)
    return len(ids)


def _of_active_plan():
    """Only active plans send: a draft has not started, a closed or archived plan is read-only."""
    return select(Occurrence.id).join(Plan, Occurrence.plan_id == Plan.id).where(
        Occurrence.id == Delivery.occurrence_id, Plan.status == PlanStatus.ACTIVE).exists()


def claimable(session: Session, *, now: dt.datetime, until: dt.datetime | None = None) -> list:
    """The conditions under which claim_due takes a delivery, due by `until` (default: now). A large SQLite
    generation waits while one would fall due during its write (operations/schedule.py `_posts_in_the_way`)."""
    conditions = [Delivery.status == DeliveryStatus.PLANNED, Delivery.channel.in_(online_channels()),
                  Delivery.due_at <= (until or now), _of_active_plan()]
    if session.scalar(select(Target.id).where(Target.backoff_until > now).limit(1)) is not None:
        conditions.append(~select(Occurrence.id).join(Target, Occurrence.target_id == Target.id)   # pages waiting
                          .where(Occurrence.id == Delivery.occurrence_id, Target.backoff_until > now).exists())
    return conditions


def claim_due(session: Session, *, now: dt.datetime, worker_id: str, limit: int) -> list[int]:
    """Atomically claim up to `limit` due online deliveries for this worker; commits the claim."""
    due = select(Delivery.id).where(*claimable(session, now=now)).order_by(Delivery.due_at, Delivery.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    due = due.cte("due")
    claimed = sorted(session.scalars(
        update(Delivery).where(Delivery.id == due.c.id, Delivery.status == DeliveryStatus.PLANNED)
        .values(status=DeliveryStatus.DISPATCHED, claimed_by=worker_id, claimed_at=now, updated_at=now)
        .returning(Delivery.id)))
    session.commit()
    return claimed


def dispatch_due(session: Session, settings: dict, *, now: dt.datetime, worker_id: str, stop=None) -> dict[str, int]:
    """One worker pass: stale claims become unknown, unknown ones are looked up on their platform
    (reconciliation.py), late posts expire, then everything due is claimed and delivered.

    Claims DISPATCH_BATCH_SIZE at a time until fewer come back. A page that answers "rate-limited"
    gets nothing more until its backoff ends (its other claims go back unsent, and later claims skip
    it); the pass stops after a round with other retryable errors so a failing platform is not hammered.
    `stop` (a threading.Event, set on SIGTERM): claims not yet handed over go back unsent and the pass ends.
    """
    counts = {"stale": reconcile_stale(session, now=now, stale_s=settings.get("DISPATCH_STALE_SECONDS", 600))}
    session.commit()
    from planner.reconciliation import reconcile_unknown   # it reads versions through this module

    checked = reconcile_unknown(session, settings, now=now)   # absent ones are due again
    counts.update(reconciled=checked["found"] + checked["absent"],
                  expired=expire_late(session, now=now, lateness_s=settings["DISPATCH_LATENESS_SECONDS"]),
                  claimed=0, delivered=0, failed=0, unknown=0, retry=0, released=0, rate_limited=0, throttled=0)
    session.commit()
    limit = settings["DISPATCH_BATCH_SIZE"]
    while True:
        ids = claim_due(session, now=now, worker_id=worker_id, limit=limit)
        counts["claimed"] += len(ids)
        outcome = deliver_claimed(session, ids, settings, now=now, stop=stop) if ids else {}
        for key, value in outcome.items():
            counts[key] += value
        if (_stopping(stop) or len(ids) < limit or outcome.get("retry", 0) > outcome.get("rate_limited", 0)
                or outcome.get("released")):
            return counts


def deliver_claimed(session: Session, ids: list[int], settings: dict, *, now: dt.datetime,
                    stop=None) -> dict[str, int]:
    """Hand each claimed delivery to its channel; outcomes are committed in batches after the calls.

    Claims not yet handed over when half of DISPATCH_STALE_SECONDS has passed are released (back to
    `planned`: they were never sent), so slow platforms cannot make live claims look stale; so are the
    rest of the batch when `stop` is set (the worker was asked to stop).
    """
    counts = {"delivered": 0, "failed": 0, "unknown": 0, "retry": 0, "rate_limited": 0, "throttled": 0}
    from planner.operations.channel_accounts import with_account_tokens

    channel_settings = ChannelSettings(with_account_tokens(session, settings))  # tokens entered in the app
    lateness = dt.timedelta(seconds=settings["DISPATCH_LATENESS_SECONDS"])
    deadline = time.monotonic() + settings.get("DISPATCH_STALE_SECONDS", 600) / 2
    outcomes = _Outcomes(session)
    backoff = backoffs.Backoffs(settings, now)
    rows = _claimed_rows(session, ids)
    items: dict[int, ContentItem] = {}
    pictures = images_of(session, {r.version_id for r in rows}, settings.get("IMAGE_DIR", ""))
    skipped = []
    try:
        for done, row in enumerate(rows):
            if time.monotonic() > deadline or _stopping(stop):
                counts["released"] = _release(session, rows[done:], why="the worker is stopping" if _stopping(stop)
                                              else "dispatch ran out of time")
                break
            if backoff.is_waiting(row):     # rate-limited earlier in this batch: never call it again now
                skipped.append(row)
                continue
            item = items.get(row.version_id) or items.setdefault(
                row.version_id, content_of(row, images=pictures.get(row.version_id, ())))
            outcome = _deliver_one(row, item, channel_settings, now, late=now - row.due_at > lateness)
            counts[outcome["outcome"]] += 1
            backoff.note(row, outcome)
            outcomes.add(row, outcome, now)
    finally:
        outcomes.flush()    # whatever was sent is recorded, even if a later row raised
        backoff.save(session)
        for error, group in backoff.waiting_groups(skipped).items():
            counts["throttled"] += _release(session, group, why="the platform rate-limited their page", error=error)
    counts["rate_limited"] = backoff.rate_limited
    return counts


def _stopping(stop) -> bool:
    return stop is not None and stop.is_set()


def _release(session: Session, rows: list, why: str = "dispatch ran out of time", error: str | None = None) -> int:
    """Give back claims that were never handed to a channel (`error`: why they wait, for people)."""
    released = 0
    values = dict(status=DeliveryStatus.PLANNED, claimed_by="", claimed_at=None)
    if error is not None:
        values["error"] = error
    for i in range(0, len(rows), ID_CHUNK):
        released += session.execute(
            update(Delivery).where(Delivery.id.in_([r.id for r in rows[i:i + ID_CHUNK]]),
                                   Delivery.status == DeliveryStatus.DISPATCHED,
                                   Delivery.claimed_by == rows[i].claimed_by)
            .values(**values)).rowcount or 0
    session.commit()
    log.warning("%d claimed deliveries released unsent: %s", released, why)
    return released


def _claimed_rows(session: Session, ids: list[int]) -> list:
    """The claimed deliveries with what their channel needs (version text, target), in due order."""
    rows = []
    for i in range(0, len(ids), ID_CHUNK):
        rows.extend(session.execute(
            select(Delivery.id, Delivery.channel, Delivery.due_at, Delivery.claimed_by, Delivery.platform_state,
                   *version_columns(),
                   Target.name.label("target_name"),
                   Target.external_id.label("target_external_id"), Target.id.label("target_id"),
                   Target.backoff_level)
            .join(Occurrence, Delivery.occurrence_id == Occurrence.id)
            .join(MessageVersion, Occurrence.message_version_id == MessageVersion.id)
            .join(Target, Occurrence.target_id == Target.id)
            .where(Delivery.id.in_(ids[i:i + ID_CHUNK]), Delivery.status == DeliveryStatus.DISPATCHED)))
    session.commit()    # end the read transaction: no lock or snapshot is held during the external calls
    return sorted(rows, key=lambda r: (r.due_at, r.id))


def version_columns() -> list:
    """The version columns channels need, and what the version was approved for (checked before sending)."""
    return [MessageVersion.id.label("version_id"), MessageVersion.title, MessageVersion.body_md,
            MessageVersion.audio_seconds, MessageVersion.headline, MessageVersion.link,
            MessageVersion.channel.label("approved_channel"), MessageVersion.status.label("version_status")]


def content_of(row, images: tuple = ()) -> ContentItem:
    """A version as channels see it (same as the preview); callers render it once per version."""
    return content_item(row.title, row.body_md, headline=row.headline, link=row.link,
                        audio_seconds=row.audio_seconds, images=images)


def images_of(session: Session, version_ids: set[int], directory: str) -> dict[int, tuple[PostImage, ...]]:
    """The pictures of these versions with their bytes (a missing file gives empty bytes: the channel refuses)."""
    from planner.models import MessageImage
    from planner.operations.images import image_path

    found: dict[int, list[PostImage]] = {}
    if not version_ids:
        return {}
    for image in session.scalars(select(MessageImage).where(MessageImage.version_id.in_(version_ids))
                                 .order_by(MessageImage.version_id, MessageImage.position)):
        try:
            data = image_path(directory, image).read_bytes() if directory else b""
        except OSError:
            data = b""
        found.setdefault(image.version_id, []).append(PostImage(image.sha256, image.mime, image.alt_text, data))
    session.commit()
    return {version_id: tuple(images) for version_id, images in found.items()}


def _deliver_one(row, item: ContentItem, settings: ChannelSettings, now: dt.datetime, *, late: bool) -> dict:
    """Call the channel once; the outcome as the values to record (nothing is written here)."""
    target = TargetInfo(name=row.target_name, external_id=row.target_external_id)
    if row.version_status is not VersionStatus.APPROVED or row.approved_channel != row.channel:
        # Only what was approved, where it was approved for, ever leaves the building.
        return {"outcome": "failed", "status": DeliveryStatus.FAILED, "external_id": "",
                "error": "Phiên bản này chưa được duyệt cho kênh này; cần duyệt lại trước khi đăng."}
    channel = REGISTRY[row.channel]
    progress = dict(row.platform_state or {}) if getattr(channel, "keeps_progress", False) else None
    extra = {} if progress is None else {"progress": progress}
    try:
        receipt = channel.deliver(item, target, settings, now=now, reference=row.id, **extra)
    except OutcomeUnknown as exc:
        result = {"outcome": "unknown", "status": DeliveryStatus.UNKNOWN, "error": str(exc), "external_id": ""}
    except RateLimited as exc:  # nothing was published: back to due, and the page waits (backoffs.py)
        result = {"outcome": "failed" if late else "retry", "error": str(exc), "external_id": "",
                  "status": DeliveryStatus.FAILED if late else DeliveryStatus.PLANNED, "rate_limited": exc}
    except ChannelError as exc:
        retry = exc.retryable and not late
        result = {"outcome": "retry" if retry else "failed", "error": str(exc), "external_id": "",
                  "status": DeliveryStatus.PLANNED if retry else DeliveryStatus.FAILED}
    except Exception as exc:  # noqa: BLE001 — an adapter bug must not strand the claim; it may have sent
        # Only the exception's type is kept: its text can carry request data such as a token.
        log.error("delivery %s via %s: unexpected %s", row.id, row.channel, type(exc).__name__)
        result = {"outcome": "unknown", "status": DeliveryStatus.UNKNOWN, "external_id": "",
                  "error": f"Lỗi không lường trước khi gửi ({type(exc).__name__}); cần kiểm tra trên trang."}
    else:
        result = {"outcome": "delivered", "status": DeliveryStatus.DELIVERED, "error": "",
                  "external_id": receipt.external_id}
    # What the platform now holds for this post (photos uploaded before a failed call), kept for the retry.
    result["platform_state"] = progress or row.platform_state
    log.info("delivery %s via %s: %s", row.id, row.channel, result["outcome"])
    return result


class _Outcomes:
    """Outcomes waiting to be written: one executemany UPDATE and one bulk audit INSERT per batch."""

    def __init__(self, session: Session):
        self.session, self.rows, self.since = session, [], time.monotonic()

    def add(self, row, outcome: dict, now: dt.datetime) -> None:
        self.rows.append({"b_id": row.id, "b_worker": row.claimed_by, "b_status": outcome["status"],
                          "b_error": outcome["error"], "b_external_id": outcome["external_id"],
                          "b_finished_at": None if outcome["outcome"] == "retry" else now, "b_now": now,
                          "b_state": outcome.get("platform_state")})
        if len(self.rows) >= OUTCOME_BATCH or time.monotonic() - self.since >= OUTCOME_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Write and commit the pending outcomes.

        Only this worker's claims change, and only while still `dispatched` — or `unknown` because
        reconcile_stale gave up on them: the real outcome is better than that guess.
        """
        if self.rows:
            table = Delivery.__table__
            self.session.execute(
                update(table).where(table.c.id == bindparam("b_id"), table.c.claimed_by == bindparam("b_worker"),
                                    (table.c.status == DeliveryStatus.DISPATCHED)
                                    | ((table.c.status == DeliveryStatus.UNKNOWN) & (table.c.error == STALE_ERROR)))
                .values(status=bindparam("b_status"), error=bindparam("b_error"),
                        external_id=bindparam("b_external_id"), finished_at=bindparam("b_finished_at"),
                        platform_state=bindparam("b_state"), updated_at=bindparam("b_now")), self.rows)
            _audit(self.session, [{"entity_id": r["b_id"], "from_state": DeliveryStatus.DISPATCHED.value,
                                   "to_state": r["b_status"].value,
                                   "detail": {"external_id": r["b_external_id"], "error": r["b_error"]}}
                                  for r in self.rows])
            self.session.commit()
        self.rows, self.since = [], time.monotonic()


def _audit(session: Session, entries: list[dict]) -> None:
    """Bulk audit entries for deliveries changed by the worker (same fields as operations.audit.record)."""
    session.execute(insert(AuditEntry), [{"user_id": None, "actor": "worker", "action": "delivery.dispatch",
                                          "entity_type": Delivery.__tablename__, **entry} for entry in entries])
