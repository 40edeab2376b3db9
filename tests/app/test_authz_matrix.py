"""The authorization matrix: every API operation (from the live OpenAPI document) and every page route (from
app.url_map) × every role × an object of the caller's own commune / of another commune / anonymous.

The table below is the one place that says who may call what. A new endpoint or page that is not in it fails
`test_every_operation_and_page_is_classified`, so it must be classified before it ships. Mutating calls send an
empty (invalid but well-formed) body: the authorization check, which comes first, decides the class of answer.
"""
from __future__ import annotations

import re

import pytest

from tests.app.authz_world import ACTORS, API, OTHER_MARKERS, built_world
from tests.conftest import csrf_from

# Who: A admin (whole country), U unit administrator, P planner (officer), E editor, R approver, S supervisor —
# all of Xã Ngọc Lặc — and X the print shop (Cơ sở in Ngọc Lặc). "-" = anyone, without logging in.
ANY, VIEW, MANAGE, EDIT, REVIEW = "AUPERXS", "AUPERS", "AUPE", "APE", "AR"
PRINT, SHOP, REPORT, PEOPLE, PUBLIC = "APEX", "AX", "APES", "AU", "-"
# Peak/blackout windows of a unit and of its plans: officers (schedule.edit) and unit administrators
# (planner/operations/windows.py edits_windows / manages_plan). Roster batches hand out the village QR links:
# delivery.confirm, as the single roster PDF (planner/views/roster_batches.py PERMISSION).
WINDOWS, ROSTERS = "AUPE", "APE"
# Scope: UNIT = the object's unit decides (another commune's object is denied to everyone but the admin);
# SELF = the caller's own token/notification (someone else's is denied, even to the admin);
# NONE = no object (lists, creates): one call per role; LINK = a signed link, no login.
UNIT, SELF, NONE, LINK = "unit", "self", "none", "link"
# Path parameters take the id of that kind from the world; an entry may name another kind ("fresh:x" = a new
# object per call, because a call that is allowed destroys it).
T = dict

