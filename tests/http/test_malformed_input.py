"""Input no database can hold, over HTTP: the admin API, the HR hook and SCIM refuse it with a 4xx
(never a 500 the sender retries forever) and change nothing.

Issue 18 items 7 (overflowing durations), 9 (ids of 2**63 and more, out-of-range times), 10 (NUL
and lone surrogates, which PostgreSQL refuses) and 11 (a time zone the file system cannot open).
"""

from __future__ import annotations

import json

import pytest

from bot.http.hooks import sign
from tests.http.conftest import ADMIN_TOKEN, HR_SECRET, SCIM_TOKEN
from tests.support.databases import row_counts

API = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
SCIM = {"Authorization": f"Bearer {SCIM_TOKEN}", "Content-Type": "application/scim+json"}
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
HUGE = str(2**63)
PAST_INTEGER = str(2**31)  # the row id columns are 32-bit on PostgreSQL
# Raw JSON text: json.dumps would escape a lone surrogate the same way; NUL as \u0000.
NUL, SURROGATE = "\\u0000", "\\ud800"


def _request(**overrides) -> dict:
    return {"requester": "alice@acme.test", "entitlement": "erp:payments-create", "justification": "month end",
            **overrides}


def _raw(document: dict, marker: str, replacement: str) -> bytes:
    """``document`` as JSON with the string ``marker`` replaced by raw JSON escapes."""
    return json.dumps(document).replace(marker, replacement).encode()


@pytest.mark.parametrize("duration", ["99999999999d", "1000000000w", "9" * 30 + "s", "1" * 5000 + "m", "36501d"])
def test_an_overflowing_duration_is_a_clear_refusal(client, deps, duration):
    before = row_counts(deps.store)
    answer = client.post("/api/v1/requests", json=_request(duration=duration), headers=API)
    assert answer.status_code == 422, answer.text
    assert "longer than 100 years" in answer.json()["detail"] or "is not a duration" in answer.json()["detail"]
    assert row_counts(deps.store) == before


@pytest.mark.parametrize("path", [
    f"/api/v1/requests/{HUGE}/decisions", "/api/v1/requests/-1/decisions", "/api/v1/requests/x/decisions",
    f"/api/v1/grants/{HUGE}/revoke", "/api/v1/grants/0/revoke",
    f"/api/v1/grants/{PAST_INTEGER}/revoke", f"/api/v1/grants/{'9' * 400}/revoke",
    f"/api/v1/review-items/{HUGE}/decision", "/api/v1/review-items/0/decision",
])
def test_an_id_no_row_can_have_is_refused_by_the_admin_api(client, deps, path):
    before = row_counts(deps.store)
    body = {"approver": "dana@acme.test", "verdict": "approve", "actor": "ivan@acme.test", "reason": "x",
            "reviewer": "dana@acme.test", "decision": "keep"}
    answer = client.post(path, json=body, headers=API)
    assert answer.status_code == 422, answer.text
    assert row_counts(deps.store) == before


@pytest.mark.parametrize(("field", "escape"), [
    ("justification", NUL), ("justification", SURROGATE), ("requester", NUL), ("entitlement", SURROGATE),
    ("ticket", NUL)])
def test_text_no_database_stores_is_refused_by_the_admin_api(client, deps, field, escape):
    before = row_counts(deps.store)
    raw = _raw(_request(**{field: "MARK"} | ({} if field == "requester" else {})), "MARK", f"x{escape}y")
    answer = client.post("/api/v1/requests", content=raw, headers={**API, "Content-Type": "application/json"})
    assert answer.status_code == 422, answer.text
    assert row_counts(deps.store) == before
    person = client.get("/api/v1/people/alice%00@acme.test/grants", headers=API)
    assert person.status_code == 422


@pytest.mark.parametrize("path", ["/api/v1/reviews/q%00x/start", "/api/v1/reviews/q%00x/close",
                                  "/api/v1/reviews/q%00x/remind"])
def test_a_review_name_no_database_stores_is_refused(client, deps, path):
    before = row_counts(deps.store)
    answer = client.post(path, json={"actor": "ivan@acme.test"}, headers=API)
    assert answer.status_code == 422, answer.text
    raw = _raw({"actor": "MARK"}, "MARK", f"ivan{NUL}@acme.test")
    answer = client.post("/api/v1/reviews/quarterly/start", content=raw,
                         headers={**API, "Content-Type": "application/json"})
    assert answer.status_code == 422, answer.text
    assert row_counts(deps.store) == before


def test_a_start_time_past_the_calendar_is_refused_by_the_admin_api(client, deps):
    before = row_counts(deps.store)
    answer = client.post("/api/v1/requests", json=_request(starts_at="9999-12-31T23:59:59Z", duration="1h"),
                         headers=API)
    assert answer.status_code == 422 and "between 1970 and 9000" in answer.text
    assert row_counts(deps.store) == before


def _hr(client, deps, raw: bytes):
    ts = int(deps.clock.now().timestamp())
    return client.post("/hooks/hr", content=raw, headers={"X-Accessbot-Timestamp": str(ts),
                                                          "X-Accessbot-Signature": sign(HR_SECRET, ts, raw)})


def _joiner(**person) -> dict:
    return {"event_id": "wd-9", "type": "joiner", "occurred_at": "2026-11-02T08:00:00Z",
            "person": {"email": "nina@acme.test", "name": "Nina", **person}}


