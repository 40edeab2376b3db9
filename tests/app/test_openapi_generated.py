"""The OpenAPI document is generated from what the API does (issue 9 §8): request bodies from the pydantic models
the views validate with, operations from the Flask routes, links that lead to real operations."""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import jsonschema_rs
import pytest

from planner import api_queries, api_responses, api_schemas
from planner.openapi import LINKS, api_routes, build_openapi

API = "/api/v1"
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def doc():
    return build_openapi()


def test_every_route_is_one_documented_operation_and_back(app, doc):
    with app.app_context():
        routes = {(method, path) for path, method, _ in api_routes()}
    documented = {(method, path) for path, item in doc["paths"].items() for method in item if method in METHODS}
    assert routes == documented


def test_the_document_without_an_app_equals_the_served_one(app, doc):
    served = app.test_client().get(f"{API}/openapi.json").get_json()
    assert json.dumps(served, sort_keys=True) == json.dumps(json.loads(json.dumps(doc)), sort_keys=True)


def test_each_body_is_the_model_its_view_validates_with(app, doc):
    generated = api_schemas.json_schemas()
    with app.app_context():
        routes = list(api_routes())
    for path, method, view in routes:
        operation = doc["paths"][path][method]
        model = getattr(view, "body_model", None)
        if model is None:
            assert "requestBody" not in operation, (method, path)
            assert method in ("get", "delete") or path.endswith(("/submit", "/rotate")), (method, path)
            continue
        name = model if isinstance(model, str) else model.__name__
        content = operation["requestBody"]["content"]
        assert content == {view.body_media: {"schema": {"$ref": f"#/components/schemas/{name}"}}}, (method, path)
        assert operation["requestBody"]["required"] is not view.body_optional
        if not isinstance(model, str):
            assert doc["components"]["schemas"][name] == generated[name]
            assert {"400", "413", "415"} <= set(operation["responses"]), (method, path)
    # no hand-written input schema is left over beside the generated ones
    hand_written = {"PlanDocument", "MessageImageInput", "ChangeRequest"}  # ChangeRequest: an answer
    inputs = {name for name in doc["components"]["schemas"] if name.endswith(("Input", "Edit", "Request", "Change"))}
    assert inputs <= set(generated) | hand_written


def test_every_component_schema_compiles_as_json_schema_2020_12(doc):
    for name, schema in doc["components"]["schemas"].items():
        jsonschema_rs.Draft202012Validator({**schema, "components": doc["components"]})
    assert doc["openapi"] == "3.1.0"


def test_links_lead_to_real_operations_with_their_path_parameters(doc):
    assert len(LINKS) >= 15
    for (source, status), links in LINKS.items():
        method, path = source.split(" ", 1)
        response = doc["paths"][path][method.lower()]["responses"][status]
        for name, link in response["links"].items():
            pointer = link["operationRef"].removeprefix("#/paths/")
            target_path, target_method = pointer.rsplit("/", 1)
            target_path = target_path.replace("~1", "/").replace("~0", "~")
            assert target_method in doc["paths"][target_path], (source, name)
            assert set(link["parameters"]) == set(re.findall(r"{(\w+)}", target_path)), (source, name)
            for expression in link["parameters"].values():
                assert expression == 1 or expression.startswith("$response.body#/"), (source, name)
    assert "Undo" in doc["paths"]["/occurrences/{occurrence_id}/move"]["post"]["responses"]["200"]["links"]


# --------------------------------------------------------------------------- the models' rules

def test_null_and_empty_count_as_not_sent_and_unknown_fields_are_ignored():
    assert api_schemas.validate(api_schemas.ConfirmInput, {"aired": True, "reason": "", "x": 1}) == {"aired": True}
    with pytest.raises(api_schemas.BodyInvalid) as missing:
        api_schemas.validate(api_schemas.HandledInput, {"reason": None})
    assert missing.value.fields == {"reason": "Trường này là bắt buộc."}


