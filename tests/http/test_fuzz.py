"""Fuzzing every endpoint that takes input from outside: /slack/events, /hooks/hr, /scim/v2 and the
admin API, each with malformed payloads, signed (or authorised) and not. None may answer 5xx and
none may change anything: every table's row count is the same afterwards.

Hypothesis generates the payloads (issue 18's "fuzz test"); ``derandomize`` fixes the examples so
CI runs the same ones every time, and ``max_examples`` keeps each database's run to seconds.
"""

from __future__ import annotations

import json
import time
import urllib.parse

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.http.hooks import hooks_plugin
from bot.http.scim import scim_plugin
from connectors.webhook_signature import sign as sign_v1
from tests.slack.harness import ALICE, SECRET, running_bot
from tests.support.databases import row_counts
from tests.support.slack_driver import payloads
from tests.support.slack_driver.signing import signed_headers

HR_SECRET, SCIM_TOKEN, ADMIN_TOKEN = "hr-secret-for-the-fuzz-test", "scim-token-for-fuzzing", "admin-token-for-fuzzing"
EXAMPLES = 250  # per endpoint: 4 x 250 = 1,000 payloads per database
FUZZ = settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])

# Text as attackers write it: NUL, lone surrogates, markup, huge numbers as strings.
hostile_text = st.one_of(st.text(max_size=20), st.sampled_from(
    ["\x00", "\ud800", "x\udfffy", "<!channel>", "9" * 30, str(2**63), "-1", "", " ", "null", "{}", "../../etc"]))
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
                    st.floats(allow_nan=False), hostile_text)
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(hostile_text, inner, max_size=3)), max_leaves=6)
not_a_string = st.one_of(st.integers(), st.booleans(), st.lists(scalars, max_size=2),
                         st.dictionaries(st.text(max_size=3), scalars, max_size=2))
not_an_object = st.one_of(st.integers(), st.booleans(), st.text(max_size=5), st.lists(scalars, max_size=2))


@pytest.fixture
def served(store, clock, tmp_path):
    with running_bot(store, clock, tmp_path, plugins=(hooks_plugin, scim_plugin), hr_webhook_secret=HR_SECRET,
                     scim_bearer_token=SCIM_TOKEN, admin_api_token=ADMIN_TOKEN) as bot:
        with httpx.Client(base_url=bot.sim.transport.client.base_url, timeout=10) as http:
            yield bot, http


def _refused(answer: httpx.Response) -> None:
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text[:300])


def _changes_nothing(bot, cases: st.SearchStrategy, send) -> None:
    """``send`` every generated case (it asserts the answer); afterwards every table is as before."""
    before = row_counts(bot.store)
    FUZZ(given(cases)(send))()
    assert row_counts(bot.store) == before


# -- /slack/events ----------------------------------------------------------------------------------
def _slack_templates() -> list[dict]:
    base = payloads.interaction_base("block_actions", user_id=ALICE, user_name="alice", trigger_id="1.2.3")
    return [
        {**base, "actions": [{"action_id": "approve", "block_id": "decision", "value": '{"v":1,"request_id":1}'}],
         "container": {"type": "message", "message_ts": "1.2", "channel_id": "D1"}, "response_url": "https://x"},
        {**base, "type": "view_submission", "view": {"id": "V1", "callback_id": "request_modal", "blocks": [],
                                                     "private_metadata": "{}", "state": {"values": {}}}},
        payloads.event_callback({"type": "app_home_opened", "user": ALICE, "tab": "home"}, now=time.time()),
    ]


# Structural fields and a value of the wrong kind for each (payload_shape refuses every one).
SLACK_BREAKS = {"user": not_an_object.filter(lambda v: not isinstance(v, str)), "view": not_an_object,
                "actions": st.one_of(st.dictionaries(st.text(max_size=3), scalars, max_size=2), st.integers()),
                "authorizations": st.one_of(st.dictionaries(st.text(max_size=3), scalars, max_size=2),
                                            st.integers()),
                "enterprise": st.one_of(st.integers(), st.booleans(), st.lists(scalars, max_size=2)),
                "type": not_a_string, "trigger_id": not_a_string, "response_url": not_a_string,
                "event": not_an_object, "container": not_an_object, "team": st.one_of(st.integers(),
                                                                                    st.lists(scalars, max_size=2))}