@pytest.mark.parametrize(("where", "escape"), [("name", NUL), ("event_id", NUL), ("name", SURROGATE),
                                               ("department", NUL), ("groups", NUL)])
def test_an_hr_event_that_can_never_be_stored_is_refused_once(client, deps, where, escape):
    event = _joiner()
    if where == "event_id":
        event["event_id"] = "MARK"
    elif where == "groups":
        event["person"]["groups"] = ["MARK"]
    else:
        event["person"][where] = "MARK"
    before = row_counts(deps.store)
    answer = _hr(client, deps, _raw(event, "MARK", f"a{escape}b"))
    assert answer.status_code == 400, answer.text  # a 4xx: the sender stops retrying
    assert row_counts(deps.store) == before


@pytest.mark.parametrize("zone", ["A" * 5000, "Europe/" + "x" * 300, "../../etc/passwd", "Europe/London\u0000"])
def test_an_hr_event_with_an_impossible_time_zone_is_refused(client, deps, zone):
    before = row_counts(deps.store)
    answer = _hr(client, deps, json.dumps(_joiner(timezone=zone)).encode())
    assert answer.status_code == 400, answer.text
    assert "timezone" in answer.text
    assert row_counts(deps.store) == before


@pytest.mark.parametrize("change", [{"occurred_at": "9999-12-31T23:59:59+00:00"},
                                    {"effective_at": "0001-01-01T00:00:00+00:00"},
                                    {"person": {"email": "nina@acme.test", "end_date": "9999-12-31"}}])
def test_an_hr_event_with_an_out_of_range_date_is_refused(client, deps, change):
    before = row_counts(deps.store)
    answer = _hr(client, deps, json.dumps({**_joiner(), **change}).encode())
    assert answer.status_code == 400, answer.text
    assert row_counts(deps.store) == before


@pytest.mark.parametrize("resource_id", [HUGE, PAST_INTEGER, "-1", "0", "\u0661", "\u00b2", "9" * 400, "1e3"])
def test_a_scim_id_no_row_can_have_is_not_found(client, deps, resource_id):
    before = row_counts(deps.store)
    for method in ("GET", "DELETE", "PUT", "PATCH"):
        body = {"schemas": [USER], "userName": "x@acme.test"} if method == "PUT" else (
            {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations": [{"op": "replace", "path": "active", "value": False}]} if method == "PATCH" else None)
        answer = client.request(method, f"/scim/v2/Users/{resource_id}", headers=SCIM,
                                content=json.dumps(body).encode() if body else None)
        assert answer.status_code == 404, (method, answer.text)
    assert row_counts(deps.store) == before


def _scim_user(**extra) -> dict:
    return {"schemas": [USER, ENTERPRISE], "userName": "eve@acme.test", "active": True,
            "emails": [{"value": "eve@acme.test", "primary": True}], **extra}


@pytest.mark.parametrize("escape", [NUL, SURROGATE])
def test_a_scim_display_name_no_database_stores_is_refused(client, deps, escape):
    before = row_counts(deps.store)
    answer = client.post("/scim/v2/Users", content=_raw(_scim_user(displayName="MARK"), "MARK", f"E{escape}ve"),
                         headers=SCIM)
    assert answer.status_code == 400 and answer.json()["scimType"] == "invalidValue", answer.text
    found = client.get("/scim/v2/Users", params={"filter": 'userName eq "eve\u0000@acme.test"'}, headers=SCIM)
    assert found.status_code == 400
    assert row_counts(deps.store) == before


def test_a_scim_manager_id_no_row_can_have_is_refused(client, deps):
    before = row_counts(deps.store)
    answer = client.post("/scim/v2/Users", json=_scim_user(**{ENTERPRISE: {"manager": {"value": HUGE}}}),
                         headers=SCIM)
    assert answer.status_code == 400 and "is not a User of this service" in answer.text
    assert row_counts(deps.store) == before


@pytest.mark.parametrize("page", [{"startIndex": "9" * 30}, {"count": "9" * 30}, {"startIndex": PAST_INTEGER}])
def test_a_scim_page_past_any_row_lists_nothing(client, deps, page):
    answer = client.get("/scim/v2/Users", params=page, headers=SCIM)
    assert answer.status_code == 200, answer.text  # found by the fuzz test: OFFSET overflowed on PostgreSQL
    assert answer.json()["totalResults"] >= 0


def test_a_start_past_the_scheduling_horizon_is_refused_by_the_admin_api(client, deps):
    """The catalog's settings.max_start_ahead (default 90 days; the clock stands at 2026-11-02 09:00)."""
    before = row_counts(deps.store)
    answer = client.post("/api/v1/requests", json=_request(starts_at="2027-02-01T09:00:01Z", duration="1h"),
                         headers=API)
    assert answer.status_code == 400 and answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["field"] == "starts_at"
    assert problem["detail"] == ("The start time is too far ahead: access can be scheduled at most 90 days ahead "
                                 "(until 2027-01-31 09:00 UTC).")
    assert row_counts(deps.store) == before
    within = client.post("/api/v1/requests", json=_request(starts_at="2027-01-31T09:00:00Z", duration="1h"),
                         headers=API)
    assert within.status_code == 201, within.text
