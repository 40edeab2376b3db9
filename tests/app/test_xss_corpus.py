"""An XSS/injection corpus (tests/fixtures/xss_vectors.txt, ≥ 150 vectors) through the text fields people type,
checked everywhere the text is shown: pages (parsed: nothing that executes), the API (returned as data), posts
(plain text as the platform receives it), iCal feeds (no injected lines), PDFs (text, or a clear refusal) and
CSV/XLSX exports (formulas neutralised)."""
from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import select

from planner.auth import issue_token
from planner.db import utcnow
from planner.models import Plan, User
from tests.app import factories as f
from tests.conftest import csrf_from

API = "/api/v1"
VECTORS_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "xss_vectors.txt"
PLAN = "ngoc-lac-asxh-2026"
URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "background", "poster", "lowsrc", "dynsrc",
             "codebase", "cite", "srcset"}
NEVER_TAGS = {"iframe", "object", "embed", "frame", "frameset", "base", "applet"}


def vectors() -> list[str]:
    lines = VECTORS_FILE.read_text(encoding="utf-8").splitlines()
    return [line.replace("\\r", "\r").replace("\\n", "\n") for line in lines if line and not line.startswith("# ")]


def test_the_corpus_has_at_least_150_distinct_vectors():
    found = vectors()
    assert len(set(found)) == len(found) >= 150