API_TABLE: dict[str, tuple] = {
    "POST /tokens": (PUBLIC, NONE), "GET /openapi.json": (PUBLIC, NONE),
    "GET /tokens": (ANY, NONE), "POST /account/password": (ANY, NONE),
    "DELETE /tokens/{token_id}": (ANY, SELF, T(token_id="fresh:token_id")),
    "GET /notifications": (ANY, NONE), "POST /notifications/read-all": (ANY, NONE),
    "POST /notifications/{notification_id}/read": (ANY, SELF, T(notification_id="fresh:notification_id")),
    "GET /account/notifications": (ANY, NONE), "PUT /account/notifications": (ANY, NONE),
    "GET /units/{unit_id}/ical": (VIEW, UNIT), "POST /units/{unit_id}/ical/rotate": (EDIT, UNIT),
    "GET /plans": (VIEW, NONE), "POST /plans": (MANAGE, NONE), "GET /occurrences": (VIEW, NONE),
    "GET /targets": (VIEW, NONE), "GET /units": (VIEW, NONE),
    "GET /plans/{plan_id}": (VIEW, UNIT), "PATCH /plans/{plan_id}": (MANAGE, UNIT),
    "DELETE /plans/{plan_id}": (MANAGE, UNIT), "POST /plans/{plan_id}/copy": (MANAGE, UNIT),
    "POST /plans/{plan_id}/status": (MANAGE, UNIT), "GET /plans/{plan_id}/document": (VIEW, UNIT),
    "GET /plans/{plan_id}/export": (VIEW, UNIT), "GET /plans/{plan_id}/messages": (VIEW, UNIT),
    "POST /plans/{plan_id}/messages": (EDIT, UNIT), "GET /messages/{message_id}": (VIEW, UNIT),
    "PUT /messages/{message_id}": (EDIT, UNIT), "PATCH /messages/{message_id}": (EDIT, UNIT),
    "POST /messages/{message_id}/versions/{version_id}/submit": (EDIT, UNIT),
    "POST /messages/{message_id}/versions/{version_id}/review": (REVIEW, UNIT),
    "POST /messages/{message_id}/retire": (EDIT, UNIT, T(message_id="retire_message_id")),
    "POST /messages/{message_id}/posts": (EDIT, UNIT),
    "GET /deliveries/{delivery_id}": (VIEW, UNIT), "POST /deliveries/{delivery_id}/confirm": (EDIT, UNIT),
    "POST /deliveries/{delivery_id}/reconcile": (EDIT, UNIT), "POST /deliveries/{delivery_id}/make-up": (EDIT, UNIT),
    "POST /deliveries/{delivery_id}/handled": (EDIT, UNIT), "GET /plans/{plan_id}/attention": (EDIT, UNIT),
    "POST /plans/{plan_id}/emergency": (EDIT, UNIT), "POST /plans/{plan_id}/attention/bulk": (EDIT, UNIT),
    "POST /occurrences/{occurrence_id}/move": (EDIT, UNIT), "POST /occurrences/{occurrence_id}/pin": (EDIT, UNIT),
    "POST /occurrences/{occurrence_id}/cancel": (EDIT, UNIT), "POST /occurrences/{occurrence_id}/undo": (EDIT, UNIT),
    "POST /plans/{plan_id}/schedule-runs": (EDIT, UNIT), "GET /plans/{plan_id}/schedule-runs/{run_id}": (VIEW, UNIT),
    "GET /print-orders": (PRINT, NONE), "POST /print-orders": (EDIT, NONE),
    "GET /print-orders/{order_id}": (PRINT, UNIT), "POST /print-orders/{order_id}/status": (PRINT, UNIT),
    "GET /print-orders/{order_id}/pdf": (PRINT, UNIT), "POST /print-orders/{order_id}/approve": (EDIT, UNIT),
    "GET /print-orders/{order_id}/proof/{page}.png": (PRINT, UNIT),
    "GET /print-orders/{order_id}/ticket.pdf": (PRINT, UNIT),
    "POST /print-orders/{order_id}/villages/{unit_id}/delivered": (SHOP, UNIT, T(unit_id="village_id")),
    "GET /plans/{plan_id}/reports": (VIEW, UNIT), "POST /plans/{plan_id}/reports": (REPORT, UNIT),
    "GET /reports/{report_id}": (VIEW, UNIT), "PATCH /reports/{report_id}": (REPORT, UNIT, T(report_id="fresh:report_id")),
    "GET /reports/{report_id}/pdf": (VIEW, UNIT), "GET /reports/{report_id}/xlsx": (VIEW, UNIT),
    "POST /reports/{report_id}/issue": (REPORT, UNIT, T(report_id="fresh:report_id")),
    "POST /reports/{report_id}/correct": (REPORT, UNIT, T(report_id="fresh:report_id")),
    "GET /plans/{plan_id}/indicators": (VIEW, UNIT), "GET /plans/{plan_id}/dashboard": (VIEW, UNIT),
    "GET /indicators/{indicator_id}/results": (VIEW, UNIT), "POST /indicators/{indicator_id}/results": (EDIT, UNIT),
    "GET /users": (PEOPLE, NONE), "POST /users": (PEOPLE, NONE), "POST /units": (PEOPLE, NONE),
    "GET /users/{user_id}": (PEOPLE, UNIT), "PATCH /users/{user_id}": (PEOPLE, UNIT),
    "POST /users/{user_id}/password": (PEOPLE, UNIT), "POST /users/{user_id}/active": (PEOPLE, UNIT),
    "GET /units/{unit_id}": (PEOPLE, UNIT), "PATCH /units/{unit_id}": (PEOPLE, UNIT),
    "POST /units/{unit_id}/loudspeakers": (PEOPLE, UNIT), "POST /units/{unit_id}/villages": (PEOPLE, UNIT),
    "GET /units/{unit_id}/accounts": (PEOPLE, UNIT), "POST /units/{unit_id}/accounts": (PEOPLE, UNIT),
    "PATCH /accounts/{account_id}": (PEOPLE, UNIT),
    "GET /units/{unit_id}/grids": (PEOPLE, UNIT), "POST /units/{unit_id}/grids": (PEOPLE, UNIT),
    "POST /units/{unit_id}/grids/copy": (PEOPLE, UNIT), "PATCH /grids/{grid_id}": (PEOPLE, UNIT),
    "DELETE /grids/{grid_id}": (PEOPLE, UNIT, T(grid_id="fresh:grid_id")),
    "GET /plans/{plan_id}/windows": (WINDOWS, UNIT), "POST /plans/{plan_id}/windows": (WINDOWS, UNIT),
    "DELETE /plans/{plan_id}/windows/{window_id}": (WINDOWS, UNIT, T(window_id="fresh:window_id")),
    "POST /plans/{plan_id}/holidays/{window_id}": (WINDOWS, UNIT, T(window_id="holiday_id")),
    "GET /units/{unit_id}/windows": (WINDOWS, UNIT), "POST /units/{unit_id}/windows": (WINDOWS, UNIT),
    "DELETE /units/{unit_id}/windows/{window_id}": (WINDOWS, UNIT, T(window_id="fresh:unit_window_id")),
    "POST /messages/{message_id}/images": (EDIT, UNIT, T(message_id="image_message_id")),
    "GET /messages/{message_id}/images/{image_id}": (VIEW, UNIT, T(message_id="image_message_id")),
    "DELETE /messages/{message_id}/images/{image_id}": (EDIT, UNIT, T(message_id="image_message_id",
                                                                      image_id="fresh:image_id")),
    "POST /plans/{plan_id}/roster-batches": (ROSTERS, UNIT), "GET /roster-batches/{batch_id}": (ROSTERS, UNIT),
    "GET /roster-batches/{batch_id}.pdf": (ROSTERS, UNIT), "GET /roster-batches/{batch_id}.zip": (ROSTERS, UNIT),
    "GET /plans/{plan_id}/targets/{target_id}/roster.pdf": (ROSTERS, UNIT),
}

