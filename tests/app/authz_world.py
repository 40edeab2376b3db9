"""A small world with two communes for the authorization matrix: Ngọc Lặc (the actors' own unit) and a
mirror commune "Bến Kia" (the other unit), each with a plan, messages, targets, occurrences, print orders,
reports, grids, windows (of the plan and of the commune), message images, roster batches, users and notifications.
Built once per module through the real importer and API."""
from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import select

from planner.auth import hash_password, issue_token
from planner.db import utcnow
from planner.models import (Delivery, DeliveryStatus, Message, MessageImage, Occurrence, OccurrenceSource, Plan, Role,
                            SlotGrid, Target, Unit, User, Window, WindowKind)
from planner.models.indicators import Indicator
from planner.models.notifications import Notification
from planner.models.schedule import RunStatus, ScheduleRun

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "pw-test-123"
API = "/api/v1"
# Text that only the other commune's objects carry: a commune-level user must never see it.
OTHER_MARKERS = ("Bến Kia", "ben-kia", "BẾN KIA")
# Role letter → the user who plays it (all at xa-ngoc-lac except the print shop, which is in-ngoc-lac).
ACTORS = {"A": "admin", "U": "quantrixa", "P": "vanhoa", "E": "bientapxa", "R": "duyetxa", "X": "inan",
          "S": "giamsatxa"}


def copy_library(dst: Path, *, mirrored: bool) -> None:
    """The Ngọc Lặc plan and places with 8 villages (enough for the matrix, cheap to render), or its mirror
    renamed to Bến Kia (its print shop to Sông Mã)."""
    for name in ("content_library", "schedules"):
        shutil.copytree(ROOT / name, dst / name)
    villages = dst / "content_library/villages/ngoc-lac.csv"
    villages.write_text("".join(villages.read_text(encoding="utf-8").splitlines(keepends=True)[:9]), encoding="utf-8")
    if not mirrored:
        return
    shutil.rmtree(dst / "content_library/plans/bhxh-2728-2023")
    for path in dst.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8").replace("in-ngoc-lac", "in-song-ma")
            text = text.replace("Cơ sở in Ngọc Lặc", "Cơ sở in Sông Mã")
            for old, new in (("ngoc-lac", "ben-kia"), ("Ngọc Lặc", "Bến Kia"), ("NGỌC LẶC", "BẾN KIA")):
                text = text.replace(old, new)
            path.write_text(text, encoding="utf-8")
    plans = dst / "content_library/plans"
    (plans / "ngoc-lac-asxh-2026").rename(plans / "ben-kia-asxh-2026")