@pytest.mark.parametrize("value, message", [
    ("12", None), (12, None), ("0000000012", "Phải là số nguyên không âm."), (-1, "Phải là số nguyên không âm."), (2**31, "Phải là số nguyên không âm."),
    (1.5, "Phải là số nguyên không âm."), (True, "Phải là số nguyên không âm."), ("1e3", "Phải là số nguyên không âm.")])
def test_ids_are_non_negative_integers_or_digit_strings(value, message):
    try:
        assert api_schemas.validate(api_schemas.RosterBatchInput,
                                    {"unit_id": value, "first": "01/01/2026", "last": "02/01/2026"})["unit_id"] == 12
        assert message is None
    except api_schemas.BodyInvalid as exc:
        assert exc.fields == {"unit_id": message}


def test_types_ranges_and_choices_get_vietnamese_messages():
    with pytest.raises(api_schemas.BodyInvalid) as bad:
        api_schemas.validate(api_schemas.MessageInput, {
            "title": 5, "min_per_week": 1000, "channel": "fax", "audience_ids": [1, "2"], "post_at": "x",
            "priority": "urgent", "headline": "x" * 301})
    assert bad.value.fields == {
        "title": "Phải là chuỗi ký tự.", "min_per_week": "Phải là số nguyên không lớn hơn 999.",
        "channel": bad.value.fields["channel"], "audience_ids": "Phải là một danh sách số nguyên.",
        "post_at": "Phải là một danh sách chuỗi.", "priority": bad.value.fields["priority"],
        "headline": "Dài quá 300 ký tự."}
    assert bad.value.fields["channel"].startswith("Giá trị không hợp lệ; chọn một trong: 'banner'")
    with pytest.raises(api_schemas.BodyInvalid) as flag:
        api_schemas.validate(api_schemas.ActiveInput, {"is_active": "true"})
    assert flag.value.fields == {"is_active": "Phải là true hoặc false."}


SAMPLES = ["abc", "12", "2", " 7", "2147483647", "0012", 7, 0, -1, 2**31, 1.5, True, False, [], ["abc"], [3], {"a": 1}, "approve",
           "loudspeaker", "x" * 301]


def test_what_the_document_allows_the_model_accepts_and_nothing_else(doc):
    """Field by field, over sample values: the documented schema and the validating model agree (null and "" are
    'not sent' in both, so they are left out)."""
    checked = 0
    for model in api_schemas.BODIES:
        schema = doc["components"]["schemas"][model.__name__]
        for name, prop in schema["properties"].items():
            documented = jsonschema_rs.Draft202012Validator({**prop, "components": doc["components"]})
            for sample in SAMPLES:
                try:
                    api_schemas.validate(model, {name: sample})
                    accepted = True
                except api_schemas.BodyInvalid as exc:
                    accepted = name not in exc.fields
                assert accepted is documented.is_valid(sample), (model.__name__, name, sample)
                checked += 1
    assert checked > 1000


@pytest.mark.parametrize("low, high", [(0, api_schemas.MAX_ID), (0, 999), (1, 3600), (1, 999999), (40, 1000),
                                       (2000, 2099), (1, 12), (0, 0), (9, 10), (7, 123456)])
def test_the_documented_digit_pattern_is_exactly_the_range(low, high):
    pattern = re.compile(api_schemas.range_pattern(low, high))
    numbers = {*range(0, 5000), low, high, low + 1, high + 1, max(low - 1, 0), api_schemas.MAX_ID, 2**31,
               *(n * 7919 % (3 * 10**9) for n in range(20000))}
    for n in numbers:
        assert bool(pattern.fullmatch(str(n))) is (low <= n <= high), n
    assert not pattern.fullmatch("0" + str(low)) and not pattern.fullmatch(f"+{low}")


def test_schemathesis_loads_every_operation_of_the_document(doc):
    schemathesis = pytest.importorskip("schemathesis")
    schema = schemathesis.openapi.from_dict(json.loads(json.dumps(doc)))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == sum(1 for item in doc["paths"].values() for method in item if method in METHODS)