class PageCheck(HTMLParser):
    """Collects anything in a page that could run script: foreign <script>s, on* handlers, script URLs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and not (attrs.get("nonce") or (attrs.get("src") or "").startswith("/static/")):
            self.problems.append(f"<script> without nonce: {attrs}")
        if tag in NEVER_TAGS or (tag == "meta" and "http-equiv" in attrs and
                                            "refresh" in (attrs["http-equiv"] or "").lower()):
            self.problems.append(f"<{tag}> from content: {attrs}")
        if tag == "form" and (attrs.get("action") or "").lower().startswith(("javascript", "data")):
            self.problems.append(f"form action {attrs}")
        for name, value in attrs.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name == "style":
                self.problems.append(f"<{tag} style=…> (CSP forbids inline styles)")
            if name in URL_ATTRS and value:
                bare = re.sub(r"[\x00-\x20]", "", value).lower()
                own_icon = tag == "link" and "icon" in (attrs.get("rel") or "") and bare.startswith("data:image/")
                if bare.startswith(("javascript:", "vbscript:")) or (
                        bare.startswith("data:") and not bare.startswith("data:image/png") and not own_icon):
                    self.problems.append(f"<{tag} {name}={value!r}>")

    handle_startendtag = handle_starttag


def page_problems(html: str, shown: list[str]) -> list[str]:
    check = PageCheck()
    check.feed(html)
    check.close()
    raw = [v for v in shown if re.search(r"<\s*script", v, re.I) and v in html]
    return check.problems + [f"unescaped: {v!r}" for v in raw]


# --------------------------------------------------------------------------- the world

@pytest.fixture()
def people(app, demo):
    """Bearer-token API clients and logged-in page clients for the planner (author), approver and admin."""

    def api(username):
        user = demo.scalar(select(User).where(User.username == username))
        token, _ = issue_token(demo, user, now=utcnow(), hours=2)
        demo.commit()
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return client

    return {name: api(name) for name in ("vanhoa", "duyetxa", "admin")}


def page_client(login, username):
    client = login(username)
    return client, csrf_from(client.get("/account/password").get_data(as_text=True))


def write_message(people, plan_id, audience, channel, vector, *, approve=False):
    """A message whose title, headline and body are the vector; None if the API refused it (400, nothing kept)."""
    resp = people["vanhoa"].post(f"{API}/plans/{plan_id}/messages", json={
        "title": vector[:300], "headline": vector[:300], "body_md": vector, "audience_ids": [audience],
        "channel": channel})
    if resp.status_code == 400:
        assert resp.get_json()["error"]["message"]
        return None
    assert resp.status_code == 201, (vector, resp.get_json())
    body = resp.get_json()
    if approve:
        version = body["latest_version"]["id"]
        resp = people["vanhoa"].post(f"{API}/messages/{body['id']}/versions/{version}/submit", json={})
        assert resp.status_code == 200, resp.get_json()
        resp = people["duyetxa"].post(f"{API}/messages/{body['id']}/versions/{version}/review",
                                      json={"decision": "approve"})
        assert resp.status_code == 200, resp.get_json()
    return body


def approved_message(db, plan, channel):
    from planner.models import Message

    return next(m for m in db.scalars(select(Message).where(Message.plan_id == plan.id, Message.channel == channel))
                if m.approved is not None)


def plan_basics(db):
    plan = db.scalar(select(Plan).where(Plan.code == PLAN))
    return plan, plan.audiences[0].id


# --------------------------------------------------------------------------- messages: pages, API, posts

def test_message_texts_are_shown_as_text_on_pages_in_the_api_and_in_posts(app, demo, people, login):
    plan, audience = plan_basics(demo)
    client, csrf = page_client(login, "vanhoa")
    problems, stored = [], 0
    for vector in vectors():
        message = write_message(people, plan.id, audience, "fanpage", vector)
        if message is None:
            continue
        stored += 1
        version = next(v for v in message["versions"] if v["id"] == message["latest_version"]["id"])
        assert version["body_md"].strip() == vector.replace("\r\n", "\n").strip(), (version["body_md"], vector)
        html = client.get(f"/messages/{message['id']}").get_data(as_text=True)
        problems += [f"/messages/{message['id']} {vector!r}: {p}" for p in page_problems(html, [vector])]
        problems += [f"body_html {vector!r}: {p}" for p in page_problems(version["body_html"], [vector])]
        post = client.post("/messages/preview", data={"csrf_token": csrf, "body_md": vector, "title": "Tin thử",
                                                      "channel": "fanpage"}).get_json()
        assert post["post"].startswith("Tin thử"), post
        problems += [f"post {vector!r}: {p}" for p in post_problems(post["post"].removeprefix("Tin thử"), vector)]
    problems += link_problems(people["vanhoa"], client, message["id"])
    for path in (f"/plans/{plan.id}", "/"):
        problems += [f"{path}: {p}" for p in page_problems(client.get(path).get_data(as_text=True), vectors())]
    assert stored >= 150
    assert not problems, "\n".join(problems)


def link_problems(api, client, message_id: int) -> list[str]:
    """The link field takes only https addresses; one that is kept is shown as a harmless link."""
    out = []
    for vector in vectors():
        resp = api.patch(f"{API}/messages/{message_id}", json={"link": vector})
        if resp.status_code == 200:
            if not vector.strip().lower().startswith("https://"):
                out.append(f"link {vector!r} was accepted")
            html = client.get(f"/messages/{message_id}").get_data(as_text=True)
            out += [f"link {vector!r}: {p}" for p in page_problems(html, [vector])]
        elif resp.status_code != 400 or "link" not in (resp.get_json()["error"].get("fields") or {}):
            out.append(f"link {vector!r}: {resp.status_code} {resp.get_json()}")
    return out


def post_problems(post: str, vector: str) -> list[str]:
    """A post is plain text as the person typed it: no HTML made by the renderer, no script address from a link."""
    out = []
    made = [t for t in ("<p>", "</p>", "<br", "<a href", "</a>", "<strong>", "<em>", "<img", "&lt;", "&amp;", "&#")
            if t in post.lower() and t not in vector.lower()]
    if made:
        out.append(f"HTML made by the renderer {made}: {post!r}")
    if vector.lstrip().startswith(("[", "!", "<http", "<java")) and re.search(r"(javascript|vbscript|data):", post,
                                                                              re.I):
        out.append(f"script address kept from a link: {post!r}")
    return out


# --------------------------------------------------------------------------- names, notes, narratives, exports

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def sample(count: int) -> list[str]:
    """Every formula vector and an even spread of the rest (bounded run time)."""
    found = vectors()
    formulas = [v for v in found if v.lstrip(" ").startswith(FORMULA_START) or v.startswith("'=")]
    rest = [v for v in found if v not in formulas]
    return formulas + rest[:: max(1, len(rest) // max(1, count - len(formulas)))][: max(0, count - len(formulas))]


def csv_problems(data: bytes) -> list[str]:
    import csv

    rows = csv.reader(io.StringIO(data.decode("utf-8-sig")))
    return [f"CSV cell {cell!r}" for row in rows for cell in row if cell[:1] in ("=", "+", "@", "\t", "\r")
            or (cell[:1] == "-" and not re.fullmatch(r"-[\d.,]*%?", cell))]


def xlsx_problems(data: bytes) -> list[str]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    return [f"XLSX {sheet.title}!{cell.coordinate} {cell.value!r}" for sheet in book.worksheets
            for row in sheet.iter_rows() for cell in row if cell.data_type == "f"
            or (isinstance(cell.value, str) and cell.value[:1] in ("=", "+", "@"))]


def test_names_notes_and_narratives_are_shown_as_text_and_exports_neutralise_formulas(app, demo, people, login, db):
    from planner.models import Unit
    from planner.worker import tick

    admin, vanhoa = people["admin"], people["vanhoa"]
    plan, audience = plan_basics(demo)
    commune = db.scalar(select(Unit).where(Unit.code == "xa-ngoc-lac"))
    shown, problems, stored = sample(40), [], Counter()
    for i, vector in enumerate(shown):
        resp = admin.post(f"{API}/units", json={"parent_id": commune.id, "kind": "village", "code": f"xss-{i}",
                                                "name": vector[:200]})
        assert resp.status_code in (201, 400), resp.get_json()
        stored["unit"] += resp.status_code == 201
        resp = admin.post(f"{API}/users", json={"username": f"xss{i}", "full_name": vector[:200], "role": "planner",
                                                "unit_id": commune.id, "password": "Mật-khẩu-dài-đủ-2026"})
        assert resp.status_code in (201, 400), resp.get_json()
        stored["user"] += resp.status_code == 201
    for i, vector in enumerate(shown[:20]):
        doc = {"code": f"xss-plan-{i}", "number": vector[:60], "issuer": vector[:200], "unit": "xa-ngoc-lac",
               "place": "Ngọc Lặc", "title": vector[:300], "summary": vector, "starts_on": "01/06/2027",
               "audiences": [{"code": "nguoi-dan", "name": vector[:200]}], "channels": ["loudspeaker"]}
        resp = vanhoa.post(f"{API}/plans", json=doc)
        assert resp.status_code in (201, 400), resp.get_json()
        stored["plan"] += resp.status_code == 201
    report = vanhoa.post(f"{API}/plans/{plan.id}/reports", json={
        "kind": "monthly", "year": 2026, "month": 3, "signer_name": shown[0][:200]}).get_json()
    resp = vanhoa.patch(f"{API}/reports/{report['id']}", json={"narrative_md": "\n\n".join(shown[:20])})
    assert resp.status_code == 200, resp.get_json()
    leaflet = approved_message(db, plan, "leaflet")
    shop = db.scalar(select(Unit).where(Unit.code == "in-ngoc-lac"))
    orders = [vanhoa.post(f"{API}/print-orders", json={"version_id": leaflet.approved.id, "product": "leaflet_a5",
                                                       "quantity": 10, "print_shop_id": shop.id, "note": vector})
              for vector in shown[:10]]
    assert all(r.status_code in (201, 400) for r in orders)
    stored["order"] = sum(r.status_code == 201 for r in orders)
    handled = handled_items(db, vanhoa, shown[:10])
    assert stored["unit"] >= 35 and stored["user"] >= 35 and stored["plan"] >= 15 and stored["order"] >= 8, stored
    tick(app.extensions["planner_db"], app.config, instance_path=app.instance_path, worker_id="xss")

    pages = [f"/admin/units/{commune.id}", "/admin/users", "/", f"/reports/{report['id']}", "/print-orders",
             f"/plans/{plan.id}/dashboard?unit={commune.id}", *(f"/occurrences/{occ}" for occ in handled),
             *(f"/print-orders/{r.get_json()['id']}" for r in orders if r.status_code == 201),
             *(f"/plans/{p.id}" for p in db.scalars(select(Plan).where(Plan.code.like("xss-plan-%"))))]
    client = login("admin")
    for path in pages:
        resp = client.get(path)
        assert resp.status_code == 200, path
        problems += [f"{path}: {p}" for p in page_problems(resp.get_data(as_text=True), shown)]
    exported = client.get(f"/plans/{plan.id}/dashboard.csv?unit={commune.id}").data
    assert "HYPERLINK" in exported.decode("utf-8-sig")  # the villages' names are in the export
    problems += csv_problems(exported)
    problems += xlsx_problems(client.get(f"/plans/{plan.id}/dashboard.xlsx?unit={commune.id}").data)
    problems += xlsx_problems(client.get(f"/reports/{report['id']}.xlsx").data)
    pdf = client.get(f"/reports/{report['id']}.pdf")
    if pdf.status_code == 200:
        assert "Nguyễn" in pdf_text(pdf.data) or shown[5][:5] in pdf_text(pdf.data) or pdf_text(pdf.data).strip()
    else:  # a report that cannot be laid out says why, in Vietnamese
        detail = vanhoa.get(f"{API}/reports/{report['id']}").get_json()
        assert detail["status"] == "failed" and detail["error"], detail
    assert not problems, "\n".join(problems)


def handled_items(db, client, reasons: list[str]) -> list[int]:
    """Failed broadcasts marked handled with the vectors as reasons; their occurrence ids."""
    from planner.models import DeliveryStatus

    plan = db.scalar(select(Plan).where(Plan.code == PLAN))
    loud = approved_message(db, plan, "loudspeaker")
    start = dt.datetime(2026, 3, 16, 0, 30, tzinfo=dt.timezone.utc)
    out = []
    for i, reason in enumerate(reasons):
        delivery = f.occurrence(db, target=f.village_target(db), msg=loud, at=start + dt.timedelta(days=i),
                                status=DeliveryStatus.FAILED)
        resp = client.post(f"{API}/deliveries/{delivery.id}/handled", json={"reason": reason})
        assert resp.status_code in (200, 400), resp.get_json()
        out.append(delivery.occurrence_id)
    return out


def pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


# --------------------------------------------------------------------------- iCal and print proofs

def test_titles_in_ical_feeds_inject_no_lines_and_proofs_print_text_or_refuse_clearly(app, demo, people, db):
    import icalendar

    from planner.worker import tick

    plan, audience = plan_basics(demo)
    target = f.village_target(db)
    start = dt.datetime.now(dt.timezone.utc).replace(hour=1, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    feed_url = people["admin"].get(f"{API}/units/{target.unit_id}/ical").get_json()["ical_url"]
    feed_path = "/" + feed_url.split("://", 1)[-1].split("/", 1)[1]
    allowed = {"UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "DESCRIPTION"}  # what planner writes per event
    placed = 0
    line_breakers = [v for v in vectors() if re.search(r"[\r\n;,\\]", v)]
    for i, vector in enumerate(line_breakers + sample(25)):
        body = write_message(people, plan.id, audience, "loudspeaker", vector, approve=True)
        if body is None:
            continue
        from planner.models import Message

        f.occurrence(db, target=target, msg=db.get(Message, body["id"]), at=start + dt.timedelta(hours=i))
        placed += 1
    assert placed >= 25
    raw = app.test_client().get(feed_path).data
    assert not re.search(rb"\r(?!\n)|(?<!\r)\n", raw)  # lines end in CRLF only: no bare CR/LF from a title
    feed = icalendar.Calendar.from_ical(raw)
    events = [e for e in feed.walk("VEVENT") if e.decoded("DTSTART") >= start]
    assert len(events) == placed
    assert not [name for e in feed.walk("VEVENT") for name in e if name not in allowed]
    assert not [c.name for c in feed.subcomponents if c.name not in ("VEVENT", "VTIMEZONE")]

    shop = db.scalar(select(f.Unit).where(f.Unit.code == "in-ngoc-lac"))
    orders = {}
    for vector in sample(12)[-8:]:
        body = write_message(people, plan.id, audience, "leaflet", vector, approve=True)
        if body is None:
            continue
        version = body["versions"][0]["id"]
        resp = people["vanhoa"].post(f"{API}/print-orders", json={"version_id": version, "product": "leaflet_a5",
                                                                   "quantity": 10, "print_shop_id": shop.id})
        assert resp.status_code in (201, 400, 422), resp.get_json()
        if resp.status_code == 201:
            orders[resp.get_json()["id"]] = vector
        else:
            assert resp.get_json()["error"]["message"]
    for _ in range(len(orders)):  # the worker renders a few proofs per tick
        tick(app.extensions["planner_db"], app.config, instance_path=app.instance_path, worker_id="xss")
    assert len(orders) >= 4
    for order_id, vector in orders.items():
        order = people["vanhoa"].get(f"{API}/print-orders/{order_id}").get_json()
        if order["proof"]["status"] == "ready":
            text = pdf_text(people["vanhoa"].get(f"{API}/print-orders/{order_id}/pdf").data)
            words = [w for w in re.findall(r"[A-Za-zÀ-ỹ]{4,}", vector)][:2]
            assert all(w in text for w in words), (vector, text[:300])
        else:  # refused before printing, with the reason in Vietnamese
            assert order["status"] == "cancelled" and order["proof"]["error"], order


# --------------------------------------------------------------------------- picture descriptions and window names

def test_picture_descriptions_and_window_names_are_shown_as_text(app, demo, people, login, db):
    from planner.models import Unit
    from tests.app.authz_world import png_bytes

    vanhoa, plan = people["vanhoa"], plan_basics(demo)[0]
    audience = plan_basics(demo)[1]
    commune = db.scalar(select(Unit).where(Unit.code == "xa-ngoc-lac"))
    shown, problems, stored, messages = sample(24), [], Counter(), []
    for i, vector in enumerate(shown):
        if i % 4 == 0:  # four pictures per message version
            messages.append(write_message(people, plan.id, audience, "fanpage", f"Tin có ảnh {i}")["id"])
        resp = vanhoa.post(f"{API}/messages/{messages[-1]}/images", content_type="multipart/form-data",
                           data={"image": (io.BytesIO(png_bytes()), "a.png"), "alt_text": vector})
        assert resp.status_code in (201, 422), resp.get_json()
        if resp.status_code == 201:
            stored["image"] += 1
            assert resp.get_json()["alt_text"] == " ".join(vector.split()), resp.get_json()
        for owner in (f"units/{commune.id}", f"plans/{plan.id}"):
            resp = vanhoa.post(f"{API}/{owner}/windows", json={"kind": "peak", "name": vector[:300],
                                                              "starts_on": "01/09/2026", "ends_on": "02/09/2026"})
            assert resp.status_code in (201, 400), resp.get_json()
            stored[owner.split("/")[0]] += resp.status_code == 201
    assert stored["image"] >= 20 and stored["units"] >= 20 and stored["plans"] >= 20, stored
    client = login("vanhoa")
    for path in (*(f"/messages/{m}" for m in messages), f"/admin/units/{commune.id}/windows",
                 f"/admin/plans/{plan.id}/windows"):
        resp = client.get(path)
        assert resp.status_code == 200, path
        problems += [f"{path}: {p}" for p in page_problems(resp.get_data(as_text=True), shown)]
    assert not problems, "\n".join(problems)
