"""The admin API as docs/api.md describes it: the bearer token, every answer it documents, and the
OpenAPI document that declares them; and the optional token in front of /metrics and the docs."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from bot.http.app import create_app
from tests.support.deps import close, deps_for
from tests.support.world import make_world

TOKEN = "admin-token-for-tests"
METRICS_TOKEN = "metrics-token-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def world(store, clock, tmp_path):
    return make_world(store, clock, tmp_path)


@pytest.fixture
def api(world):
    deps = deps_for(world, admin_api_token=TOKEN)
    # As in the web role: the API only commits; the test runs the worker's part (world.runner) itself.
    deps.runs_background_work = False
    yield TestClient(create_app(deps.settings, deps=deps, plugins=[]))
    close(deps)


def _problem(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    if code is not None:
        assert response.headers["content-type"] == "application/problem+json"
        assert (body["status"], body["code"]) == (status, code), body
    return body


def test_without_the_right_bearer_token_every_route_answers_401(api):
    routes = [("post", "/api/v1/requests", {"requester": "alice@acme.test", "entitlement": "github:member"}),
              ("post", "/api/v1/requests/1/decisions", {"approver": "dana@acme.test", "verdict": "approve"}),
              ("get", "/api/v1/people/alice@acme.test/grants", None),
              ("post", "/api/v1/people/alice@acme.test/grants",
               {"actor": "ivan@acme.test", "entitlement": "github:member", "duration": "1h", "reason": "x"}),
              ("post", "/api/v1/grants/1/revoke", {"actor": "ivan@acme.test", "reason": "x"}),
              ("get", "/api/v1/usage/licenses", None), ("get", "/api/v1/people/alice@acme.test/usage", None),
              ("post", "/api/v1/usage/mem/collect", {"actor": "ivan@acme.test"})]
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        for method, path, body in routes:
            answer = api.request(method, path, json=body, headers=headers)
            assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer", (path, headers)
            assert TOKEN not in answer.text


def test_with_no_token_configured_the_api_is_closed(world):
    deps = deps_for(world)
    try:
        answer = TestClient(create_app(deps.settings, deps=deps, plugins=[])).get(
            "/api/v1/people/alice@acme.test/grants", headers={"Authorization": "Bearer "})
        assert answer.status_code == 401
    finally:
        close(deps)


def test_request_decide_list_and_revoke_with_their_documented_errors(api, world):
    created = api.post("/api/v1/requests", headers=AUTH, json={
        "requester": "alice@acme.test", "entitlement": "github:admin", "duration": "4h",
        "justification": "release 4.2 needs a branch rule"})
    assert created.status_code == 201
    assert created.json() == {"id": created.json()["id"], "status": "pending", "outcome": "pending"}
    request_id = created.json()["id"]

    _problem(api.post("/api/v1/requests", headers=AUTH, json={"requester": "nobody@acme.test",
                                                                 "entitlement": "github:member"}), 404, "unknown_person")
    _problem(api.post("/api/v1/requests", headers=AUTH, json={"requester": "alice@acme.test",
                                                                 "entitlement": "github:admin"}), 400,
             "missing_justification")
    assert api.post("/api/v1/requests", headers=AUTH, json={"requester": "alice@acme.test",
                                                             "entitlement": "github:member",
                                                             "duration": "soon"}).status_code == 422
    assert api.post("/api/v1/requests", headers=AUTH, json={"requester": "alice@acme.test"}).status_code == 422

    decision = f"/api/v1/requests/{request_id}/decisions"
    _problem(api.post(decision, headers=AUTH, json={"approver": "bob@acme.test", "verdict": "approve"}), 403,
             "not_authorized")
    _problem(api.post(decision, headers=AUTH, json={"approver": "alice@acme.test", "verdict": "approve"}), 403)
    step = api.post(decision, headers=AUTH, json={"approver": "dana@acme.test", "verdict": "approve"})
    assert step.status_code == 200 and step.json()["final"] is False
    final = api.post(decision, headers=AUTH, json={"approver": "olga@acme.test", "verdict": "approve"})
    assert final.status_code == 200 and final.json() == {"id": request_id, "status": "approved", "final": True}
    _problem(api.post(decision, headers=AUTH, json={"approver": "olga@acme.test", "verdict": "approve"}), 409)
    _problem(api.post("/api/v1/requests/999999/decisions", headers=AUTH,
                      json={"approver": "dana@acme.test", "verdict": "approve"}), 404, "not_found")

    world.runner.run_due()
    grants = api.get("/api/v1/people/alice@acme.test/grants", headers=AUTH)
    assert grants.status_code == 200
    (grant,) = grants.json()
    assert (grant["entitlement"], grant["status"]) == ("github:admin", "active")
    assert grant["granted_by"] == "dana@acme.test, olga@acme.test"
    _problem(api.get("/api/v1/people/nobody@acme.test/grants", headers=AUTH), 404, "unknown_person")

    revoke = f"/api/v1/grants/{grant['id']}/revoke"
    _problem(api.post(revoke, headers=AUTH, json={"actor": "alice@acme.test", "reason": "done"}), 403,
             "not_authorized")
    revoked = api.post(revoke, headers=AUTH, json={"actor": "ivan@acme.test", "reason": "release shipped"})
    assert revoked.status_code == 200 and revoked.json() == {"id": grant["id"], "status": "revoking"}
    _problem(api.post(revoke, headers=AUTH, json={"actor": "ivan@acme.test", "reason": "again"}), 409)



def test_it_pushes_access_through_the_api_under_the_same_rules_as_slack(api, world):
    push = "/api/v1/people/alice@acme.test/grants"
    body = {"actor": "ivan@acme.test", "entitlement": "erp:payments-create", "duration": "4h",
            "reason": "month-end close"}
    pushed = api.post(push, headers=AUTH, json=body)
    assert pushed.status_code == 201, pushed.text
    assert pushed.json()["status"] == "approved" and pushed.json()["grant_id"] is not None
    world.runner.run_due()
    assert world.holds("alice@acme.test", "erp-pay-create")
    assert world.request(pushed.json()["request_id"]).extra == {"admin_push": True}

    conflict = _problem(api.post(push, headers=AUTH, json={**body, "entitlement": "erp:payments-approve"}), 409,
                        "sod_conflict")
    assert "erp:payments-approve cannot be held together with erp:payments-create" in conflict["detail"]
    _problem(api.post(push, headers=AUTH, json={**body, "actor": "dana@acme.test"}), 403, "not_authorized")
    _problem(api.post("/api/v1/people/ivan@acme.test/grants", headers=AUTH, json=body), 403, "self_approval")
    _problem(api.post(push, headers=AUTH, json={**body, "duration": "3d"}), 400, "invalid_duration")
    _problem(api.post(push, headers=AUTH, json={**body, "reason": " "}), 400, "missing_justification")
    _problem(api.post("/api/v1/people/nobody@acme.test/grants", headers=AUTH, json=body), 404, "unknown_person")
    assert [g.entitlement for g in world.grants_of("alice@acme.test")] == ["erp:payments-create"]


def test_out_of_range_numbers_are_refused_with_a_4xx_and_change_nothing(world):
    """A duration or an id beyond what timedelta or a 64-bit column holds was an OverflowError: a 500."""
    deps = deps_for(world, admin_api_token=TOKEN)
    deps.runs_background_work = False
    api = TestClient(create_app(deps.settings, deps=deps, plugins=[]), raise_server_exceptions=False)
    try:
        for duration in ("99999999999999d", "99999999d"):
            answer = api.post("/api/v1/requests", headers=AUTH, json={
                "requester": "alice@acme.test", "entitlement": "github:member", "duration": duration,
                "justification": "a very long project"})
            assert answer.status_code == 422, answer.text
            assert "longer than 100 years" in answer.json()["detail"]
        huge = 2**64
        assert api.post(f"/api/v1/requests/{huge}/decisions", headers=AUTH,
                        json={"approver": "dana@acme.test", "verdict": "approve"}).status_code == 422
        assert api.post(f"/api/v1/grants/{huge}/revoke", headers=AUTH,
                        json={"actor": "ivan@acme.test", "reason": "x"}).status_code == 422
        assert api.get("/api/v1/people/alice@acme.test/grants", headers=AUTH).json() == []
    finally:
        close(deps)

def test_the_openapi_document_declares_the_bearer_scheme_and_every_answer(api):
    document = api.get("/openapi.json").json()
    assert document["components"]["securitySchemes"]["HTTPBearer"] == {
        "type": "http", "scheme": "bearer", "description": "ACCESSBOT_ADMIN_API_TOKEN"}
    operations = {(path, method): op for path, item in document["paths"].items() if path.startswith("/api/v1")
                  for method, op in item.items()}
    # the admin routes, the access-review routes (docs/reviews.md) and the usage routes (docs/usage.md)
    assert len(operations) == 17
    for (path, method), op in operations.items():
        assert op["security"] == [{"HTTPBearer": []}], path
        assert {"401", "404", "422"} <= set(op["responses"]), path
    assert {"201", "400", "403", "409"} <= set(operations[("/api/v1/requests", "post")]["responses"])
    assert {"403", "409"} <= set(operations[("/api/v1/requests/{request_id}/decisions", "post")]["responses"])
    assert {"403", "409"} <= set(operations[("/api/v1/grants/{grant_id}/revoke", "post")]["responses"])
    assert {"201", "400", "403", "409"} <= set(operations[("/api/v1/people/{email}/grants", "post")]["responses"])
    assert {"201", "403"} <= set(operations[("/api/v1/bundles/{bundle}/requests", "post")]["responses"])


def test_every_response_carries_a_request_id_and_a_sane_one_is_kept(api):
    mine = api.get("/healthz", headers={"X-Request-ID": "lb-7f3a"})
    assert mine.headers["x-request-id"] == "lb-7f3a"
    fresh = api.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert len(fresh.headers["x-request-id"]) == 32 and fresh.headers["x-request-id"] != "bad id\twith spaces"


def test_metrics_and_docs_want_the_metrics_token_when_one_is_set(world):
    deps = deps_for(world, admin_api_token=TOKEN, metrics_token=METRICS_TOKEN)
    try:
        client = TestClient(create_app(deps.settings, deps=deps, plugins=[]))
        for path in ("/metrics", "/docs", "/redoc", "/openapi.json"):
            refused = client.get(path)
            assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Bearer"), path
            assert client.get(path, headers={"Authorization": "Bearer nope"}).status_code == 401, path
            assert client.get(path, headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).status_code == 200, path
        assert client.get("/healthz").status_code == 200  # probes carry no token
        # The admin API keeps its own token.
        assert client.get("/api/v1/people/alice@acme.test/grants",
                          headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).status_code == 401
    finally:
        close(deps)


def test_without_a_metrics_token_metrics_are_open_and_include_process_metrics(api):
    text = api.get("/metrics").text
    for family in ("process_cpu_seconds_total", "process_resident_memory_bytes", "python_info",
                   "python_gc_collections_total", "accessbot_grants"):
        assert family in text, family