def test_the_response_check_names_what_drifted(doc):
    from planner.openapi import query_problem, response_problem

    rule = f"{API}/plans/<int:plan_id>"
    assert response_problem(doc, rule, "GET", 200, {"id": 1, "code": "k", "title": "T"}) is None
    assert "id" in response_problem(doc, rule, "GET", 200, {"id": "1"})
    assert "status 418 is not documented" in response_problem(doc, rule, "GET", 418, {})
    assert response_problem(doc, rule, "GET", 404, {"error": {"code": "not_found", "message": "…"}}) is None
    assert "error" in response_problem(doc, rule, "GET", 404, {"message": "…"})
    listing = f"{API}/occurrences"
    assert query_problem(doc, listing, "GET", {"plan": (1, api_schemas.MAX_ID), "cursor": None}) is None
    assert "?secret" in query_problem(doc, listing, "GET", {"secret": None})
    assert "?limit" in query_problem(doc, listing, "GET", {"limit": (1, 50)})


# --------------------------------------------------------------------------- response bodies (planner.api_responses)

INVENTORY = json.loads((Path(__file__).parent / "openapi_inventory.json").read_text())


def test_no_operation_and_no_component_schema_disappears(doc):
    """The set of operations and of component names is fixed here: generating the response bodies from the models
    (api9b) kept all 103 hand-written components and added only the nested objects that became models."""
    operations = sorted(f"{method.upper()} {path}" for path, item in doc["paths"].items()
                        for method in item if method in METHODS)
    assert operations == INVENTORY["operations"]
    assert sorted(doc["components"]["schemas"]) == INVENTORY["schemas"]


def test_every_component_schema_is_generated_from_a_model(doc):
    """Request bodies come from api_schemas, everything else from api_responses: no hand-written schema is left."""
    responses, bodies = api_responses.json_schemas(), api_schemas.json_schemas()
    assert set(doc["components"]["schemas"]) == set(responses) | set(bodies)
    for name, schema in doc["components"]["schemas"].items():
        assert schema == (bodies[name] if name in bodies else responses[name]), name
    named = set()
    for item in doc["paths"].values():
        for method, operation in item.items():
            if method in METHODS:
                for answer in operation["responses"].values():
                    schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
                    if "$ref" in schema:
                        named.add(schema["$ref"].rsplit("/", 1)[1])
    assert named <= {model.__name__ for model in api_responses.RESPONSES}


def test_generated_response_schemas_keep_the_documents_shape(doc):
    schemas = doc["components"]["schemas"]
    token = schemas["Token"]
    assert token["required"] == ["token", "expires_at", "user"] and "title" not in token
    assert token["properties"]["expires_at"] == {"format": "date-time", "type": ["string", "null"]}
    assert schemas["Occurrence"]["properties"]["delivery"]["anyOf"][1] == {"type": "null"}
    assert schemas["Dashboard"]["properties"]["from"]["format"] == "date"            # an alias, not `from_`
    assert "bytes" in schemas["PrintProof"]["properties"]
    assert schemas["PlanDetail"]["properties"]["status"]["enum"] == ["draft", "active", "closed", "archived"]
    assert "ticket" in schemas["PrintOrder"]["properties"] and "retired_at" in schemas["Message"]["properties"]
    assert all("additionalProperties" not in s or s["additionalProperties"] is not False for s in schemas.values())


def test_a_body_built_through_its_model_leaves_out_what_was_not_given():
    body = api_responses.dump(api_responses.IcalLink(unit_id=3, ical_url="https://x/ical/a.ics", valid_days=90))
    assert body == {"unit_id": 3, "ical_url": "https://x/ical/a.ics", "valid_days": 90}
    proof = api_responses.dump(api_responses.PrintProof(status="ready", bytes=10, pages=None))
    assert proof == {"status": "ready", "bytes": 10, "pages": None}


# --------------------------------------------------------------------------- query parameters (planner.api_queries)