class World:
    """Ids of each kind of object, for 'own' (Ngọc Lặc) and 'other' (Bến Kia), and clients per actor."""

    def __init__(self, app, db):
        self.app, self.db = app, db
        self.ids: dict[str, dict[str, int | str]] = {}
        self.tokens: dict[str, str] = {}
        self._codes = itertools.count(1)

    # ---------------------------------------------------------------- building

    def build(self, tmp: Path) -> World:
        from planner.operations.importing import import_paths

        db, now = self.db, utcnow()
        for side, mirrored in (("own", False), ("other", True)):
            copy_library(tmp / side, mirrored=mirrored)
            import_paths(db, [tmp / side / "content_library", tmp / side / "schedules"], now=now)
        db.commit()
        result = self.app.test_cli_runner().invoke(args=["users", "demo"])
        assert result.exit_code == 0, result.output
        self._add_user("bientapxa", Role.EDITOR, "xa-ngoc-lac")
        self._add_user("giamsatxa", Role.SUPERVISOR, "xa-ngoc-lac")
        self._add_user("vanhoa2", Role.PLANNER, "xa-ben-kia")
        self._add_user("duyetxa2", Role.APPROVER, "xa-ben-kia")
        self._add_user("nannhan", Role.PLANNER, "xa-ngoc-lac")
        self._add_user("nannhan2", Role.PLANNER, "xa-ben-kia")
        db.commit()
        for username in (*ACTORS.values(), "vanhoa2", "nannhan", "nannhan2"):
            self.tokens[username] = self._token(username)
        for scope, commune, plan_code, orderer, shop, victim in (
                ("own", "xa-ngoc-lac", "ngoc-lac-asxh-2026", "vanhoa", "in-ngoc-lac", "nannhan"),
                ("other", "xa-ben-kia", "ben-kia-asxh-2026", "vanhoa2", "in-song-ma", "nannhan2")):
            self._build_side(scope, commune, plan_code, orderer, shop, victim)
        self._render_and_approve()
        for scope, commune, plan_code in (("own", "xa-ngoc-lac", "ngoc-lac-asxh-2026"),
                                          ("other", "xa-ben-kia", "ben-kia-asxh-2026")):
            self._add_later_kinds(scope, commune, plan_code)
        return self

    def _add_user(self, username: str, role: Role, unit_code: str) -> None:
        unit = self.db.scalar(select(Unit).where(Unit.code == unit_code))
        self.db.add(User(username=username, full_name=f"Người thử {username}", role=role, unit=unit,
                         password_hash=hash_password(PASSWORD)))

    def user(self, username: str) -> User:
        return self.db.scalar(select(User).where(User.username == username))

    def _token(self, username: str) -> str:
        token, _ = issue_token(self.db, self.user(username), now=utcnow(), hours=8)
        self.db.commit()
        return token

    def _set(self, kind: str, scope: str, value) -> None:
        self.ids.setdefault(kind, {})[scope] = value

    def _build_side(self, scope, commune_code, plan_code, orderer, shop_code, victim) -> None:
        db = self.db
        commune = db.scalar(select(Unit).where(Unit.code == commune_code))
        plan = db.scalar(select(Plan).where(Plan.code == plan_code))
        messages = db.scalars(select(Message).where(Message.plan_id == plan.id).order_by(Message.id)).all()
        loud = next(m for m in messages if m.channel == "loudspeaker" and m.approved is not None)
        leaflet = next(m for m in messages if m.channel == "leaflet" and m.approved is not None)
        spare = next(m for m in messages if m not in (loud, leaflet))
        village = db.scalar(select(Unit).where(Unit.parent_id == commune.id, Unit.code == "thon-07"))
        target = db.scalar(select(Target).where(Target.unit_id == village.id, Target.channel == "loudspeaker"))
        page = db.scalar(select(Target).where(Target.unit_id == commune.id, Target.channel == "fanpage"))
        at = dt.datetime(2026, 3, 20, 0, 30, tzinfo=dt.timezone.utc)
        occ = Occurrence(plan_id=plan.id, message_version_id=loud.approved.id, target_id=target.id,
                         session_starts_at=at, starts_at=at, duration_seconds=60, is_pinned=False,
                         source=OccurrenceSource.AUTO)
        db.add(occ)
        db.flush()
        delivery = Delivery(occurrence_id=occ.id, channel="loudspeaker", due_at=at, status=DeliveryStatus.PLANNED)
        run = ScheduleRun(plan_id=plan.id, unit_id=commune.id, channel="loudspeaker", first_day=at.date(),
                          last_day=at.date(), status=RunStatus.DONE)
        db.add_all([delivery, run])
        db.flush()
        grid = db.scalar(select(SlotGrid).where(SlotGrid.unit_id == commune.id).order_by(SlotGrid.id))
        window = db.scalar(select(Window).where(Window.plan_id == plan.id).order_by(Window.id))
        indicator = db.scalar(select(Indicator).where(Indicator.plan_id == plan.id).order_by(Indicator.id))
        holiday = db.scalar(select(Window).where(Window.plan_id.is_(None)).order_by(Window.id))
        for kind, value in (("plan_id", plan.id), ("message_id", loud.id), ("version_id", loud.approved.id),
                            ("retire_message_id", spare.id), ("occurrence_id", occ.id), ("delivery_id", delivery.id),
                            ("target_id", target.id), ("account_id", page.id), ("unit_id", commune.id),
                            ("village_id", village.id), ("run_id", run.id), ("grid_id", grid.id),
                            ("window_id", window.id), ("holiday_id", holiday.id), ("indicator_id", indicator.id),
                            ("leaflet_version_id", leaflet.approved.id),
                            ("user_id", self.user(victim).id), ("page", 1)):
            self._set(kind, scope, value)
        db.commit()
        client = self.api(orderer)
        shop = db.scalar(select(Unit).where(Unit.code == shop_code))
        resp = client.post(f"{API}/print-orders", json={"version_id": leaflet.approved.id, "product": "leaflet_a5",
                                                        "quantity": 100, "print_shop_id": shop.id})
        assert resp.status_code == 201, resp.get_json()
        self._set("order_id", scope, resp.get_json()["id"])
        resp = client.post(f"{API}/plans/{plan.id}/reports", json={"kind": "monthly", "year": 2026, "month": 3,
                                                                    "signer_name": "Nguyễn Văn Ký"})
        assert resp.status_code == 202, resp.get_json()
        self._set("report_id", scope, resp.get_json()["id"])
        from planner.operations.delivery import make_village_token

        self._set("x_token", scope, make_village_token("test-secret", target.id, at.date() - dt.timedelta(days=400),
                                                       at.date() + dt.timedelta(days=400)))

    def _render_and_approve(self) -> None:
        from planner.worker import tick

        tick(self.app.extensions["planner_db"], self.app.config, instance_path=self.app.instance_path,
             worker_id="authz")
        for scope, orderer in (("own", "vanhoa"), ("other", "vanhoa2")):
            resp = self.api(orderer).post(f"{API}/print-orders/{self.ids['order_id'][scope]}/approve", json={})
            assert resp.status_code == 200, resp.get_json()

    def _add_later_kinds(self, scope: str, commune_code: str, plan_code: str) -> None:
        """A message with a picture, a finished roster batch (its files stand-ins: who may fetch them is what
        matters) and a commune window — after the worker tick, so it renders nothing of them."""
        from planner.models.rosters import BatchStatus
        from planner.operations import images, roster_batches
        from planner.operations import windows as wops

        db = self.db
        commune = db.scalar(select(Unit).where(Unit.code == commune_code))
        plan = db.scalar(select(Plan).where(Plan.code == plan_code))
        message = db.scalar(select(Message).where(Message.plan_id == plan.id, Message.channel == "fanpage")
                            .order_by(Message.id))
        image = images.add_image(db, message, self.user("admin"), png_bytes(), f"Ảnh thử {commune.name}",
                                 directory=self.app.config["IMAGE_DIR"], now=utcnow())
        batch, _ = roster_batches.request_batch(db, plan, commune, dt.date(2026, 3, 16), dt.date(2026, 3, 22),
                                                self.user("admin"), base_url="http://localhost", now=utcnow())
        folder = Path(self.app.instance_path) / self.app.config["ROSTER_DIR"]
        folder.mkdir(parents=True, exist_ok=True)
        for kind, data in (("pdf", b"%PDF-1.7 roster batch"), ("zip", b"PK\x05\x06" + bytes(18))):
            (folder / f"authz-{batch.id}.{kind}").write_bytes(data)
            setattr(batch, f"{kind}_file", f"authz-{batch.id}.{kind}")
            setattr(batch, f"{kind}_bytes", len(data))
            setattr(batch, f"{kind}_sha256", hashlib.sha256(data).hexdigest())
        batch.status = BatchStatus.DONE
        window = wops.create_window(db, self.user("admin"), commune, {
            "kind": "peak", "name": f"Cao điểm {commune.name}", "starts_on": "01/06/2026", "ends_on": "07/06/2026"})
        db.flush()
        for kind, value in (("image_message_id", message.id), ("image_id", image.id), ("batch_id", batch.id),
                            ("kind", "pdf"), ("unit_window_id", window.id)):
            self._set(kind, scope, value)
        db.commit()

    # ---------------------------------------------------------------- per call

    def api(self, username: str | None):
        """A test client sending that user's bearer token (None: anonymous)."""
        client = self.app.test_client()
        if username:
            client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {self.tokens.get(username) or self._token(username)}"
        return client

    def notification(self, username: str) -> int:
        """A fresh notification in that user's inbox."""
        note = Notification(user_id=self.user(username).id, kind="report.due", text="Thông báo thử", link="")
        self.db.add(note)
        self.db.commit()
        return note.id

    def fresh(self, kind: str, scope: str, caller: str | None) -> int | str:
        """An object that a successful call may destroy (a token, a grid, a window) — one per call."""
        db, n = self.db, next(self._codes)
        if kind == "token_id":
            owner = caller if scope == "own" and caller else ("nannhan2" if scope == "other" else "nannhan")
            _, row = issue_token(db, self.user(owner), now=utcnow(), hours=1)
            db.commit()
            return row.id
        if kind == "notification_id":
            return self.notification(caller if scope == "own" and caller else "nannhan2")
        if kind == "report_id":
            owner, plan_id = ("vanhoa", "own") if scope == "own" else ("vanhoa2", "other")
            resp = self.api(owner).post(f"{API}/plans/{self.ids['plan_id'][plan_id]}/reports", json={
                "kind": "monthly", "year": 2026, "month": 4, "signer_name": "Nguyễn Văn Ký"})
            assert resp.status_code == 202, resp.get_json()
            return resp.get_json()["id"]
        if kind == "village_indicator_id":  # one that village heads may report today (plan edits re-date them)
            from planner import localtime
            from planner.operations.indicators import village_indicators

            village = db.get(Unit, self.ids["village_id"][scope])
            return village_indicators(db, village, today=localtime.today(utcnow()))[0][0].id
        if kind == "ical_token":
            resp = self.api("admin").get(f"{API}/units/{self.ids['unit_id'][scope]}/ical")
            return resp.get_json()["ical_url"].rsplit("/", 1)[1].removesuffix(".ics")
        if kind == "grid_id":
            base = db.get(SlotGrid, self.ids["grid_id"][scope])
            grid = SlotGrid(code=f"authz-grid-{n}", name=f"Khung thử {n}", channel=base.channel, unit_id=base.unit_id,
                            start_time=base.start_time, end_time=base.end_time, capacity_seconds=60)
            db.add(grid)
            db.commit()
            return grid.id
        if kind == "window_id":
            window = Window(plan_id=self.ids["plan_id"][scope], code=f"authz-window-{n}", name=f"Đợt thử {n}",
                            kind=WindowKind.PEAK, starts_on=dt.date(2026, 5, 1), ends_on=dt.date(2026, 5, 2))
            db.add(window)
            db.commit()
            return window.id
        if kind == "unit_window_id":
            window = Window(unit_id=self.ids["unit_id"][scope], code=f"authz-unit-window-{n}", name=f"Đợt xã {n}",
                            kind=WindowKind.BLACKOUT, starts_on=dt.date(2026, 5, 1), ends_on=dt.date(2026, 5, 2))
            db.add(window)
            db.commit()
            return window.id
        if kind == "image_id":  # one more picture on the working version (earlier spares taken off again)
            db.expire_all()  # the app's calls changed the message (its row version) since this session read it
            base = db.get(MessageImage, self.ids["image_id"][scope])
            version = db.get(Message, self.ids["image_message_id"][scope]).latest
            for spare in [i for i in version.images if i.id != base.id]:
                version.images.remove(spare)
            db.flush()
            image = MessageImage(sha256=base.sha256, mime=base.mime, size_bytes=base.size_bytes, width=base.width,
                                 height=base.height, alt_text="Ảnh để xóa", created_at=utcnow(),
                                 position=max(i.position for i in version.images) + 1)
            version.images.append(image)
            db.commit()
            return image.id
        raise KeyError(kind)


def png_bytes() -> bytes:
    """A small PNG picture."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def built_world(database_url: str, tmp_path_factory):
    """A fixture body: an app on a fresh database holding the world, dropped afterwards."""
    from planner import create_app, printing
    from planner.db import Base

    tmp = tmp_path_factory.mktemp("authz")
    os.environ["PLANNER_INSTANCE_PATH"] = str(tmp / "instance")
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "test-secret", "TESTING": True,
                      "DEMO_PASSWORD": PASSWORD, "WORKER_INTERVAL_SECONDS": 1,
                      "API_CHECK_RESPONSES": True})
    engine = app.extensions["planner_db"].engine
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    db = app.extensions["planner_db"].session()
    # The job ticket is laid out in the request (seconds per call): who may fetch it is what matters here.
    real_ticket = printing.render_job_ticket
    printing.render_job_ticket = lambda context: SimpleNamespace(data=b"%PDF-1.7 ticket", filename="ticket.pdf")
    try:
        yield World(app, db).build(tmp / "library")
    finally:
        printing.render_job_ticket = real_ticket
        db.close()
        Base.metadata.drop_all(engine)
        engine.dispose()