PAGE_TABLE: dict[str, tuple] = {
    "GET /login": (PUBLIC, NONE), "POST /login": (PUBLIC, NONE), "GET /healthz": (PUBLIC, NONE),
    "GET /ical/<token>.ics": (PUBLIC, LINK, T(token="fresh:ical_token")),
    "GET /x/<token>": (PUBLIC, LINK, T(token="x_token")),
    "POST /x/<token>/deliveries/<int:delivery_id>": (PUBLIC, LINK, T(token="x_token")),
    "POST /x/<token>/results": (PUBLIC, LINK, T(token="x_token"), T(indicator_id="fresh:village_indicator_id")),
    "GET /": (ANY, NONE), "POST /logout": (ANY, NONE),
    "GET /account/password": (ANY, NONE), "POST /account/password": (ANY, NONE),
    "GET /account/notifications": (ANY, NONE), "POST /account/notifications": (ANY, NONE),
    "GET /notifications": (ANY, NONE), "POST /notifications/read-all": (ANY, NONE),
    "POST /notifications/<int:notification_id>/read": (ANY, SELF, T(notification_id="fresh:notification_id")),
    "GET /plans/new": (MANAGE, NONE), "POST /plans/new": (MANAGE, NONE),
    "GET /plans/<int:plan_id>": (VIEW, UNIT), "GET /plans/<int:plan_id>/calendar": (VIEW, UNIT),
    "GET /plans/<int:plan_id>/edit": (MANAGE, UNIT), "POST /plans/<int:plan_id>/edit": (MANAGE, UNIT),
    "GET /plans/<int:plan_id>/copy": (MANAGE, UNIT), "POST /plans/<int:plan_id>/copy": (MANAGE, UNIT),
    "POST /plans/<int:plan_id>/status": (MANAGE, UNIT), "POST /plans/<int:plan_id>/delete": (MANAGE, UNIT),
    "GET /plans/<int:plan_id>/export.zip": (VIEW, UNIT), "POST /plans/<int:plan_id>/settings": (EDIT, UNIT),
    "POST /plans/<int:plan_id>/ical/rotate": (EDIT, UNIT, {}, T(unit="unit_id")),
    "GET /plans/<int:plan_id>/messages/new": (EDIT, UNIT), "POST /plans/<int:plan_id>/messages/new": (EDIT, UNIT),
    "GET /messages/<int:message_id>": (VIEW, UNIT),
    "GET /messages/<int:message_id>/edit": (EDIT, UNIT), "POST /messages/<int:message_id>/edit": (EDIT, UNIT),
    "POST /messages/<int:message_id>/place": (EDIT, UNIT, {}, T(target_id="account_id")),
    "POST /messages/<int:message_id>/retire": (EDIT, UNIT, T(message_id="retire_message_id")),
    "POST /messages/<int:message_id>/versions/<int:version_id>/submit": (EDIT, UNIT),
    "POST /messages/<int:message_id>/versions/<int:version_id>/review": (REVIEW, UNIT),
    "POST /messages/preview": (EDIT, NONE),
    "GET /plans/<int:plan_id>/schedule": (EDIT, UNIT), "POST /plans/<int:plan_id>/schedule": (EDIT, UNIT),
    "GET /plans/<int:plan_id>/schedule/runs": (VIEW, UNIT),
    "GET /plans/<int:plan_id>/schedule/runs/<int:run_id>": (VIEW, UNIT),
    "GET /plans/<int:plan_id>/emergency": (EDIT, UNIT), "POST /plans/<int:plan_id>/emergency": (EDIT, UNIT),
    "GET /occurrences/<int:occurrence_id>": (VIEW, UNIT),
    "POST /occurrences/<int:occurrence_id>/change": (EDIT, UNIT),
    "POST /occurrences/<int:occurrence_id>/move": (EDIT, UNIT),
    "POST /occurrences/<int:occurrence_id>/undo": (EDIT, UNIT),
    "POST /occurrences/<int:occurrence_id>/confirm": (EDIT, UNIT),
    "GET /plans/<int:plan_id>/attention": (EDIT, UNIT), "POST /plans/<int:plan_id>/attention/bulk": (EDIT, UNIT),
    "POST /deliveries/<int:delivery_id>/handled": (EDIT, UNIT),
    "POST /deliveries/<int:delivery_id>/make-up": (EDIT, UNIT),
    "POST /deliveries/<int:delivery_id>/reconcile": (EDIT, UNIT),
    "GET /plans/<int:plan_id>/targets/<int:target_id>/roster": (VIEW, UNIT),
    "GET /plans/<int:plan_id>/targets/<int:target_id>/roster.pdf": (EDIT, UNIT),
    "GET /print-orders": (PRINT, NONE), "GET /print-orders/new": (EDIT, UNIT, {}, T(version_id="leaflet_version_id")),
    "POST /print-orders/new": (EDIT, UNIT, {}, T(version_id="leaflet_version_id")),
    "GET /print-orders/<int:order_id>": (PRINT, UNIT), "GET /print-orders/<int:order_id>.pdf": (PRINT, UNIT),
    "GET /print-orders/<int:order_id>/proof-<int:page>.png": (PRINT, UNIT),
    "GET /print-orders/<int:order_id>/ticket.pdf": (PRINT, UNIT),
    "POST /print-orders/<int:order_id>/status": (PRINT, UNIT),
    "POST /print-orders/<int:order_id>/approve": (EDIT, UNIT),
    "POST /print-orders/<int:order_id>/villages/<int:unit_id>/delivered": (SHOP, UNIT, T(unit_id="village_id")),
    "GET /plans/<int:plan_id>/reports": (VIEW, UNIT), "POST /plans/<int:plan_id>/reports": (REPORT, UNIT),
    "GET /reports/<int:report_id>": (VIEW, UNIT), "POST /reports/<int:report_id>": (REPORT, UNIT, T(report_id="fresh:report_id")),
    "GET /reports/<int:report_id>.pdf": (VIEW, UNIT), "GET /reports/<int:report_id>.xlsx": (VIEW, UNIT),
    "GET /plans/<int:plan_id>/dashboard": (VIEW, UNIT), "GET /plans/<int:plan_id>/dashboard.csv": (VIEW, UNIT),
    "GET /plans/<int:plan_id>/dashboard.xlsx": (VIEW, UNIT),
    "GET /plans/<int:plan_id>/results": (VIEW, UNIT), "POST /plans/<int:plan_id>/results": (EDIT, UNIT),
    "POST /plans/<int:plan_id>/results/upload": (EDIT, UNIT),
    "GET /admin/units": (PEOPLE, NONE), "POST /admin/units": (PEOPLE, NONE),
    "GET /admin/units/<int:unit_id>": (PEOPLE, UNIT), "POST /admin/units/<int:unit_id>": (PEOPLE, UNIT),
    "POST /admin/units/<int:unit_id>/loudspeakers": (PEOPLE, UNIT),
    "GET /admin/units/<int:unit_id>/villages": (PEOPLE, UNIT), "POST /admin/units/<int:unit_id>/villages": (PEOPLE, UNIT),
    "POST /admin/units/<int:unit_id>/villages/import": (PEOPLE, UNIT),
    "GET /admin/units/<int:unit_id>/accounts": (PEOPLE, UNIT), "POST /admin/units/<int:unit_id>/accounts": (PEOPLE, UNIT),
    "POST /admin/accounts/<int:target_id>": (PEOPLE, UNIT, T(target_id="account_id")),
    "GET /admin/units/<int:unit_id>/grids": (PEOPLE, UNIT), "POST /admin/units/<int:unit_id>/grids": (PEOPLE, UNIT),
    "POST /admin/units/<int:unit_id>/grids/copy": (PEOPLE, UNIT), "POST /admin/grids/<int:grid_id>": (PEOPLE, UNIT),
    "POST /admin/grids/<int:grid_id>/delete": (PEOPLE, UNIT, T(grid_id="fresh:grid_id")),
    "GET /admin/plans/<int:plan_id>/windows": (WINDOWS, UNIT),
    "POST /admin/plans/<int:plan_id>/windows": (WINDOWS, UNIT),
    "POST /admin/plans/<int:plan_id>/windows/<int:window_id>/delete": (WINDOWS, UNIT, T(window_id="fresh:window_id")),
    "POST /admin/plans/<int:plan_id>/holidays/<int:window_id>": (WINDOWS, UNIT, T(window_id="holiday_id")),
    "GET /admin/units/<int:unit_id>/windows": (WINDOWS, UNIT), "POST /admin/units/<int:unit_id>/windows": (WINDOWS, UNIT),
    "POST /admin/units/<int:unit_id>/windows/<int:window_id>/delete": (WINDOWS, UNIT,
                                                                       T(window_id="fresh:unit_window_id")),
    "POST /messages/<int:message_id>/images": (EDIT, UNIT, T(message_id="image_message_id")),
    "GET /messages/<int:message_id>/images/<int:image_id>": (VIEW, UNIT, T(message_id="image_message_id")),
    "POST /messages/<int:message_id>/images/<int:image_id>/delete": (EDIT, UNIT, T(message_id="image_message_id",
                                                                                   image_id="fresh:image_id")),
    "GET /plans/<int:plan_id>/roster-batches/new": (ROSTERS, UNIT, {}, T(unit="unit_id")),
    "POST /plans/<int:plan_id>/roster-batches/new": (ROSTERS, UNIT, {}, T(unit_id="unit_id")),
    "GET /roster-batches/<int:batch_id>": (ROSTERS, UNIT),
    "GET /roster-batches/<int:batch_id>.<any(pdf, zip):kind>": (ROSTERS, UNIT),
    "GET /admin/users": (PEOPLE, NONE), "GET /admin/users/new": (PEOPLE, NONE), "POST /admin/users/new": (PEOPLE, NONE),
    "GET /admin/users/<int:user_id>": (PEOPLE, UNIT), "POST /admin/users/<int:user_id>": (PEOPLE, UNIT),
    "POST /admin/users/<int:user_id>/password": (PEOPLE, UNIT),
    "POST /admin/users/<int:user_id>/active": (PEOPLE, UNIT),
}