@st.composite
def slack_bodies(draw) -> bytes:
    kind = draw(st.sampled_from(["not an object", "bytes", "broken field"]))
    if kind == "not an object":
        return json.dumps(draw(json_values.filter(lambda v: not isinstance(v, dict)))).encode()
    if kind == "bytes":
        return draw(st.binary(max_size=64))
    template = draw(st.sampled_from(_slack_templates()))
    field = draw(st.sampled_from(sorted(SLACK_BREAKS)))
    return json.dumps({**template, field: draw(SLACK_BREAKS[field])}).encode()


@st.composite
def slack_requests(draw):
    body = draw(slack_bodies())
    as_form = draw(st.booleans())
    if as_form:
        body = urllib.parse.urlencode({"payload": body.decode("utf-8", "replace")}).encode()
    return body, "application/x-www-form-urlencoded" if as_form else "application/json", draw(
        st.sampled_from(["signed", "stale", "wrong secret"]))


def test_fuzzed_slack_requests_are_refused_and_change_nothing(served):
    bot, http = served

    def one(case):
        body, content_type, how = case
        stamp = int(time.time()) - (3600 if how == "stale" else 0)
        secret = "not-our-signing-secret-000000000" if how == "wrong secret" else SECRET
        answer = http.post("/slack/events", content=body, headers=signed_headers(secret, stamp, body, content_type))
        _refused(answer)


    _changes_nothing(bot, slack_requests(), one)


# -- /hooks/hr --------------------------------------------------------------------------------------
HR_EVENT = {"event_id": "wd-fuzz", "type": "joiner", "occurred_at": "2026-11-02T08:00:00Z",
            "person": {"email": "fuzz@acme.test", "name": "Fuzz"}}


@st.composite
def hr_requests(draw):
    event = json.loads(json.dumps(HR_EVENT))
    where = draw(st.sampled_from(["top", "person"]))
    target = event if where == "top" else event["person"]
    # An unknown field is refused (extra="forbid"), so every event stays invalid whatever else changes.
    target[draw(st.sampled_from(["colour", "x", "\x00", "emails", "Event_Id"]))] = draw(json_values)
    for key in draw(st.lists(st.sampled_from(["event_id", "type", "occurred_at", "effective_at", "termination",
                                               "reason"]), max_size=2)):
        event[key] = draw(json_values)
    for key in draw(st.lists(st.sampled_from(["email", "name", "timezone", "employee_id", "manager_email",
                                               "start_date", "groups"]), max_size=2)):
        event["person"][key] = draw(json_values)
    body = draw(st.one_of(st.just(json.dumps(event).encode()), json_values.map(lambda v: json.dumps(v).encode()),
                          st.binary(max_size=64)))
    return body, draw(st.sampled_from(["signed", "unsigned", "stale", "no headers"]))


def test_fuzzed_hr_events_are_refused_and_change_nothing(served):
    bot, http = served

    def one(case):
        body, how = case
        stamp = int(bot.deps.clock.now().timestamp()) - (3600 if how == "stale" else 0)
        secret = HR_SECRET if how in ("signed", "stale") else "not-the-hr-secret"
        headers = {} if how == "no headers" else {"X-Accessbot-Timestamp": str(stamp),
                                                  "X-Accessbot-Signature": sign_v1(secret, stamp, body)}
        _refused(http.post("/hooks/hr", content=body, headers=headers))


    _changes_nothing(bot, hr_requests(), one)


# -- /scim/v2 ---------------------------------------------------------------------------------------
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
scim_ids = st.one_of(st.sampled_from([str(2**63), "-1", "0", "9" * 40, "\u0661", "abc", "%00"]),
                     st.integers(min_value=100_000, max_value=2**70).map(str))


