"""Property-based fuzzing of every API operation from the OpenAPI document (schemathesis + Hypothesis):
no 5xx, every answer's status documented and its body matching the documented schema.

Path ids are drawn from the objects of a small two-commune world (and one id that exists nowhere), so most calls
reach real plans, messages, deliveries, orders and reports rather than a 404. Bounded and derandomized, so a
CI run takes the same examples each time; operations that delete run last.
"""
from __future__ import annotations

import copy
import os
from collections import Counter

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from sqlalchemy import select

from planner.auth import issue_token
from planner.db import utcnow
from planner.models import Role, Unit, User
from planner.openapi import build_openapi
from tests.app.authz_world import built_world

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (response_schema_conformance,  # noqa: E402
                                               status_code_conformance)

EXAMPLES = int(os.environ.get("PLANNER_FUZZ_EXAMPLES", "15"))
# CI takes the same examples every run; PLANNER_FUZZ_RANDOM=1 explores new ones (a deeper run by hand).
DERANDOMIZE = os.environ.get("PLANNER_FUZZ_RANDOM") != "1"
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
# Who runs the fuzz: the admin (reaches everything) and an officer of one commune (scoped answers).
PEOPLE = {"admin": (Role.ADMIN, "viet-nam"), "vanhoa": (Role.PLANNER, "xa-ngoc-lac")}
# Path parameter → the world's id kinds it takes.
ID_KINDS = {"plan_id": ["plan_id"], "message_id": ["message_id", "retire_message_id", "image_message_id"],
            "version_id": ["version_id", "leaflet_version_id"], "occurrence_id": ["occurrence_id"],
            "delivery_id": ["delivery_id"], "order_id": ["order_id"], "report_id": ["report_id"],
            "unit_id": ["unit_id", "village_id"], "user_id": ["user_id"], "grid_id": ["grid_id"],
            "window_id": ["window_id", "holiday_id", "unit_window_id"], "indicator_id": ["indicator_id"],
            "account_id": ["account_id"], "run_id": ["run_id"], "page": ["page"], "image_id": ["image_id"],
            "batch_id": ["batch_id"]}
MISSING = 987654
# Operations that may change the fuzzing user themself (revoke tokens, change their password, role or unit).
RISKY = ("/tokens", "/account/password", "/users/{user_id}")


@pytest.fixture(scope="module")
def world(database_url, tmp_path_factory):
    yield from built_world(database_url, tmp_path_factory)


def fuzz_document(world) -> dict:
    """The OpenAPI document with each id path parameter limited to ids of real objects (plus a missing one)."""
    doc = copy.deepcopy(build_openapi())
    for item in doc["paths"].values():
        for param in [*item.get("parameters", []), *(p for op in item.values() if isinstance(op, dict)
                                                     for p in op.get("parameters", []))]:
            kinds = ID_KINDS.get(param.get("name")) if param.get("in") == "path" else None
            if kinds:
                ids = sorted({int(world.ids[k][side]) for k in kinds for side in ("own", "other")})
                param["schema"] = {"type": "integer", "enum": [*ids, MISSING]}
    return doc


def fresh_token(world, username: str) -> str:
    """A new token for the fuzzing user, who is put back as they were (a fuzzed call may have changed their role,
    unit, password or activity, or revoked their tokens)."""
    db = world.db
    db.rollback()
    role, unit_code = PEOPLE[username]
    user = db.scalar(select(User).where(User.username == username))
    user.role, user.is_active = role, True
    user.unit = db.scalar(select(Unit).where(Unit.code == unit_code))
    token, _ = issue_token(db, user, now=utcnow(), hours=1)
    db.commit()
    return token


@pytest.mark.parametrize("username", sorted(PEOPLE))
def test_every_operation_answers_as_documented_under_fuzzing(world, username):
    schema = schemathesis.openapi.from_dict(fuzz_document(world))
    operations = sorted((result.ok() for result in schema.get_all_operations()),
                        key=lambda op: op.method.upper() == "DELETE")
    failures, seen = {}, Counter()
    token = fresh_token(world, username)
    for operation in operations:
        risky = any(part in operation.path for part in RISKY)

        @settings(max_examples=EXAMPLES, derandomize=DERANDOMIZE, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
        @given(case=operation.as_strategy())
        def run(case):
            bearer = fresh_token(world, username) if risky else token
            response = case.call(app=world.app, headers={"Authorization": f"Bearer {bearer}"})
            seen[response.status_code // 100] += 1
            case.validate_response(response, checks=CHECKS)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - all operations' failures are reported together
            failures[operation.label] = str(exc)[:2000]
        if risky:
            token = fresh_token(world, username)
    assert not failures, "\n\n".join(f"== {label}\n{text}" for label, text in failures.items())
    assert seen[2] > len(operations), seen  # the fuzz reached real objects, not only errors


@pytest.mark.parametrize("starts_at", ["9999-12-31T23:30:00+00:00", "0001-01-01T00:00:00+07:00",
                                       "9999-12-31T23:59:59-12:00"])
def test_moving_to_the_ends_of_the_calendar_is_refused_not_a_500(world, starts_at):
    """Found by fuzzing: a move to year 9999 overflowed the session arithmetic (500)."""
    client = world.api("admin")
    resp = client.post(f"/api/v1/occurrences/{world.ids['occurrence_id']['own']}/move", json={"starts_at": starts_at})
    assert 400 <= resp.status_code < 500 and resp.get_json()["error"]["message"], resp.get_json()
    page = world.app.test_client()
    from tests.conftest import csrf_from

    csrf = csrf_from(page.get("/login").get_data(as_text=True))
    page.post("/login", data={"username": "admin", "password": "pw-test-123", "csrf_token": csrf})
    csrf = csrf_from(page.get("/account/password").get_data(as_text=True))
    answer = page.post(f"/occurrences/{world.ids['occurrence_id']['own']}/move",
                       data={"starts_at": starts_at, "csrf_token": csrf})
    assert answer.status_code == 200 and answer.get_json()["ok"] is False, answer.get_data(as_text=True)