DECLARED_LISTS = {("get", "/occurrences"), ("get", "/plans/{plan_id}/attention"), ("get", "/print-orders"),
                  ("get", "/notifications"), ("get", "/units"), ("get", "/plans"),
                  ("get", "/plans/{plan_id}/messages"), ("get", "/targets"), ("get", "/units/{unit_id}/grids"),
                  ("get", "/units/{unit_id}/windows"), ("get", "/indicators/{indicator_id}/results"),
                  ("get", "/plans/{plan_id}/targets/{target_id}/roster.pdf")}


def test_list_endpoints_declare_their_query_parameters_and_the_document_lists_exactly_those(app, doc):
    with app.app_context():
        declared = {(method, path): view.query_params for path, method, view in api_routes()
                    if getattr(view, "query_params", None) is not None}
    assert DECLARED_LISTS <= set(declared)
    for (method, path), params in declared.items():
        documented = [p for p in doc["paths"][path][method].get("parameters", [])
                      if "$ref" in p or p["in"] == "query"]
        assert documented == [p.document() for p in params.values()], (method, path)
    assert doc["components"]["parameters"] == api_queries.components()


def test_a_declaration_documents_what_it_parses():
    village = api_queries.object_id("village", "Thôn")
    assert village.schema() == {"type": "integer", "minimum": 1, "maximum": api_queries.MAX_ID}
    assert api_queries.limit(500, 50).document()["schema"] == {"type": "integer", "minimum": 1, "maximum": 500,
                                                               "default": 50}
    assert api_queries.LIMIT.document() == {"$ref": "#/components/parameters/limit"}
    assert api_queries.channel().schema() == {"enum": list(api_schemas.CHANNELS)}
    from planner.operations.grids import GRID_CHANNELS

    assert api_queries.GRID_CHANNELS == GRID_CHANNELS
    assert all(p.document()["required"] for p in api_queries.ROSTER)


@pytest.mark.parametrize(("url", "field", "message"), [
    ("/occurrences?channel=radio", "channel", "Kênh không hợp lệ."),
    ("/occurrences?status=late", "status", "Tình trạng phải là planned, delivered hoặc problem."),
    ("/occurrences?plan=0", "plan", "Phải là số nguyên từ 1 trở lên."),
    ("/notifications?unread=maybe", "unread", "Phải là 1/true hoặc 0/false."),
    ("/notifications?limit=201", "limit", "Phải là số nguyên từ 1 đến 200."),
    ("/plans?limit=1001", "limit", "Phải là số nguyên từ 1 đến 1000."),
    ("/targets?channel=radio", "channel", "Kênh không hợp lệ."),
    ("/plans/{plan}/messages?channel=radio", "channel", "Kênh không hợp lệ."),
    ("/plans/{plan}/attention?limit=501", "limit", "Phải là số nguyên từ 1 đến 500."),
    ("/units/{unit}/grids?channel=radio", "channel", "Kênh không hợp lệ."),
    ("/units/{unit}/windows?channel=radio", "channel", "Kênh không hợp lệ."),
])
def test_declared_parameters_are_parsed_by_their_declaration(app, demo, url, field, message):
    from sqlalchemy import select

    from planner.auth import issue_token
    from planner.db import utcnow
    from planner.models import Plan, User

    admin = demo.scalar(select(User).where(User.username == "admin"))
    token, _ = issue_token(demo, admin, now=utcnow(), hours=1)
    demo.commit()
    plan = demo.scalar(select(Plan).order_by(Plan.id))
    response = app.test_client().get(API + url.format(plan=plan.id, unit=plan.unit_id),
                                     headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["fields"][field] == message


@pytest.mark.parametrize("when", [dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc),
                                  dt.datetime(2026, 1, 2, 3, 4, 5, 120, tzinfo=dt.timezone.utc),
                                  dt.datetime(2026, 1, 2, 10, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=7)))])
def test_times_built_through_a_model_are_the_same_text(when):
    """Serializers that build through a model pass `stamp()`'s text; the model writes it back unchanged."""
    from planner.views.api import stamp

    given = stamp("created_at", when)
    assert api_responses.dump(api_responses.AdminUser(**given)) == given