@st.composite
def scim_requests(draw):
    method = draw(st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]))
    path = draw(st.one_of(st.just("/Users"), scim_ids.map(lambda i: f"/Users/{i}"), st.just("/Users/.search"),
                          st.just("/Groups"), st.text(alphabet="abc/.%", max_size=10).map(lambda t: "/" + t)))
    if method == "POST" and path == "/Users":
        # Never a valid User: the userName is missing or not a string.
        user = draw(st.dictionaries(st.sampled_from(["displayName", "emails", "active", "name", "schemas"]),
                                    json_values, max_size=4))
        if draw(st.booleans()):
            user["userName"] = draw(not_a_string)
        body = json.dumps({"schemas": [USER_SCHEMA], **user}).encode()
    else:
        body = draw(st.one_of(json_values.map(lambda v: json.dumps(v).encode()), st.binary(max_size=32)))
    query_text = st.one_of(st.text(max_size=20).filter(lambda t: not any("\ud800" <= c <= "\udfff" for c in t)),
                           st.sampled_from(['userName eq "x\x00"', "9" * 30, "-1", 'userName eq "' + "a" * 300 + '"']))
    query = draw(st.one_of(st.just({}), st.dictionaries(st.sampled_from(["filter", "startIndex", "count",
                                                                          "attributes"]), query_text, max_size=2)))
    auth = draw(st.sampled_from([f"Bearer {SCIM_TOKEN}", "Bearer", "Bearer wrong", "", "Basic Zm9vOmJhcg=="]))
    return method, path, query, body, auth


def test_fuzzed_scim_requests_are_refused_and_change_nothing(served):
    bot, http = served

    def one(case):
        method, path, query, body, auth = case
        if method in ("PUT", "PATCH", "DELETE") and path.startswith("/Users/") and not path.endswith(".search"):
            pass  # ids that cannot exist: 404 whatever the body
        elif method in ("PUT", "PATCH", "DELETE"):
            path = "/Users/" + str(2**63)
        answer = http.request(method, "/scim/v2" + path, params=query, content=body,
                              headers={"Authorization": auth, "Content-Type": "application/scim+json"})
        if answer.status_code == 200 and (method == "GET" or path.endswith(".search")):
            return  # a read that found nothing to refuse (a list, a schema): it changes nothing either
        _refused(answer)


    _changes_nothing(bot, scim_requests(), one)


# -- admin API --------------------------------------------------------------------------------------
API_FIELDS = {"/api/v1/requests": ["requester", "entitlement", "duration", "justification", "ticket", "starts_at"],
              "/api/v1/requests/{id}/decisions": ["approver", "verdict", "reason"],
              "/api/v1/grants/{id}/revoke": ["actor", "reason"]}
api_ids = st.one_of(st.sampled_from([str(2**63), "-1", "0", "9" * 40, "x", "1.5"]),
                    st.integers(min_value=2**63, max_value=2**70).map(str))


@st.composite
def admin_requests(draw):
    route = draw(st.sampled_from([*API_FIELDS, "/api/v1/people/{email}/grants"]))
    if route.endswith("/grants"):
        email = draw(st.sampled_from(["x%00@acme.test", "%ED%A0%80@acme.test", "a" * 400 + "@acme.test"]))
        return "GET", route.replace("{email}", email), None, draw(st.sampled_from([f"Bearer {ADMIN_TOKEN}", "Bearer"]))
    body = {name: draw(json_values) for name in draw(st.lists(st.sampled_from(API_FIELDS[route]), max_size=3))}
    if route == "/api/v1/requests":
        # Never a valid request: the entitlement is missing, not a string, or the duration overflows.
        broken = draw(st.sampled_from(["no entitlement", "entitlement type", "huge duration", "NUL"]))
        body.pop("entitlement", None)
        body["requester"] = "alice@acme.test"
        if broken == "entitlement type":
            body["entitlement"] = draw(not_a_string)
        elif broken == "huge duration":
            body.update(entitlement="wiki:editor", duration=draw(st.sampled_from(["99999999999d", "1000000000w",
                                                                                   "9" * 80 + "s"])))
        elif broken == "NUL":
            body.update(entitlement="wiki:editor", justification="x\x00y")
    path = route.replace("{id}", draw(api_ids))
    auth = draw(st.sampled_from([f"Bearer {ADMIN_TOKEN}", "Bearer", "Bearer wrong", ""]))
    raw = draw(st.one_of(st.just(json.dumps(body).encode()), st.binary(max_size=32)))
    return "POST", path, raw, auth


def test_fuzzed_admin_api_requests_are_refused_and_change_nothing(served):
    bot, http = served

    def one(case):
        method, path, body, auth = case
        answer = http.request(method, path, content=body, headers={"Authorization": auth,
                                                                    "Content-Type": "application/json"})
        _refused(answer)


    _changes_nothing(bot, admin_requests(), one)