# --------------------------------------------------------------------------- the world, built once per module

@pytest.fixture(scope="module")
def world(database_url, tmp_path_factory):
    yield from built_world(database_url, tmp_path_factory)


def openapi_operations(app) -> set[str]:
    doc = app.test_client().get(f"{API}/openapi.json").get_json()
    return {f"{method.upper()} {path}" for path, item in doc["paths"].items() for method in item
            if method in ("get", "post", "put", "patch", "delete")}


def page_routes(app) -> set[str]:
    return {f"{method} {rule.rule}" for rule in app.url_map.iter_rules()
            if not rule.endpoint.startswith("api.") and rule.endpoint != "static"
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_operation_and_page_is_classified(world):
    ops, pages = openapi_operations(world.app), page_routes(world.app)
    assert ops - API_TABLE.keys() == set(), "classify these operations in API_TABLE"
    assert API_TABLE.keys() - ops == set(), "these operations are no longer in the OpenAPI document"
    assert pages - PAGE_TABLE.keys() == set(), "classify these pages in PAGE_TABLE"
    assert PAGE_TABLE.keys() - pages == set(), "these pages no longer exist"


# --------------------------------------------------------------------------- calling

def expected(letter: str | None, roles: str, scope: str, which: str) -> bool:
    """True if the call must get past authorization."""
    if roles == PUBLIC:
        return which != "other"
    if letter is None or letter not in roles:
        return False
    return which == "own" or scope == NONE or (scope == UNIT and letter == "A")


def fill(world, path: str, overrides: dict, which: str, caller: str | None) -> str:
    scope = "own" if which != "other" else "other"

    def value(name):
        kind = overrides.get(name, name)
        if kind.startswith("fresh:"):
            return str(world.fresh(kind[6:], scope, caller))
        return str(world.ids[kind][scope])

    return re.sub(r"\{(\w+)\}|<(?:\w+(?:\([^)]*\))?:)?(\w+)>", lambda m: value(m.group(1) or m.group(2)), path)


def is_denied(resp, page: bool) -> bool:
    if page and resp.status_code == 302:
        return "/login" in resp.headers["Location"]
    return resp.status_code in (401, 403, 404) or (page and resp.status_code == 400 and b"CSRF" in resp.data)


def leaks(resp) -> list[str]:
    text = resp.get_data().decode("utf-8", "replace")
    return [m for m in OTHER_MARKERS if m in text]


CASES = [(letter, which) for letter in (*ACTORS, None) for which in ("own", "other")]


@pytest.mark.parametrize("letter,which", CASES, ids=[f"{l or 'anon'}-{w}" for l, w in CASES])
def test_api_matrix(world, letter, which):
    username = ACTORS.get(letter)
    client = world.api(username)
    wrong = []
    for key, (roles, scope, *rest) in sorted(API_TABLE.items()):
        if which == "other" and scope == NONE:
            continue
        method, path = key.split(" ", 1)
        url = API + fill(world, path, rest[0] if rest else {}, which, username)
        kwargs = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
        resp = client.open(url, method=method, **kwargs)
        want = expected(letter, roles, scope, which)
        got = not is_denied(resp, page=False)
        if (resp.status_code >= 500 and key != "GET /healthz") or want != got:
            wrong.append(f"{key} → {resp.status_code} (expected {'allowed' if want else 'denied'}) {url}")
        elif letter != "A" and leaks(resp):
            wrong.append(f"{key} → shows the other commune's data {leaks(resp)}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("letter,which", CASES, ids=[f"{l or 'anon'}-{w}" for l, w in CASES])
def test_page_matrix(world, letter, which):
    username = ACTORS.get(letter)
    client = page_client(world, username)
    csrf = csrf_from(client.get("/account/password" if username else "/login").get_data(as_text=True))
    wrong = []
    for key, (roles, scope, *rest) in sorted(PAGE_TABLE.items(), key=lambda kv: kv[0].endswith("/logout")):
        if which == "other" and scope == NONE:
            continue
        if key in ("POST /login", "POST /logout"):
            continue  # logging in is what every client above did; logging out is checked last
        method, path = key.split(" ", 1)
        url = fill(world, path, rest[0] if rest else {}, which, username)
        if scope == LINK:  # no login: the own link, with another commune's id or forged for "other"
            token = fill(world, "<token>", rest[0], "own", None)
            url = fill(world, path.replace("<token>", token), rest[0], which, None)
            if which == "other" and "<int:" not in path:
                url = url.replace(token, "sai" + token[3:])
        data = {name: fill(world, "<x>", {"x": kind}, "own" if scope == LINK else which, username)
                for name, kind in (rest[1] if len(rest) > 1 else {}).items()}
        resp = client.open(url, method=method, **({"data": {**data, "csrf_token": csrf}} if method == "POST"
                                                  else {"query_string": data}))
        want = expected(letter, roles, scope, which)
        got = not is_denied(resp, page=True)
        if (resp.status_code >= 500 and key != "GET /healthz") or want != got:
            wrong.append(f"{key} → {resp.status_code} (expected {'allowed' if want else 'denied'}) {url}")
        elif letter != "A" and leaks(resp):
            wrong.append(f"{key} → shows the other commune's data {leaks(resp)}")
    if username:
        assert client.post("/logout", data={"csrf_token": csrf}).status_code == 302
        assert "/login" in client.get("/").headers["Location"]
    assert not wrong, "\n".join(wrong)


def page_client(world, username: str | None):
    client = world.app.test_client()
    if username:
        csrf = csrf_from(client.get("/login").get_data(as_text=True))
        resp = client.post("/login", data={"username": username, "password": "pw-test-123", "csrf_token": csrf})
        assert resp.status_code == 302, resp.get_data(as_text=True)
    return client


def test_another_communes_object_named_under_an_own_one_is_not_found(world):
    """The matrix keeps both ids of a path on one side; here the outer object is the caller's own and the inner one
    another commune's (a picture, a window, a commune for a roster batch): 404, and nothing changes."""
    client, ids = world.api("vanhoa"), world.ids
    own, other = (lambda kind: ids[kind]["own"]), (lambda kind: ids[kind]["other"])
    picture = f"{API}/messages/{own('image_message_id')}/images/{other('image_id')}"
    assert client.get(picture).status_code == 404
    assert client.delete(picture).status_code == 404
    assert world.api("admin").get(f"{API}/messages/{other('image_message_id')}/images/{other('image_id')}"
                                  ).status_code == 200
    resp = client.post(f"{API}/plans/{own('plan_id')}/roster-batches", json={
        "unit_id": other("unit_id"), "first": "2026-03-16", "last": "2026-03-22"})
    assert resp.status_code == 404, resp.get_json()
    assert client.delete(f"{API}/units/{own('unit_id')}/windows/{other('unit_window_id')}").status_code == 404
    assert client.delete(f"{API}/plans/{own('plan_id')}/windows/{other('window_id')}").status_code == 404
    windows = world.api("admin").get(f"{API}/units/{other('unit_id')}/windows").get_json()["own"]
    assert other("unit_window_id") in [w["id"] for w in windows]
